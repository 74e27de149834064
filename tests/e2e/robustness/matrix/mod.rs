//! Every message type against every fault, replayed the way Lambda retries (the same event up to
//! two more times): exactly one issue per alarm, one DM per reachable recipient, at most one
//! incident per key, and an error result whenever something could not be delivered. The paging
//! alarms also run on a stack with a PagerDuty routing key, against faults of the Events API v2:
//! at most one alert per key.
//!
//! `alarms` holds the messages and the faults, `cases` runs one alarm against one fault, `clicks`
//! one self-service click against a fault of triage, `lifecycle` the alarm's later life (follow-ups
//! scheduled and delivered, resolves, a resolve before its trigger) against the faults of its
//! steps; this module tallies them into the table. A row dispatch-core is known to fail carries
//! the reason: it is printed and counted apart, and must still fail (a fix drops the mark).

mod alarms;
mod cases;
mod clicks;
mod lifecycle;

use std::sync::Arc;

use dispatch_fakes::{Fault, GitHubRoute, SlackRoute};

use super::setup::*;
use alarms::{alarms, faults};
use cases::{kms_failure_at_start_up, run_case};
use clicks::{click_case, click_faults};

#[derive(Debug, Clone)]
enum Inject {
    GitHub(GitHubRoute, Fault, usize),
    Slack(SlackRoute, Fault, usize),
    UnknownChannel(&'static str),
    PagerDuty(Fault, usize),
    /// On a stack with a routing key: high-priority and fallback alarms go to the Events API v2,
    /// which fails this way.
    Events(Fault, usize),
    OpenIncident,
    /// Slack fails the first attempt; before the retry, another user comments on the issue a
    /// delivery record claiming every message of the event was sent.
    ForgedDeliveryRecord,
    /// Before the click, another user comments an answer marker claiming the alarm was answered.
    ForgedAnswer,
}

/// The routing key of the stacks that page through the Events API v2.
const ROUTING_KEY: &str = "0ddba11c0ffee0000000000000000042";

#[derive(Debug, Default)]
struct Row {
    case: String,
    runs: usize,
    expected: usize,
    delivered: usize,
    lost: usize,
    doubled: usize,
    failed_as_expected: bool,
    /// Why dispatch-core fails this row, when it is known to (see the report of the row).
    known: Option<&'static str>,
}

impl Row {
    fn failed(&self) -> bool {
        self.lost + self.doubled > 0 || !self.failed_as_expected
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_fault_loses_or_doubles_an_alarm_and_undeliverable_ones_fail() {
    let _heavy = exclusive().await;
    let captured = dispatch_fakes::support::CapturedLogs::default();
    let subscriber =
        tracing_subscriber::fmt().with_max_level(tracing::Level::DEBUG).with_writer(captured.clone()).json().finish();
    let capturing = tracing::subscriber::set_global_default(subscriber).is_ok();
    // A bounded number of cases at a time, so that no request times out for want of CPU: a
    // timeout is only ever the fault under test.
    let slots = Arc::new(tokio::sync::Semaphore::new(12));
    let mut cases = Vec::new();
    for (fault_name, inject) in faults() {
        for alarm in alarms() {
            if matches!(inject, Inject::Events(..)) && alarm.key.is_none() {
                // Only alarms that page use the Events API.
                continue;
            }
            let (slots, inject) = (slots.clone(), inject.clone());
            cases.push(tokio::spawn(async move {
                let _slot = slots.acquire_owned().await.unwrap();
                run_case(alarm, fault_name, inject).await
            }));
        }
    }
    for case in lifecycle::cases() {
        let slots = slots.clone();
        cases.push(tokio::spawn(async move {
            let _slot = slots.acquire_owned().await.unwrap();
            case.await
        }));
    }
    let mut rows = Vec::new();
    for case in cases {
        rows.push(case.await.unwrap());
    }
    rows.push(kms_failure_at_start_up().await);
    for (fault_name, inject) in click_faults() {
        for answer in ["yes", "no"] {
            rows.push(click_case(answer, fault_name, inject.clone()).await);
        }
    }

    let mut table = format!(
        "{:<84} {:>4} {:>9} {:>9} {:>5} {:>7}  result\n",
        "case", "runs", "expected", "delivered", "lost", "doubled"
    );
    for row in &rows {
        table.push_str(&format!(
            "{:<84} {:>4} {:>9} {:>9} {:>5} {:>7}  {}\n",
            row.case,
            row.runs,
            row.expected,
            row.delivered,
            row.lost,
            row.doubled,
            match (row.known, row.failed_as_expected) {
                (Some(reason), _) => format!("KNOWN FAILURE: {reason}"),
                (None, true) => "ok".to_owned(),
                (None, false) => "WRONG RESULT".to_owned(),
            }
        ));
    }
    let (known, rest): (Vec<&Row>, Vec<&Row>) = rows.iter().partition(|r| r.known.is_some());
    let (lost, doubled): (usize, usize) = rest.iter().fold((0, 0), |(l, d), r| (l + r.lost, d + r.doubled));
    let wrong = rest.iter().filter(|r| !r.failed_as_expected).count();
    let delivered: usize = rest.iter().map(|r| r.delivered).sum();
    table.push_str(&format!(
        "{} cases: {delivered} delivered, {lost} lost, {doubled} doubled, {wrong} with the wrong result\n",
        rest.len()
    ));
    if !known.is_empty() {
        let (lost, doubled): (usize, usize) = known.iter().fold((0, 0), |(l, d), r| (l + r.lost, d + r.doubled));
        table.push_str(&format!(
            "and {} known failures of dispatch-core, apart: {lost} lost, {doubled} doubled\n",
            known.len()
        ));
    }
    println!("\n{table}");
    // Kept for CI to show: `cargo test` prints a passing test's output only with --nocapture.
    let _ = std::fs::write(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("fault-matrix.txt"), &table);
    if capturing {
        let logs = captured.text();
        assert!(logs.lines().count() > 1000, "the matrix's logs were captured");
        for secret in SECRETS.iter().chain([&ROUTING_KEY]) {
            assert!(!logs.contains(secret), "a log line holds the secret {secret}");
        }
        println!("{} log lines scanned: no secret", logs.lines().count());
    }
    let bad: Vec<&str> = rest.iter().filter(|r| r.failed()).map(|r| r.case.as_str()).collect();
    assert!(bad.is_empty(), "cases that lost, doubled or hid a failure: {bad:?}");
    let fixed: Vec<&str> = known.iter().filter(|r| !r.failed()).map(|r| r.case.as_str()).collect();
    assert!(fixed.is_empty(), "known failures that no longer fail (drop their mark): {fixed:?}");
}
