//! The PagerDuty Events API v2 client over real HTTP: `POST /v2/enqueue` with a typed body, 202 as
//! success, 400 as a permanent failure naming the field, 429 and 5xx retried within the deadline,
//! and the routing key in no error or Debug output. Against wiremock for exact shapes, and against
//! the fake PagerDuty for what PagerDuty refuses.

use std::time::{Duration, Instant};

use dispatch_core::deadline::Deadline;
use dispatch_core::pagerduty::{
    Enqueued, Event, EventLink, EventPayload, PagerDutyError, PagerDutyEvents, RoutingKey, SOURCE, SUMMARY_MAX,
    Severity, summary,
};
use dispatch_fakes::{FakePagerDuty, Fault, PagerDutyRoute};
use secrecy::SecretString;
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::helpers::{catch_all, deadline, policy, url};

use crate::support::mocks::once_then;

pub const ROUTING_KEY: &str = "e93facc04764012d7bfb002500d5d1a6";

fn routing_key() -> RoutingKey {
    RoutingKey::parse(SecretString::from(ROUTING_KEY.to_owned())).unwrap()
}

fn events_at(base: &url::Url) -> PagerDutyEvents {
    let http = dispatch_core::http::client(Duration::from_millis(500)).unwrap();
    PagerDutyEvents::new(http, base, routing_key(), policy())
}

fn events(server: &MockServer) -> PagerDutyEvents {
    events_at(&url(server))
}

fn fake_events(fake: &FakePagerDuty) -> PagerDutyEvents {
    events_at(&url::Url::parse(&fake.url()).unwrap())
}

fn trigger(title: &str, severity: Severity) -> Event {
    Event::Trigger {
        dedup_key: "Root login on prod-db-1".to_owned(),
        payload: EventPayload {
            summary: summary(title),
            source: SOURCE.to_owned(),
            severity,
            custom_details: Some(json!({ "details": "from 203.0.113.7" })),
        },
        links: vec![EventLink {
            href: "https://github.com/acme/dispatch-alarms/issues/7".to_owned(),
            text: "GitHub issue".to_owned(),
        }],
    }
}

fn accepted(key: &str) -> ResponseTemplate {
    ResponseTemplate::new(202)
        .set_body_json(json!({ "status": "success", "message": "Event processed", "dedup_key": key }))
}

fn post_enqueue() -> wiremock::MockBuilder {
    Mock::given(method("POST")).and(path("/v2/enqueue"))
}

#[tokio::test]
async fn a_trigger_is_posted_to_v2_enqueue_with_every_field_and_202_returns_the_dedup_key() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    post_enqueue()
        .and(header("content-type", "application/json"))
        .and(header("user-agent", dispatch_core::http::USER_AGENT))
        .and(body_json(json!({
            "routing_key": ROUTING_KEY,
            "event_action": "trigger",
            "dedup_key": "Root login on prod-db-1",
            "payload": {
                "summary": "Root login on prod-db-1",
                "source": "dispatch",
                "severity": "critical",
                "custom_details": { "details": "from 203.0.113.7" },
            },
            "links": [{ "href": "https://github.com/acme/dispatch-alarms/issues/7", "text": "GitHub issue" }],
        })))
        .respond_with(accepted("Root login on prod-db-1"))
        .expect(1)
        .mount(&server)
        .await;

    let answer = events(&server).enqueue(&trigger("Root login on prod-db-1", Severity::Critical), deadline()).await;

    assert_eq!(answer, Ok(Enqueued { dedup_key: "Root login on prod-db-1".to_owned() }));
}

#[tokio::test]
async fn a_resolve_sends_only_the_routing_key_the_action_and_the_dedup_key() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    post_enqueue()
        .and(body_json(json!({ "routing_key": ROUTING_KEY, "event_action": "resolve", "dedup_key": "k" })))
        .respond_with(accepted("k"))
        .expect(1)
        .mount(&server)
        .await;

    let answer = events(&server).resolve("k".to_owned(), deadline()).await;

    assert_eq!(answer, Ok(Enqueued { dedup_key: "k".to_owned() }));
}

#[tokio::test]
async fn each_severity_is_sent_as_pagerdutys_lowercase_name() {
    let fake = FakePagerDuty::start().await.unwrap();
    let client = fake_events(&fake);
    for severity in Severity::ALL {
        let mut event = trigger(&format!("alarm {severity}"), severity);
        if let Event::Trigger { dedup_key, .. } = &mut event {
            *dedup_key = format!("alarm {severity}");
        }
        client.enqueue(&event, deadline()).await.unwrap();
    }
    let sent: Vec<Option<String>> = fake.events().into_iter().map(|e| e.severity).collect();
    let names = ["critical", "error", "warning", "info"].map(|s| Some(s.to_owned()));
    assert_eq!(sent, names);
}

#[tokio::test]
async fn a_summary_over_1024_characters_is_cut_cleanly_and_the_fake_pagerduty_accepts_it() {
    let fake = FakePagerDuty::start().await.unwrap();
    // Multi-byte characters, and a 4-byte one right at the cut.
    let title = format!("{}🚨{}", "é".repeat(SUMMARY_MAX - 1), "ü".repeat(50));

    fake_events(&fake).enqueue(&trigger(&title, Severity::Error), deadline()).await.unwrap();

    let sent = fake.events()[0].summary.clone().unwrap();
    assert_eq!(sent.chars().count(), SUMMARY_MAX);
    assert!(sent.ends_with('🚨'), "the cut keeps whole characters");
    assert!(title.starts_with(&sent));
}

#[tokio::test]
async fn a_400_is_a_permanent_failure_naming_the_field_and_is_not_retried() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    post_enqueue()
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "status": "invalid event",
            "message": "Event object is invalid",
            "errors": ["'payload.summary' is missing or blank"],
        })))
        .expect(1)
        .mount(&server)
        .await;

    let error = events(&server).enqueue(&trigger("t", Severity::Critical), deadline()).await.unwrap_err();

    let PagerDutyError::Rejected { status: 400, message } = &error else { panic!("expected Rejected, got {error:?}") };
    assert_eq!(message, "Event object is invalid: 'payload.summary' is missing or blank");
    assert!(error.to_string().contains("payload.summary"), "{error}");
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn the_fake_pagerduty_refuses_what_the_events_api_refuses_naming_the_field() {
    let fake = FakePagerDuty::start().await.unwrap();
    let client = fake_events(&fake);
    let with_payload = |change: &dyn Fn(&mut EventPayload)| {
        let mut event = trigger("t", Severity::Critical);
        if let Event::Trigger { payload, .. } = &mut event {
            change(payload);
        }
        event
    };
    let cases: Vec<(Event, &str)> = vec![
        (with_payload(&|p| p.summary = String::new()), "payload.summary"),
        (with_payload(&|p| p.summary = "x".repeat(SUMMARY_MAX + 1)), "payload.summary"),
        (with_payload(&|p| p.source = " ".to_owned()), "payload.source"),
        (Event::Resolve { dedup_key: String::new() }, "dedup_key"),
        (Event::Resolve { dedup_key: "k".repeat(256) }, "dedup_key"),
    ];
    for (event, field) in cases {
        let error = client.enqueue(&event, deadline()).await.unwrap_err();
        assert!(
            matches!(&error, PagerDutyError::Rejected { status: 400, message } if message.contains(field)),
            "{field}: {error:?}"
        );
    }
    assert!(fake.events().is_empty(), "nothing refused was kept");

    // A routing key that is not 32 characters, and a severity outside the four, sent raw.
    let http = reqwest::Client::new();
    let enqueue = format!("{}/v2/enqueue", fake.url());
    let raw = json!({ "routing_key": ROUTING_KEY, "event_action": "trigger", "dedup_key": "k",
                      "payload": { "summary": "s", "source": "dispatch", "severity": "critical" } });
    for (pointer, value, field) in [
        ("/routing_key", json!("too-short"), "routing_key"),
        ("/payload/severity", json!("high"), "payload.severity"),
        ("/payload/severity", Value::Null, "payload.severity"),
    ] {
        let mut body = raw.clone();
        *body.pointer_mut(pointer).unwrap() = value;
        let reply = http.post(&enqueue).json(&body).send().await.unwrap();
        assert_eq!(reply.status(), 400);
        let answer: Value = reply.json().await.unwrap();
        assert_eq!(answer["status"], "invalid event");
        assert!(answer["errors"][0].as_str().unwrap().contains(field), "{answer}");
    }
}

#[tokio::test]
async fn a_429_is_waited_out_for_its_retry_after_then_the_event_is_accepted() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    once_then(
        &server,
        post_enqueue,
        ResponseTemplate::new(429).insert_header("Retry-After", "1"),
        accepted("Root login on prod-db-1"),
    )
    .await;

    let started = Instant::now();
    let answer = events(&server).enqueue(&trigger("t", Severity::Critical), deadline()).await;
    let elapsed = started.elapsed();

    assert!(answer.is_ok(), "{answer:?}");
    assert!(elapsed >= Duration::from_millis(950), "the Retry-After wait was not honoured: {elapsed:?}");
}

#[tokio::test]
async fn a_5xx_on_every_attempt_is_retried_up_to_the_policy_then_given_up_as_transient() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    post_enqueue()
        .respond_with(ResponseTemplate::new(502).set_body_string("Bad Gateway"))
        .expect(u64::from(policy().attempts))
        .mount(&server)
        .await;

    let error = events(&server).enqueue(&trigger("t", Severity::Critical), deadline()).await.unwrap_err();

    assert!(matches!(&error, PagerDutyError::Transient(m) if m.contains("502")), "{error:?}");
    assert!(error.is_retryable());
}

#[tokio::test]
async fn a_5xx_then_a_202_is_accepted_on_the_second_attempt() {
    let fake = FakePagerDuty::start().await.unwrap();
    fake.fail_route(PagerDutyRoute::Enqueue, Fault::Status(500), 1);

    let answer = fake_events(&fake).enqueue(&trigger("t", Severity::Critical), deadline()).await;

    assert_eq!(answer, Ok(Enqueued { dedup_key: "Root login on prod-db-1".to_owned() }));
    assert_eq!(fake.alerts().len(), 1);
    assert!(fake.incidents().is_empty(), "the REST API was not used");
}

#[tokio::test]
async fn an_events_api_that_never_answers_is_given_up_within_the_deadline() {
    let fake = FakePagerDuty::start().await.unwrap();
    fake.fail_route(PagerDutyRoute::Enqueue, Fault::Hang(Duration::from_secs(30)), 100);

    let started = Instant::now();
    let error = fake_events(&fake)
        .enqueue(&trigger("t", Severity::Critical), Deadline::after(Duration::from_millis(1200)))
        .await
        .unwrap_err();

    assert!(matches!(error, PagerDutyError::Transient(_)), "{error:?}");
    assert!(started.elapsed() < Duration::from_millis(1500), "took {:?}", started.elapsed());
}

#[tokio::test]
async fn the_same_trigger_twice_opens_one_alert_and_a_resolve_closes_it() {
    let fake = FakePagerDuty::start().await.unwrap();
    let client = fake_events(&fake);
    let event = trigger("Root login on prod-db-1", Severity::Critical);

    client.enqueue(&event, deadline()).await.unwrap();
    client.enqueue(&event, deadline()).await.unwrap();

    let events = fake.events();
    assert_eq!(events.iter().map(|e| e.deduplicated).collect::<Vec<_>>(), [false, true]);
    assert_eq!(fake.alerts().len(), 1);
    client.resolve("Root login on prod-db-1".to_owned(), deadline()).await.unwrap();
    assert_eq!(fake.alerts()[0].status, "resolved");
    client.enqueue(&event, deadline()).await.unwrap();
    assert_eq!(fake.alerts().len(), 2, "a trigger after the resolve opens a new alert");
}

#[tokio::test]
async fn the_routing_key_never_appears_in_an_error_or_the_clients_debug() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    // A service that would echo the key back.
    post_enqueue()
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "status": "invalid event",
            "message": format!("Event object is invalid for {ROUTING_KEY}"),
            "errors": [format!("'routing_key' {ROUTING_KEY} is unknown")],
        })))
        .mount(&server)
        .await;
    let client = events(&server);

    let error = client.enqueue(&trigger("t", Severity::Critical), deadline()).await.unwrap_err();

    assert!(matches!(error, PagerDutyError::Rejected { status: 400, .. }), "{error:?}");
    assert!(!format!("{error:?}{error}").contains(ROUTING_KEY), "{error:?}");
    assert!(!format!("{client:?}").contains(ROUTING_KEY), "the client's Debug shows the key");
    assert!(!format!("{:?}", routing_key()).contains(ROUTING_KEY));
}
