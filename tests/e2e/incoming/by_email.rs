//! Users known by email only (`users[].email`): found with `users.lookupByEmail` when the message is
//! delivered, once per address per invocation, against the fake Slack over real HTTP.

use dispatch_core::incoming::{AlarmError, SlackResult};
use dispatch_fakes::{Fault, SlackRoute};
use serde_json::{Value, json};

use super::harness::*;

const DAVE: &str = "U078STUVWX";

fn broadcast_to(users: Value) -> Value {
    with(json(BROADCAST), "/users", users)
}

fn self_service_for(user: Value) -> Value {
    with(json(SELF_SERVICE), "/users", json!([user]))
}

/// The texts posted to the default channel.
fn default_channel_texts(h: &Harness) -> Vec<String> {
    h.dms(DEFAULT_CHANNEL).into_iter().map(|p| p.text).collect()
}

#[tokio::test]
async fn a_user_found_by_email_gets_the_dm_at_the_id_slack_returns() {
    let h = harness().await;
    let report = h.run("e-found", &json(BROADCAST)).await.unwrap();

    let dms = h.dms(CAROL);
    assert_eq!(dms.len(), 1, "carol is reached at the id Slack gave for carol@example.com");
    assert!(dms[0].text.starts_with("Heads up: phishing emails"));
    assert!(h.dms(DEFAULT_CHANNEL).is_empty(), "no fallback and no notice: {:?}", default_channel_texts(&h));
    assert_eq!(h.fakes.slack.lookups(), ["carol@example.com"]);
    let carol = &report.slack[2];
    assert_eq!(carol.delivery.channel().map(|c| c.as_str()), Some(CAROL));
    assert!(matches!(carol.result, SlackResult::Sent(_)));
    assert_eq!(report.slack[3].result, SlackResult::NotNeeded, "the notice for carol is not needed");
    let record = h.issues()[0].comments.last().cloned().unwrap();
    assert!(record.contains("- message to carol\\@example.com (`U056MNOPQR`): sent"), "{record}");
    assert!(record.ends_with("<!-- dispatch:delivered event=e-found sent=0,1,2,3 -->"), "{record}");
}

#[tokio::test]
async fn a_slack_id_wins_over_an_email() {
    let h = harness().await;
    let user = json!({ "slackId": "U012ABCDEF", "email": "carol@example.com", "slack": "alice" });
    h.run("e-wins", &broadcast_to(json!([user]))).await.unwrap();

    assert_eq!(h.dms("U012ABCDEF").len(), 1);
    assert!(h.dms(CAROL).is_empty());
    assert!(h.fakes.slack.lookups().is_empty(), "nothing is looked up");
}

#[tokio::test]
async fn an_address_slack_does_not_know_goes_to_the_default_channel_with_a_notice_naming_it() {
    let h = harness().await;
    let users =
        json!([{ "slackId": "U012ABCDEF", "slack": "alice" }, { "email": "erin@example.com", "github": "erin" }]);
    let report = h.run("e-unknown", &broadcast_to(users)).await.unwrap();

    assert_eq!(h.dms("U012ABCDEF").len(), 1, "the other user still gets the DM");
    let texts = default_channel_texts(&h);
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(texts[0].starts_with("Heads up: phishing emails"), "the message first: {texts:?}");
    assert!(texts[1].contains("erin@example.com") && texts[1].contains("no Slack user has this address"), "{texts:?}");
    assert!(report.slack.iter().all(|s| matches!(s.result, SlackResult::Sent(_))));
    let record = h.issues()[0].comments.last().cloned().unwrap();
    assert!(record.contains("- email not found notice to erin\\@example.com (`security-alerts`): sent"), "{record}");
}

#[tokio::test]
async fn a_deactivated_account_or_a_bot_goes_to_the_default_channel_with_a_notice() {
    let h = harness().await;
    h.fakes.slack.add_deactivated_user("gone@example.com", "U0GONE0001");
    h.fakes.slack.add_bot("robot@example.com", "U0ROBOT001");
    let users = json!([{ "email": "gone@example.com" }, { "email": "robot@example.com" }]);
    h.run("e-inactive", &broadcast_to(users)).await.unwrap();

    assert!(h.dms("U0GONE0001").is_empty() && h.dms("U0ROBOT001").is_empty(), "neither is messaged");
    let texts = default_channel_texts(&h);
    assert_eq!(texts.len(), 4, "{texts:?}");
    assert!(texts[1].contains("gone@example.com (its Slack account is deactivated)"), "{texts:?}");
    assert!(texts[3].contains("robot@example.com (it belongs to a bot)"), "{texts:?}");
}

#[tokio::test]
async fn the_same_address_used_twice_is_looked_up_once() {
    let h = harness().await;
    let users = json!([
        { "email": "carol@example.com", "slack": "carol" },
        { "email": "Carol@Example.com", "slack": "carol again" },
        { "email": "erin@example.com" },
        { "email": "erin@example.com" }
    ]);
    h.run("e-twice", &broadcast_to(users)).await.unwrap();

    let mut looked_up: Vec<String> = h.fakes.slack.lookups().iter().map(|e| e.to_lowercase()).collect();
    looked_up.sort();
    assert_eq!(looked_up, ["carol@example.com", "erin@example.com"], "one lookup per address");
    assert_eq!(h.dms(CAROL).len(), 2, "both entries are delivered");
}

#[tokio::test]
async fn a_rate_limited_lookup_is_waited_out() {
    let h = harness().await;
    h.fakes.slack.fail(SlackRoute::LookupByEmail, Fault::slack_rate_limited(1), 1);
    let started = std::time::Instant::now();
    h.run("e-limited", &json(BROADCAST)).await.unwrap();

    assert!(started.elapsed() >= std::time::Duration::from_secs(1), "Retry-After was honoured");
    assert_eq!(h.dms(CAROL).len(), 1);
    assert!(h.dms(DEFAULT_CHANNEL).is_empty());
}

#[tokio::test]
async fn a_lookup_500_fails_the_invocation_and_the_retry_delivers_once() {
    let h = harness().await;
    h.fakes.slack.fail(SlackRoute::LookupByEmail, Fault::Status(500), 10);
    let error = h.run("e-500", &json(BROADCAST)).await.unwrap_err();

    let AlarmError::Undelivered { failed, report } = &error else { panic!("{error}") };
    assert!(failed.iter().all(|f| f == "carol@example.com: unavailable"), "{failed:?}");
    assert!(!error.is_permanent());
    assert_eq!(report.slack.iter().filter(|s| matches!(s.result, SlackResult::Sent(_))).count(), 2);
    assert!(h.dms(CAROL).is_empty());
    assert!(
        default_channel_texts(&h).iter().all(|t| !t.starts_with("Heads up")),
        "no fallback for a lookup that failed"
    );
    let record = h.issues()[0].comments.last().cloned().unwrap();
    assert!(record.contains("carol\\@example.com (`users.lookupByEmail`): **failed** (`unavailable`)"), "{record}");

    h.fakes.slack.heal();
    h.run("e-500", &json(BROADCAST)).await.unwrap();
    assert_eq!(h.dms(CAROL).len(), 1, "the retry reaches carol");
    assert_eq!(h.dms("U012ABCDEF").len(), 1, "alice is not messaged twice");
    assert_eq!(h.dms("U034GHIJKL").len(), 1, "bob is not messaged twice");
    assert!(default_channel_texts(&h).iter().all(|t| !t.contains("no Slack user to message")));
}

#[tokio::test]
async fn self_service_by_email_gets_buttons_whose_intended_user_is_the_looked_up_id() {
    let h = harness().await;
    h.fakes.slack.add_user("dave@example.com", DAVE);
    let report = h.run("e-ss-email", &self_service_for(json!({ "email": "dave@example.com", "github": "dave" }))).await;
    report.unwrap();

    let dms = h.dms(DAVE);
    assert_eq!(dms.len(), 1);
    assert!(has_buttons(&dms[0]), "a prompt to a user found by email has its buttons");
    assert_eq!(button_callback(&dms[0]).user.as_str(), DAVE, "only dave may answer");
    assert!(h.dms(DEFAULT_CHANNEL).is_empty());
}

#[tokio::test]
async fn self_service_for_an_address_slack_does_not_know_is_posted_without_buttons() {
    let h = harness().await;
    h.run("e-ss-unknown", &self_service_for(json!({ "email": "erin@example.com" }))).await.unwrap();

    let posted = h.dms(DEFAULT_CHANNEL);
    assert_eq!(posted.len(), 2);
    assert!(!has_buttons(&posted[0]), "nobody in a shared channel answers for erin");
    assert!(posted[1].text.contains("erin@example.com"));
}

#[tokio::test]
async fn a_lookup_slack_refuses_for_a_missing_scope_still_reaches_the_default_channel_naming_the_reason() {
    let h = harness().await;
    h.fakes.slack.fail(SlackRoute::LookupByEmail, Fault::SlackError("missing_scope".into()), 1);
    h.run("e-scope", &json(BROADCAST)).await.unwrap();

    let texts = default_channel_texts(&h);
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(texts[1].contains("carol@example.com (Slack refused the lookup: missing_scope)"), "{texts:?}");
}
