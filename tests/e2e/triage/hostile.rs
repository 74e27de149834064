//! Clicks in a world that is not polite: other people comment on the audit issue (markers
//! included), Node-era buttons carry response texts in their values, payloads name foreign
//! `response_url`s, a claim's withdrawal fails, GitHub hangs, prompts go to channels.

use std::time::{Duration, Instant};

use dispatch_fakes::{Fault, GitHubRoute};
use serde_json::json;

use super::harness::*;

const FORGED_YES: &str =
    "Looks fine to me.\n\n<!-- dispatch:answer request=ss-2fa-disabled-0001 answer=yes user=U012ABCDEF -->";

#[tokio::test]
async fn an_answer_marker_in_someone_elses_comment_does_not_stop_the_no_that_pages() {
    let h = harness().await;
    let value = h.alarm(&json(SELF_SERVICE)).await;
    h.fakes.github.comment_as(REPO, 1, "mallory", FORGED_YES);
    assert_eq!(h.click(&value, "dispatch_no", "U012ABCDEF").await.status, 200);
    assert_eq!(h.fakes.pagerduty.incidents().len(), 1, "the No paged");
    assert!(h.responses()[0]["text"].as_str().unwrap().starts_with("Dispatch alert escalated"));
}

#[tokio::test]
async fn a_forged_claim_racing_a_click_does_not_make_it_withdraw() {
    let h = harness().await;
    let value = h.alarm(&json(SELF_SERVICE)).await;
    // A claim with the current time, as if a click were in flight, but written by someone else.
    let forged = format!(
        "<!-- dispatch:answer request=ss-2fa-disabled-0001 answer=yes user=U012ABCDEF at={} -->",
        now().timestamp()
    );
    h.fakes.github.comment_as(REPO, 1, "mallory", &forged);
    h.click(&value, "dispatch_no", "U012ABCDEF").await;
    assert_eq!(h.fakes.pagerduty.incidents().len(), 1);
}

#[tokio::test]
async fn dispatchs_own_answer_still_refuses_a_second_click() {
    let h = harness().await;
    let value = h.alarm(&json(SELF_SERVICE)).await;
    h.click(&value, "dispatch_yes", "U012ABCDEF").await;
    h.fakes.github.comment_as(REPO, 1, "mallory", "Reopening, I disagree.");
    h.click(&value, "dispatch_no", "U012ABCDEF").await;
    assert!(h.fakes.pagerduty.incidents().is_empty());
    assert!(h.responses()[1]["text"].as_str().unwrap().contains("was already answered yes"));
}

#[tokio::test]
async fn a_claim_left_behind_by_a_failed_withdrawal_expires() {
    let h = harness().await;
    let value = h.alarm(&json(SELF_SERVICE)).await;
    h.fakes.github.fail(GitHubRoute::Update, Fault::Status(502), 2);
    h.fakes.github.fail(GitHubRoute::DeleteComment, Fault::Status(502), 2);
    h.click(&value, "dispatch_yes", "U012ABCDEF").await;
    assert!(h.responses()[0]["text"].as_str().unwrap().starts_with("Error:"));
    assert!(h.issue(1).comments.iter().any(|c| c.contains("<!-- dispatch:answer ")), "the claim stayed");

    // While the failed click's claim could still be in flight, it stands...
    h.click_at(&value, "dispatch_no", "U012ABCDEF", now() + chrono::Duration::seconds(20)).await;
    assert!(h.fakes.pagerduty.incidents().is_empty());
    // ...a minute later it has expired, and the user's answer acts.
    h.click_at(&value, "dispatch_no", "U012ABCDEF", now() + chrono::Duration::seconds(61)).await;
    assert_eq!(h.fakes.pagerduty.incidents().len(), 1, "the No paged once the stale claim expired");
    let escalated = h.responses().last().unwrap().clone();
    assert!(escalated["text"].as_str().unwrap().starts_with("Dispatch alert escalated"), "{escalated}");
}

#[tokio::test]
async fn a_confirmed_answer_does_not_expire() {
    let h = harness().await;
    let value = h.alarm(&json(SELF_SERVICE)).await;
    h.click(&value, "dispatch_no", "U012ABCDEF").await;
    h.click_at(&value, "dispatch_yes", "U012ABCDEF", now() + chrono::Duration::hours(2)).await;
    assert_eq!(h.issue(1).state, "open", "the escalated alarm stays answered");
    assert!(h.responses()[1]["text"].as_str().unwrap().contains("was already answered no"));
}

#[tokio::test]
async fn a_no_whose_github_read_fails_says_the_page_failed_not_the_close() {
    let h = harness().await;
    let value = h.alarm(&json(SELF_SERVICE)).await;
    h.fakes.github.fail(GitHubRoute::Get, Fault::Status(502), 2);
    h.click(&value, "dispatch_no", "U012ABCDEF").await;
    assert_eq!(
        h.responses()[0]["text"],
        "Error: dispatch ss-2fa-disabled-0001 failed to create PagerDuty incident, GitHub is not responding; please click again in a minute"
    );
}

#[tokio::test]
async fn a_click_whose_withdrawal_hangs_is_still_answered_within_three_seconds() {
    let h = harness().await;
    let value = h.alarm(&json(SELF_SERVICE)).await;
    h.fakes.github.fail(GitHubRoute::Update, Fault::Hang(Duration::from_secs(10)), 2);
    h.fakes.github.fail(GitHubRoute::DeleteComment, Fault::Hang(Duration::from_secs(10)), 2);
    let started = Instant::now();
    let response = h.click(&value, "dispatch_yes", "U012ABCDEF").await;
    let took = started.elapsed();
    assert_eq!(response.status, 200);
    assert!(took < Duration::from_secs(3), "answered after {took:?}");
    assert!(h.responses()[0]["text"].as_str().unwrap().starts_with("Error:"), "the user was told");
}

#[tokio::test]
async fn a_response_url_that_is_not_slacks_is_never_followed() {
    let h = harness().await;
    let value = h.alarm(&json(SELF_SERVICE)).await;
    let before = h.fakes.github.requests().len();
    for url in
        ["https://attacker.example/steal", "http://hooks.slack.com/actions/T1/1/x", "https://hooks.slack.com.evil/x"]
    {
        let mut payload = block_actions(&value, "dispatch_yes", "U012ABCDEF", url);
        payload["response_url"] = json!(url);
        assert_eq!(h.send(&payload, now()).await.status, 400, "{url}");
    }
    assert_eq!(h.fakes.github.requests().len(), before, "nothing was acted on");
    assert_eq!(h.issue(1).state, "open");
}

#[tokio::test]
async fn the_response_url_stays_out_of_logs_and_errors() {
    let (captured, _guard) = crate::support::capture_logs();
    let h = harness().await;
    let value = h.alarm(&json(SELF_SERVICE)).await;
    h.fakes.slack.fail(dispatch_fakes::SlackRoute::Respond, Fault::Hang(Duration::from_secs(5)), 1);
    h.click(&value, "dispatch_yes", "U012ABCDEF").await;
    let secret_path = "/response/click";
    let logs = captured.text();
    assert!(logs.contains("could not answer through response_url"), "the failure was logged");
    assert!(!logs.contains(secret_path), "a log line holds the response_url's path");
}

#[tokio::test]
async fn a_node_era_no_whose_value_is_its_response_text_pages() {
    let h = harness_with(true).await;
    h.fakes.github.add_issue(REPO, "legacy alarm", "from the Node version", true);
    let callback_id = legacy_callback_id(json!(1), "abc123def456");
    let mut payload = legacy_click(&callback_id, "no", &h.fakes.slack.response_url("legacy"));
    payload["actions"][0]["value"] = json!("Yes, the security team will contact you.");
    let request = dispatch_core::triage::event::HttpRequest {
        shape: dispatch_core::triage::event::Shape::RestProxy,
        headers: Default::default(),
        body: form(&payload).into_bytes(),
    };
    assert_eq!(h.triage.handle(&request, now()).await.status, 200);
    assert_eq!(h.fakes.pagerduty.incidents().len(), 1);
    assert_eq!(h.issue(1).state, "open");
}

#[tokio::test]
async fn a_prompt_sent_to_a_channel_is_answered_by_a_member_there_and_records_who() {
    let h = harness().await;
    let mut message = json(SELF_SERVICE);
    message["users"][0]["slackId"] = json!("C0SECOPS");
    let value = h.alarm(&message).await;
    assert_eq!(h.fakes.slack.messages().last().unwrap().channel, "C0SECOPS", "posted with its buttons");

    // The same buttons, clicked from somewhere else (a forwarded or shared copy): refused.
    let mut elsewhere = block_actions(&value, "dispatch_yes", "U0BOB", &h.fakes.slack.response_url("x"));
    elsewhere["user"]["username"] = json!("bob");
    assert_eq!(h.send(&elsewhere, now()).await.status, 200);
    assert_eq!(h.issue(1).state, "open");
    assert!(h.responses()[0]["text"].as_str().unwrap().contains("Only members of <#C0SECOPS>"));

    // In the channel, any member may answer; the issue records who did.
    let mut there = elsewhere.clone();
    there["channel"] = json!({ "id": "C0SECOPS", "name": "secops" });
    there["container"]["channel_id"] = json!("C0SECOPS");
    h.send(&there, now()).await;
    let issue = h.issue(1);
    assert_eq!(issue.state, "closed");
    assert!(issue.comments.iter().any(|c| c.contains("**bob** (`U0BOB`) answered **yes**")), "{:?}", issue.comments);
}

#[tokio::test]
async fn a_click_echoing_a_long_non_ascii_alarm_is_answered() {
    let h = harness().await;
    let mut message = json(SELF_SERVICE);
    message["body"]["slack"]["message"] = json!("🔥🚨".repeat(5_000));
    h.alarm(&message).await;
    let posted = h.fakes.slack.messages().pop().unwrap();
    // Slack's payload carries the whole message the button is on: text and blocks.
    let payload = h.fakes.slack.block_actions_payload(&posted, "dispatch_no", "U012ABCDEF", "alice");
    let body = dispatch_fakes::support::form_body(&payload);
    assert!(body.len() > 64 * 1024, "a realistic click is larger than the old cap: {} bytes", body.len());
    let response = h.triage.handle(&signed(&body, now().timestamp()), now()).await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(h.fakes.pagerduty.incidents().len(), 1, "the No paged");
}
