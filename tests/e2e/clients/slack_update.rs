//! `chat.update` and thread replies over real HTTP: the bodies Slack documents, the DM's `D…` id a
//! post answers with (the only id an update finds it by), permanent refusals not retried, rate
//! limits waited out and 5xx retried within the deadline; against wiremock and the fake Slack.

use std::time::{Duration, Instant};

use dispatch_core::compose;
use dispatch_core::ids::SlackChannel;
use dispatch_core::slack::{Posted, Slack, SlackError, SlackMessage};
use dispatch_fakes::{FakeSlack, Fault, SlackRoute};
use secrecy::SecretString;
use serde_json::json;
use wiremock::matchers::{any, body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::helpers::{catch_all, deadline, policy, url};

use crate::support::mocks::once_then;

const TOKEN: &str = "xoxb-test";
const USER: &str = "U012ABCDEF";

fn slack(base: &url::Url, token: Option<&str>) -> Slack {
    let http = dispatch_core::http::client(Duration::from_millis(500)).unwrap();
    Slack::new(http, base, token.map(|t| SecretString::from(t.to_owned())), policy())
}

/// The client against the fake Slack.
fn client(fake: &FakeSlack) -> Slack {
    slack(&url::Url::parse(&fake.url()).unwrap(), Some(TOKEN))
}

/// The alarm as first posted: a section and Yes/No buttons.
fn prompt() -> SlackMessage {
    let prompt = dispatch_core::message::Prompt {
        message: "disk full on db-1".into(),
        prompt: "Was it you?".into(),
        yes: "Yes".into(),
        no: "No".into(),
        yes_response: None,
        no_response: None,
    };
    compose::self_service_prompt(&prompt, "https://github.com/acme/audit/issues/4", 4, "{\"v\":1}")
}

/// The alarm once resolved: text only, no blocks (so no buttons).
fn resolved() -> SlackMessage {
    SlackMessage { text: "Resolved: disk full on db-1".to_owned(), blocks: Vec::new() }
}

fn update() -> wiremock::MockBuilder {
    Mock::given(method("POST")).and(path("/chat.update"))
}

fn post_message() -> wiremock::MockBuilder {
    Mock::given(method("POST")).and(path("/chat.postMessage"))
}

fn updated_reply() -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(json!({ "ok": true, "channel": "D012ABCDEF", "ts": "1764200000.000100", "text": "x" }))
}

/// Posts the prompt to [`USER`] through the client; what Slack answered.
async fn post_prompt(fake: &FakeSlack) -> Posted {
    client(fake).post_message(&SlackChannel::parse(USER).unwrap(), &prompt(), deadline()).await.unwrap()
}

/// How many requests the fake got for Web API `method`.
fn calls(fake: &FakeSlack, method: &str) -> usize {
    fake.requests().iter().filter(|r| r.path.ends_with(method)).count()
}

#[tokio::test]
async fn an_update_sends_channel_ts_text_and_an_empty_blocks_list_with_the_bot_token() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    update()
        .and(header("authorization", "Bearer xoxb-test"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "channel": "D012ABCDEF",
            "ts": "1764200000.000100",
            "text": "Resolved: disk full on db-1",
            "blocks": [],
        })))
        .respond_with(updated_reply())
        .expect(1)
        .mount(&server)
        .await;

    let result = slack(&url(&server), Some(TOKEN))
        .update_message("D012ABCDEF", "1764200000.000100", &resolved(), deadline())
        .await;

    assert_eq!(result, Ok(()));
}

#[tokio::test]
async fn a_dm_posted_to_a_user_id_answers_its_d_id_and_an_update_by_that_id_removes_the_buttons() {
    let fake = FakeSlack::start().await.unwrap();
    let posted = post_prompt(&fake).await;

    let result = client(&fake).update_message(&posted.channel, &posted.ts, &resolved(), deadline()).await;

    assert_eq!(posted.channel, "D012ABCDEF", "post_message returns the conversation Slack answered");
    assert_eq!(result, Ok(()));
    let now = fake.message(&posted.channel, &posted.ts).unwrap();
    assert_eq!((now.text.as_str(), &now.blocks), ("Resolved: disk full on db-1", &json!([])));
    assert_eq!(now.revisions.len(), 1);
    assert_eq!(now.revisions[0].blocks, serde_json::to_value(&prompt().blocks).unwrap());
    let updates = fake.updates();
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].blocks, Some(json!([])), "the empty list is sent, not left out");
}

#[tokio::test]
async fn an_update_by_user_id_of_an_unknown_message_or_of_someone_elses_is_a_permanent_api_error_sent_once() {
    let fake = FakeSlack::start().await.unwrap();
    let posted = post_prompt(&fake).await;
    let theirs = fake.add_message_by("U0OTHER001", "C0ALERTS01", "hello");
    let slack = client(&fake);

    let by_user_id = slack.update_message(USER, &posted.ts, &resolved(), deadline()).await;
    let unknown = slack.update_message(&posted.channel, "1764200000.999999", &resolved(), deadline()).await;
    let not_ours = slack.update_message("C0ALERTS01", &theirs.ts, &resolved(), deadline()).await;

    for (result, code) in
        [(by_user_id, "channel_not_found"), (unknown, "message_not_found"), (not_ours, "cant_update_message")]
    {
        let error = result.unwrap_err();
        assert_eq!(error, SlackError::Api(code.to_owned()));
        assert!(!error.is_retryable(), "{code}");
    }
    assert_eq!(calls(&fake, "/chat.update"), 3, "each refusal was sent once");
    assert!(fake.updates().is_empty());
}

#[tokio::test]
async fn an_update_whose_blocks_slack_refuses_is_invalid_blocks_and_leaves_the_message_as_it_was() {
    let fake = FakeSlack::start().await.unwrap();
    let posted = post_prompt(&fake).await;
    let empty_section = SlackMessage {
        text: "Resolved".to_owned(),
        blocks: vec![json!({ "type": "section", "text": { "type": "mrkdwn", "text": "" } })],
    };

    let error =
        client(&fake).update_message(&posted.channel, &posted.ts, &empty_section, deadline()).await.unwrap_err();

    assert_eq!(error, SlackError::Api("invalid_blocks".to_owned()));
    assert_eq!(fake.message(&posted.channel, &posted.ts).unwrap().text, prompt().text);
}

#[tokio::test]
async fn an_update_answered_429_is_waited_out_for_its_retry_after_then_succeeds() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    once_then(&server, update, ResponseTemplate::new(429).insert_header("Retry-After", "1"), updated_reply()).await;

    let started = Instant::now();
    let result = slack(&url(&server), Some(TOKEN))
        .update_message("D012ABCDEF", "1764200000.000100", &resolved(), deadline())
        .await;

    assert_eq!(result, Ok(()));
    assert!(started.elapsed() >= Duration::from_millis(950), "the Retry-After wait was not honoured");
}

#[tokio::test]
async fn an_update_the_fake_answers_ratelimited_then_500_is_waited_out_retried_and_applied_once() {
    let fake = FakeSlack::start().await.unwrap();
    let posted = post_prompt(&fake).await;
    fake.fail(SlackRoute::UpdateIn(posted.channel.clone()), Fault::SlackError("ratelimited".into()), 1);
    fake.fail(SlackRoute::Update, Fault::Status(500), 1);

    let result = client(&fake).update_message(&posted.channel, &posted.ts, &resolved(), deadline()).await;

    assert_eq!(result, Ok(()));
    assert_eq!(calls(&fake, "/chat.update"), 3);
    assert_eq!(fake.updates().len(), 1);
}

#[tokio::test]
async fn an_update_failing_with_5xx_on_every_attempt_is_retried_up_to_the_policy_then_transient() {
    let fake = FakeSlack::start().await.unwrap();
    let posted = post_prompt(&fake).await;
    fake.fail(SlackRoute::Update, Fault::Status(503), 10);

    let error = client(&fake).update_message(&posted.channel, &posted.ts, &resolved(), deadline()).await.unwrap_err();

    assert!(matches!(error, SlackError::Transient(_)), "{error:?}");
    assert!(error.is_retryable());
    assert_eq!(calls(&fake, "/chat.update"), policy().attempts as usize);
    assert_eq!(fake.message(&posted.channel, &posted.ts).unwrap().text, prompt().text);
}

#[tokio::test]
async fn without_a_token_an_update_fails_with_no_token_and_sends_nothing() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(any()).respond_with(updated_reply()).expect(0).mount(&server).await;

    let error = slack(&url(&server), None).update_message("D1", "1.2", &resolved(), deadline()).await.unwrap_err();

    assert_eq!(error, SlackError::NoToken);
}

#[tokio::test]
async fn a_reply_is_a_post_with_thread_ts_and_returns_the_conversation_and_its_own_ts() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let message = compose::text_message("Resolved at 10:02");
    post_message()
        .and(header("authorization", "Bearer xoxb-test"))
        .and(body_json(json!({
            "channel": "D012ABCDEF",
            "thread_ts": "1764200000.000100",
            "text": "Resolved at 10:02",
            "blocks": message.blocks,
            "unfurl_links": false,
        })))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "ok": true, "channel": "D012ABCDEF", "ts": "1764200000.000200" })),
        )
        .expect(1)
        .mount(&server)
        .await;

    let posted =
        slack(&url(&server), Some(TOKEN)).post_reply("D012ABCDEF", "1764200000.000100", &message, deadline()).await;

    assert_eq!(posted, Ok(Posted { channel: "D012ABCDEF".to_owned(), ts: "1764200000.000200".to_owned() }));
}

#[tokio::test]
async fn a_reply_lands_in_the_thread_of_the_posted_message_and_a_reply_to_no_message_is_thread_not_found() {
    let fake = FakeSlack::start().await.unwrap();
    let posted = post_prompt(&fake).await;
    let slack = client(&fake);
    let note = compose::text_message("Resolved at 10:02");

    let reply = slack.post_reply(&posted.channel, &posted.ts, &note, deadline()).await.unwrap();
    let nowhere = slack.post_reply(&posted.channel, "1764200000.999999", &note, deadline()).await.unwrap_err();

    assert_eq!(reply.channel, posted.channel);
    assert_ne!(reply.ts, posted.ts);
    let replies = fake.replies(&posted.channel, &posted.ts);
    assert_eq!(replies.len(), 1);
    assert_eq!((replies[0].ts.as_str(), replies[0].text.as_str()), (reply.ts.as_str(), "Resolved at 10:02"));
    assert_eq!(nowhere, SlackError::Api("thread_not_found".to_owned()));
    assert!(!nowhere.is_retryable());
}

#[tokio::test]
async fn a_reply_whose_thread_ts_is_not_a_slack_timestamp_is_refused_without_a_request() {
    let fake = FakeSlack::start().await.unwrap();
    let slack = client(&fake);

    for thread_ts in ["", "0", "1764200000", "1764200000.000100\"", "../chat.delete"] {
        let error = slack.post_reply("D012ABCDEF", thread_ts, &resolved(), deadline()).await.unwrap_err();
        assert!(matches!(error, SlackError::Invalid(_)), "{thread_ts:?}: {error:?}");
        assert!(!error.is_retryable());
    }
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn a_reply_answered_429_then_500_is_waited_out_and_retried_and_posted_once() {
    let fake = FakeSlack::start().await.unwrap();
    let posted = post_prompt(&fake).await;
    fake.fail(SlackRoute::Reply, Fault::slack_rate_limited(1), 1);
    fake.fail(SlackRoute::Reply, Fault::Status(502), 1);

    let started = Instant::now();
    let reply = client(&fake).post_reply(&posted.channel, &posted.ts, &resolved(), deadline()).await;

    assert!(reply.is_ok(), "{reply:?}");
    assert!(started.elapsed() >= Duration::from_millis(950), "the Retry-After wait was not honoured");
    assert_eq!(calls(&fake, "/chat.postMessage"), 4, "the prompt, then three tries of the reply");
    assert_eq!(fake.replies(&posted.channel, &posted.ts).len(), 1);
}
