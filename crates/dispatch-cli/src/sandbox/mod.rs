//! `dispatch sandbox`: the real `incoming` and `triage` handlers against the fakes on loopback.
//! Each message goes through `Incoming::handle`; what the fakes then hold is shown as people see
//! it and checked against the plan; a self-service prompt is answered with a signed click through
//! `Triage::handle` (or left unanswered); a resolve shows what it ended (`resolved.rs`). Then the
//! fake EventBridge Scheduler runs every follow-up at once, in time order (`lifecycle.rs`). The
//! exit code says whether everything did what its plan said.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use dispatch_core::config::{Env, IncomingConfig, TriageConfig};
use dispatch_core::deadline::{Deadline, RetryPolicy};
use dispatch_core::incoming::{AlarmError, Envelope, Incoming};
use dispatch_core::triage::{self, Triage};
use dispatch_fakes::{FakeScheduler, Fakes};

use crate::args::{AnswerArg, SandboxArgs};
use crate::input;
use crate::settings::{self, count};
use crate::style::Paint;

mod answer;
mod lifecycle;
mod resolved;
mod show;

/// The sandbox workspace's Slack users found by email (`users.lookupByEmail`): address and id.
/// `examples/broadcast.json` addresses carol by email only.
pub const SLACK_USERS_BY_EMAIL: &[(&str, &str)] = &[("carol@example.com", "U056MNOPQR")];

/// Time one message may take in `incoming`.
const MESSAGE_BUDGET: Duration = Duration::from_secs(30);

/// Runs the files (default: the examples) and prints what happened.
pub async fn run(args: &SandboxArgs, paint: Paint) -> ExitCode {
    let files = match message_files(&args.files) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("{}", paint.red(e));
            return ExitCode::FAILURE;
        }
    };
    let mut sandbox = match Sandbox::start(paint, args.answer).await {
        Ok(sandbox) => sandbox,
        Err(e) => {
            eprintln!("{}", paint.red(format!("the sandbox could not start: {e}")));
            return ExitCode::FAILURE;
        }
    };
    println!(
        "{}\n{}",
        paint.bold("Dispatch sandbox: the real incoming and triage handlers, with fake GitHub, Slack, PagerDuty and"),
        paint.bold("EventBridge Scheduler on 127.0.0.1. No accounts needed; nothing leaves this machine."),
    );
    let resolved_later = sandbox.resolved_later(&files);
    let mut tally = Tally::default();
    for (i, path) in files.iter().enumerate() {
        let label = display(path);
        println!("\n{}", paint.heading(format!("━━ {label}")));
        let outcome = sandbox.message(i + 1, path, resolved_later[i]).await;
        tally.add(paint, &label, &outcome);
    }
    let follow_ups = sandbox.follow_ups(&mut tally).await;
    sandbox.summary(files.len(), follow_ups, &tally)
}

/// What went as planned and what did not, over the whole run.
#[derive(Debug, Default)]
struct Tally {
    /// Messages and follow-ups not as planned.
    failed: usize,
    /// Each problem, named by what it belongs to.
    failures: Vec<String>,
}

impl Tally {
    /// Prints the verdict of one message or follow-up, and keeps its problems.
    fn add(&mut self, paint: Paint, label: &str, outcome: &Outcome) {
        if outcome.problems.is_empty() {
            println!("{} as planned: {}", paint.green("✓"), outcome.done.join(", "));
        } else {
            println!("{} not as planned:", paint.red("✗"));
            self.failed += 1;
            for problem in &outcome.problems {
                println!("  {problem}");
                self.failures.push(format!("{label}: {problem}"));
            }
        }
    }
}

/// The files named, or every `*.json` of `examples/` (here, else the repository's).
pub fn message_files(given: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    if !given.is_empty() {
        return Ok(given.to_vec());
    }
    let repository = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let dir = [PathBuf::from("examples"), repository]
        .into_iter()
        .find(|d| d.is_dir())
        .ok_or("no examples/ directory here: name the message files to run")?;
    let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: cannot list: {e}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json") && p.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!("{}: no *.json message files", dir.display()));
    }
    Ok(files)
}

/// A path as short as it can be said: relative to the current directory when under it.
fn display(path: &Path) -> String {
    let Ok(full) = std::fs::canonicalize(path) else { return path.display().to_string() };
    let relative = std::env::current_dir().ok().and_then(|cwd| full.strip_prefix(cwd).ok().map(Path::to_path_buf));
    relative.unwrap_or(full).display().to_string()
}

/// What one message did: the steps done, and every way it differed from its plan.
#[derive(Debug, Default)]
struct Outcome {
    done: Vec<String>,
    problems: Vec<String>,
}

/// The fakes and the two handlers, configured as in production but pointing at the fakes.
#[derive(Debug)]
struct Sandbox {
    fakes: Fakes,
    scheduler: FakeScheduler,
    incoming: Incoming,
    triage: Triage,
    paint: Paint,
    answer: Option<AnswerArg>,
    /// What each self-service prompt with buttons got, in order (`Unanswered` included).
    answered: Vec<AnswerArg>,
    /// The issues (`owner/name#number`) whose prompt was clicked: their follow-ups do nothing.
    clicked: Vec<String>,
    /// Who each Slack user id delivered to is, for what later updates and replies show.
    recipients: Vec<(String, String)>,
}

impl Sandbox {
    async fn start(paint: Paint, answer: Option<AnswerArg>) -> Result<Self, String> {
        let fakes = Fakes::start().await.map_err(|e| format!("fakes: {e}"))?;
        let env = Env::new(settings::sandbox_env(&fakes));
        let policy =
            RetryPolicy { attempts: 2, backoff: Duration::from_millis(50), request_timeout: Duration::from_secs(5) };
        let incoming_config = IncomingConfig::load(&env, None).await.map_err(|e| e.to_string())?;
        let mut incoming = Incoming::from_config(&incoming_config, policy).map_err(|e| e.to_string())?;
        let scheduler = FakeScheduler::start().await.map_err(|e| format!("fake scheduler: {e}"))?;
        lifecycle::follow_ups_on(&mut incoming, &scheduler);
        let triage_config = TriageConfig::load(&env, None).await.map_err(|e| e.to_string())?;
        let triage = Triage::from_config(&triage_config, triage::policy()).map_err(|e| e.to_string())?;
        // The examples' users known only by email.
        for (email, id) in SLACK_USERS_BY_EMAIL {
            fakes.slack.add_user(email, id);
        }
        Ok(Self {
            fakes,
            scheduler,
            incoming,
            triage,
            paint,
            answer,
            answered: Vec::new(),
            clicked: Vec::new(),
            recipients: Vec::new(),
        })
    }

    /// Sends message number `n` through `incoming`, shows and checks the result, clicks (without
    /// `--answer`, not when a later message resolves the alarm: its prompt is left for the resolve).
    async fn message(&mut self, n: usize, path: &Path, resolved_later: bool) -> Outcome {
        let paint = self.paint;
        let mut outcome = Outcome::default();
        let input = match input::read(path) {
            Ok(input) => input,
            Err(e) => {
                outcome.problems.push(format!("cannot read: {}", e.error));
                return outcome;
            }
        };
        let Ok(body) = String::from_utf8(input.bytes) else {
            outcome.problems.push("invalid message: $: not valid UTF-8".into());
            return outcome;
        };
        let slack_before = self.fakes.slack.messages().len();
        let updates_before = self.fakes.slack.updates().len();
        let event_id = format!("sandbox-{n}");
        // As SNS stamps it: a resolve and its trigger are ordered by this time.
        let published = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
        let delivery = Envelope { event_id: &event_id, published: Some(&published), body: &body };
        let report = match self.incoming.handle(delivery, Deadline::after(MESSAGE_BUDGET)).await {
            Ok(report) => report,
            Err(AlarmError::Invalid(e)) => {
                outcome.problems.push(format!("invalid message: {}: {}", paint.red(&e.path), e.reason));
                return outcome;
            }
            Err(AlarmError::Undelivered { failed, report }) => {
                self.show(&report);
                outcome.problems.push(format!("Slack messages not delivered: {}", failed.join(", ")));
                return outcome;
            }
            Err(e) => {
                outcome.problems.push(format!("incoming failed: {e}"));
                return outcome;
            }
        };
        if let Some(resolution) = &report.resolution {
            self.show_resolution(&report, resolution, updates_before, &mut outcome);
            return outcome;
        }
        self.show(&report);
        self.remember_recipients(&report);
        self.check(&report, slack_before, &mut outcome);
        self.check_scheduled(&report, &mut outcome);
        if outcome.problems.is_empty() {
            self.click(n, &report, resolved_later, &mut outcome).await;
        }
        outcome
    }

    /// The closing lines, and the exit code.
    fn summary(&self, messages: usize, follow_ups: usize, tally: &Tally) -> ExitCode {
        let paint = self.paint;
        println!();
        let what = if follow_ups == 0 {
            count(messages, "message")
        } else {
            format!("{} and {}", count(messages, "message"), count(follow_ups, "follow-up"))
        };
        let code = if tally.failures.is_empty() {
            println!("{}", paint.heading(format!("━━ {what}, all as planned")));
            ExitCode::SUCCESS
        } else {
            println!("{}", paint.heading(format!("━━ {what}, {} not as planned:", tally.failed)));
            for failure in &tally.failures {
                println!("   {} {failure}", paint.red("✗"));
            }
            ExitCode::FAILURE
        };
        println!("   The fakes hold {}.", lifecycle::holdings(&self.fakes));
        let yes = self.answered.contains(&AnswerArg::Yes);
        let no = self.answered.contains(&AnswerArg::No);
        match (yes, no) {
            (true, false) => println!("   Only Yes was clicked: run again with --answer no to see an escalation."),
            (false, true) => println!("   Only No was clicked: run again with --answer yes to see an alarm closed."),
            _ => {}
        }
        code
    }
}
