//! Incoming in a world that is not polite: other people comment on the audit issues (markers
//! included), sender text quotes markers, GitHub applies a failed create late, Slack's rate limits
//! eat the time the delivery record needs.

use std::time::Duration;

use dispatch_core::incoming::IssueAction;
use dispatch_fakes::{Fault, GitHubRoute, SlackRoute};
use serde_json::json;

use super::harness::*;

const USER: &str = "U012ABCDEF";

#[tokio::test]
async fn a_delivery_record_in_someone_elses_comment_does_not_suppress_the_retrys_dm() {
    let h = harness().await;
    h.fakes.slack.fail(SlackRoute::PostMessageTo(USER.into()), Fault::Status(500), 3);
    h.run("e-1", &json(SELF_SERVICE)).await.unwrap_err();
    let forged = "Already handled.\n\n<!-- dispatch:delivered event=e-1 sent=0 -->";
    h.fakes.github.comment_as(REPO, 1, "mallory", forged);

    h.fakes.slack.heal();
    h.run("e-1", &json(SELF_SERVICE)).await.unwrap();
    assert_eq!(h.dms(USER).len(), 1, "the retry delivered the DM the forged record claimed");
}

#[tokio::test]
async fn dispatchs_own_delivery_record_still_stops_a_second_dm() {
    let h = harness().await;
    h.run("e-1", &json(SELF_SERVICE)).await.unwrap();
    h.fakes.github.comment_as(REPO, 1, "mallory", "Who is alice?");
    h.run("e-1", &json(SELF_SERVICE)).await.unwrap();
    assert_eq!(h.dms(USER).len(), 1);
}

#[tokio::test]
async fn a_marker_quoted_in_someone_elses_issue_does_not_make_it_this_events() {
    let h = harness().await;
    let title = json(SELF_SERVICE)["body"]["github"]["title"].as_str().unwrap().to_owned();
    let quoted = "Forwarded from the old system:\n<!-- dispatch:event=e-1 request=x -->\nPlease look.";
    h.fakes.github.add_issue_by(REPO, "mallory", &title, quoted, true);
    let report = h.run("e-1", &json(SELF_SERVICE)).await.unwrap();
    assert_eq!(report.issue.unwrap().action, IssueAction::Suppressed, "an open duplicate, not this event's issue");
    assert!(h.dms(USER).is_empty());
}

#[tokio::test]
async fn a_create_that_github_applies_late_still_delivers_its_alarm() {
    let h = harness().await;
    h.fakes.github.seed(REPO, 3);
    // The create is answered 502 and applied only when the client sends it again.
    h.fakes.github.fail(GitHubRoute::Create, Fault::AppliedLate(502), 1);
    let report = h.run("e-late", &json(SELF_SERVICE)).await.unwrap();

    let title = json(SELF_SERVICE)["body"]["github"]["title"].as_str().unwrap().to_owned();
    let mine: Vec<_> = h.issues().into_iter().filter(|i| i.title == title).collect();
    assert_eq!(mine.len(), 2, "GitHub applied both creates");
    assert_eq!((mine[0].state.as_str(), mine[1].state.as_str()), ("open", "closed"), "the earliest is kept");
    assert_eq!(mine[1].state_reason.as_deref(), Some("not_planned"));
    assert!(mine[1].comments[0].starts_with(&format!("Duplicate of #{}", mine[0].number)), "{:?}", mine[1].comments);
    let issue = report.issue.unwrap();
    assert_eq!(issue.issue.number, mine[0].number);
    assert_ne!(issue.action, IssueAction::Suppressed);
    let dms = h.dms(USER);
    assert_eq!(dms.len(), 1, "the alarm was delivered");
    assert_eq!(button_callback(&dms[0]).issue, mine[0].number, "its buttons answer the kept issue");

    // Lambda's retry of the same event changes nothing.
    h.run("e-late", &json(SELF_SERVICE)).await.unwrap();
    assert_eq!(h.dms(USER).len(), 1);
    assert_eq!(h.issues().iter().filter(|i| i.title == title && i.state == "open").count(), 1);
}

#[tokio::test]
async fn a_retry_closes_a_late_twin_the_first_attempt_left_open() {
    let h = harness().await;
    let title = json(SELF_SERVICE)["body"]["github"]["title"].as_str().unwrap().to_owned();
    let marker = "<!-- dispatch:event=e-2 request=ss-2fa-disabled-0001 -->";
    let first = h.fakes.github.add_issue(REPO, &title, &format!("body\n\n{marker}"), true);
    let second = h.fakes.github.add_issue(REPO, &title, &format!("body\n\n{marker}"), true);
    let report = h.run("e-2", &json(SELF_SERVICE)).await.unwrap();
    assert_eq!(report.issue.unwrap().issue.number, first);
    let issues = h.issues();
    assert_eq!(issues[(second - 1) as usize].state, "closed");
    assert_eq!(issues[(first - 1) as usize].state, "open");
    assert_eq!(h.dms(USER).len(), 1);
}

#[tokio::test]
async fn slack_rate_limits_leave_time_to_record_what_was_delivered() {
    let h = harness().await;
    // Slack asks for a wait that fits the invocation but not with the delivery record after it.
    h.fakes.slack.fail(SlackRoute::PostMessageTo(USER.into()), Fault::slack_rate_limited(2), 1);
    let error = h.run_within("e-1", &json(SELF_SERVICE), Duration::from_secs(4)).await.unwrap_err();
    assert!(error.to_string().contains("ratelimited"), "{error}");
    assert!(h.dms(USER).is_empty(), "not sent in the time the record needs");
    let issue = &h.issues()[0];
    assert!(issue.comments.iter().any(|c| c.contains("**failed** (`ratelimited`)")), "{:?}", issue.comments);

    h.run("e-1", &json(SELF_SERVICE)).await.unwrap();
    assert_eq!(h.dms(USER).len(), 1, "the retry delivers it");
}

#[tokio::test]
async fn a_page_with_loose_fields_pages_and_logs_a_warning_naming_each_field() {
    let captured = dispatch_fakes::support::CapturedLogs::default();
    let subscriber = tracing_subscriber::fmt().with_writer(captured.clone()).json().finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let h = harness().await;
    let message = json!({ "type": "high-priority", "requestId": 42, "users": [{ "slackId": "not a slack id!" }],
        "body": { "pagerduty": { "title": "Root login", "service": "P/../x" } } });
    h.run("e-loose", &message).await.unwrap();
    let incidents = h.fakes.pagerduty.incidents();
    assert_eq!(incidents.len(), 1, "nobody would have been paged");
    assert_eq!(incidents[0].service, "PDEFAULT");
    let logs = captured.text();
    let warnings: Vec<&str> = logs.lines().filter(|l| l.contains("message field not taken as written")).collect();
    assert!(warnings.iter().any(|l| l.contains(r#""path":"requestId""#)), "{logs}");
    assert!(warnings.iter().any(|l| l.contains(r#""path":"body.pagerduty.service""#)), "{logs}");
    assert!(warnings.iter().all(|l| l.contains(r#""level":"WARN""#)), "{warnings:?}");
}
