//! `dispatch sandbox`: the real `incoming` and `triage` handlers against the fakes on loopback.
//! Each message goes through `Incoming::handle`; what the fakes then hold is shown as people see
//! it and checked against the plan; a self-service prompt is answered with a signed click through
//! `Triage::handle`. The exit code says whether everything did what its plan said.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use chrono::Utc;
use dispatch_core::config::{Env, IncomingConfig, TriageConfig};
use dispatch_core::deadline::{Deadline, RetryPolicy};
use dispatch_core::incoming::{AlarmError, Delivery, Incoming, IssueAction, IssueReport, Report, SlackResult};
use dispatch_core::pagerduty::IncidentOutcome;
use dispatch_core::routing::SlackContent;
use dispatch_core::slack::SlackMessage;
use dispatch_core::slack::blocks::{ACKNOWLEDGED_COLOUR, NO_ACTION, YES_ACTION};
use dispatch_core::triage::{self, Triage};
use dispatch_fakes::{FakeIncident, Fakes};
use serde_json::Value;

use crate::args::{AnswerArg, SandboxArgs};
use crate::click::{self, ClickSpec};
use crate::input;
use crate::render::{self, indented, labelled, quoted};
use crate::settings::{self, SIGNING_SECRET, count};
use crate::style::Paint;

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
        paint.bold("Dispatch sandbox: the real incoming and triage handlers, with fake GitHub, Slack and PagerDuty"),
        paint.bold("on 127.0.0.1. No accounts needed; nothing leaves this machine."),
    );
    let (mut failures, mut failed) = (Vec::new(), 0);
    for (i, path) in files.iter().enumerate() {
        let label = display(path);
        println!("\n{}", paint.heading(format!("━━ {label}")));
        let outcome = sandbox.message(i + 1, path).await;
        if outcome.problems.is_empty() {
            println!("{} as planned: {}", paint.green("✓"), outcome.done.join(", "));
        } else {
            println!("{} not as planned:", paint.red("✗"));
            failed += 1;
            for problem in &outcome.problems {
                println!("  {problem}");
                failures.push(format!("{label}: {problem}"));
            }
        }
    }
    sandbox.summary(files.len(), failed, &failures)
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
    incoming: Incoming,
    triage: Triage,
    paint: Paint,
    answer: Option<AnswerArg>,
    answered: Vec<AnswerArg>,
}

impl Sandbox {
    async fn start(paint: Paint, answer: Option<AnswerArg>) -> Result<Self, String> {
        let fakes = Fakes::start().await.map_err(|e| format!("fakes: {e}"))?;
        let env = Env::new(settings::sandbox_env(&fakes));
        let policy =
            RetryPolicy { attempts: 2, backoff: Duration::from_millis(50), request_timeout: Duration::from_secs(5) };
        let incoming_config = IncomingConfig::load(&env, None).await.map_err(|e| e.to_string())?;
        let incoming = Incoming::from_config(&incoming_config, policy).map_err(|e| e.to_string())?;
        let triage_config = TriageConfig::load(&env, None).await.map_err(|e| e.to_string())?;
        let triage = Triage::from_config(&triage_config, triage::policy()).map_err(|e| e.to_string())?;
        // The examples' users known only by email.
        for (email, id) in SLACK_USERS_BY_EMAIL {
            fakes.slack.add_user(email, id);
        }
        Ok(Self { fakes, incoming, triage, paint, answer, answered: Vec::new() })
    }

    /// Sends message number `n` through `incoming`, shows and checks the result, clicks.
    async fn message(&mut self, n: usize, path: &Path) -> Outcome {
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
        let event_id = format!("sandbox-{n}");
        let delivery = Delivery { event_id: &event_id, published: None, body: &body };
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
        self.show(&report);
        self.check(&report, slack_before, &mut outcome);
        if outcome.problems.is_empty() {
            self.click(n, &report, &mut outcome).await;
        }
        outcome
    }

    /// Prints the plan's heading, the issue, the Slack messages and the incident.
    fn show(&self, report: &Report) {
        let paint = self.paint;
        let plan = &report.plan;
        println!("{}", paint.dim(format!("type {} · requestId {}", plan.kind, plan.request_id)));
        if plan.users_missing {
            println!(
                "{}",
                paint.yellow("The message has no users: the default Slack channel and GitHub user stand in.")
            );
        }
        if let Some(issue) = &report.issue {
            self.show_issue(issue);
        }
        for (i, slack) in report.slack.iter().enumerate() {
            let d = &slack.delivery;
            let by_email = plan.slack.get(i).and_then(|planned| planned.email());
            let channel = d.channel().map_or_else(|| "(not looked up)".to_owned(), ToString::to_string);
            let to = match (&d.content, by_email) {
                (_, Some(_)) if channel.starts_with(['U', 'W']) => {
                    format!("direct message to {} ({channel}, found by email)", d.recipient)
                }
                _ if channel.starts_with(['U', 'W']) => format!("direct message to {} ({channel})", d.recipient),
                (SlackContent::MissingSlackId { .. }, _) => {
                    format!("default channel {channel}: notice that {} has no Slack ID", d.recipient)
                }
                (SlackContent::EmailNotFound { email }, _) => {
                    format!("default channel {channel}: notice that no Slack user was found for {email}")
                }
                (_, Some(email)) => format!("default channel {channel}, for {} ({email} not found)", d.recipient),
                _ => format!("default channel {channel}, for {} (no Slack ID)", d.recipient),
            };
            match &slack.result {
                SlackResult::Sent(message) => {
                    println!("{}", labelled(paint, "Slack", &to));
                    println!("{}", quoted(&paint.dim("│"), &render::blocks(paint, &message.blocks)));
                }
                SlackResult::AlreadySent => {
                    println!("{}", labelled(paint, "Slack", &format!("{to}: already sent by an earlier attempt")))
                }
                SlackResult::NotNeeded => {}
                SlackResult::Failed(e) => {
                    println!(
                        "{}",
                        labelled(paint, "Slack", &format!("{to}: {}", paint.red(format!("not delivered, {e}"))))
                    )
                }
            }
        }
        if let Some(incident) = &report.incident {
            let new = &incident.incident;
            let what = match &incident.outcome {
                IncidentOutcome::Created { id, .. } => {
                    format!("incident {} {} on service {}", paint.bold(id), paint.green("opened"), new.service)
                }
                IncidentOutcome::AlreadyOpen => paint.yellow(format!(
                    "an incident with key {} is already open on service {}: not opened twice",
                    new.incident_key, new.service
                )),
            };
            println!("{}", labelled(paint, "PagerDuty", &what));
            self.show_incident_content(&new.title, &new.incident_key, new.details.as_deref());
        }
    }

    fn show_issue(&self, issue: &IssueReport) {
        let paint = self.paint;
        let repo = issue.repo.to_string();
        let number = issue.issue.number;
        let what = match issue.action {
            IssueAction::Created => paint.green("opened"),
            IssueAction::Resumed => "resumed: an earlier attempt of this event opened it".to_owned(),
            IssueAction::Reused => "reused: a nag keeps one issue and messages every time".to_owned(),
            IssueAction::Suppressed => paint.yellow(format!(
                "already exists ({}): the alarm is being handled, so nothing is sent",
                issue.issue.state
            )),
        };
        println!("{}", labelled(paint, "GitHub", &format!("issue {} {what}", paint.bold(format!("{repo}#{number}")))));
        println!("{}", indented(&paint.bold(&issue.issue.title)));
        if issue.action == IssueAction::Suppressed {
            return;
        }
        let stored = self.stored_issue(&repo, number);
        if let Some(stored) = stored {
            if !stored.labels.is_empty() {
                println!("{}", indented(&format!("labels: {}", stored.labels.join(", "))));
            }
            // Dispatch's marker is an HTML comment: GitHub does not show it, so it is faint here.
            let body: Vec<String> = stored
                .body
                .lines()
                .map(|line| if line.starts_with("<!--") { paint.dim(line) } else { line.to_owned() })
                .collect();
            println!("{}", quoted(&paint.dim("│"), &body.join("\n")));
        }
        println!("{}", indented(&paint.dim(&issue.issue.html_url)));
    }

    fn show_incident_content(&self, title: &str, key: &str, details: Option<&str>) {
        let paint = self.paint;
        println!("{}", indented(&paint.bold(title)));
        println!("{}", indented(&format!("key: {key}")));
        if let Some(details) = details.filter(|d| !d.trim().is_empty()) {
            println!("{}", quoted(&paint.dim("│"), details));
        }
    }

    /// Compares the report and the fakes with the plan.
    fn check(&self, report: &Report, slack_before: usize, outcome: &mut Outcome) {
        let plan = &report.plan;
        let mut suppressed = false;
        if plan.issue.is_some() {
            match &report.issue {
                None => outcome.problems.push("no issue, though the plan has one".into()),
                Some(issue) => {
                    let repo = issue.repo.to_string();
                    let stored = self.stored_issue(&repo, issue.issue.number);
                    let held = stored.is_some_and(|s| s.title == issue.issue.title);
                    if !held {
                        outcome.problems.push(format!("issue {repo}#{} is not in the fake GitHub", issue.issue.number));
                    }
                    suppressed = issue.action == IssueAction::Suppressed;
                    outcome.done.push(
                        match issue.action {
                            IssueAction::Created => "issue opened",
                            IssueAction::Resumed => "issue resumed",
                            IssueAction::Reused => "issue reused",
                            IssueAction::Suppressed => "duplicate suppressed",
                        }
                        .into(),
                    );
                }
            }
        }
        if !suppressed && !plan.slack.is_empty() {
            let sent = report.slack.iter().filter(|s| matches!(s.result, SlackResult::Sent(_))).count();
            let undelivered: Vec<String> = plan
                .slack
                .iter()
                .enumerate()
                .filter(|(i, _)| {
                    !report.slack.get(*i).is_some_and(|s| {
                        matches!(s.result, SlackResult::Sent(_) | SlackResult::AlreadySent | SlackResult::NotNeeded)
                    })
                })
                .map(|(_, d)| d.recipient.clone())
                .collect();
            if !undelivered.is_empty() {
                outcome.problems.push(format!("Slack messages not delivered to {}", undelivered.join(", ")));
            }
            let received = self.fakes.slack.messages().len() - slack_before;
            if received != sent {
                outcome
                    .problems
                    .push(format!("the fake Slack received {received} messages, {sent} were reported sent"));
            }
            outcome.done.push(format!("{} delivered", count(sent, "Slack message")));
        }
        if let Some(planned) = &plan.incident {
            match report.incident.as_ref().map(|i| &i.outcome) {
                None => outcome.problems.push("no incident, though the plan has one".into()),
                Some(IncidentOutcome::Created { id, .. }) => {
                    let held = self.fakes.pagerduty.incidents().into_iter().any(|i| {
                        &i.id == id && i.incident_key == planned.incident_key && i.service == planned.service.as_str()
                    });
                    if held {
                        outcome.done.push(format!("incident {id} opened"));
                    } else {
                        outcome.problems.push(format!("incident {id} is not in the fake PagerDuty as planned"));
                    }
                }
                Some(IncidentOutcome::AlreadyOpen) => {
                    outcome.done.push("incident already open, not paged twice".into())
                }
            }
        }
    }

    /// Answers the self-service prompt of `report`, if it has one, and checks the effect.
    async fn click(&mut self, n: usize, report: &Report, outcome: &mut Outcome) {
        let paint = self.paint;
        let prompt = report.slack.iter().find_map(|s| match (&s.delivery.content, &s.result) {
            (SlackContent::Prompt { intended_user, .. }, SlackResult::Sent(message)) => {
                Some((intended_user.as_str().to_owned(), s.delivery.recipient.clone(), message))
            }
            _ => None,
        });
        if report.slack.iter().any(|s| matches!(s.delivery.content, SlackContent::PromptWithoutButtons(_))) {
            println!("{}", labelled(paint, "Click", "no buttons to click: the prompt is in a shared channel"));
        }
        let (Some((user_id, user_name, message)), Some(issue)) = (prompt, &report.issue) else { return };
        let answer =
            self.answer.unwrap_or(if self.answered.len().is_multiple_of(2) { AnswerArg::Yes } else { AnswerArg::No });
        self.answered.push(answer);
        let (action_id, word) = match answer {
            AnswerArg::Yes => (YES_ACTION, "yes"),
            AnswerArg::No => (NO_ACTION, "no"),
        };
        let Some((text, value, style)) = button(message, action_id) else {
            outcome.problems.push(format!("the prompt has no {action_id} button"));
            return;
        };
        let interaction = format!("sandbox-{n}");
        let response_url = self.fakes.slack.response_url(&interaction);
        let spec = ClickSpec {
            action_id,
            text: &text,
            value: &value,
            user_id: &user_id,
            user_name: &user_name,
            response_url: &response_url,
        };
        let now = Utc::now();
        let request = click::signed_request(SIGNING_SECRET, now.timestamp(), click::form(&click::block_actions(&spec)));
        let repo = issue.repo.to_string();
        let number = issue.issue.number;
        let comments_before = self.stored_issue(&repo, number).map_or(0, |s| s.comments.len());
        let incidents_before = self.fakes.pagerduty.incidents().len();
        let response = self.triage.handle(&request, now).await;

        let status = if response.status == 200 { paint.green("200 OK") } else { paint.red(response.status) };
        println!(
            "{}",
            labelled(
                paint,
                "Click",
                &format!(
                    "{user_name} clicks {} (a signed Slack request to triage: {status})",
                    render::button(paint, &text, style.as_deref())
                )
            )
        );
        if response.status != 200 {
            outcome.problems.push(format!("triage answered {}: {}", response.status, response.body));
            return;
        }

        let stored = self.stored_issue(&repo, number);
        let reply = self.fakes.slack.responses().into_iter().rev().find(|(id, _)| *id == interaction).map(|(_, v)| v);
        let new_incidents: Vec<FakeIncident> = self.fakes.pagerduty.incidents().split_off(incidents_before);
        let already_escalated = reply
            .as_ref()
            .and_then(|r| r["text"].as_str())
            .is_some_and(|t| t.starts_with("Dispatch alert already escalated"));

        let closed = stored.as_ref().is_some_and(|s| s.state == "closed");
        match answer {
            AnswerArg::Yes if closed => outcome.done.push("answered yes: issue closed".into()),
            AnswerArg::Yes => outcome.problems.push(format!("issue {repo}#{number} is still open after a yes")),
            AnswerArg::No => {
                if let Some(incident) = new_incidents.first() {
                    println!(
                        "{}",
                        indented(&format!(
                            "PagerDuty incident {} {} on service {}",
                            paint.bold(&incident.id),
                            paint.red("opened"),
                            incident.service
                        ))
                    );
                    self.show_incident_content(&incident.title, &incident.incident_key, incident.details.as_deref());
                    outcome.done.push(format!("answered no: incident {} opened", incident.id));
                } else if already_escalated {
                    println!("{}", indented("PagerDuty already has an open incident for this alarm: not paged twice"));
                    outcome.done.push("answered no: incident already open".into());
                } else {
                    outcome.problems.push("no incident was opened after a no".into());
                }
            }
        }
        let added: Vec<String> =
            stored.map(|s| s.comments.into_iter().skip(comments_before).collect()).unwrap_or_default();
        let state = if closed { paint.green("closed") } else { "stays open".to_owned() };
        let with = match added.len() {
            0 => "",
            1 => ", with the comment:",
            _ => ", with the comments:",
        };
        println!("{}", indented(&format!("GitHub issue {} {state}{with}", paint.bold(format!("{repo}#{number}")))));
        let shown: Vec<String> = added.iter().map(|c| render::markdown(paint, c)).collect();
        println!("{}", quoted(&paint.dim("│"), &shown.join("\n\n")));
        // Triage ends its record with `<!-- dispatch:answer request=… answer=yes|no user=… -->`.
        let marker = format!("answer={word} ");
        if !added.iter().any(|c| c.contains("<!-- dispatch:answer ") && c.contains(&marker)) {
            outcome.problems.push(format!("the answer is not recorded on issue {repo}#{number}"));
        }
        self.show_reply(reply.as_ref(), answer, outcome);
    }

    /// The issue as the fake GitHub holds it.
    fn stored_issue(&self, repo: &str, number: u64) -> Option<dispatch_fakes::FakeIssue> {
        self.fakes.github.issues(repo).into_iter().find(|i| i.number == number)
    }

    /// Prints what the prompt became and checks that it says what the answer did.
    fn show_reply(&self, reply: Option<&Value>, answer: AnswerArg, outcome: &mut Outcome) {
        let paint = self.paint;
        let Some(reply) = reply else {
            outcome.problems.push("triage did not answer through the response_url".into());
            return;
        };
        let text = reply["text"].as_str().unwrap_or_default();
        if reply["replace_original"] != true {
            println!("{}", indented(&format!("Slack shows only to the clicker: {}", paint.yellow(text))));
            outcome.problems.push(format!("the click was not acted on: {text}"));
            return;
        }
        println!("{}", indented("The prompt in Slack is replaced with:"));
        for attachment in reply["attachments"].as_array().into_iter().flatten() {
            let bar = if attachment["color"] == ACKNOWLEDGED_COLOUR { paint.green("┃") } else { paint.red("┃") };
            let blocks = attachment["blocks"].as_array().map(Vec::as_slice).unwrap_or_default();
            println!("{}", quoted(&bar, &render::blocks(paint, blocks)));
        }
        let expected = match answer {
            AnswerArg::Yes => "Dispatch alert acknowledged",
            AnswerArg::No => "Dispatch alert escalated",
        };
        if !text.starts_with(expected) && !text.starts_with("Dispatch alert already escalated") {
            outcome.problems.push(format!("the replaced prompt says \"{text}\""));
        }
    }

    /// The closing lines, and the exit code.
    fn summary(&self, messages: usize, failed: usize, failures: &[String]) -> ExitCode {
        let paint = self.paint;
        println!();
        let code = if failures.is_empty() {
            println!("{}", paint.heading(format!("━━ {}, all as planned", count(messages, "message"))));
            ExitCode::SUCCESS
        } else {
            println!("{}", paint.heading(format!("━━ {}, {failed} not as planned:", count(messages, "message"))));
            for failure in failures {
                println!("   {} {failure}", paint.red("✗"));
            }
            ExitCode::FAILURE
        };
        println!("   The fakes hold {}.", settings::holdings(&self.fakes));
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

/// Text, value and style of the button with `action_id`.
fn button(message: &SlackMessage, action_id: &str) -> Option<(String, String, Option<String>)> {
    message
        .blocks
        .iter()
        .filter(|b| b["type"] == "actions")
        .flat_map(|b| b["elements"].as_array().cloned().unwrap_or_default())
        .find(|e| e["action_id"] == action_id)
        .map(|b| {
            (
                b["text"]["text"].as_str().unwrap_or(action_id).to_owned(),
                b["value"].as_str().unwrap_or_default().to_owned(),
                b["style"].as_str().map(str::to_owned),
            )
        })
}
