//! The metric lines `handle_sns` emits per record: alarms by type and outcome, Slack messages
//! delivered and failed; and nothing of the message or the secrets in them.

use dispatch_core::metrics::capture;
use dispatch_fakes::{Fault, SlackRoute};
use serde_json::json;

use super::harness::*;
use crate::support::emf;

#[tokio::test]
async fn a_created_self_service_alarm_counts_as_created_with_one_delivered_message() {
    let h = harness().await;
    let (result, lines) = capture(h.run_sns(&[("e-1", SELF_SERVICE)])).await;
    result.unwrap();
    assert_eq!(
        emf::read(&lines),
        ["Alarms{Type=self-service,Outcome=created}=1", "SlackMessages{Outcome=delivered}=1"]
    );
}

#[tokio::test]
async fn a_suppressed_duplicate_counts_as_suppressed_and_sends_nothing() {
    let h = harness().await;
    h.run_sns(&[("e-1", SELF_SERVICE)]).await.unwrap();
    let (result, lines) = capture(h.run_sns(&[("e-2", SELF_SERVICE)])).await;
    result.unwrap();
    assert_eq!(emf::read(&lines), ["Alarms{Type=self-service,Outcome=suppressed}=1"]);
}

#[tokio::test]
async fn a_rejected_message_counts_under_its_type_or_else_fallback() {
    let h = harness().await;
    let no_title = without(json(SELF_SERVICE), "/body/github/title").to_string();
    let records = [("e-1", no_title.as_str()), ("e-2", "not json"), ("e-3", r#"{"type": 3}"#)];
    let (result, lines) = capture(h.run_sns(&records)).await;
    assert_eq!(result.unwrap_err().failures.len(), 3);
    assert_eq!(
        emf::read(&lines),
        [
            "Alarms{Type=self-service,Outcome=rejected}=1",
            "Alarms{Type=fallback,Outcome=rejected}=1",
            "Alarms{Type=fallback,Outcome=rejected}=1",
        ]
    );
}

#[tokio::test]
async fn a_failed_slack_delivery_counts_the_alarm_and_the_message_as_failed() {
    let h = harness().await;
    h.fakes.slack.fail(SlackRoute::PostMessageTo("U012ABCDEF".into()), Fault::Status(500), 3);
    let (result, lines) = capture(h.run_sns(&[("e-1", SELF_SERVICE)])).await;
    assert_eq!(result.unwrap_err().failures.len(), 1);
    assert_eq!(emf::read(&lines), ["Alarms{Type=self-service,Outcome=failed}=1", "SlackMessages{Outcome=failed}=1"]);

    h.fakes.slack.heal();
    let (result, lines) = capture(h.run_sns(&[("e-1", SELF_SERVICE)])).await;
    result.unwrap();
    assert_eq!(
        emf::read(&lines),
        ["Alarms{Type=self-service,Outcome=resumed}=1", "SlackMessages{Outcome=delivered}=1"],
        "the retry counts what it did"
    );
}

#[tokio::test]
async fn a_broadcast_counts_its_delivered_and_failed_messages_together() {
    let h = harness().await;
    let users: Vec<_> = (1..=3).map(|i| json!({ "slackId": format!("U00000000{i}") })).collect();
    h.fakes.slack.unknown_channel("U000000002");
    let message = with(json(BROADCAST), "/users", json!(users)).to_string();
    let (result, lines) = capture(h.run_sns(&[("e-1", &message)])).await;
    assert!(result.is_err());
    assert_eq!(
        emf::read(&lines),
        [
            "Alarms{Type=broadcast,Outcome=failed}=1",
            "SlackMessages{Outcome=delivered}=2",
            "SlackMessages{Outcome=failed}=1",
        ]
    );
}

#[tokio::test]
async fn every_type_counts_under_its_own_name_and_a_made_up_type_as_fallback() {
    let h = harness().await;
    let made_up = with(json(FALLBACK), "/type", json!("my-team-custom-type")).to_string();
    let records = [
        ("e-1", BROADCAST),
        ("e-2", NAG),
        ("e-3", NAG),
        ("e-4", LOW_PRIORITY),
        ("e-5", HIGH_PRIORITY),
        ("e-6", HIGH_PRIORITY),
        ("e-7", made_up.as_str()),
    ];
    let (result, lines) = capture(h.run_sns(&records)).await;
    result.unwrap();
    let alarms: Vec<String> = emf::read(&lines).into_iter().filter(|l| l.starts_with("Alarms")).collect();
    assert_eq!(
        alarms,
        [
            "Alarms{Type=broadcast,Outcome=created}=1",
            "Alarms{Type=nag,Outcome=created}=1",
            "Alarms{Type=nag,Outcome=reused}=1",
            "Alarms{Type=low-priority,Outcome=created}=1",
            "Alarms{Type=high-priority,Outcome=paged}=1",
            "Alarms{Type=high-priority,Outcome=already_open}=1",
            "Alarms{Type=fallback,Outcome=paged}=1",
        ]
    );
}

#[tokio::test]
async fn metric_lines_hold_no_message_text_identifier_or_secret() {
    let h = harness().await;
    let records = [
        ("e-1", SELF_SERVICE),
        ("e-2", BROADCAST),
        ("e-3", NAG),
        ("e-4", LOW_PRIORITY),
        ("e-5", HIGH_PRIORITY),
        ("e-6", FALLBACK),
        ("e-7", "{\"type\":\"secret-ghp-test\"}"),
    ];
    let (_, lines) = capture(h.run_sns(&records)).await;
    assert!(lines.len() >= records.len());
    let text = lines.join("\n");
    for forbidden in [
        "ghp-test",
        "xoxb-test",
        "pd-test",
        "Two-factor",
        "alice",
        "U012ABCDEF",
        "ss-2fa-disabled-0001",
        "e-1",
        "PSECOPS",
        "oncall@example.com",
        REPO,
        DEFAULT_CHANNEL,
        &h.fakes.github.url(),
    ] {
        assert!(!text.contains(forbidden), "{forbidden:?} in the metric lines:\n{text}");
    }
}

const ROUTING_KEY: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";

/// The harness's stack, paging through the Events API v2.
async fn events_harness() -> Harness {
    harness_with(&[("PagerDutyRoutingKey", ROUTING_KEY)]).await
}

#[tokio::test]
async fn an_alarm_paged_through_the_events_api_counts_as_paged_without_its_routing_key() {
    let h = events_harness().await;
    let (result, lines) = capture(h.run_sns(&[("e-1", HIGH_PRIORITY), ("e-2", FALLBACK)])).await;
    result.unwrap();
    assert_eq!(
        emf::read(&lines),
        ["Alarms{Type=high-priority,Outcome=paged}=1", "Alarms{Type=fallback,Outcome=paged}=1"]
    );
    assert!(!lines.join("\n").contains(ROUTING_KEY));
}
