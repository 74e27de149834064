//! A message with `"status": "resolved"` ends its alarm: the issue Dispatch opened is commented and
//! closed, its prompt loses its buttons, its incidents are resolved; nothing else is touched.

use dispatch_core::incoming::Resolution;
use serde_json::json;

use super::*;
use crate::incoming::harness::{
    BROADCAST, FALLBACK, HIGH_PRIORITY, LOW_PRIORITY, NAG, REPO, has_buttons, json, without,
};

/// The resolution marker a resolve `event` of the self-service example leaves, published at `at`.
fn resolution_marker(event: &str, at: DateTime<Utc>) -> String {
    format!("<!-- dispatch:resolved event={event} request={REQUEST} at={} -->", at.timestamp_millis())
}

#[tokio::test]
async fn a_resolved_self_service_alarm_closes_its_issue_and_turns_its_prompt_into_a_note_without_buttons() {
    let life = life().await;
    life.fire().await.unwrap();
    let prompt = life.prompt();
    let sent = life.fakes.slack.messages().len();

    let report = life.resolve().await.unwrap();

    let closed = Resolution::Closed { issue: 1, prompts_updated: 1, incidents_resolved: vec![] };
    assert_eq!(report.resolution, Some(closed));
    let [issue] = life.issues().try_into().expect("one issue");
    assert_eq!((issue.state.as_str(), issue.state_reason.as_deref()), ("closed", Some("completed")));
    assert_eq!(issue.comments.len(), 2, "the delivery record, then the resolution: {:?}", issue.comments);
    let comment = &issue.comments[1];
    let when = life.t0.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let says = format!("Resolved at the source: the alarm's source said at {when} (SNS message `e-resolve`)");
    assert!(comment.starts_with(&says), "when and which SNS message: {comment}");
    assert!(comment.ends_with(&resolution_marker("e-resolve", life.t0)), "{comment}");

    let [update] = life.fakes.slack.updates().try_into().expect("one chat.update");
    assert_eq!((update.channel, update.ts), (prompt.conversation(), prompt.ts.clone()));
    assert!(update.text.contains("Resolved at the source, nothing to do"), "{}", update.text);
    let now = life.prompt();
    assert!(!has_buttons(&now) && now.text.contains("Resolved at the source, nothing to do"), "{now:?}");
    assert_eq!(life.fakes.slack.messages().len(), sent, "nothing else is sent");
    assert!(life.fakes.pagerduty.incidents().is_empty());
}

#[tokio::test]
async fn a_resolve_after_alice_answered_no_resolves_the_incident_her_no_opened_over_rest() {
    let life = life().await;
    life.fire().await.unwrap();
    life.click("dispatch_no").await;
    let [incident] = life.fakes.pagerduty.incidents().try_into().expect("the No opened one incident");
    assert_eq!(incident.status, "triggered");

    let report = life.resolve().await.unwrap();

    let closed = Resolution::Closed { issue: 1, prompts_updated: 0, incidents_resolved: vec![incident.id.clone()] };
    assert_eq!(report.resolution, Some(closed));
    let now = life.fakes.pagerduty.incident(&incident.id).unwrap();
    assert_eq!((now.status.as_str(), now.resolved_by.as_deref()), ("resolved", Some("oncall@example.com")));
    let puts: Vec<_> = life.fakes.pagerduty.requests().into_iter().filter(|r| r.method == "PUT").collect();
    let [put] = puts.try_into().expect("one PUT");
    assert_eq!(put.path, format!("/incidents/{}", incident.id));
    assert_eq!(put.json()["incident"]["status"], "resolved");
    assert!(life.fakes.slack.updates().is_empty(), "an answered prompt has no buttons to take away");
    assert_eq!(life.issues()[0].state, "closed");
}

#[tokio::test]
async fn a_resolve_after_a_no_answer_escalation_resolves_the_escalations_incident() {
    let life = life_with(&[("SelfServiceEscalateAfter", "60")]).await;
    life.fire().await.unwrap();
    life.deliver(&life.schedule("escalate")).await.unwrap();
    let [incident] = life.fakes.pagerduty.incidents().try_into().expect("the escalation opened one incident");

    let report = life.resolve().await.unwrap();

    let closed = Resolution::Closed { issue: 1, prompts_updated: 0, incidents_resolved: vec![incident.id.clone()] };
    assert_eq!(report.resolution, Some(closed));
    assert_eq!(life.fakes.pagerduty.incident_status(&incident.id).as_deref(), Some("resolved"));
    assert_eq!(life.fakes.slack.updates().len(), 1, "only the escalation's: the escalated note stays");
}

#[tokio::test]
async fn a_resolve_closes_the_issue_of_a_broadcast_a_nag_and_a_low_priority_alarm_without_naming_users() {
    let life = life().await;
    for (n, example) in [BROADCAST, NAG, LOW_PRIORITY].into_iter().enumerate() {
        let number = n as u64 + 1;
        life.publish(&format!("e-fire-{number}"), &json(example)).await.unwrap();
        let sent = life.fakes.slack.messages().len();
        let message = without(resolved(&json(example)), "/users");

        let report = life.publish(&format!("e-resolve-{number}"), &message).await.unwrap();

        let closed = Resolution::Closed { issue: number, prompts_updated: 0, incidents_resolved: vec![] };
        assert_eq!(report.resolution, Some(closed), "{example}");
        let issue = life.issues().into_iter().find(|i| i.number == number).unwrap();
        assert_eq!((issue.state.as_str(), issue.state_reason.as_deref()), ("closed", Some("completed")));
        assert!(issue.comments.last().unwrap().contains(&format!("<!-- dispatch:resolved event=e-resolve-{number} ")));
        assert_eq!(life.fakes.slack.messages().len(), sent, "a resolve sends nothing");
    }
    assert!(life.fakes.slack.updates().is_empty() && life.scheduler.schedules().is_empty());
}

#[tokio::test]
async fn a_high_priority_resolve_finds_its_incident_by_key_and_resolves_it_over_rest() {
    let life = life().await;
    life.publish("e-fire", &json(HIGH_PRIORITY)).await.unwrap();
    let [incident] = life.fakes.pagerduty.incidents().try_into().expect("one incident");

    let report = life.publish("e-resolve", &resolved(&json(HIGH_PRIORITY))).await.unwrap();

    let key = "AWS root account login".to_owned();
    assert_eq!(
        report.resolution,
        Some(Resolution::Incidents { key: key.clone(), resolved: vec![incident.id.clone()] })
    );
    assert_eq!(life.fakes.pagerduty.incident_status(&incident.id).as_deref(), Some("resolved"));
    let requests = life.fakes.pagerduty.requests();
    let get = requests.iter().find(|r| r.method == "GET" && r.path == "/incidents").expect("a GET by key");
    assert_eq!(get.query_all("incident_key"), [key]);
    let puts: Vec<&str> = requests.iter().filter(|r| r.method == "PUT").map(|r| r.path.as_str()).collect();
    assert_eq!(puts, [format!("/incidents/{}", incident.id)]);
    assert!(life.issues().is_empty() && life.fakes.pagerduty.events().is_empty());
}

#[tokio::test]
async fn a_fallback_resolve_resolves_the_incident_its_trigger_opened_and_an_unreadable_status_still_pages() {
    let life = life().await;
    let mut unreadable = json(FALLBACK);
    unreadable["status"] = json!("gone?");
    life.publish("e-fire", &unreadable).await.unwrap();
    let [incident] = life.fakes.pagerduty.incidents().try_into().expect("an unknown type with any status pages");

    let report = life.publish("e-resolve", &resolved(&json(FALLBACK))).await.unwrap();

    let Some(Resolution::Incidents { resolved, .. }) = report.resolution else { panic!("{report:?}") };
    assert_eq!(resolved, [incident.id.as_str()]);
    assert_eq!(life.fakes.pagerduty.incident_status(&incident.id).as_deref(), Some("resolved"));
}

#[tokio::test]
async fn a_high_priority_resolve_with_no_incident_open_resolves_nothing_and_pages_nobody() {
    let life = life().await;

    let report = life.publish("e-resolve", &resolved(&json(HIGH_PRIORITY))).await.unwrap();

    let key = "AWS root account login".to_owned();
    assert_eq!(report.resolution, Some(Resolution::Incidents { key, resolved: vec![] }));
    assert!(life.fakes.pagerduty.incidents().is_empty());
    assert!(life.fakes.pagerduty.requests().iter().all(|r| r.method == "GET"), "only looked");
    assert!(life.issues().is_empty(), "a page is never held back on GitHub's word: nothing recorded");
}

#[tokio::test]
async fn with_a_routing_key_a_high_priority_resolve_is_an_events_api_resolve_of_its_dedup_key() {
    let life = life_with(&[("PagerDutyRoutingKey", "4f9c3b7e2a1d4c5b8e6f0a9b3c2d1e0f")]).await;
    life.publish("e-fire", &json(HIGH_PRIORITY)).await.unwrap();

    let report = life.publish("e-resolve", &resolved(&json(HIGH_PRIORITY))).await.unwrap();

    let key = "AWS root account login";
    assert_eq!(report.resolution, Some(Resolution::Incidents { key: key.to_owned(), resolved: vec![] }));
    let actions: Vec<(String, String)> =
        life.fakes.pagerduty.events().into_iter().map(|e| (e.event_action, e.dedup_key)).collect();
    assert_eq!(actions, [("trigger".to_owned(), key.to_owned()), ("resolve".to_owned(), key.to_owned())]);
    let [alert] = life.fakes.pagerduty.alerts().try_into().expect("one alert");
    assert_eq!(alert.status, "resolved");
    assert!(life.fakes.pagerduty.incidents().is_empty(), "nothing over REST");
}

#[tokio::test]
async fn an_issue_already_closed_by_a_yes_is_left_alone() {
    let life = life().await;
    life.fire().await.unwrap();
    life.click("dispatch_yes").await;
    let before = life.issues();

    let report = life.resolve().await.unwrap();

    assert_eq!(report.resolution, Some(Resolution::LeftAlone { issue: 1 }));
    assert_eq!(life.issues(), before, "no comment, no second issue");
    assert!(life.fakes.slack.updates().is_empty() && life.fakes.pagerduty.incidents().is_empty());
}

#[tokio::test]
async fn an_issue_with_the_same_title_that_dispatch_did_not_open_is_never_touched() {
    let life = life().await;
    let theirs = life.fakes.github.add_issue_by(REPO, "mallory", TITLE, "I opened this one by hand.", true);

    let report = life.resolve().await.unwrap();

    let record = Resolution::RecordedEarly { issue: theirs + 1 };
    assert_eq!(report.resolution, Some(record), "recorded as a resolve ahead of its alarm");
    let issue = life.issues().into_iter().find(|i| i.number == theirs).unwrap();
    assert_eq!((issue.state.as_str(), issue.comments.len()), ("open", 0));
}

#[tokio::test]
async fn an_issue_by_someone_else_ending_with_a_copied_dispatch_marker_is_never_touched() {
    let life = life().await;
    let marker = format!("<!-- dispatch:event=e-copied request={REQUEST} -->");
    let body = format!("Copied from a Dispatch issue.\n\n{marker}");
    let theirs = life.fakes.github.add_issue_by(REPO, "mallory", TITLE, &body, true);

    life.resolve().await.unwrap();

    let issue = life.issues().into_iter().find(|i| i.number == theirs).unwrap();
    assert_eq!((issue.state.as_str(), issue.comments.len()), ("open", 0), "{:?}", issue.comments);
}

#[tokio::test]
async fn a_resolution_comment_forged_by_another_user_counts_for_nothing() {
    let life = life().await;
    life.fire().await.unwrap();
    let forged = format!("Resolved, trust me.\n\n{}", resolution_marker("e-resolve", life.t0));
    life.fakes.github.comment_as(REPO, 1, "mallory", &forged);

    let remind = life.deliver(&life.schedule("remind")).await.unwrap();
    assert_eq!(remind["done"], "Reminded { prompts: 1 }", "a forged resolution does not silence a follow-up");
    let report = life.resolve().await.unwrap();

    assert!(matches!(report.resolution, Some(Resolution::Closed { issue: 1, prompts_updated: 1, .. })));
    let comments = life.comments(1);
    let real: Vec<&String> = comments.iter().filter(|c| c.starts_with("Resolved at the source")).collect();
    assert_eq!(real.len(), 1, "Dispatch records its own resolution beside the forged one: {comments:?}");
    assert_eq!(life.fakes.slack.updates().len(), 1);
}

#[tokio::test]
async fn a_forged_alarm_issue_newer_than_the_real_one_does_not_take_its_resolve() {
    let life = life().await;
    life.fire().await.unwrap();
    let unrelated = life.fakes.pagerduty.add_incident("POTHER", "another-teams-key", "Another team's outage");
    let body = format!("Looks like Dispatch's.\n\n<!-- dispatch:event=e-copied request={REQUEST} -->");
    let forged = life.fakes.github.add_issue_by(REPO, "mallory", TITLE, &body, true);
    let note = format!("<!-- dispatch:escalated request={REQUEST} incident={} cause=no_answer -->", unrelated.id);
    life.fakes.github.comment_as(REPO, forged, "mallory", &note);

    life.resolve().await.unwrap();

    let status = life.fakes.pagerduty.incident_status(&unrelated.id);
    assert_eq!(status.as_deref(), Some("triggered"), "an incident named by someone else is not resolved");
    let issues = life.issues();
    assert_eq!(issues[0].state, "closed", "the real alarm is resolved");
    assert_eq!((issues[1].state.as_str(), issues[1].comments.len()), ("open", 1), "the forged one is not touched");
    assert!(!has_buttons(&life.prompt()), "the real prompt is replaced");
}

#[tokio::test]
async fn a_prompt_slack_no_longer_has_is_skipped_and_the_resolve_completes() {
    let life = life().await;
    life.fire().await.unwrap();
    let refusal = dispatch_fakes::Fault::SlackError("message_not_found".into());
    life.fakes.slack.fail(dispatch_fakes::SlackRoute::Update, refusal, 1);

    let report = life.resolve().await.unwrap();

    let closed = Resolution::Closed { issue: 1, prompts_updated: 0, incidents_resolved: vec![] };
    assert_eq!(report.resolution, Some(closed));
    assert_eq!(life.issues()[0].state, "closed");
    let updates = life.fakes.slack.requests().iter().filter(|r| r.path.ends_with("chat.update")).count();
    assert_eq!(updates, 1, "a permanent refusal is not retried");
}
