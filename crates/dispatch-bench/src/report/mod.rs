//! BENCHMARKS.md: the machine, how to run, one table per measurement, and the issue's targets
//! with met or missed. The analysis of what the numbers mean lives in `findings.md`, next to this
//! file, and is copied in as written.

mod sections;
mod targets;

use std::fmt::Write as _;
use std::path::Path;

use crate::artifacts::Artifact;
use crate::calls::Calls;
use crate::cold::Cold;
use crate::fanout::FanOut;
use crate::machine::{Busy, Machine};
use crate::stats::Summary;
use crate::warm::Warm;

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

const FINDINGS: &str = include_str!("../findings.md");

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

impl Report {
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
             Measured by `crates/dispatch-bench` (issues 8 and 13) on {date}, commit `{commit}`. This file is generated:\n\
             run the command under [How to run](#how-to-run) to measure again; edit the analysis in\n\
             `crates/dispatch-bench/src/findings.md`.\n",
            date = m.date,
            commit = m.commit
        );
        let _ = writeln!(out, "## Targets (issues 8 and 13)\n\n| target | measured | |\n|---|---|---|");
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
             It first runs `cargo build --release -p incoming -p triage` and `cargo build --release -p\n\
             dispatch-floor` (the binaries the cold starts spawn, `target/release/`; the second package is\n\
             the floor), each package on its own so that no other member's features are unified into it, and\n\
             `cargo lambda build --release --output-format zip -p incoming -p triage` (the zips measured,\n\
             `target/lambda/`); `--skip-build` uses what is already there.\n\
             Everything else runs in one process on loopback: the stateful fakes of `crates/dispatch-fakes`\n\
             (GitHub, Slack, PagerDuty and the Lambda Runtime API emulator) on a tokio runtime and thread of\n\
             their own, the measured work alone on the main thread. It takes about 20 seconds after the\n\
             builds. Other options: `--cold-runs N` (default 40, at least 20), `--warm-iterations N` (300),\n\
             `--pure-iterations N` (20,000), `--wait-quiet SECS` (first wait up to SECS for the machine to be\n\
             quiet: no `rustc` running, CPUs at most 10% busy; use it on a shared machine),\n\
             `--only cold|warm|fan-out|calls` (one measurement, raw results on stdout, no report: for\n\
             profiling); with `--only cold`, `--cold-wrapper CMD` starts each function under a profiler\n\
             (e.g. `perf record -o FILE` or `strace -f -o FILE`) and `--cold-compare DIR` adds rows for the\n\
             `incoming` and `triage` executables in DIR (a copy of an earlier build), interleaved with the\n\
             others, for a before/after comparison within one run. It is not part of `cargo test`.\n\n\
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
}
