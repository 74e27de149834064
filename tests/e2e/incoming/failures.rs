//! Failure semantics (DESIGN.md §5): errors that make Lambda retry, and retries that finish the job
//! without doubling anything.

use std::time::{Duration, Instant};

use dispatch_core::incoming::{AlarmError, IssueAction, SlackResult};
use dispatch_core::pagerduty::IncidentOutcome;
use dispatch_fakes::{Fault, GitHubRoute, SlackRoute};
use serde_json::json;

use super::harness::*;

#[tokio::test]
async fn slack_failing_after_the_issue_is_created_fails_and_the_retry_sends_the_dm_without_a_second_issue() {
    let h = harness().await;
    h.fakes.slack.fail(SlackRoute::PostMessageTo("U012ABCDEF".into()), Fault::Status(500), 3);
    let error = h.run("e-1", &json(SELF_SERVICE)).await.unwrap_err();
    assert!(matches!(error, AlarmError::Undelivered { .. }), "{error}");
    assert_eq!(h.issues().len(), 1);
    assert!(h.dms("U012ABCDEF").is_empty());
    let notice = h.dms(DEFAULT_CHANNEL);
    assert_eq!(notice.len(), 1, "the default channel hears about the failed DM");
    assert!(notice[0].text.contains("alice") && notice[0].text.contains("unavailable"), "{}", notice[0].text);

    h.fakes.slack.heal();
    let retry = h.run("e-1", &json(SELF_SERVICE)).await.unwrap();
    assert_eq!(retry.issue.unwrap().action, IssueAction::Resumed);
    assert_eq!(h.issues().len(), 1, "no second issue");
    assert_eq!(h.dms("U012ABCDEF").len(), 1, "the DM the first attempt lost is sent");
}

#[tokio::test]
async fn one_of_five_broadcast_recipients_failing_is_retried_alone() {
    let h = harness().await;
    let users: Vec<_> =
        (1..=5).map(|i| json!({ "slackId": format!("U00000000{i}"), "slack": format!("user{i}") })).collect();
    let message = with(json(BROADCAST), "/users", json!(users));
    h.fakes.slack.unknown_channel("U000000003");
    let error = h.run("e-5", &message).await.unwrap_err();
    let AlarmError::Undelivered { failed, report } = &error else { panic!("{error}") };
    assert_eq!(failed, &["user3: channel_not_found"]);
    assert_eq!(report.slack.iter().filter(|s| matches!(s.result, SlackResult::Sent(_))).count(), 4);
    for i in [1, 2, 4, 5] {
        assert_eq!(h.dms(&format!("U00000000{i}")).len(), 1, "user{i} was reached despite user3");
    }
    assert_eq!(h.dms(DEFAULT_CHANNEL).len(), 1, "error notice");

    h.fakes.slack.heal();
    h.run("e-5", &message).await.unwrap();
    for i in 1..=5 {
        assert_eq!(h.dms(&format!("U00000000{i}")).len(), 1, "user{i} has exactly one DM after the retry");
    }
    assert_eq!(h.issues().len(), 1);
}

#[tokio::test]
async fn a_second_delivery_of_a_handled_event_sends_nothing_again() {
    let h = harness().await;
    h.run("e-twice", &json(BROADCAST)).await.unwrap();
    let again = h.run("e-twice", &json(BROADCAST)).await.unwrap();
    assert_eq!(again.issue.unwrap().action, IssueAction::Resumed);
    assert!(again.slack.iter().all(|s| s.result == SlackResult::AlreadySent));
    assert_eq!(h.fakes.slack.messages().len(), 3);
    assert_eq!(h.fakes.slack.lookups().len(), 1, "a settled address is not looked up again");
    assert_eq!(h.issues().len(), 1);
}

#[tokio::test]
async fn a_github_outage_fails_the_invocation_and_the_retry_creates_one_issue() {
    let h = harness().await;
    h.fakes.github.fail(GitHubRoute::Create, Fault::Status(502), 3);
    let error = h.run("e-gh", &json(LOW_PRIORITY)).await.unwrap_err();
    let AlarmError::GitHub(inner) = &error else { panic!("{error}") };
    assert!(inner.is_retryable());
    assert!(h.issues().is_empty());
    h.run("e-gh", &json(LOW_PRIORITY)).await.unwrap();
    assert_eq!(h.issues().len(), 1);
}

#[tokio::test]
async fn a_create_applied_but_answered_too_late_is_found_not_repeated() {
    let h = harness().await;
    h.fakes.github.fail(GitHubRoute::Create, Fault::AppliedThenHang(Duration::from_secs(2)), 1);
    h.run("e-late", &json(SELF_SERVICE)).await.unwrap();
    assert_eq!(h.issues().len(), 1);
    assert_eq!(h.dms("U012ABCDEF").len(), 1);
}

#[tokio::test]
async fn slack_rate_limits_are_waited_out_within_the_invocation() {
    let h = harness().await;
    h.fakes.slack.fail(SlackRoute::PostMessage, Fault::slack_rate_limited(1), 1);
    let started = Instant::now();
    h.run("e-429", &json(SELF_SERVICE)).await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(h.dms("U012ABCDEF").len(), 1);
}

#[tokio::test]
async fn slack_ok_false_is_a_failure_not_a_success() {
    let h = harness().await;
    h.fakes.slack.fail(SlackRoute::PostMessage, Fault::SlackError("not_in_channel".into()), 1);
    let error = h.run("e-okf", &json(NAG)).await.unwrap_err();
    assert!(error.to_string().contains("not_in_channel"), "{error}");
}

#[tokio::test]
async fn an_invalid_message_is_a_permanent_error_and_touches_no_service() {
    let h = harness().await;
    let error = h.run("e-bad", &without(json(SELF_SERVICE), "/body/github/title")).await.unwrap_err();
    assert!(error.is_permanent());
    assert_eq!(error.to_string(), "message rejected: body.github.title: required for self-service");
    assert!(h.fakes.github.requests().is_empty() && h.fakes.slack.requests().is_empty());
    let error = h.run_sns(&[("e-x", "not json")]).await.unwrap_err();
    assert_eq!(error.failures.len(), 1);
}

#[tokio::test]
async fn one_bad_record_fails_the_invocation_but_not_the_other_records() {
    let h = harness().await;
    let error = h.run_sns(&[("e-bad", "{\"type\": 3}"), ("e-good", HIGH_PRIORITY)]).await.unwrap_err();
    assert_eq!((error.total, error.failures.len()), (2, 1));
    assert_eq!(error.failures[0].0, "e-bad");
    assert_eq!(h.fakes.pagerduty.incidents().len(), 1);
}

#[tokio::test]
async fn a_retried_high_priority_alarm_without_request_id_does_not_page_twice() {
    let h = harness().await;
    let message = without(json(HIGH_PRIORITY), "/requestId");
    h.fakes.pagerduty.fail(Fault::AppliedThenHang(Duration::from_secs(2)), 1);
    let first = h.run("e-hp", &message).await;
    let retry = h.run("e-hp", &message).await.unwrap();
    assert!(first.is_ok() || first.as_ref().is_err_and(|e| !e.is_permanent()));
    assert!(matches!(retry.incident.unwrap().outcome, IncidentOutcome::AlreadyOpen | IncidentOutcome::Created { .. }));
    assert_eq!(h.fakes.pagerduty.incidents().len(), 1, "one incident, whatever the retries");
}

#[tokio::test]
async fn pagerduty_failure_past_its_retries_fails_the_invocation() {
    let h = harness().await;
    h.fakes.pagerduty.fail(Fault::Status(503), 3);
    let error = h.run("e-pd", &json(HIGH_PRIORITY)).await.unwrap_err();
    assert!(matches!(error, AlarmError::PagerDuty(ref e) if e.is_retryable()), "{error}");
    h.run("e-pd", &json(HIGH_PRIORITY)).await.unwrap();
    assert_eq!(h.fakes.pagerduty.incidents().len(), 1);
}

#[tokio::test]
async fn each_failure_names_its_kind_for_the_failure_queue() {
    let h = harness().await;
    let invalid = h.run("k-1", &without(json(SELF_SERVICE), "/body/github/title")).await.unwrap_err();
    assert_eq!(invalid.kind(), "InvalidMessage");

    h.fakes.github.fail(GitHubRoute::Create, Fault::Status(502), 3);
    assert_eq!(h.run("k-2", &json(LOW_PRIORITY)).await.unwrap_err().kind(), "Transient");

    h.fakes.pagerduty.fail(Fault::Status(401), 1);
    assert_eq!(h.run("k-3", &json(HIGH_PRIORITY)).await.unwrap_err().kind(), "Refused");

    h.fakes.slack.unknown_channel("U012ABCDEF");
    assert_eq!(h.run("k-4", &json(SELF_SERVICE)).await.unwrap_err().kind(), "Undelivered");

    let event = sns_event(&[("k-5", r#"{"type":"broadcast","body":{}}"#)]);
    let error = h.incoming.handle_sns(&event, deadline()).await.unwrap_err();
    assert_eq!(error.kind(), "InvalidMessage");
}
