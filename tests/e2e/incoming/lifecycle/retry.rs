//! The retry of every lifecycle step: a fault stops a resolve, a delivery's schedules or a
//! follow-up part way, Lambda runs the same event again, and the job is finished without anything
//! written, sent, scheduled or paged twice.

use dispatch_core::incoming::{AlarmError, Resolution};
use dispatch_fakes::{Fault, GitHubRoute, SchedulerFault};

use super::*;

/// The comments on issue 1 that record a resolution.
fn resolutions(life: &Life) -> usize {
    life.comments(1).iter().filter(|c| c.contains("<!-- dispatch:resolved ")).count()
}

#[tokio::test]
async fn a_resolve_that_failed_after_its_comment_closes_on_retry_without_commenting_again() {
    let life = life().await;
    life.fire().await.unwrap();
    life.fakes.github.fail(GitHubRoute::Update, Fault::Status(502), 3);

    let error = life.resolve().await.unwrap_err();
    assert!(matches!(error, AlarmError::GitHub(_)), "{error}");
    assert_eq!((life.issues()[0].state.as_str(), resolutions(&life)), ("open", 1));
    let remind = life.deliver(&life.schedule("remind")).await.unwrap();
    assert_eq!(remind["done"], r#"Nothing("resolved at the source")"#, "the comment alone silences follow-ups");

    life.fakes.github.heal();
    let retry = life.resolve().await.unwrap();

    let closed = Resolution::Closed { issue: 1, prompts_updated: 1, incidents_resolved: vec![] };
    assert_eq!(retry.resolution, Some(closed));
    assert_eq!((life.issues()[0].state.as_str(), resolutions(&life)), ("closed", 1));
    assert_eq!(life.fakes.slack.updates().len(), 1);
}

#[tokio::test]
async fn schedules_that_failed_are_created_by_the_retry_without_sending_the_prompt_again() {
    let life = life_with(&[("SelfServiceEscalateAfter", "60")]).await;
    life.scheduler.fail(SchedulerFault::error(500, "InternalServerException"), 3);

    let error = life.fire().await.unwrap_err();
    assert!(error.to_string().contains("follow-up schedule"), "{error}");
    assert_eq!(life.dms(ALICE).len(), 1);
    assert!(life.scheduler.schedules().is_empty());

    let retry = life.fire().await.unwrap();

    assert_eq!(retry.scheduled, ["remind", "escalate"]);
    assert_eq!(life.scheduler.schedules().len(), 2);
    assert_eq!(life.dms(ALICE).len(), 1, "the prompt is not sent twice");
    let requests = life.scheduler.requests().len();
    life.fire().await.unwrap();
    assert_eq!(life.scheduler.requests().len(), requests, "a third delivery asks Scheduler nothing");
}

#[tokio::test]
async fn a_schedule_created_by_an_attempt_that_then_failed_counts_as_created_on_retry() {
    let life = life_with(&[("SelfServiceEscalateAfter", "60")]).await;
    // The reminder is created, but the answer is a refusal: the attempt fails before the escalation.
    life.scheduler.fail(SchedulerFault::AppliedThenError { status: 400, error_type: "ValidationException".into() }, 1);

    life.fire().await.unwrap_err();
    assert_eq!(life.scheduler.schedules().len(), 1);

    let retry = life.fire().await.unwrap();

    assert_eq!(retry.scheduled, ["remind", "escalate"]);
    let names: Vec<String> = life.scheduler.schedules().into_iter().map(|s| s.name).collect();
    assert_eq!(names.len(), 2, "the reminder's 409 counted as created: {names:?}");
    assert_eq!(life.dms(ALICE).len(), 1);
}

#[tokio::test]
async fn a_reminder_whose_record_failed_is_posted_again_by_the_retry_then_recorded_once() {
    let life = life().await;
    life.fire().await.unwrap();
    let prompt = life.prompt();
    let schedule = life.schedule("remind");
    life.fakes.github.fail(GitHubRoute::Comment, Fault::Status(502), 3);

    let failure = life.deliver(&schedule).await.unwrap_err();
    assert_eq!(failure.kind, "Transient", "{failure:?}");
    assert_eq!(life.fakes.slack.replies(&prompt.channel, &prompt.ts).len(), 1);

    life.fakes.github.heal();
    life.deliver(&schedule).await.unwrap();

    // Remind then record: with the record lost, Scheduler's retry reminds a second time (at least
    // once, never silently lost); the record is then written once and later deliveries do nothing.
    assert_eq!(life.fakes.slack.replies(&prompt.channel, &prompt.ts).len(), 2);
    let records = life.comments(1).iter().filter(|c| c.contains("<!-- dispatch:reminded ")).count();
    assert_eq!(records, 1);
    life.deliver(&schedule).await.unwrap();
    assert_eq!(life.fakes.slack.replies(&prompt.channel, &prompt.ts).len(), 2);
}

#[tokio::test]
async fn an_escalation_that_failed_after_opening_the_incident_finds_it_open_on_retry_and_pages_once() {
    let life = life_with(&[("SelfServiceEscalateAfter", "60")]).await;
    life.fire().await.unwrap();
    let schedule = life.schedule("escalate");
    life.fakes.github.fail(GitHubRoute::Comment, Fault::Status(502), 3);

    life.deliver(&schedule).await.unwrap_err();
    assert_eq!(life.fakes.pagerduty.incidents().len(), 1);

    life.fakes.github.heal();
    let retry = life.deliver(&schedule).await.unwrap();

    assert_eq!(retry["done"], "Escalated { incident: None }", "the open incident is found, not opened again");
    assert_eq!(life.fakes.pagerduty.incidents_with_key(REQUEST).len(), 1);
    let notes: Vec<String> = life.comments(1).into_iter().filter(|c| c.contains("cause=no_answer")).collect();
    let [note] = notes.try_into().expect("one escalation note");
    assert!(note.ends_with("incident=existing cause=no_answer -->"), "{note}");

    // The resolve still finds the incident, by the alarm's key.
    let report = life.resolve().await.unwrap();
    assert!(
        matches!(report.resolution, Some(Resolution::Closed { ref incidents_resolved, .. }) if incidents_resolved.len() == 1)
    );
    assert_eq!(life.fakes.pagerduty.incidents()[0].status, "resolved");
}
