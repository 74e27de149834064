//! With `PagerDutyRoutingKey` set, high-priority and fallback alarms page through PagerDuty's
//! Events API v2 (`trigger`, keyed by the title as the REST path keys its incidents); without it,
//! through the REST API as before. Against the fake PagerDuty over real HTTP.

use std::time::Duration;

use dispatch_core::incoming::AlarmError;
use dispatch_core::pagerduty::{Event, PagerDutyError, Severity};
use dispatch_fakes::{Fault, PagerDutyRoute};
use serde_json::json;

use super::harness::*;

const ROUTING_KEY: &str = "4f9c3b7e2a1d4c5b8e6f0a9b3c2d1e0f";

/// The harness's stack, with a routing key.
async fn events_harness() -> Harness {
    harness_with(&[("PagerDutyRoutingKey", ROUTING_KEY)]).await
}

#[tokio::test]
async fn a_high_priority_alarm_is_triggered_on_the_events_api_with_every_field() {
    let h = events_harness().await;

    let report = h.run("e-hp", &json(HIGH_PRIORITY)).await.unwrap();

    let events = h.fakes.pagerduty.events();
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event.routing_key, ROUTING_KEY);
    assert_eq!(event.event_action, "trigger");
    assert_eq!(event.dedup_key, "AWS root account login", "the same incident key as the REST path");
    assert_eq!(event.summary.as_deref(), Some("AWS root account login"));
    assert_eq!(event.source.as_deref(), Some("dispatch"));
    assert_eq!(event.severity.as_deref(), Some("critical"));
    assert_eq!(
        event.custom_details,
        Some(json!({ "details": "The AWS root account of production signed in from 203.0.113.7." }))
    );
    assert_eq!(event.links, serde_json::Value::Null, "no issue, so no links");
    let request = h.fakes.pagerduty.requests().into_iter().find(|r| r.path == "/v2/enqueue").unwrap();
    assert_eq!(request.json()["links"], serde_json::Value::Null, "an empty links list is left out");

    assert!(h.fakes.pagerduty.incidents().is_empty(), "the REST API was not used");
    assert!(report.incident.is_none());
    let sent = report.event.expect("the report names the Events API");
    assert_eq!(sent.enqueued.dedup_key, "AWS root account login");
    assert!(matches!(sent.event, Event::Trigger { .. }));
    assert!(h.fakes.github.requests().is_empty());
    assert!(h.fakes.slack.requests().is_empty());
}

#[tokio::test]
async fn the_severity_of_the_message_is_the_severity_of_the_alert() {
    let h = events_harness().await;
    for (i, severity) in Severity::ALL.into_iter().enumerate() {
        let message = with(json(HIGH_PRIORITY), "/body/pagerduty/title", json!(format!("alarm {i}")));
        let message = with(message, "/body/pagerduty/severity", json!(severity.as_str()));
        h.run(&format!("e-{i}"), &message).await.unwrap();
    }
    let sent: Vec<String> = h.fakes.pagerduty.events().into_iter().filter_map(|e| e.severity).collect();
    assert_eq!(sent, ["critical", "error", "warning", "info"]);
}

#[tokio::test]
async fn an_invalid_severity_is_rejected_with_its_path_and_nothing_is_sent() {
    let h = events_harness().await;
    let message = with(json(HIGH_PRIORITY), "/body/pagerduty/severity", json!("sev1"));

    let error = h.run("e-bad", &message).await.unwrap_err();

    let AlarmError::Invalid(invalid) = &error else { panic!("{error:?}") };
    assert_eq!(invalid.path, "body.pagerduty.severity");
    assert!(error.is_permanent());
    assert!(h.fakes.pagerduty.requests().is_empty());
}

#[tokio::test]
async fn the_fallback_is_triggered_with_the_whole_message_as_its_details() {
    let h = events_harness().await;

    h.run("e-fb", &json(FALLBACK)).await.unwrap();

    let event = h.fakes.pagerduty.events().pop().unwrap();
    assert_eq!(event.dedup_key, "GuardDuty finding: UnauthorizedAccess:EC2/SSHBruteForce");
    assert_eq!(event.summary.as_deref(), Some("GuardDuty finding: UnauthorizedAccess:EC2/SSHBruteForce"));
    assert_eq!(event.severity.as_deref(), Some("critical"));
    assert_eq!(event.custom_details, Some(json(FALLBACK)), "the raw message, as JSON");
    assert!(h.fakes.pagerduty.incidents().is_empty());
}

#[tokio::test]
async fn a_title_over_1024_characters_is_cut_cleanly_for_the_summary_and_to_255_for_the_dedup_key() {
    let h = events_harness().await;
    let title = format!("{}ß{}", "日".repeat(1023), "ø".repeat(100));
    let message = with(json(HIGH_PRIORITY), "/body/pagerduty/title", json!(title));

    h.run("e-long", &message).await.unwrap();

    let event = h.fakes.pagerduty.events().pop().unwrap();
    let summary = event.summary.unwrap();
    assert_eq!(summary.chars().count(), 1024);
    assert!(summary.ends_with("日ß"), "cut after whole characters");
    assert_eq!(event.dedup_key, "日".repeat(255));
}

#[tokio::test]
async fn the_same_alarm_twice_pages_once_by_its_dedup_key() {
    let h = events_harness().await;

    h.run("e-1", &json(HIGH_PRIORITY)).await.unwrap();
    h.run("e-2", &json(HIGH_PRIORITY)).await.unwrap();
    // A Lambda retry of the first event.
    h.run("e-1", &json(HIGH_PRIORITY)).await.unwrap();

    let events = h.fakes.pagerduty.events();
    assert_eq!(events.len(), 3);
    assert!(events.iter().all(|e| e.dedup_key == "AWS root account login"));
    assert_eq!(h.fakes.pagerduty.alerts().len(), 1, "one alert: PagerDuty deduplicated the others");
}

#[tokio::test]
async fn without_a_routing_key_the_rest_api_is_used() {
    let h = harness().await;

    let report = h.run("e-hp", &json(HIGH_PRIORITY)).await.unwrap();

    assert_eq!(h.fakes.pagerduty.incidents().len(), 1);
    assert!(h.fakes.pagerduty.events().is_empty());
    assert!(report.incident.is_some() && report.event.is_none());
}

#[tokio::test]
async fn a_refused_event_fails_the_alarm_naming_the_field() {
    let h = events_harness().await;
    h.fakes.pagerduty.fail_route(PagerDutyRoute::Enqueue, Fault::Status(400), 100);

    let error = h.run("e-400", &json(HIGH_PRIORITY)).await.unwrap_err();

    assert!(matches!(&error, AlarmError::PagerDuty(PagerDutyError::Rejected { status: 400, .. })), "{error:?}");
    assert_eq!(h.fakes.pagerduty.requests().len(), 1, "a 400 is not retried");
}

#[tokio::test]
async fn an_events_api_outage_is_retried_then_fails_the_alarm_and_the_rest_api_is_not_used_instead() {
    let h = events_harness().await;
    h.fakes.pagerduty.fail_route(PagerDutyRoute::Enqueue, Fault::Status(503), 100);

    let error = h.run_within("e-503", &json(HIGH_PRIORITY), Duration::from_secs(5)).await.unwrap_err();

    assert!(matches!(&error, AlarmError::PagerDuty(e) if e.is_retryable()), "{error:?}");
    assert_eq!(h.fakes.pagerduty.requests().len(), usize::try_from(policy().attempts).unwrap());
    assert!(h.fakes.pagerduty.incidents().is_empty());

    h.fakes.pagerduty.heal();
    h.run("e-503", &json(HIGH_PRIORITY)).await.unwrap();
    assert_eq!(h.fakes.pagerduty.alerts().len(), 1, "the Lambda retry pages");
}

#[tokio::test]
async fn the_routing_key_is_never_logged() {
    let (captured, _guard) = crate::support::capture_logs();
    let h = events_harness().await;

    h.run("e-ok", &json(HIGH_PRIORITY)).await.unwrap();
    h.fakes.pagerduty.fail_route(PagerDutyRoute::Enqueue, Fault::Status(400), 1);
    let error = h.run("e-bad", &json(FALLBACK)).await.unwrap_err();

    drop(_guard);
    let logs = captured.text();
    // The failure is logged (the success line too, but other tests of this binary may set
    // subscribers that make tracing skip an INFO callsite here).
    assert!(logs.contains("\"api\":\"events\"") && logs.contains("alert failed"), "{logs}");
    assert!(!logs.contains(ROUTING_KEY), "a log line holds the routing key");
    assert!(!format!("{error} {error:?} {:?}", h.incoming).contains(ROUTING_KEY));
}
