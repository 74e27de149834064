//! What a click does: Yes closes, No escalates, the wrong user is refused, a second click is a
//! no-op, failures are told plainly.

use std::time::{Duration, Instant};

use dispatch_fakes::{Fault, GitHubRoute};
use serde_json::json;

use super::harness::*;

const TITLE: &str = "Two-factor authentication disabled for alice";

#[tokio::test]
async fn yes_closes_the_issue_records_who_answered_and_turns_the_prompt_green() {
    let h = harness().await;
    let value = h.alarm(&json(SELF_SERVICE)).await;
    let response = h.click(&value, "dispatch_yes", "U012ABCDEF").await;
    assert_eq!(response.status, 200);

    let issue = h.issue(1);
    assert_eq!((issue.state.as_str(), issue.state_reason.as_deref()), ("closed", Some("completed")));
    let answer = issue.comments.last().unwrap();
    assert!(answer.contains("**alice** (`U012ABCDEF`) answered **yes** at 2026-11-27 14:30:00 UTC"), "{answer}");
    assert!(answer.ends_with(&format!(
        "<!-- dispatch:answer request=ss-2fa-disabled-0001 answer=yes user=U012ABCDEF at={} -->",
        now().timestamp()
    )));

    let replaced = &h.responses()[0];
    assert_eq!(replaced["replace_original"], true);
    assert_eq!(replaced["attachments"][0]["color"], "#008E00");
    assert_eq!(replaced["text"], "Dispatch alert acknowledged: Thanks! The alarm is closed. Please turn 2FA back on.");
    assert!(h.fakes.pagerduty.incidents().is_empty());
}

#[tokio::test]
async fn no_opens_the_incident_of_the_spec_and_records_it_on_the_issue() {
    let h = harness().await;
    let value = h.alarm(&json(SELF_SERVICE)).await;
    assert_eq!(h.click(&value, "dispatch_no", "U012ABCDEF").await.status, 200);

    let incidents = h.fakes.pagerduty.incidents();
    assert_eq!(incidents.len(), 1);
    let incident = &incidents[0];
    assert_eq!(
        incident.title,
        "dispatch ss-2fa-disabled-0001: user alice responded 'no' for self-service issue acme/dispatch-alarms/1"
    );
    let url = format!("{}/{REPO}/issues/1", h.fakes.github.url());
    assert_eq!(incident.details.as_deref(), Some(format!("{TITLE}\n\n {url}").as_str()));
    assert_eq!((incident.incident_key.as_str(), incident.service.as_str()), ("ss-2fa-disabled-0001", "PDEFAULT"));

    let issue = h.issue(1);
    assert_eq!(issue.state, "open");
    let n = issue.comments.len();
    assert!(issue.comments[n - 2].contains("answered **no**"), "{:?}", issue.comments);
    assert!(issue.comments[n - 1].starts_with("PagerDuty incident Q00001 opened"), "{:?}", issue.comments);
    let replaced = &h.responses()[0];
    assert_eq!(replaced["attachments"][0]["color"], "#CC0000");
    assert_eq!(replaced["text"], "Dispatch alert escalated: The security team has been paged and will contact you.");
}

#[tokio::test]
async fn no_pages_the_service_the_alarm_named() {
    let h = harness().await;
    let value = h.alarm(&with_field(json(SELF_SERVICE), "pagerDutyServiceId", json!("PTEAM"))).await;
    h.click(&value, "dispatch_no", "U012ABCDEF").await;
    assert_eq!(h.fakes.pagerduty.incidents()[0].service, "PTEAM");
}

#[tokio::test]
async fn the_issue_is_closed_in_the_repository_the_alarm_used() {
    let h = harness().await;
    let value = h.alarm(&with_field(json(SELF_SERVICE), "githubRepo", json!("security/audit"))).await;
    h.click(&value, "dispatch_yes", "U012ABCDEF").await;
    assert_eq!(h.fakes.github.issues("security/audit")[0].state, "closed");
    assert!(h.fakes.github.issues(REPO).is_empty());
}

#[tokio::test]
async fn another_user_is_refused_and_nothing_changes() {
    let h = harness().await;
    let value = h.alarm(&json(SELF_SERVICE)).await;
    assert_eq!(h.click(&value, "dispatch_yes", "U0MALLORY").await.status, 200);
    let issue = h.issue(1);
    assert_eq!(issue.state, "open");
    assert_eq!(issue.comments.len(), 1, "only the delivery record");
    let refusal = &h.responses()[0];
    assert_eq!(refusal["response_type"], "ephemeral");
    assert_eq!(refusal["replace_original"], false);
    assert!(refusal["text"].as_str().unwrap().starts_with("Only <@U012ABCDEF> can answer this alarm"));
}

#[tokio::test]
async fn a_second_click_changes_nothing_and_says_so() {
    let h = harness().await;
    let value = h.alarm(&json(SELF_SERVICE)).await;
    h.click(&value, "dispatch_yes", "U012ABCDEF").await;
    let requests_before = h.fakes.github.requests().len();
    h.click(&value, "dispatch_no", "U012ABCDEF").await;
    assert!(h.fakes.pagerduty.incidents().is_empty(), "no escalation after a yes");
    assert_eq!(h.issue(1).comments.len(), 2, "delivery record and one answer");
    let writes = h.fakes.github.requests()[requests_before..].iter().filter(|r| r.method != "GET").count();
    assert_eq!(writes, 0);
    let second = &h.responses()[1];
    assert_eq!(second["response_type"], "ephemeral");
    assert!(second["text"].as_str().unwrap().contains("was already answered yes by <@U012ABCDEF>"), "{second}");
}

#[tokio::test]
async fn an_incident_already_open_for_the_alarm_is_reported_not_failed() {
    let h = harness().await;
    let value = h.alarm(&json(SELF_SERVICE)).await;
    // The on-call team already opened an incident with the alarm's key (say, from another alarm).
    let http = dispatch_core::http::client(Duration::from_secs(1)).unwrap();
    let pagerduty = dispatch_core::pagerduty::PagerDuty::new(
        http,
        &url::Url::parse(&h.fakes.pagerduty.url()).unwrap(),
        secrecy::SecretString::from("pd-test".to_owned()),
        "oncall@example.com".into(),
        dispatch_core::deadline::RetryPolicy::default(),
    );
    let existing = dispatch_core::pagerduty::NewIncident {
        title: "opened by hand".into(),
        details: None,
        incident_key: "ss-2fa-disabled-0001".into(),
        service: dispatch_core::ids::ServiceId::parse("PDEFAULT").unwrap(),
    };
    pagerduty
        .create_incident(&existing, dispatch_core::deadline::Deadline::after(Duration::from_secs(5)))
        .await
        .unwrap();
    h.click(&value, "dispatch_no", "U012ABCDEF").await;
    assert_eq!(h.fakes.pagerduty.incidents().len(), 1);
    let told = &h.responses()[0];
    assert!(told["text"].as_str().unwrap().starts_with("Dispatch alert already escalated"), "{told}");
    assert_eq!(
        h.issue(1).comments.last().unwrap(),
        "An open PagerDuty incident for this alarm already existed.\n\n<!-- dispatch:escalated request=ss-2fa-disabled-0001 incident=existing -->"
    );
}

#[tokio::test]
async fn concurrent_clicks_on_one_alarm_act_once() {
    let h = harness().await;
    let value = h.alarm(&json(SELF_SERVICE)).await;
    let clicks = (0..5).map(|_| h.click(&value, "dispatch_no", "U012ABCDEF"));
    let responses = futures::future::join_all(clicks).await;
    assert!(responses.iter().all(|r| r.status == 200));
    assert_eq!(h.fakes.pagerduty.incidents().len(), 1);
    let answers = h.issue(1).comments.iter().filter(|c| c.contains("answered **no**")).count();
    assert_eq!(answers, 1, "one recorded answer: {:?}", h.issue(1).comments);
    let told: Vec<String> = h.responses().iter().map(|r| r["text"].as_str().unwrap().to_owned()).collect();
    assert_eq!(told.iter().filter(|t| t.starts_with("Dispatch alert escalated")).count(), 1, "{told:?}");
    assert_eq!(told.iter().filter(|t| t.contains("was already answered no")).count(), 4, "{told:?}");
}

#[tokio::test]
async fn a_github_failure_is_told_plainly_and_leaves_the_issue_open() {
    let h = harness().await;
    let value = h.alarm(&json(SELF_SERVICE)).await;
    h.fakes.github.fail(GitHubRoute::Update, Fault::Status(502), 2);
    h.click(&value, "dispatch_yes", "U012ABCDEF").await;
    assert_eq!(h.issue(1).state, "open");
    let told = &h.responses()[0];
    assert_eq!(told["response_type"], "ephemeral");
    assert_eq!(
        told["text"],
        "Error: dispatch ss-2fa-disabled-0001 failed to close GitHub issue acme/dispatch-alarms/1, GitHub is not responding; please click again in a minute"
    );
    h.click(&value, "dispatch_yes", "U012ABCDEF").await;
    assert_eq!(h.issue(1).state, "closed", "clicking again works once GitHub is back");
}

#[tokio::test]
async fn a_pagerduty_failure_is_told_plainly() {
    let h = harness().await;
    let value = h.alarm(&json(SELF_SERVICE)).await;
    h.fakes.pagerduty.fail(Fault::Status(401), 1);
    h.click(&value, "dispatch_no", "U012ABCDEF").await;
    assert_eq!(
        h.responses()[0]["text"],
        "Error: dispatch ss-2fa-disabled-0001 failed to create PagerDuty incident, Dispatch's PagerDuty credentials were refused"
    );
    assert_eq!(h.issue(1).comments.len(), 1, "no answer recorded");
}

#[tokio::test]
async fn legacy_buttons_act_on_the_default_repository_with_numeric_or_string_issue_numbers() {
    let h = harness_with(true).await;
    h.fakes.github.add_issue(REPO, "legacy alarm", "from the Node version", true);
    h.fakes.github.add_issue(REPO, "legacy alarm 2", "from the Node version", true);
    for (github, answer) in [(json!(1), "yes"), (json!("2"), "no")] {
        let callback_id = legacy_callback_id(github, "abc123def456");
        let payload = legacy_click(&callback_id, answer, &h.fakes.slack.response_url("legacy"));
        let request = dispatch_core::triage::event::HttpRequest {
            shape: dispatch_core::triage::event::Shape::RestProxy,
            headers: Default::default(),
            body: form(&payload).into_bytes(),
        };
        assert_eq!(h.triage.handle(&request, now()).await.status, 200);
    }
    assert_eq!(h.issue(1).state, "closed");
    let incident = &h.fakes.pagerduty.incidents()[0];
    assert_eq!(
        incident.title,
        "dispatch abc123def456: user alice responded 'no' for self-service issue acme/dispatch-alarms/2"
    );
    assert_eq!(incident.service, "PDEFAULT");
}

#[tokio::test]
async fn the_handler_answers_well_within_slacks_three_seconds() {
    let h = harness().await;
    let mut values = Vec::new();
    for i in 0..20 {
        let message =
            with_field(with_field(json(SELF_SERVICE), "requestId", json!(format!("overhead-{i}"))), "body", {
                let mut body = json(SELF_SERVICE)["body"].clone();
                body["github"]["title"] = json!(format!("overhead alarm {i}"));
                body
            });
        values.push(h.alarm(&message).await);
    }
    let mut times = Vec::new();
    for (i, value) in values.iter().enumerate() {
        let started = Instant::now();
        h.click(value, if i % 2 == 0 { "dispatch_yes" } else { "dispatch_no" }, "U012ABCDEF").await;
        times.push(started.elapsed());
    }
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "triage click, fakes on loopback: median {median:?}, max {:?} over {} clicks",
        times[times.len() - 1],
        times.len()
    );
    assert!(median < Duration::from_millis(500), "median {median:?}");
}

fn with_field(mut value: serde_json::Value, key: &str, new: serde_json::Value) -> serde_json::Value {
    value[key] = new;
    value
}
