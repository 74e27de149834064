//! The issues' targets, each with what was measured and whether it is met.

use super::{Report, mb, ms};
use crate::cold::Scenario;

/// Targets from issue 8, and issue 13's for start-up.
const COLD_MS: f64 = 25.0;
const COLD_FLOOR_RATIO: f64 = 1.6;
const RSS_MB: f64 = 12.0;
const OVERHEAD_MS: f64 = 1.0;
const FAN_OUT_S: f64 = 1.0;
const SELF_SERVICE_REQUESTS: usize = 4;
const ZIP_MB: f64 = 8.0;

/// One target: what, measured, met.
pub(super) struct Target {
    pub(super) what: String,
    pub(super) measured: String,
    pub(super) met: bool,
}

impl Report {
    pub(super) fn targets(&self) -> Vec<Target> {
        let mut targets = Vec::new();
        let cold = &self.cold.0;
        let measured = || cold.results.iter().filter(|r| r.scenario.is_target() && r.from.is_none());
        for row in measured() {
            let function = match row.scenario {
                Scenario::IncomingHighPriority => "`incoming` (high-priority)",
                Scenario::IncomingSelfService => "`incoming` (self-service)",
                Scenario::TriageYes => "`triage` (Yes click)",
                Scenario::BareLambda | Scenario::BareLambdaCurrentThread | Scenario::IncomingBootstrap => {
                    unreachable!("not a target")
                }
            };
            targets.push(Target {
                what: format!("cold start ≤ 25 ms median: {function}"),
                measured: format!("{} ms", ms(row.total.median)),
                met: row.total.median <= COLD_MS,
            });
            let (measured, met) = match (cold.ratio(row), cold.floor()) {
                (Some(ratio), Some(floor)) => (
                    format!("{ratio:.2}× ({} ms / {} ms)", ms(row.total.median), ms(floor.total.median)),
                    ratio <= COLD_FLOOR_RATIO,
                ),
                _ => ("the floor was not measured".to_owned(), false),
            };
            targets.push(Target {
                what: format!("cold start ≤ 1.6× the bare-Lambda floor of the same run (medians): {function}"),
                measured,
                met,
            });
        }
        let peak = measured().map(|r| r.peak_mib.max * 1.048_576).fold(0.0, f64::max);
        targets.push(Target {
            what: "peak RSS ≤ 12 MB (issue 8 asked 25 MB; worst run of any function's scenario)".to_owned(),
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
                what: "per-alarm overhead excluding network ≤ 1 ms median (handler CPU time, worst type)".to_owned(),
                measured: format!("{} ms ({detail})", ms(value)),
                met: value > 0.0 && value <= OVERHEAD_MS,
            });
        }
        let pure = warm.pure.iter().filter(|p| p.label.contains("`plan`")).map(|p| p.time.median).fold(0.0, f64::max);
        targets.push(Target {
            what: "… and its pure part (`parse_event` + `plan`, worst type)".to_owned(),
            measured: format!("{} µs", ms(pure)),
            met: pure / 1e3 <= OVERHEAD_MS,
        });
        let fan = &self.fan_out.0;
        if let Some(row) = fan.rows.iter().find(|r| r.recipients == 100 && r.rate_limited.is_none()) {
            targets.push(Target {
                what: "broadcast to 100 at 50 ms ≤ 1 s".to_owned(),
                measured: format!("{:.3} s", row.wall.as_secs_f64()),
                met: row.wall.as_secs_f64() <= FAN_OUT_S,
            });
        }
        if let Some(row) = fan.rows.iter().find(|r| r.rate_limited.is_some()) {
            let retry_after = row.rate_limited.unwrap_or_default() as f64;
            targets.push(Target {
                what: "… while honouring Slack's 429 `Retry-After`".to_owned(),
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
                what: "self-service ≤ 4 HTTP requests per alarm at any repository size".to_owned(),
                measured: format!("{} (0 / 1,000 / 10,000 issues)", all.join(" / ")),
                met: worst <= SELF_SERVICE_REQUESTS,
            });
        }
        for artifact in &self.artifacts {
            targets.push(Target {
                what: format!("deployable zip ≤ 8 MB: `{}`", artifact.function),
                measured: artifact.zip.map_or_else(|| "missing".to_owned(), mb),
                met: artifact.zip.is_some_and(|z| z as f64 / 1e6 <= ZIP_MB),
            });
        }
        targets
    }
}
