//! A resolve, and an escalation of an unanswered prompt, stopped by a fault at each of their steps,
//! then run again as Lambda (or Scheduler) retries them: every effect ends up done exactly once
//! (0 lost, 0 doubled). Each row plans one fault before the first attempt; the services are healed
//! before the retry.

use std::time::Duration;

use dispatch_core::incoming::Resolution;
use dispatch_fakes::{Fault, GitHubRoute, PagerDutyRoute, SlackRoute};

use super::*;

/// Where a fault is planned.
enum Route {
    GitHub(GitHubRoute),
    Slack(SlackRoute),
    PagerDuty(PagerDutyRoute),
}

/// A request applied, but answered only after the client gave up waiting.
const LATE: Fault = Fault::AppliedThenHang(Duration::from_secs(1));

/// Plans `fault` at `route`: an error for every attempt of the client's, a late answer once.
fn plan(life: &Life, route: &Route, fault: &Fault) {
    let times = if matches!(fault, Fault::Status(_)) { 3 } else { 1 };
    match route {
        Route::GitHub(route) => life.fakes.github.fail(*route, fault.clone(), times),
        Route::Slack(route) => life.fakes.slack.fail(route.clone(), fault.clone(), times),
        Route::PagerDuty(route) => life.fakes.pagerduty.fail_route(*route, fault.clone(), times),
    }
}

fn heal(life: &Life) {
    life.fakes.github.heal();
    life.fakes.slack.heal();
    life.fakes.pagerduty.heal();
}

/// Each step of a resolve, by what it asks of which service. A row at PagerDuty follows a No, so
/// that the resolve has an incident to resolve.
const RESOLVE_ROWS: &[(&str, Route, Fault)] = &[
    ("reading the comments", Route::GitHub(GitHubRoute::ListComments), Fault::Status(502)),
    ("writing the resolution", Route::GitHub(GitHubRoute::Comment), Fault::Status(502)),
    ("writing the resolution, answered late", Route::GitHub(GitHubRoute::Comment), LATE),
    ("closing the issue", Route::GitHub(GitHubRoute::Update), Fault::Status(502)),
    ("chat.update", Route::Slack(SlackRoute::Update), Fault::Status(500)),
    ("chat.update, answered late", Route::Slack(SlackRoute::Update), LATE),
    ("the PagerDuty PUT", Route::PagerDuty(PagerDutyRoute::UpdateIncident), Fault::Status(500)),
    ("the PagerDuty PUT, answered late", Route::PagerDuty(PagerDutyRoute::UpdateIncident), LATE),
];

#[tokio::test]
async fn a_resolve_stopped_at_any_step_is_finished_by_its_retry_with_nothing_lost_or_doubled() {
    for (step, route, fault) in RESOLVE_ROWS {
        let answered_no = matches!(route, Route::PagerDuty(_));
        let life = life().await;
        life.fire().await.unwrap();
        if answered_no {
            life.click("dispatch_no").await;
        }
        let (messages, incidents) = (life.fakes.slack.messages(), life.fakes.pagerduty.incidents().len());
        plan(&life, route, fault);

        let first = life.resolve().await;
        heal(&life);
        let retry = life.resolve().await.unwrap_or_else(|e| panic!("{step}: the retry failed: {e}"));

        let Some(Resolution::Closed { issue: 1, .. }) = retry.resolution else { panic!("{step}: {retry:?}") };
        let issue = life.issues().into_iter().next().unwrap();
        assert_eq!((issue.state.as_str(), issue.state_reason.as_deref()), ("closed", Some("completed")), "{step}");
        let resolutions = issue.comments.iter().filter(|c| c.contains("<!-- dispatch:resolved ")).count();
        assert_eq!(resolutions, 1, "{step} (first attempt: {first:?}): {:?}", issue.comments);
        assert_eq!(life.fakes.slack.messages().len(), messages.len(), "{step}: nothing posted");
        assert_eq!(life.fakes.pagerduty.incidents().len(), incidents, "{step}: nothing paged");
        if answered_no {
            let incident = &life.fakes.pagerduty.incidents()[0];
            assert_eq!(incident.status, "resolved", "{step}");
            assert!(life.fakes.slack.updates().is_empty(), "{step}: her answer had replaced the prompt");
        } else {
            let prompt = life.prompt();
            assert!(!crate::incoming::harness::has_buttons(&prompt), "{step}");
            // chat.update sets the message's content: repeating it (a timed-out request retried, a
            // finished resolve delivered again) shows the same note, never a second message.
            let updates = life.fakes.slack.updates();
            assert!(!updates.is_empty(), "{step}");
            assert!(updates.iter().all(|u| u.ts == prompt.ts && u.text == prompt.text), "{step}: {updates:?}");
        }
    }
}

/// Each step of an escalation of an unanswered prompt.
const ESCALATION_ROWS: &[(&str, Route, Fault)] = &[
    ("reading the issue", Route::GitHub(GitHubRoute::Get), Fault::Status(502)),
    ("opening the incident", Route::PagerDuty(PagerDutyRoute::Incidents), Fault::Status(500)),
    ("opening the incident, answered late", Route::PagerDuty(PagerDutyRoute::Incidents), LATE),
    ("replacing the prompt", Route::Slack(SlackRoute::Update), Fault::Status(500)),
    ("writing the note", Route::GitHub(GitHubRoute::Comment), Fault::Status(502)),
];

#[tokio::test]
async fn an_escalation_stopped_at_any_step_is_finished_by_its_retry_paging_once() {
    for (step, route, fault) in ESCALATION_ROWS {
        let life = life_with(&[("SelfServiceEscalateAfter", "60")]).await;
        life.fire().await.unwrap();
        let schedule = life.schedule("escalate");
        plan(&life, route, fault);

        let first = life.deliver(&schedule).await;
        heal(&life);
        life.deliver(&schedule).await.unwrap_or_else(|e| panic!("{step}: the retry failed: {e:?}"));
        let last = life.deliver(&schedule).await.unwrap();

        assert_eq!(last["done"], r#"Nothing("already escalated")"#, "{step}");
        assert_eq!(life.fakes.pagerduty.incidents_with_key(REQUEST).len(), 1, "{step} (first: {first:?})");
        let notes = life.comments(1).into_iter().filter(|c| c.contains("cause=no_answer")).count();
        assert_eq!(notes, 1, "{step}: one escalation note");
        assert!(!crate::incoming::harness::has_buttons(&life.prompt()), "{step}: the prompt is replaced");
        assert_eq!(life.fakes.slack.messages().len(), 1, "{step}: nothing posted");
    }
}
