//! The metric lines a click emits: the answer and its outcome, an escalation for a No that paged,
//! and the time from the prompt's post (the payload's `container.message_ts`) to the click.

use chrono::{DateTime, TimeZone, Utc};
use dispatch_core::metrics::capture;
use dispatch_fakes::{Fault, Posted};
use serde_json::Value;

use super::harness::*;
use crate::support::emf;

/// Sends the self-service example through incoming and returns the prompt it posted.
async fn prompt(h: &Harness) -> Posted {
    h.alarm(&json(SELF_SERVICE)).await;
    h.fakes.slack.messages().pop().expect("a prompt was posted")
}

/// When Slack says the prompt was posted (`seconds.microseconds`).
fn posted_at(prompt: &Posted) -> DateTime<Utc> {
    let (seconds, micros) = prompt.ts.split_once('.').expect("a Slack timestamp");
    let (seconds, micros): (i64, u32) = (seconds.parse().unwrap(), micros.parse().unwrap());
    Utc.timestamp_opt(seconds, micros * 1000).unwrap()
}

/// Clicks `action_id` on the prompt as `user`, `after` its post; returns the metric lines.
async fn click(h: &Harness, prompt: &Posted, action_id: &str, user: &str, after: chrono::Duration) -> Vec<String> {
    let payload: Value = h.fakes.slack.block_actions_payload(prompt, action_id, user, "alice");
    let (response, lines) = capture(h.send(&payload, posted_at(prompt) + after)).await;
    assert_eq!(response.status, 200, "{}", response.body);
    lines
}

#[tokio::test]
async fn a_yes_counts_an_acknowledged_answer_and_the_time_since_the_prompt_was_posted() {
    let h = harness().await;
    let prompt = prompt(&h).await;
    let lines = click(&h, &prompt, "dispatch_yes", "U012ABCDEF", chrono::Duration::milliseconds(95_500)).await;
    assert_eq!(emf::read(&lines), ["Answers{Answer=yes,Outcome=acknowledged}=1", "TimeToAnswer{Answer=yes}=95500"]);
}

#[tokio::test]
async fn a_no_that_pages_counts_an_escalation_caused_by_no_and_the_time_to_answer() {
    let h = harness().await;
    let prompt = prompt(&h).await;
    let lines = click(&h, &prompt, "dispatch_no", "U012ABCDEF", chrono::Duration::minutes(12)).await;
    assert_eq!(
        emf::read(&lines),
        ["Answers{Answer=no,Outcome=escalated}=1", "Escalations{Cause=no}=1", "TimeToAnswer{Answer=no}=720000"]
    );
    assert_eq!(h.fakes.pagerduty.incidents().len(), 1);
}

#[tokio::test]
async fn a_second_click_counts_as_already_answered_with_no_time_or_escalation() {
    let h = harness().await;
    let prompt = prompt(&h).await;
    click(&h, &prompt, "dispatch_yes", "U012ABCDEF", chrono::Duration::seconds(30)).await;
    let lines = click(&h, &prompt, "dispatch_no", "U012ABCDEF", chrono::Duration::seconds(40)).await;
    assert_eq!(emf::read(&lines), ["Answers{Answer=no,Outcome=already_answered}=1"]);
}

#[tokio::test]
async fn a_click_by_another_user_counts_as_refused() {
    let h = harness().await;
    let prompt = prompt(&h).await;
    let lines = click(&h, &prompt, "dispatch_yes", "U0BOB", chrono::Duration::seconds(30)).await;
    assert_eq!(emf::read(&lines), ["Answers{Answer=yes,Outcome=refused}=1"]);
}

#[tokio::test]
async fn a_no_that_could_not_page_counts_as_failed_and_is_no_escalation() {
    let h = harness().await;
    let prompt = prompt(&h).await;
    h.fakes.pagerduty.fail(Fault::Status(401), 1);
    let lines = click(&h, &prompt, "dispatch_no", "U012ABCDEF", chrono::Duration::seconds(30)).await;
    assert_eq!(emf::read(&lines), ["Answers{Answer=no,Outcome=failed}=1"]);
}

#[tokio::test]
async fn a_request_that_is_not_a_verified_click_emits_nothing() {
    let h = harness().await;
    let prompt = prompt(&h).await;
    let payload = h.fakes.slack.block_actions_payload(&prompt, "dispatch_yes", "U012ABCDEF", "alice");
    let mut forged = signed(&form(&payload), now().timestamp());
    forged.headers.insert("x-slack-signature".into(), "v0=00".into());
    let (response, lines) = capture(h.triage.handle(&forged, now())).await;
    assert_eq!(response.status, 401);
    assert!(lines.is_empty(), "{lines:?}");
    let (response, lines) = capture(h.triage.handle(&signed("payload=nope", now().timestamp()), now())).await;
    assert_eq!(response.status, 400);
    assert!(lines.is_empty(), "{lines:?}");
}

#[tokio::test]
async fn click_metric_lines_hold_no_user_alarm_or_secret() {
    let h = harness().await;
    let prompt = prompt(&h).await;
    let mut lines = click(&h, &prompt, "dispatch_no", "U012ABCDEF", chrono::Duration::seconds(30)).await;
    lines.extend(click(&h, &prompt, "dispatch_yes", "U0BOB", chrono::Duration::seconds(40)).await);
    let text = lines.join("\n");
    for forbidden in [
        "alice",
        "U012ABCDEF",
        "U0BOB",
        "ss-2fa-disabled-0001",
        "Two-factor",
        REPO,
        SIGNING_SECRET,
        LEGACY_TOKEN,
        "hooks",
        &prompt.ts,
        &h.fakes.slack.url(),
    ] {
        assert!(!text.contains(forbidden), "{forbidden:?} in the metric lines:\n{text}");
    }
}
