//! The PagerDuty client over real HTTP: `POST /incidents` with REST v2 headers, an already open
//! incident as a non-failing outcome, retries of 429 and 5xx within the deadline, and refusals that
//! carry PagerDuty's message but never the API key.

use std::time::{Duration, Instant};

use dispatch_core::deadline::Deadline;
use dispatch_core::ids::ServiceId;
use dispatch_core::pagerduty::{IncidentOutcome, NewIncident, PagerDuty, PagerDutyError};
use secrecy::SecretString;
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::helpers::{catch_all, deadline, policy, url};

use crate::support::mocks::once_then;

const API_KEY: &str = "pd-key";

fn pagerduty(server: &MockServer) -> PagerDuty {
    let http = dispatch_core::http::client(Duration::from_millis(500)).unwrap();
    PagerDuty::new(
        http,
        &url(server),
        SecretString::from(API_KEY.to_owned()),
        "oncall@example.com".to_owned(),
        policy(),
    )
}

fn incident() -> NewIncident {
    NewIncident {
        title: "t".to_owned(),
        details: Some("d".to_owned()),
        incident_key: "req-1".to_owned(),
        service: ServiceId::parse("PSVC").unwrap(),
    }
}

fn created_reply() -> ResponseTemplate {
    ResponseTemplate::new(201)
        .set_body_json(json!({ "incident": { "id": "Q1", "html_url": "https://acme.pagerduty.com/incidents/Q1" } }))
}

fn created() -> IncidentOutcome {
    IncidentOutcome::Created {
        id: "Q1".to_owned(),
        html_url: Some("https://acme.pagerduty.com/incidents/Q1".to_owned()),
    }
}

fn post_incidents() -> wiremock::MockBuilder {
    Mock::given(method("POST")).and(path("/incidents"))
}

fn refusal(message: &str, errors: &[&str]) -> Value {
    json!({ "error": { "message": message, "code": 2001, "errors": errors } })
}

#[tokio::test]
async fn an_incident_is_created_with_the_rest_v2_headers_and_exact_body_and_returns_its_id_and_url() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    post_incidents()
        .and(header("authorization", "Token token=pd-key"))
        .and(header("accept", "application/vnd.pagerduty+json;version=2"))
        .and(header("from", "oncall@example.com"))
        .and(header("content-type", "application/json"))
        .and(header("user-agent", dispatch_core::http::USER_AGENT))
        .and(body_json(json!({
            "incident": {
                "type": "incident",
                "title": "t",
                "service": { "id": "PSVC", "type": "service_reference" },
                "incident_key": "req-1",
                "body": { "type": "incident_body", "details": "d" },
            }
        })))
        .respond_with(created_reply())
        .expect(1)
        .mount(&server)
        .await;

    let outcome = pagerduty(&server).create_incident(&incident(), deadline()).await;

    assert_eq!(outcome, Ok(created()));
}

#[tokio::test]
async fn an_incident_without_details_has_no_body_key_at_all() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    post_incidents()
        .and(body_json(json!({
            "incident": {
                "type": "incident",
                "title": "t",
                "service": { "id": "PSVC", "type": "service_reference" },
                "incident_key": "req-1",
            }
        })))
        .respond_with(created_reply())
        .expect(1)
        .mount(&server)
        .await;
    let incident = NewIncident { details: None, ..incident() };

    let outcome = pagerduty(&server).create_incident(&incident, deadline()).await;

    assert_eq!(outcome, Ok(created()));
    let body: Value = server.received_requests().await.unwrap()[0].body_json().unwrap();
    assert!(body["incident"].get("body").is_none(), "{body}");
}

#[tokio::test]
async fn an_open_incident_with_the_same_key_is_reported_as_already_open_without_a_retry() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    post_incidents()
        .respond_with(ResponseTemplate::new(400).set_body_json(refusal(
            "Invalid Input Provided",
            &["Open incident with matching dedup key already exists on this service"],
        )))
        .expect(1)
        .mount(&server)
        .await;

    let outcome = pagerduty(&server).create_incident(&incident(), deadline()).await;

    assert_eq!(outcome, Ok(IncidentOutcome::AlreadyOpen));
}

#[tokio::test]
async fn another_400_is_rejected_with_pagerdutys_message_and_is_not_retried() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    post_incidents()
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(refusal("Invalid Input Provided", &["Service not found for the given id"])),
        )
        .expect(1)
        .mount(&server)
        .await;

    let error = pagerduty(&server).create_incident(&incident(), deadline()).await.unwrap_err();

    let PagerDutyError::Rejected { status, message } = &error else { panic!("expected Rejected, got {error:?}") };
    assert_eq!(*status, 400);
    assert!(message.contains("Invalid Input Provided"), "{message}");
    assert!(message.contains("Service not found for the given id"), "{message}");
    assert!(error.to_string().contains("Service not found for the given id"), "{error}");
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn a_401_is_unauthorized_and_is_not_retried() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    post_incidents()
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({ "error": { "message": "Unauthorized", "code": 2006 } })),
        )
        .expect(1)
        .mount(&server)
        .await;

    let error = pagerduty(&server).create_incident(&incident(), deadline()).await.unwrap_err();

    assert!(
        matches!(&error, PagerDutyError::Unauthorized { status: 401, message } if message == "Unauthorized"),
        "{error:?}"
    );
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn the_api_key_never_appears_in_a_refusals_display_or_debug() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    post_incidents().respond_with(ResponseTemplate::new(401)).expect(1).mount(&server).await;
    let client = pagerduty(&server);

    let error = client.create_incident(&incident(), deadline()).await.unwrap_err();

    assert!(matches!(error, PagerDutyError::Unauthorized { status: 401, .. }), "{error:?}");
    assert!(!format!("{error:?}{error}").contains(API_KEY), "{error:?}");
    assert!(!format!("{client:?}").contains(API_KEY), "the client's Debug shows the key");
}

#[tokio::test]
async fn a_429_is_waited_out_for_its_retry_after_then_the_incident_is_created() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    once_then(&server, post_incidents, ResponseTemplate::new(429).insert_header("Retry-After", "1"), created_reply())
        .await;

    let started = Instant::now();
    let outcome = pagerduty(&server).create_incident(&incident(), deadline()).await;
    let elapsed = started.elapsed();

    assert_eq!(outcome, Ok(created()));
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
    assert!(elapsed >= Duration::from_millis(950), "the Retry-After wait was not honoured: {elapsed:?}");
}

#[tokio::test]
async fn a_503_on_every_attempt_is_retried_up_to_the_policy_then_reported_as_transient() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    post_incidents()
        .respond_with(ResponseTemplate::new(503).set_body_string("Service Unavailable"))
        .expect(u64::from(policy().attempts))
        .mount(&server)
        .await;

    let error = pagerduty(&server).create_incident(&incident(), deadline()).await.unwrap_err();

    assert!(matches!(&error, PagerDutyError::Transient(m) if m.contains("503")), "{error:?}");
    assert!(error.is_retryable());
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn a_500_then_a_201_creates_the_incident_on_the_second_attempt() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    once_then(&server, post_incidents, ResponseTemplate::new(500), created_reply()).await;

    let outcome = pagerduty(&server).create_incident(&incident(), deadline()).await;

    assert_eq!(outcome, Ok(created()));
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_429_asking_for_longer_than_the_deadline_leaves_gives_up_at_once_as_rate_limited() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    post_incidents()
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "30"))
        .expect(1)
        .mount(&server)
        .await;

    let started = Instant::now();
    let error =
        pagerduty(&server).create_incident(&incident(), Deadline::after(Duration::from_secs(2))).await.unwrap_err();
    let elapsed = started.elapsed();

    assert_eq!(error, PagerDutyError::RateLimited(Some(Duration::from_secs(30))));
    assert!(error.is_retryable());
    assert!(elapsed < Duration::from_secs(1), "gave up only after {elapsed:?}");
}

#[tokio::test]
async fn a_server_slower_than_the_request_timeout_is_a_transient_failure_within_a_bounded_time() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    post_incidents()
        .respond_with(created_reply().set_delay(Duration::from_secs(3)))
        .expect(u64::from(policy().attempts))
        .mount(&server)
        .await;

    let started = Instant::now();
    let error = pagerduty(&server).create_incident(&incident(), deadline()).await.unwrap_err();
    let elapsed = started.elapsed();

    assert!(matches!(error, PagerDutyError::Transient(_)), "{error:?}");
    assert!(elapsed < Duration::from_millis(2500), "took {elapsed:?}");
}
