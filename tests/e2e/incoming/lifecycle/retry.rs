//! The retry of every lifecycle step: a fault stops a resolve, a delivery's schedules or a
//! follow-up part way, Lambda runs the same event again, and the job is finished without anything
//! written, sent, scheduled or paged twice.

use dispatch_core::incoming::{AlarmError, Resolution};
use dispatch_fakes::{Fault, GitHubRoute, SchedulerFault, SlackRoute};

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

/// The replies under the prompt, and the reminder records on the issue.
fn reminders(life: &Life, prompt: &Posted) -> (usize, usize) {
    let records = life.comments(1).iter().filter(|c| c.contains("<!-- dispatch:reminded ")).count();
    (life.fakes.slack.replies(&prompt.channel, &prompt.ts).len(), records)
}

#[tokio::test]
async fn a_reminder_stopped_by_github_or_slack_is_sent_once_by_the_retry_and_recorded_once() {
    for github in [true, false] {
        let life = life().await;
        life.fire().await.unwrap();
        let (prompt, schedule) = (life.prompt(), life.schedule("remind"));
        if github {
            life.fakes.github.fail(GitHubRoute::Comment, Fault::Status(502), 3);
        } else {
            life.fakes.slack.fail(SlackRoute::Reply, Fault::Status(500), 3);
        }
        let which = if github { "the record" } else { "the reply" };

        let failure = life.deliver(&schedule).await.unwrap_err();
        assert_eq!(failure.kind, "Transient", "{which}: {failure:?}");
        life.fakes.github.heal();
        life.fakes.slack.heal();
        life.deliver(&schedule).await.unwrap();
        life.deliver(&schedule).await.unwrap();

        assert_eq!(reminders(&life, &prompt), (1, 1), "{which}: one reminder, one record");
    }
}

#[tokio::test]
async fn an_escalation_that_failed_after_opening_the_incident_finds_it_open_on_retry_and_pages_once() {
    let life = life_with(&[("SelfServiceEscalateAfter", "60")]).await;
    life.fire().await.unwrap();
    let schedule = life.schedule("escalate");
    // The escalation is claimed and the incident opened; replacing the prompt fails.
    life.fakes.slack.fail(SlackRoute::Update, Fault::Status(500), 3);

    life.deliver(&schedule).await.unwrap_err();
    assert_eq!(life.fakes.pagerduty.incidents().len(), 1);

    life.fakes.slack.heal();
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

#[tokio::test]
async fn follow_ups_find_the_prompt_even_when_its_delivery_record_was_not_written() {
    let life = life_with(&[("SelfServiceEscalateAfter", "60")]).await;
    life.fakes.github.fail(GitHubRoute::Comment, Fault::Status(502), 3);
    life.fire().await.unwrap();
    assert!(life.comments(1).is_empty(), "the delivery record was lost");
    life.fakes.github.heal();
    let prompt = life.prompt();

    let remind = life.deliver(&life.schedule("remind")).await.unwrap();
    let escalate = life.deliver(&life.schedule("escalate")).await.unwrap();

    assert_eq!(remind["done"], "Reminded { prompts: 1 }");
    assert_eq!(reminders(&life, &prompt), (1, 1));
    assert!(escalate["done"].as_str().unwrap().starts_with("Escalated"), "{escalate}");
    assert!(!crate::incoming::harness::has_buttons(&life.prompt()), "the escalation replaced the prompt");
}
