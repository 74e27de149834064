//! Cold start: the release `incoming` and `triage` binaries, and the floor they are compared with
//! (`bare-lambda`, built in the same run), each spawned fresh under the Lambda Runtime API emulator
//! with one event already queued, against zero-latency fakes. Timed from process spawn to the
//! function's response reaching the emulator; peak RSS read from `/proc/<pid>/status` (`VmHWM`)
//! right after, before the process is killed.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use tokio::runtime::Handle;

use crate::stack::{self, Answer, Kind, REPO};
use crate::stats::Summary;

/// What is cold-started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// `incoming` with a high-priority alarm (one PagerDuty request).
    IncomingHighPriority,
    /// `incoming` with a self-service alarm (GitHub lookup, issue, DM, delivery record).
    IncomingSelfService,
    /// `triage` with a signed Yes click from a Function URL.
    TriageYes,
    /// The floor: a bare Rust Lambda (`lambda_runtime` and an echo handler, `crates/dispatch-floor`)
    /// given the same high-priority SNS event.
    BareLambda,
    /// The floor's program on tokio's single-threaded runtime (`current_thread`, as `incoming` and
    /// `triage` run): how much of the floor is the usual runtime's worker threads.
    BareLambdaCurrentThread,
    /// `incoming` with a high-priority alarm, but the executable cargo-lambda put in the zip
    /// (linked differently from `target/release`).
    IncomingBootstrap,
}

impl Scenario {
    /// All, in report order.
    pub const ALL: [Self; 6] = [
        Self::IncomingHighPriority,
        Self::IncomingSelfService,
        Self::TriageYes,
        Self::BareLambda,
        Self::BareLambdaCurrentThread,
        Self::IncomingBootstrap,
    ];

    /// Whether this is a target of issue 8 (the others are experiments that explain them).
    pub fn is_target(self) -> bool {
        matches!(self, Self::IncomingHighPriority | Self::IncomingSelfService | Self::TriageYes)
    }

    /// Row label.
    pub fn label(self) -> &'static str {
        match self {
            Self::IncomingHighPriority => "`incoming`, high-priority alarm",
            Self::IncomingSelfService => "`incoming`, self-service alarm",
            Self::TriageYes => "`triage`, signed Yes click (Function URL)",
            Self::BareLambda => "*floor:* a bare Rust Lambda (`lambda_runtime`, echo handler), the same event",
            Self::BareLambdaCurrentThread => "*experiment:* the floor on tokio's single-threaded runtime",
            Self::IncomingBootstrap => "*experiment:* `incoming`, high-priority, the zip's `bootstrap`",
        }
    }

    fn binary(self) -> &'static str {
        match self {
            Self::IncomingHighPriority | Self::IncomingSelfService | Self::IncomingBootstrap => "incoming",
            Self::TriageYes => "triage",
            Self::BareLambda => BARE_LAMBDA,
            Self::BareLambdaCurrentThread => BARE_LAMBDA_CURRENT_THREAD,
        }
    }
}

/// The package of the floor's executables (`crates/dispatch-floor`), built on its own.
pub const FLOOR_PACKAGE: &str = "dispatch-floor";
/// The floor's executable, a `[[bin]]` of [`FLOOR_PACKAGE`].
pub const BARE_LAMBDA: &str = "bare-lambda";
/// The floor's program on a single-threaded runtime, another `[[bin]]` of [`FLOOR_PACKAGE`].
pub const BARE_LAMBDA_CURRENT_THREAD: &str = "bare-lambda-current-thread";

/// One cold start.
#[derive(Debug, Clone, Copy)]
struct Run {
    /// Spawn to response.
    total: Duration,
    /// Spawn to the `… ready` log line (configuration read, clients built, about to poll).
    ready: Option<Duration>,
    /// `VmHWM`, KiB.
    peak_kib: u64,
    /// CPU time of all the process's threads by then.
    cpu: Option<Duration>,
    /// Minor page faults of the process by then.
    faults: Option<u64>,
}

/// The cold starts of one scenario.
#[derive(Debug, Clone)]
pub struct ColdResult {
    /// What was started.
    pub scenario: Scenario,
    /// The directory the executable came from, when not the usual one (`--cold-compare`).
    pub from: Option<PathBuf>,
    /// Spawn to response, ms.
    pub total: Summary,
    /// Spawn to ready, ms.
    pub ready: Option<Summary>,
    /// Peak RSS, MiB.
    pub peak_mib: Summary,
    /// CPU time, ms.
    pub cpu: Option<Summary>,
    /// Minor page faults (memory first touched, the binary's pages mapped in).
    pub faults: Option<Summary>,
}

/// The cold-start measurements.
#[derive(Debug, Clone)]
pub struct Cold {
    /// Per scenario.
    pub results: Vec<ColdResult>,
    /// Discarded runs per scenario before measuring (page cache, fakes' first connections).
    pub warmup: usize,
}

impl Cold {
    /// The bare Lambda's row, when it was measured.
    pub fn floor(&self) -> Option<&ColdResult> {
        self.results.iter().find(|r| r.scenario == Scenario::BareLambda)
    }

    /// `row`'s median cold start as a multiple of the floor's.
    pub fn ratio(&self, row: &ColdResult) -> Option<f64> {
        self.floor().map(|floor| row.total.median / floor.total.median)
    }
}

/// Profiling aids of `--only cold`: none in a report's measurement.
#[derive(Debug, Clone, Default)]
pub struct Probes {
    /// A command line each function's executable is appended to (e.g. `strace -f -o FILE`).
    pub wrapper: Option<String>,
    /// A directory of other builds of `incoming` and `triage`, each cold-started in extra rows
    /// interleaved with the usual ones (before/after comparisons within one run).
    pub compare: Option<PathBuf>,
}

/// Runs `runs` cold starts of every scenario, interleaved so that background load affects them
/// alike, after `warmup` discarded ones.
pub async fn measure(root: &Path, fakes_runtime: &Handle, runs: usize, warmup: usize, probes: &Probes) -> Cold {
    let fakes = stack::start_fakes(fakes_runtime).await;
    let mut scenarios: Vec<(Scenario, Option<PathBuf>)> = Scenario::ALL
        .into_iter()
        .filter(|s| *s != Scenario::IncomingBootstrap || lambda_binary(root, "incoming").exists())
        .map(|s| (s, None))
        .collect();
    if let Some(dir) = &probes.compare {
        let targets = Scenario::ALL.into_iter().filter(|s| s.is_target());
        scenarios.extend(targets.map(|s| (s, Some(dir.clone()))));
    }
    let executables: Vec<PathBuf> = scenarios
        .iter()
        .map(|(scenario, from)| match (from, scenario) {
            (Some(dir), _) => dir.join(scenario.binary()),
            (None, Scenario::IncomingBootstrap) => lambda_binary(root, scenario.binary()),
            (None, _) => binary(root, scenario.binary()),
        })
        .collect();
    for executable in &executables {
        if let Err(e) = read_back_from_disk(executable) {
            eprintln!(
                "cold start: {} stays as cached ({e}); its row may not compare with the others",
                executable.display()
            );
        }
    }
    let mut samples: Vec<Vec<Run>> = vec![Vec::new(); scenarios.len()];
    for round in 0..warmup + runs {
        for (index, ((scenario, _), executable)) in scenarios.iter().zip(&executables).enumerate() {
            let run =
                once(executable, fakes_runtime, &fakes, *scenario, (index, round), probes.wrapper.as_deref()).await;
            if round >= warmup {
                samples[index].push(run);
            }
        }
        eprint!("\rcold start: round {}/{}", round + 1, warmup + runs);
    }
    eprintln!();
    let results = scenarios
        .into_iter()
        .zip(samples)
        .map(|((scenario, from), runs)| {
            let ms = |d: Duration| d.as_secs_f64() * 1e3;
            let ready: Option<Vec<f64>> = runs.iter().map(|r| r.ready.map(ms)).collect();
            let cpu: Option<Vec<f64>> = runs.iter().map(|r| r.cpu.map(ms)).collect();
            let faults: Option<Vec<f64>> = runs.iter().map(|r| r.faults.map(|f| f as f64)).collect();
            ColdResult {
                scenario,
                from,
                total: Summary::of(&runs.iter().map(|r| ms(r.total)).collect::<Vec<_>>()),
                ready: ready.map(|r| Summary::of(&r)),
                peak_mib: Summary::of(&runs.iter().map(|r| r.peak_kib as f64 / 1024.0).collect::<Vec<_>>()),
                cpu: cpu.map(|c| Summary::of(&c)),
                faults: faults.map(|f| Summary::of(&f)),
            }
        })
        .collect();
    Cold { results, warmup }
}

/// Drops `executable` from the page cache, so that the discarded first runs read it back from the
/// disk, as a function newly installed on a Lambda host is read. How a file came into the cache
/// changes how the kernel maps it: on this machine a binary the linker or `cp` had just written
/// took about 10% more page faults and 0.5 ms more per cold start than the same bytes read back,
/// enough to make one build look faster than an identical one.
fn read_back_from_disk(executable: &Path) -> std::io::Result<()> {
    let file = std::fs::File::open(executable)?;
    // Only pages written back can be dropped.
    file.sync_all()?;
    rustix::fs::fadvise(&file, 0, None, rustix::fs::Advice::DontNeed)?;
    Ok(())
}

/// The path of a release binary.
pub fn binary(root: &Path, name: &str) -> PathBuf {
    root.join("target/release").join(name)
}

async fn once(
    executable: &Path,
    fakes_runtime: &Handle,
    fakes: &dispatch_fakes::Fakes,
    scenario: Scenario,
    (row, round): (usize, usize),
    wrapper: Option<&str>,
) -> Run {
    let lambda = stack::start_lambda(fakes_runtime).await;
    // Ids and titles of their own for every row and round: no alarm is a duplicate of another.
    let tag = format!("cold-{row}");
    let (event, expected) = match scenario {
        Scenario::IncomingHighPriority | Scenario::IncomingBootstrap => (
            stack::sns_event(&format!("{tag}-{round}"), &Kind::HighPriority.message(&tag, round)),
            json!({ "handled": 1 }),
        ),
        Scenario::BareLambda | Scenario::BareLambdaCurrentThread => {
            let event = stack::sns_event(&format!("{tag}-{round}"), &Kind::HighPriority.message(&tag, round));
            (event.clone(), event)
        }
        Scenario::IncomingSelfService => (
            stack::sns_event(&format!("{tag}-{round}"), &Kind::SelfService.message(&tag, round)),
            json!({ "handled": 1 }),
        ),
        Scenario::TriageYes => {
            let request_id = format!("{tag}-click-{round}");
            let number = fakes.github.add_issue(REPO, &format!("{tag} click {round}"), "body", true);
            let button = stack::button(number, &request_id);
            let response_url = fakes.slack.response_url(&request_id);
            (stack::click_event(&button, Answer::Yes, &response_url), Value::Null)
        }
    };
    let mut command = match wrapper.map(str::split_whitespace) {
        Some(mut words) => {
            let mut command = Command::new(words.next().expect("a wrapper command"));
            command.args(words).arg(executable);
            command
        }
        None => Command::new(executable),
    };
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", lambda.api())
        .env("AWS_LAMBDA_FUNCTION_NAME", format!("dispatch-{}", scenario.binary()))
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(stack::settings(fakes))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);

    let started = Instant::now();
    let mut child = command.spawn().unwrap_or_else(|e| panic!("cannot start {}: {e}", scenario.binary()));
    let ready: Arc<Mutex<Option<Duration>>> = Arc::default();
    let logs: Arc<Mutex<Vec<String>>> = Arc::default();
    let stdout = child.stdout.take().map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>);
    let stderr = child.stderr.take().map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>);
    for stream in [stdout, stderr].into_iter().flatten() {
        let (ready, logs) = (ready.clone(), logs.clone());
        tokio::spawn(async move {
            let mut lines = BufReader::new(stream).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if line.contains(" ready\"")
                    && let Ok(mut ready) = ready.lock()
                    && ready.is_none()
                {
                    *ready = Some(started.elapsed());
                }
                if let Ok(mut logs) = logs.lock() {
                    logs.push(line);
                }
            }
        });
    }
    let invocation = lambda.invoke(event, Duration::from_secs(30), Duration::from_secs(30)).await;
    let total = started.elapsed();
    // Read before anything else: the process is still waiting for its next event.
    let peak_kib = child.id().and_then(peak_rss_kib);
    let cpu = child.id().and_then(stack::process_cpu);
    let faults = child.id().and_then(minor_faults);
    let _ = child.kill().await;
    let status = child.wait().await;

    let failed = |what: String| -> ! {
        let logs = logs.lock().map(|l| l.join("\n")).unwrap_or_default();
        panic!("{} {what} (process: {status:?}); its output:\n{logs}", scenario.binary())
    };
    let Some(invocation) = invocation else { failed(format!("did not answer; init error: {:?}", lambda.init_error())) };
    let response = match invocation.result {
        Ok(response) => response,
        Err(e) => failed(format!("reported an error: {e}")),
    };
    let answered = match scenario {
        Scenario::TriageYes => response["statusCode"] == 200,
        _ => response == expected,
    };
    if !answered {
        failed(format!("answered {response}"));
    }
    let Some(peak_kib) = peak_kib else { failed("exited right after answering".to_owned()) };
    let ready = ready.lock().ok().and_then(|r| *r);
    Run { total, ready, peak_kib, cpu, faults }
}

/// The executable `cargo lambda build` zipped as `bootstrap` (built for the host target).
pub fn lambda_binary(root: &Path, name: &str) -> PathBuf {
    root.join("target/x86_64-unknown-linux-gnu/release").join(name)
}

/// `VmHWM` (peak resident set size) of `pid`, in KiB.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// Minor page faults of process `pid` so far (`minflt`, the 10th field of `/proc/<pid>/stat`).
fn minor_faults(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces; the fields after it are plain numbers.
    stat.rsplit_once(')')?.1.split_whitespace().nth(7)?.parse().ok()
}
