//! The measurement sections of BENCHMARKS.md: one table per measurement, with how it was taken.

use std::fmt::Write as _;

use super::{Report, mb, ms, spread};
use crate::calls::SIZES;
use crate::warm::thousands;

impl Report {
    pub(super) fn cold_section(&self, out: &mut String) {
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
             response; CPU is the sum over the process's threads (`/proc/<pid>/task/*/schedstat`); page\n\
             faults are the process's minor faults by then (`minflt` in `/proc/<pid>/stat`: each page of\n\
             the executable, heap or stack first touched, or written to when mapped copy-on-write). Fakes\n\
             answer at once. {n} runs per row, interleaved, after {warmup} discarded runs of each (so the\n\
             binaries are in the page cache, as on a warm Lambda host). The incoming events are SNS events\n\
             with `examples/high-priority.json` or `examples/self-service.json` (title and request id made\n\
             unique per run); the triage event is a Function URL request with a Yes click on an open issue,\n\
             signed with the current time. The rows in italics are not targets. The *floor* is a bare Rust\n\
             Lambda (`crates/dispatch-floor`: `lambda_runtime` and a handler that returns the event,\n\
             nothing else, under the usual `#[tokio::main]`, with a bare Lambda's dependencies only), built\n\
             in the same run with the same profile and started the same way with the\n\
             high-priority event: what any Rust function costs here; *× floor* is each median over the\n\
             floor's. The first *experiment* is the same program on tokio's single-threaded runtime\n\
             (`bare_lambda_current_thread.rs`, same package), the runtime `incoming` and `triage` use; the second runs\n\
             the executable `cargo lambda build` put in the zip (cargo-lambda builds with\n\
             `panic = \"abort\"` and `-C target-cpu=haswell` and links with Zig).\n\n\
             | scenario | spawn → response, ms: min / **median** / p90 / max | × floor | spawn → ready, ms: median | CPU, ms: median | page faults: median | peak RSS, MB: median / max |\n\
             |---|---|---|---|---|---|---|",
            warmup = cold.warmup
        );
        for row in &cold.results {
            let mbs = |mib: f64| format!("{:.1}", mib * 1.048_576);
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} / {} |",
                row.scenario.label(),
                spread(&row.total, ms).replacen(&ms(row.total.median), &format!("**{}**", ms(row.total.median)), 1),
                cold.ratio(row).map_or_else(|| "–".to_owned(), |r| format!("{r:.2}×")),
                row.ready.map_or_else(|| "–".to_owned(), |r| ms(r.median)),
                row.cpu.map_or_else(|| "–".to_owned(), |c| ms(c.median)),
                row.faults.map_or_else(|| "–".to_owned(), |f| format!("{:.0}", f.median)),
                mbs(row.peak_mib.median),
                mbs(row.peak_mib.max),
            );
        }
        out.push('\n');
    }

    pub(super) fn warm_section(&self, out: &mut String) {
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

    pub(super) fn fan_out_section(&self, out: &mut String) {
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

    pub(super) fn calls_section(&self, out: &mut String) {
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

    pub(super) fn artifacts_section(&self, out: &mut String) {
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
