//! BENCHMARKS.md: the machine, how to run, one table per measurement, and the issue's targets
//! with met or missed. The analysis of what the numbers mean lives in `findings.md`, next to this
//! file, and is copied in as written.

use std::fmt::Write as _;
use std::path::Path;

use crate::artifacts::Artifact;
use crate::calls::{Calls, SIZES};
use crate::cold::{Cold, Scenario};
use crate::fanout::FanOut;
use crate::machine::{Busy, Machine};
use crate::stats::Summary;
use crate::warm::{Warm, thousands};

/// Duration and competition of one measurement.
#[derive(Debug, Clone, Copy)]
pub struct Section {
    /// How long it took.
    pub seconds: f64,
    /// Other builds meanwhile.
    pub busy: Busy,
}

/// Everything measured.
#[derive(Debug)]
pub struct Report {
    /// Where.
    pub machine: Machine,
    /// Load averages at the end.
    pub loadavg_end: String,
    /// Measuring time, all sections.
    pub seconds: f64,
    /// `[profile.release]` of the root `Cargo.toml`.
    pub profile: String,
    /// Build steps that failed.
    pub build_notes: Vec<String>,
    /// How the run started (waited for a quiet machine or not).
    pub start_note: String,
    /// Whether `--skip-build` was given.
    pub skipped_build: bool,
    /// Cold start.
    pub cold: (Cold, Section),
    /// Warm cost.
    pub warm: (Warm, Section),
    /// Fan-out.
    pub fan_out: (FanOut, Section),
    /// API calls.
    pub calls: (Calls, Section),
    /// Zips.
    pub artifacts: Vec<Artifact>,
}

const FINDINGS: &str = include_str!("findings.md");

/// Targets from issue 8.
const COLD_MS: f64 = 25.0;
const RSS_MB: f64 = 25.0;
const OVERHEAD_MS: f64 = 1.0;
const FAN_OUT_S: f64 = 1.0;
const SELF_SERVICE_REQUESTS: usize = 4;
const ZIP_MB: f64 = 8.0;

/// The `[profile.release]` section of the workspace manifest, as written.
pub fn release_profile(root: &Path) -> String {
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap_or_default();
    let mut lines = Vec::new();
    let mut inside = false;
    for line in manifest.lines() {
        if line.starts_with('[') {
            inside = line.trim() == "[profile.release]";
        }
        if inside && !line.trim().is_empty() {
            lines.push(line);
        }
    }
    lines.join("\n")
}

fn ms(value: f64) -> String {
    if value < 1.0 {
        format!("{value:.3}")
    } else if value < 10.0 {
        format!("{value:.2}")
    } else {
        format!("{value:.1}")
    }
}

fn spread(s: &Summary, unit: fn(f64) -> String) -> String {
    format!("{} / {} / {} / {}", unit(s.min), unit(s.median), unit(s.p90), unit(s.max))
}

fn mb(bytes: u64) -> String {
    format!("{:.2} MB", bytes as f64 / 1e6)
}

fn verdict(met: bool) -> &'static str {
    if met { "**met**" } else { "**missed**" }
}

fn busy(section: &Section) -> String {
    let cpu = section.busy.cpu.map_or_else(
        || "– | –".to_owned(),
        |(all, own)| format!("{:.0}% | {:.0}%", all * 100.0, (all - own).max(0.0) * 100.0),
    );
    let compilers = if section.busy.most == 0 {
        "none".to_owned()
    } else {
        format!("**busy**: during {:.0}% of it, up to {} at once", section.busy.share * 100.0, section.busy.most)
    };
    format!("{:.2} s | {cpu} | {compilers}", section.seconds)
}

/// One target: what, measured, met.
struct Target {
    what: &'static str,
    measured: String,
    met: bool,
}

impl Report {
    fn targets(&self) -> Vec<Target> {
        let mut targets = Vec::new();
        let cold = &self.cold.0;
        let measured = || cold.results.iter().filter(|r| r.scenario.is_target());
        for row in measured() {
            targets.push(Target {
                what: match row.scenario {
                    Scenario::IncomingHighPriority => "cold start ≤ 25 ms median: `incoming` (high-priority)",
                    Scenario::IncomingSelfService => "cold start ≤ 25 ms median: `incoming` (self-service)",
                    Scenario::TriageYes => "cold start ≤ 25 ms median: `triage` (Yes click)",
                    Scenario::IncomingWithoutCertDir | Scenario::IncomingBootstrap => unreachable!("not a target"),
                },
                measured: format!("{} ms", ms(row.total.median)),
                met: row.total.median <= COLD_MS,
            });
        }
        let peak = measured().map(|r| r.peak_mib.max * 1.048_576).fold(0.0, f64::max);
        targets.push(Target {
            what: "peak RSS ≤ 25 MB (worst run of any scenario)",
            measured: format!("{peak:.1} MB"),
            met: peak <= RSS_MB,
        });
        let warm = &self.warm.0;
        // The worse of the two placements counts.
        let worst = |r: &crate::warm::WarmRow| {
            let one = r.cpu.map(|c| c.median);
            let spread = r.spread.as_ref().and_then(|s| s.cpu).map(|c| c.median);
            one.into_iter().chain(spread).fold(None, |a: Option<f64>, b| Some(a.map_or(b, |a| a.max(b))))
        };
        let incoming = warm
            .rows
            .iter()
            .filter(|r| !r.label.starts_with("triage") && !r.label.contains("repository of"))
            .filter(|r| !r.label.starts_with("dedup lookup"))
            .filter_map(|r| worst(r).map(|w| (w, r)))
            .fold(None, |a: Option<(f64, &crate::warm::WarmRow)>, b| match a {
                Some(a) if a.0 >= b.0 => Some(a),
                _ => Some(b),
            });
        if let Some((value, row)) = incoming {
            let detail = match (&row.spread, warm.pinned, row.cpu) {
                (Some(_), Some(_), Some(one)) => {
                    format!("{}; {} ms with both threads on one CPU", row.label, ms(one.median))
                }
                _ => row.label.clone(),
            };
            targets.push(Target {
                what: "per-alarm overhead excluding network ≤ 1 ms median (handler CPU time, worst type)",
                measured: format!("{} ms ({detail})", ms(value)),
                met: value > 0.0 && value <= OVERHEAD_MS,
            });
        }
        let pure = warm.pure.iter().filter(|p| p.label.contains("`plan`")).map(|p| p.time.median).fold(0.0, f64::max);
        targets.push(Target {
            what: "… and its pure part (`parse_event` + `plan`, worst type)",
            measured: format!("{} µs", ms(pure)),
            met: pure / 1e3 <= OVERHEAD_MS,
        });
        let fan = &self.fan_out.0;
        if let Some(row) = fan.rows.iter().find(|r| r.recipients == 100 && r.rate_limited.is_none()) {
            targets.push(Target {
                what: "broadcast to 100 at 50 ms ≤ 1 s",
                measured: format!("{:.3} s", row.wall.as_secs_f64()),
                met: row.wall.as_secs_f64() <= FAN_OUT_S,
            });
        }
        if let Some(row) = fan.rows.iter().find(|r| r.rate_limited.is_some()) {
            let retry_after = row.rate_limited.unwrap_or_default() as f64;
            targets.push(Target {
                what: "… while honouring Slack's 429 `Retry-After`",
                measured: format!(
                    "{:.3} s with `Retry-After: {retry_after}`, {} of {} delivered in {} posts",
                    row.wall.as_secs_f64(),
                    row.delivered,
                    row.recipients,
                    row.slack_requests
                ),
                met: row.wall.as_secs_f64() >= retry_after
                    && row.delivered == row.recipients
                    && row.slack_requests == row.recipients + 1,
            });
        }
        if let Some(row) = self.calls.0.rows.iter().find(|r| r.label == "self-service") {
            let worst = row.counts.iter().map(|c| c.total()).max().unwrap_or_default();
            let all: Vec<String> = row.counts.iter().map(|c| c.total().to_string()).collect();
            targets.push(Target {
                what: "self-service ≤ 4 HTTP requests per alarm at any repository size",
                measured: format!("{} (0 / 1,000 / 10,000 issues)", all.join(" / ")),
                met: worst <= SELF_SERVICE_REQUESTS,
            });
        }
        for artifact in &self.artifacts {
            targets.push(Target {
                what: if artifact.function == "incoming" {
                    "deployable zip ≤ 8 MB: `incoming`"
                } else {
                    "deployable zip ≤ 8 MB: `triage`"
                },
                measured: artifact.zip.map_or_else(|| "missing".to_owned(), mb),
                met: artifact.zip.is_some_and(|z| z as f64 / 1e6 <= ZIP_MB),
            });
        }
        targets
    }

    /// The targets table alone, for the terminal.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        for t in self.targets() {
            let _ = writeln!(out, "{:<8} {} — {}", if t.met { "met" } else { "MISSED" }, t.what, t.measured);
        }
        out
    }

    /// The whole document.
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.header(&mut out);
        self.cold_section(&mut out);
        self.warm_section(&mut out);
        self.fan_out_section(&mut out);
        self.calls_section(&mut out);
        self.artifacts_section(&mut out);
        out.push_str(FINDINGS);
        out
    }

    fn header(&self, out: &mut String) {
        let m = &self.machine;
        let _ = writeln!(
            out,
            "# Benchmarks\n\n\
             Measured by `crates/dispatch-bench` (issue 8) on {date}, commit `{commit}`. This file is generated:\n\
             run the command under [How to run](#how-to-run) to measure again; edit the analysis in\n\
             `crates/dispatch-bench/src/findings.md`.\n",
            date = m.date,
            commit = m.commit
        );
        let _ = writeln!(out, "## Targets (issue 8)\n\n| target | measured | |\n|---|---|---|");
        for t in self.targets() {
            let _ = writeln!(out, "| {} | {} | {} |", t.what, t.measured, verdict(t.met));
        }
        let _ = writeln!(
            out,
            "\nMB here is 10⁶ bytes. [Findings](#findings-and-suggested-fixes) explains each missed target.\n"
        );
        let _ = writeln!(
            out,
            "## Machine\n\n\
             | | |\n|---|---|\n\
             | CPU | {cpu} |\n\
             | cores | {cores} (shared with other work on this machine) |\n\
             | memory | {mem} MiB |\n\
             | kernel | Linux {kernel} |\n\
             | toolchain | {rustc} |\n\
             | date | {date} |\n\
             | load average (1, 5, 15 min) | {load0} at the start, {load1} at the end |\n\
             | measuring time | {secs:.0} s |\n",
            cpu = m.cpu,
            cores = m.cores,
            mem = m.memory_mib,
            kernel = m.kernel,
            rustc = m.rustc,
            date = m.date,
            load0 = m.loadavg,
            load1 = self.loadavg_end,
            secs = self.seconds,
        );
        let _ = writeln!(
            out,
            "What else ran during each measurement, sampled every 250 ms: the machine's CPU use over all\n\
             {cores} cores (`/proc/stat`), the part of it that was not this benchmark or the functions it\n\
             spawned (`/proc/self/stat`), and other builds (`rustc` processes):\n\n\
             | measurement | took | machine CPU use | of which other work | other builds |\n|---|---|---|---|---|\n\
             | cold start | {} |\n| warm cost | {} |\n| fan-out | {} |\n| API calls | {} |\n",
            busy(&self.cold.1),
            busy(&self.warm.1),
            busy(&self.fan_out.1),
            busy(&self.calls.1),
            cores = m.cores,
        );
        let _ = writeln!(
            out,
            "Release profile (root `Cargo.toml`), used by every binary measured here:\n\n```toml\n{}\n```\n",
            self.profile
        );
        let _ = writeln!(
            out,
            "## How to run\n\n\
             From the repository root, with a Rust toolchain and `pip install cargo-lambda`:\n\n\
             ```sh\ncargo run --release -p dispatch-bench -- --out BENCHMARKS.md\n```\n\n\
             It first runs `cargo build --release --bin incoming --bin triage` (the binaries the cold starts\n\
             spawn, `target/release/`) and `cargo lambda build --release --output-format zip --bin incoming\n\
             --bin triage` (the zips measured, `target/lambda/`); `--skip-build` uses what is already there.\n\
             Everything else runs in one process on loopback: the stateful fakes of `crates/dispatch-fakes`\n\
             (GitHub, Slack, PagerDuty and the Lambda Runtime API emulator) on a tokio runtime and thread of\n\
             their own, the measured work alone on the main thread. It takes about 20 seconds after the\n\
             builds. Other options: `--cold-runs N` (default 40, at least 20), `--warm-iterations N` (300),\n\
             `--pure-iterations N` (20,000), `--wait-quiet SECS` (first wait up to SECS for the machine to be\n\
             quiet: no `rustc` running, CPUs at most 10% busy; use it on a shared machine),\n\
             `--only cold|warm|fan-out|calls` (one measurement, raw results on stdout, no report: for\n\
             profiling). It is not part of `cargo test`.\n\n\
             The zips are built for the host, x86_64: this machine cannot download the aarch64 standard\n\
             library that `cargo lambda build --arm64` needs, so the arm64 zips (what the CloudFormation\n\
             stack deploys) were not measured; expect them to be of similar size.\n"
        );
        if !self.build_notes.is_empty() {
            let _ = writeln!(out, "Build problems in this run: {}\n", self.build_notes.join("; "));
        }
        let _ = writeln!(out, "{}\n", self.start_note);
        if self.skipped_build {
            let _ = writeln!(out, "This run used binaries and zips already built (`--skip-build`).\n");
        }
    }

    fn cold_section(&self, out: &mut String) {
        let (cold, _) = &self.cold;
        let n = cold.results.first().map_or(0, |r| r.total.n);
        let _ = writeln!(
            out,
            "## Cold start\n\n\
             Each run spawns the release binary fresh (`target/release/{{incoming,triage}}`, environment as\n\
             in Lambda: `AWS_LAMBDA_RUNTIME_API` and the settings, logs to a pipe) with one event already\n\
             queued in the Runtime API emulator, and stops the clock when the function's response reaches\n\
             the emulator. *Ready* is when the function logs `… ready` (settings read, clients built, about\n\
             to poll for the first event). Peak RSS is `VmHWM` from `/proc/<pid>/status` right after the\n\
             response; CPU is the sum over the process's threads (`/proc/<pid>/task/*/schedstat`). Fakes\n\
             answer at once. {n} runs per row, interleaved, after {warmup} discarded runs of each (so the\n\
             binaries are in the page cache, as on a warm Lambda host). The incoming events are SNS events\n\
             with `examples/high-priority.json` or `examples/self-service.json` (title and request id made\n\
             unique per run); the triage event is a Function URL request with a Yes click on an open issue,\n\
             signed with the current time. The last two rows are experiments, not targets, both like the\n\
             first: one runs the executable `cargo lambda build` put in the zip (cargo-lambda builds with\n\
             `panic = \"abort\"` and `-C target-cpu=haswell` and links with Zig), the other points\n\
             `SSL_CERT_DIR` at an empty directory (see [Findings](#findings-and-suggested-fixes)).\n\n\
             | scenario | spawn → response, ms: min / **median** / p90 / max | spawn → ready, ms: median | CPU, ms: median | peak RSS, MB: median / max |\n\
             |---|---|---|---|---|",
            warmup = cold.warmup
        );
        for row in &cold.results {
            let mbs = |mib: f64| format!("{:.1}", mib * 1.048_576);
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} / {} |",
                row.scenario.label(),
                spread(&row.total, ms).replacen(&ms(row.total.median), &format!("**{}**", ms(row.total.median)), 1),
                row.ready.map_or_else(|| "–".to_owned(), |r| ms(r.median)),
                row.cpu.map_or_else(|| "–".to_owned(), |c| ms(c.median)),
                mbs(row.peak_mib.median),
                mbs(row.peak_mib.max),
            );
        }
        out.push('\n');
    }

    fn warm_section(&self, out: &mut String) {
        let (warm, _) = &self.warm;
        let _ = writeln!(
            out,
            "## Warm cost\n\n\
             The real handlers called in-process (`Incoming::handle_sns` on an SNS event parsed from its\n\
             bytes, `Triage::handle_event` on a Function URL event), one invocation at a time as one Lambda\n\
             instance runs them, with the production retry policies and JSON logging (to a sink). {n}\n\
             measured invocations per row after {warmup} discarded. Each alarm has a title of its own, so\n\
             none is suppressed as a duplicate; the per-type rows send each alarm to an empty repository of\n\
             its own (`githubRepo`), so every invocation does the same work (one lookup request); the\n\
             *repository of N issues* rows use the default repository filled with `FakeGitHub::seed`.\n\n\
             **Wall time includes the loopback HTTP round trips to the fakes and the fakes' own work**,\n\
             so it is an upper bound of the overhead, not a network-free figure. *Handler CPU* is the CPU\n\
             time of the measuring thread during the invocation (`/proc/thread-self/schedstat`): everything\n\
             the handler itself does — parsing, planning, building and reading the HTTP messages, the\n\
             client side of the loopback system calls, logging — and none of the fakes' work or of the\n\
             waiting. That is the per-alarm overhead excluding network.\n\n\
             {placement}\n\n\
             | invocation | HTTP requests | wall, ms: median | wall, ms: p99 | handler CPU, ms: median | handler CPU, ms: p99 | invocations/s | any CPU: wall, ms: median | any CPU: handler CPU, ms: median |\n\
             |---|---|---|---|---|---|---|---|---|",
            n = warm.iterations,
            warmup = warm.warmup,
            placement = match warm.pinned {
                Some(cpu) => format!(
                    "The rows were measured twice. First with the measuring thread and the fakes' thread pinned to\n\
                     one CPU (CPU {cpu}), so they take turns: the columns up to *invocations/s*. Then free to run on\n\
                     any CPU (the *any CPU* columns), as the scheduler places them: each request then wakes a\n\
                     thread on the other, usually idle, virtual CPU and back, which on this virtual machine costs\n\
                     more CPU time than the handler's own work. Lambda has no such loopback; its network interrupts\n\
                     cost something else again, so the one-CPU figures are the handler's own cost and the any-CPU\n\
                     figures an upper bound. The target is checked against the worse of the two."
                ),
                None => "The threads could not be pinned to one CPU here: the rows were measured once, with the \n\
                         threads free to run on any CPU."
                    .to_owned(),
            }
        );
        for row in &warm.rows {
            let spread_wall = row.spread.as_ref().map_or_else(|| "–".to_owned(), |s| ms(s.wall.median));
            let spread_cpu = row.spread.as_ref().and_then(|s| s.cpu).map_or_else(|| "–".to_owned(), |c| ms(c.median));
            let _ = writeln!(
                out,
                "| {} | {:.1} | {} | {} | {} | {} | {:.0} | {} | {} |",
                row.label,
                row.requests,
                ms(row.wall.median),
                ms(row.wall.p99),
                row.cpu.map_or_else(|| "–".to_owned(), |c| ms(c.median)),
                row.cpu.map_or_else(|| "–".to_owned(), |c| ms(c.p99)),
                row.per_second,
                spread_wall,
                spread_cpu
            );
        }
        let _ = writeln!(
            out,
            "\nThe pure part, no I/O at all: {} calls each, timed one by one.\n\n\
             | work | µs: min / **median** / p90 / max | µs: p99 |\n|---|---|---|",
            warm.pure_iterations
        );
        for row in &warm.pure {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                row.label,
                spread(&row.time, ms).replacen(&ms(row.time.median), &format!("**{}**", ms(row.time.median)), 1),
                ms(row.time.p99)
            );
        }
        out.push('\n');
    }

    fn fan_out_section(&self, out: &mut String) {
        let (fan, _) = &self.fan_out;
        let latency = fan.latency.as_millis();
        let _ = writeln!(
            out,
            "## Fan-out\n\n\
             A broadcast to N recipients (distinct Slack ids, one conversation each) while every\n\
             `chat.postMessage` takes {latency} ms (`Fault::AppliedThenHang({latency} ms)` on the fake Slack for\n\
             N + 1 posts). Wall time of the whole alarm: issue lookup and creation, the DMs, the delivery\n\
             record. `incoming` posts to at most `SLACK_CONCURRENCY` = {c} conversations at a time, so the\n\
             DMs take about ⌈N / {c}⌉ × {latency} ms; a sequential sender (the original) needs N × {latency} ms.\n\
             The last row puts one HTTP 429 with `Retry-After` in front of the 50 ms posts.\n\n\
             | recipients | Slack 429 | wall time | ⌈N / {c}⌉ × {latency} ms | sequential N × {latency} ms | posts received | delivered |\n\
             |---|---|---|---|---|---|---|",
            c = fan.concurrency
        );
        for row in &fan.rows {
            let rounds = row.recipients.div_ceil(fan.concurrency) as f64 * fan.latency.as_secs_f64();
            let sequential = row.recipients as f64 * fan.latency.as_secs_f64();
            let _ = writeln!(
                out,
                "| {} | {} | **{:.3} s** | {:.2} s | {:.1} s | {} | {} |",
                thousands(row.recipients as u64),
                row.rate_limited.map_or_else(|| "–".to_owned(), |s| format!("`Retry-After: {s}` on the first post")),
                row.wall.as_secs_f64(),
                rounds,
                sequential,
                thousands(row.slack_requests as u64),
                thousands(row.delivered as u64)
            );
        }
        out.push('\n');
    }

    fn calls_section(&self, out: &mut String) {
        let (calls, _) = &self.calls;
        let sizes: Vec<String> = SIZES.iter().map(|s| format!("{} issues", thousands(*s))).collect();
        let _ = writeln!(
            out,
            "## API calls\n\n\
             HTTP requests made by one alarm (one example message, title of its own) or one click, counted\n\
             from the fakes' request logs, with the target repository holding 0, 1,000 and 10,000 issues\n\
             (`FakeGitHub::seed`: titled `existing alarm N`, every third closed). Each cell: total (GitHub +\n\
             Slack + PagerDuty). *nag, repeated* is a second SNS message with the same title while the\n\
             first nag's issue is open (the issue is reused and the DM sent again). `triage` reads the issue\n\
             and its comments at the same time, so those two may come in either order.\n\n\
             | alarm | {} |\n|---|{}",
            sizes.join(" | "),
            "---|".repeat(SIZES.len())
        );
        for row in &calls.rows {
            let cells: Vec<String> = row
                .counts
                .iter()
                .map(|c| format!("**{}** ({} + {} + {})", c.total(), c.github.len(), c.slack.len(), c.pagerduty.len()))
                .collect();
            let _ = writeln!(out, "| {} | {} |", row.label, cells.join(" | "));
        }
        let _ = writeln!(
            out,
            "\nThe requests themselves, in order per service, for the smallest and the largest repository:\n\n\
             | alarm | {} | {} |\n|---|---|---|",
            sizes[0],
            sizes[sizes.len() - 1]
        );
        for row in &calls.rows {
            let describe = |c: &crate::calls::Count| {
                let mut parts = Vec::new();
                for (service, list) in [("GitHub", &c.github), ("Slack", &c.slack), ("PagerDuty", &c.pagerduty)] {
                    if !list.is_empty() {
                        parts.push(format!("{service}: {}", list.join(", ")));
                    }
                }
                parts.join("; ")
            };
            let (first, last) = (&row.counts[0], &row.counts[row.counts.len() - 1]);
            let _ = writeln!(out, "| {} | {} | {} |", row.label, describe(first), describe(last));
        }
        out.push('\n');
    }

    fn artifacts_section(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "## Artifact size\n\n\
             The deployable zips from `cargo lambda build --release --output-format zip` (x86_64, see\n\
             [How to run](#how-to-run)), the `bootstrap` executable inside, and the release binary the cold\n\
             starts ran. They differ because cargo-lambda builds with `panic = \"abort\"` and\n\
             `-C target-cpu=haswell` and links with Zig.\n\n\
             | function | `bootstrap.zip` | `bootstrap` unpacked | `target/release` binary | zip written |\n|---|---|---|---|---|"
        );
        for a in &self.artifacts {
            let _ = writeln!(
                out,
                "| `{}` | **{}** | {} | {} | {} |",
                a.function,
                a.zip.map_or_else(|| "missing".to_owned(), mb),
                a.bootstrap.map_or_else(|| "–".to_owned(), mb),
                a.release_binary.map_or_else(|| "–".to_owned(), mb),
                a.built.as_deref().unwrap_or("–")
            );
        }
        out.push('\n');
    }
}
