//! `users.lookupByEmail` over real HTTP: the request Slack documents, the user it answers, "not
//! found" as `None`, rate limits waited out within the deadline; against wiremock and the fake Slack.

use std::time::{Duration, Instant};

use dispatch_core::deadline::Deadline;
use dispatch_core::ids::Email;
use dispatch_core::slack::{Slack, SlackError, SlackUser};
use dispatch_fakes::{FakeSlack, Fault, SlackRoute};
use secrecy::SecretString;
use serde_json::json;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::helpers::{catch_all, deadline, policy, url};

use crate::support::mocks::once_then;

fn slack(base: &url::Url, token: &str) -> Slack {
    let http = dispatch_core::http::client(Duration::from_millis(500)).unwrap();
    Slack::new(http, base, Some(SecretString::from(token.to_owned())), policy())
}

fn email(address: &str) -> Email {
    Email::parse(address).unwrap()
}

fn lookup() -> wiremock::MockBuilder {
    Mock::given(method("GET")).and(path("/users.lookupByEmail"))
}

#[tokio::test]
async fn a_lookup_sends_the_address_with_the_bot_token_and_returns_the_users_id_and_flags() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    lookup()
        .and(query_param("email", "carol+alarms@example.com"))
        .and(header("authorization", "Bearer xoxb-test"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ok": true,
            "user": { "id": "U056MNOPQR", "team_id": "T1", "name": "carol", "deleted": false, "is_bot": false, "tz": "Europe/London", "profile": { "email": "carol+alarms@example.com" } }
        })))
        .expect(1)
        .mount(&server)
        .await;

    let found = slack(&url(&server), "xoxb-test").lookup_by_email(&email("carol+alarms@example.com"), deadline()).await;

    let id = dispatch_core::ids::SlackUserId::parse("U056MNOPQR").unwrap();
    assert_eq!(found, Ok(Some(SlackUser { id, deleted: false, is_bot: false })));
}

#[tokio::test]
async fn users_not_found_is_none_and_is_not_retried() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    lookup()
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "ok": false, "error": "users_not_found" })))
        .expect(1)
        .mount(&server)
        .await;

    let found = slack(&url(&server), "xoxb-test").lookup_by_email(&email("nobody@example.com"), deadline()).await;

    assert_eq!(found, Ok(None));
}

#[tokio::test]
async fn a_missing_scope_is_unauthorized_and_a_500_on_every_attempt_is_transient() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    lookup()
        .and(query_param("email", "scope@example.com"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "ok": false, "error": "missing_scope" })))
        .expect(1)
        .mount(&server)
        .await;
    lookup()
        .and(query_param("email", "down@example.com"))
        .respond_with(ResponseTemplate::new(500))
        .expect(3)
        .mount(&server)
        .await;
    let client = slack(&url(&server), "xoxb-test");

    let scope = client.lookup_by_email(&email("scope@example.com"), deadline()).await;
    let down = client.lookup_by_email(&email("down@example.com"), deadline()).await;

    assert_eq!(scope, Err(SlackError::Unauthorized("missing_scope".into())));
    assert!(matches!(&down, Err(e @ SlackError::Transient(_)) if e.is_retryable()), "{down:?}");
}

#[tokio::test]
async fn a_429_is_waited_out_for_its_retry_after_and_one_past_the_deadline_gives_up_at_once() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    once_then(
        &server,
        lookup,
        ResponseTemplate::new(429).insert_header("retry-after", "1"),
        ResponseTemplate::new(200)
            .set_body_json(json!({ "ok": true, "user": { "id": "U1", "deleted": true, "is_bot": false } })),
    )
    .await;
    let client = slack(&url(&server), "xoxb-test");

    let started = Instant::now();
    let found = client.lookup_by_email(&email("gone@example.com"), deadline()).await.unwrap().unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert!(found.deleted, "a deactivated account is reported as such");

    let limited = MockServer::start().await;
    lookup()
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "30"))
        .expect(1)
        .mount(&limited)
        .await;
    let started = Instant::now();
    let refused = slack(&url(&limited), "xoxb-test")
        .lookup_by_email(&email("a@b.c"), Deadline::after(Duration::from_secs(5)))
        .await;
    assert_eq!(refused, Err(SlackError::RateLimited(Some(Duration::from_secs(30)))));
    assert!(started.elapsed() < Duration::from_secs(2), "no wait that the deadline cannot hold");
}

#[tokio::test]
async fn the_fake_slack_finds_registered_users_deactivated_accounts_and_bots_and_refuses_a_bad_token() {
    let fake = FakeSlack::start().await.unwrap();
    fake.add_user("Carol@Example.com", "U056MNOPQR");
    fake.add_deactivated_user("gone@example.com", "U0GONE0001");
    fake.add_bot("robot@example.com", "U0ROBOT001");
    let base = url::Url::parse(&fake.url()).unwrap();
    let client = slack(&base, "xoxb-test");

    let carol = client.lookup_by_email(&email("carol@example.com"), deadline()).await.unwrap().unwrap();
    let gone = client.lookup_by_email(&email("gone@example.com"), deadline()).await.unwrap().unwrap();
    let robot = client.lookup_by_email(&email("robot@example.com"), deadline()).await.unwrap().unwrap();
    let nobody = client.lookup_by_email(&email("nobody@example.com"), deadline()).await;
    let refused = slack(&base, "not-a-bot-token").lookup_by_email(&email("carol@example.com"), deadline()).await;

    assert_eq!((carol.id.as_str(), carol.deleted, carol.is_bot), ("U056MNOPQR", false, false));
    assert_eq!((gone.deleted, gone.is_bot), (true, false));
    assert_eq!((robot.deleted, robot.is_bot), (false, true));
    assert_eq!(nobody, Ok(None));
    assert_eq!(refused, Err(SlackError::Unauthorized("invalid_auth".into())));
    assert_eq!(fake.lookups().len(), 4, "the refused request is not answered");
}

#[tokio::test]
async fn the_fake_slacks_lookup_route_takes_faults_and_a_rate_limit_is_waited_out() {
    let fake = FakeSlack::start().await.unwrap();
    fake.add_user("carol@example.com", "U056MNOPQR");
    fake.fail(SlackRoute::LookupByEmail, Fault::slack_rate_limited(1), 1);
    let client = slack(&url::Url::parse(&fake.url()).unwrap(), "xoxb-test");

    let started = Instant::now();
    let carol = client.lookup_by_email(&email("carol@example.com"), deadline()).await.unwrap().unwrap();

    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(carol.id.as_str(), "U056MNOPQR");
    fake.fail(SlackRoute::LookupByEmail, Fault::Status(503), 3);
    let down = client.lookup_by_email(&email("carol@example.com"), deadline()).await;
    assert!(matches!(down, Err(SlackError::Transient(_))), "{down:?}");
}
