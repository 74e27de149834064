//! The Slack client over real HTTP: `chat.postMessage` with the bot token, `ok:false` codes, rate
//! limits waited out within the deadline, retries of transient failures, and `response_url` posts.

use std::time::{Duration, Instant};

use dispatch_core::compose;
use dispatch_core::deadline::Deadline;
use dispatch_core::ids::SlackChannel;
use dispatch_core::message::Prompt;
use dispatch_core::slack::{Posted, Slack, SlackError, SlackMessage};
use secrecy::SecretString;
use serde_json::{Value, json};
use wiremock::matchers::{any, body_json, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::helpers::{catch_all, deadline, policy, url};

use crate::support::mocks::once_then;

const TOKEN: &str = "xoxb-test";

fn slack(server_url: &url::Url, token: Option<&str>) -> Slack {
    let http = dispatch_core::http::client(Duration::from_millis(500)).unwrap();
    Slack::new(http, server_url, token.map(|t| SecretString::from(t.to_owned())), policy())
}

fn channel() -> SlackChannel {
    SlackChannel::parse("U012ABCDEF").unwrap()
}

fn message() -> SlackMessage {
    compose::text_message("disk full on db-1")
}

fn ok_reply() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({ "ok": true, "channel": "D123", "ts": "1.2" }))
}

fn posted() -> Posted {
    Posted { channel: "D123".to_owned(), ts: "1.2".to_owned() }
}

fn post_message() -> wiremock::MockBuilder {
    Mock::given(method("POST")).and(path("/chat.postMessage"))
}

#[tokio::test]
async fn a_message_is_posted_with_the_bot_token_user_agent_and_exact_body_and_returns_channel_and_ts() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let message = message();
    let expected_body = json!({
        "channel": "U012ABCDEF",
        "text": "disk full on db-1",
        "blocks": message.blocks,
        "unfurl_links": false,
    });
    post_message()
        .and(header("authorization", "Bearer xoxb-test"))
        .and(header("user-agent", dispatch_core::http::USER_AGENT))
        .and(header("content-type", "application/json"))
        .and(body_json(&expected_body))
        .respond_with(ok_reply())
        .expect(1)
        .mount(&server)
        .await;

    let posted_message = slack(&url(&server), Some(TOKEN)).post_message(&channel(), &message, deadline()).await;

    assert_eq!(posted_message, Ok(posted()));
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    let body: Value = requests[0].body_json().unwrap();
    assert!(body.get("as_user").is_none(), "as_user is legacy and must not be sent: {body}");
}

#[tokio::test]
async fn a_base_url_with_a_path_prefix_posts_under_that_prefix() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/api/chat.postMessage"))
        .respond_with(ok_reply())
        .expect(1)
        .mount(&server)
        .await;
    let base = url::Url::parse(&format!("{}/api", server.uri())).unwrap();

    let result = slack(&base, Some(TOKEN)).post_message(&channel(), &message(), deadline()).await;

    assert_eq!(result, Ok(posted()));
}

#[tokio::test]
async fn an_ok_false_reply_is_an_api_error_with_slacks_code_and_is_not_retried() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    post_message()
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "ok": false, "error": "channel_not_found" })))
        .expect(1)
        .mount(&server)
        .await;

    let error = slack(&url(&server), Some(TOKEN)).post_message(&channel(), &message(), deadline()).await.unwrap_err();

    assert_eq!(error, SlackError::Api("channel_not_found".to_owned()));
    assert_eq!(error.code(), "channel_not_found");
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn an_ok_false_ratelimited_reply_is_waited_out_for_its_retry_after_then_the_post_succeeds() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    once_then(
        &server,
        post_message,
        ResponseTemplate::new(200)
            .insert_header("Retry-After", "1")
            .set_body_json(json!({ "ok": false, "error": "ratelimited" })),
        ok_reply(),
    )
    .await;

    assert_posted_after_waiting(&server).await;
}

#[tokio::test]
async fn a_429_is_waited_out_for_its_retry_after_then_the_post_succeeds() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    once_then(&server, post_message, ResponseTemplate::new(429).insert_header("Retry-After", "1"), ok_reply()).await;

    assert_posted_after_waiting(&server).await;
}

#[tokio::test]
async fn a_429_asking_for_longer_than_the_deadline_leaves_gives_up_at_once_as_rate_limited() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    post_message()
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "30"))
        .expect(1)
        .mount(&server)
        .await;

    let started = Instant::now();
    let error = slack(&url(&server), Some(TOKEN))
        .post_message(&channel(), &message(), Deadline::after(Duration::from_secs(2)))
        .await
        .unwrap_err();
    let elapsed = started.elapsed();

    assert_eq!(error, SlackError::RateLimited(Some(Duration::from_secs(30))));
    assert!(error.is_retryable());
    assert_eq!(error.code(), "ratelimited");
    assert!(elapsed < Duration::from_secs(1), "gave up only after {elapsed:?}");
}

#[tokio::test]
async fn a_server_error_on_every_attempt_is_retried_up_to_the_policy_then_reported_as_transient() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    post_message().respond_with(ResponseTemplate::new(500)).expect(u64::from(policy().attempts)).mount(&server).await;

    let error = slack(&url(&server), Some(TOKEN)).post_message(&channel(), &message(), deadline()).await.unwrap_err();

    assert!(matches!(error, SlackError::Transient(_)), "{error:?}");
    assert!(error.is_retryable());
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn a_refused_token_is_unauthorized_and_is_not_retried() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    post_message()
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "ok": false, "error": "invalid_auth" })))
        .expect(1)
        .mount(&server)
        .await;

    let error = slack(&url(&server), Some(TOKEN)).post_message(&channel(), &message(), deadline()).await.unwrap_err();

    assert_eq!(error, SlackError::Unauthorized("invalid_auth".to_owned()));
    assert!(!error.is_retryable());
    assert!(!format!("{error:?}{error}").contains(TOKEN));
}

#[tokio::test]
async fn a_server_slower_than_the_request_timeout_is_a_transient_failure_within_a_bounded_time() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    post_message()
        .respond_with(ok_reply().set_delay(Duration::from_secs(3)))
        .expect(u64::from(policy().attempts))
        .mount(&server)
        .await;

    let started = Instant::now();
    let error = slack(&url(&server), Some(TOKEN)).post_message(&channel(), &message(), deadline()).await.unwrap_err();
    let elapsed = started.elapsed();

    assert!(matches!(error, SlackError::Transient(_)), "{error:?}");
    // Three attempts of at most 500 ms each plus two short backoffs, far below the 3 s delay.
    assert!(elapsed < Duration::from_millis(2500), "took {elapsed:?}");
}

#[tokio::test]
async fn without_a_token_post_message_fails_with_no_token_and_sends_nothing() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(any()).respond_with(ok_reply()).expect(0).mount(&server).await;

    let error = slack(&url(&server), None).post_message(&channel(), &message(), deadline()).await.unwrap_err();

    assert_eq!(error, SlackError::NoToken);
    assert_eq!(error.code(), "no_token");
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn respond_posts_the_body_to_the_response_url_without_the_bot_token_and_accepts_a_plain_ok() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let body = compose::ephemeral("Thanks, noted.");
    Mock::given(method("POST"))
        .and(path("/actions/T1/123/abc"))
        .and(|request: &Request| !request.headers.contains_key("authorization"))
        .and(body_json(&body))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .expect(1)
        .mount(&server)
        .await;
    let response_url = url::Url::parse(&format!("{}/actions/T1/123/abc", server.uri())).unwrap();

    let result = slack(&url(&server), Some(TOKEN)).respond(&response_url, &body, deadline()).await;

    assert_eq!(result, Ok(()));
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    assert!(requests[0].headers.get("authorization").is_none(), "the bot token leaked to the response_url");
}

#[tokio::test]
async fn a_self_service_prompt_arrives_with_a_primary_yes_and_a_danger_no_button() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    post_message().respond_with(ok_reply()).expect(1).mount(&server).await;
    let prompt = Prompt {
        message: "2FA disabled".into(),
        prompt: "Was it you?".into(),
        yes: "Yes".into(),
        no: "No".into(),
        yes_response: None,
        no_response: None,
    };
    let message = compose::self_service_prompt(&prompt, "https://github.com/acme/audit/issues/4", 4, "{\"v\":1}");

    let result = slack(&url(&server), Some(TOKEN)).post_message(&channel(), &message, deadline()).await;

    assert_eq!(result, Ok(posted()));
    let requests = server.received_requests().await.unwrap();
    let body: Value = requests[0].body_json().unwrap();
    let buttons = &body["blocks"][3]["elements"];
    assert_eq!(body["blocks"][3]["type"], "actions");
    assert_eq!(buttons[0]["style"], "primary");
    assert_eq!(buttons[0]["action_id"], compose::YES_ACTION);
    assert_eq!(buttons[0]["action_id"], "dispatch_yes");
    assert_eq!(buttons[1]["style"], "danger");
    assert_eq!(buttons[1]["action_id"], "dispatch_no");
    assert_eq!(buttons[0]["value"], "{\"v\":1}");
    assert_eq!(body["text"], "2FA disabled\nhttps://github.com/acme/audit/issues/4\nWas it you?");
}

#[tokio::test]
async fn a_message_with_an_empty_section_is_refused_by_slack_as_invalid_blocks_and_is_not_retried() {
    let fake = dispatch_fakes::FakeSlack::start().await.unwrap();
    let base = url::Url::parse(&fake.url()).unwrap();
    let message = SlackMessage {
        text: "disk full on db-1".to_owned(),
        blocks: vec![json!({ "type": "section", "text": { "type": "mrkdwn", "text": "" } })],
    };

    let error = slack(&base, Some(TOKEN)).post_message(&channel(), &message, deadline()).await.unwrap_err();

    assert_eq!(error, SlackError::Api("invalid_blocks".to_owned()));
    assert!(!error.is_retryable());
    assert_eq!(fake.requests().iter().filter(|r| r.path.ends_with("/chat.postMessage")).count(), 1, "retried");
    assert!(fake.messages().is_empty());
}

/// The post succeeds on its second request, after the first refusal's Retry-After (1 s).
async fn assert_posted_after_waiting(server: &MockServer) {
    let started = Instant::now();
    let result = slack(&url(server), Some(TOKEN)).post_message(&channel(), &message(), deadline()).await;
    let elapsed = started.elapsed();

    assert_eq!(result, Ok(posted()));
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
    assert!(elapsed >= Duration::from_millis(950), "the Retry-After wait was not honoured: {elapsed:?}");
}
