//! SNS does not keep order: a resolve that arrives before its trigger is recorded as an issue
//! created closed, and a trigger published no later than it sends nothing; one published after it
//! is a new alarm.

use chrono::Duration;
use dispatch_core::incoming::{IssueAction, Resolution};

use super::*;
use crate::incoming::harness::{SELF_SERVICE, json};

/// A life in which the resolve of the self-service alarm, published at `t0`, arrived first.
async fn resolved_first() -> Life {
    let life = life_with(&[("SelfServiceEscalateAfter", "60")]).await;
    let report = life.resolve().await.unwrap();
    assert_eq!(report.resolution, Some(Resolution::RecordedEarly { issue: 1 }));
    life
}

#[tokio::test]
async fn a_resolve_before_its_trigger_is_recorded_as_a_closed_issue_with_its_publication_time() {
    let life = resolved_first().await;

    let [record] = life.issues().try_into().expect("one issue");
    assert_eq!((record.title.as_str(), record.state.as_str()), (TITLE, "closed"));
    let marker = format!(
        "<!-- dispatch:event=e-resolve request={REQUEST} resolved={} record=early -->",
        life.t0.timestamp_millis()
    );
    assert!(record.body.ends_with(&marker), "{}", record.body);
    assert!(life.fakes.slack.messages().is_empty() && life.scheduler.requests().is_empty());

    let again = life.resolve().await.unwrap();
    assert_eq!(again.resolution, Some(Resolution::RecordedEarly { issue: 1 }), "a retry finds its record");
    assert_eq!(life.issues().len(), 1);
}

#[tokio::test]
async fn a_trigger_published_before_the_recorded_resolve_sends_nothing_and_its_issue_says_why() {
    let life = resolved_first().await;

    let report = life.publish_at("e-fire", &json(SELF_SERVICE), life.t0 - Duration::seconds(2)).await.unwrap();

    assert_eq!(report.issue.as_ref().map(|i| i.action), Some(IssueAction::ResolvedBefore));
    let [_, issue] = life.issues().try_into().expect("the record and the alarm's issue");
    assert_eq!(issue.state, "closed");
    let [note] = issue.comments.try_into().expect("one note");
    assert!(note.starts_with("Resolved at the source before this alarm was published (see #1)"), "{note}");
    assert!(life.fakes.slack.messages().is_empty(), "no DM");
    assert!(life.scheduler.requests().is_empty(), "no schedule");
    assert!(report.scheduled.is_empty());
}

#[tokio::test]
async fn a_trigger_published_at_the_same_millisecond_as_the_resolve_is_held_back_too() {
    let life = resolved_first().await;
    let report = life.fire().await.unwrap();
    assert_eq!(report.issue.as_ref().map(|i| i.action), Some(IssueAction::ResolvedBefore));
    assert!(life.fakes.slack.messages().is_empty());
}

#[tokio::test]
async fn a_trigger_published_after_the_resolve_fires_as_a_new_alarm() {
    let life = resolved_first().await;

    let report = life.publish_at("e-fire", &json(SELF_SERVICE), life.t0 + Duration::seconds(2)).await.unwrap();

    assert_eq!(report.issue.as_ref().map(|i| i.action), Some(IssueAction::Created));
    assert_eq!(life.issues()[1].state, "open");
    assert_eq!(life.dms(ALICE).len(), 1);
    assert_eq!(report.scheduled, ["remind", "escalate"]);
}

#[tokio::test]
async fn a_held_back_trigger_retried_sends_nothing_and_writes_nothing_more() {
    let life = resolved_first().await;
    let earlier = life.t0 - Duration::seconds(2);
    life.publish_at("e-fire", &json(SELF_SERVICE), earlier).await.unwrap();
    let issues = life.issues();

    let again = life.publish_at("e-fire", &json(SELF_SERVICE), earlier).await.unwrap();

    assert_eq!(again.issue.as_ref().map(|i| i.action), Some(IssueAction::ResolvedBefore));
    assert_eq!(life.issues(), issues);
    assert!(life.fakes.slack.messages().is_empty());
}

#[tokio::test]
async fn a_resolve_recorded_early_that_failed_before_closing_its_record_closes_it_on_retry() {
    let life = life().await;
    life.fakes.github.fail(dispatch_fakes::GitHubRoute::Update, dispatch_fakes::Fault::Status(502), 3);
    life.resolve().await.unwrap_err();
    assert_eq!(life.issues()[0].state, "open", "created, not yet closed");
    life.fakes.github.heal();

    let retry = life.resolve().await.unwrap();

    assert_eq!(retry.resolution, Some(Resolution::RecordedEarly { issue: 1 }));
    let [record] = life.issues().try_into().expect("one record, not two");
    assert_eq!(record.state, "closed");
    let held = life.publish_at("e-fire", &json(SELF_SERVICE), life.t0 - Duration::seconds(1)).await.unwrap();
    assert_eq!(held.issue.map(|i| i.action), Some(IssueAction::ResolvedBefore));
}

#[tokio::test]
async fn a_trigger_published_before_a_resolve_that_closed_the_alarm_but_delivered_after_it_sends_nothing() {
    let life = life().await;
    life.publish_at("e-fire-1", &json(SELF_SERVICE), life.t0 - Duration::seconds(10)).await.unwrap();
    life.resolve().await.unwrap();
    assert_eq!(life.issues()[0].state, "closed");

    // Another trigger of the same alarm, published before the resolve, delivered after it.
    let report = life.publish_at("e-fire-2", &json(SELF_SERVICE), life.t0 - Duration::seconds(5)).await.unwrap();

    assert_eq!(life.dms(ALICE).len(), 1, "no second prompt for an alarm resolved since");
    assert!(life.scheduler.schedules().len() <= 1, "no follow-ups for it either");
    assert_eq!(report.issue.map(|i| i.action), Some(IssueAction::ResolvedBefore));
}

#[tokio::test]
async fn the_trigger_redelivered_by_sns_after_its_resolve_sends_nothing_again() {
    let life = life().await;
    let published = life.t0 - Duration::minutes(5);
    life.publish_at("e-fire", &json(SELF_SERVICE), published).await.unwrap();
    life.resolve().await.unwrap();
    let issues = life.issues();

    life.publish_at("e-fire", &json(SELF_SERVICE), published).await.unwrap();

    assert_eq!(life.issues(), issues, "no new issue, nothing written");
    assert_eq!(life.dms(ALICE).len(), 1);
}

#[tokio::test]
async fn a_trigger_published_after_an_early_resolve_fires_even_for_an_alarm_that_never_retriggers() {
    let life = life().await;
    let mut once = json(SELF_SERVICE);
    once["retrigger"] = serde_json::json!(false);
    life.publish("e-resolve", &resolved(&once)).await.unwrap();

    let report = life.publish_at("e-fire", &once, life.t0 + Duration::seconds(2)).await.unwrap();

    assert_eq!(life.dms(ALICE).len(), 1, "the record of a resolve is not the alarm: {report:?}");
    assert_eq!(report.issue.map(|i| i.action), Some(IssueAction::Created));
}

#[tokio::test]
async fn a_retried_trigger_whose_alarm_was_resolved_meanwhile_sends_what_it_left_undone_no_more() {
    let life = life().await;
    let published = life.t0 - Duration::minutes(2);
    life.fakes.slack.fail(dispatch_fakes::SlackRoute::PostMessage, dispatch_fakes::Fault::Status(500), 10);
    life.publish_at("e-fire", &json(SELF_SERVICE), published).await.unwrap_err();
    life.fakes.slack.heal();
    life.resolve().await.unwrap();

    let retry = life.publish_at("e-fire", &json(SELF_SERVICE), published).await.unwrap();

    assert_eq!(retry.issue.map(|i| i.action), Some(IssueAction::ResolvedBefore));
    assert!(life.dms(ALICE).is_empty(), "no prompt for an alarm the source resolved");
    assert!(life.scheduler.schedules().is_empty());
}
