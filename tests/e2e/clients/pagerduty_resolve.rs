//! Finding open incidents by key and resolving them over real HTTP: the REST v2 requests PagerDuty
//! documents (the key percent-encoded, `statuses[]` twice, `From` on the `PUT`), an incident
//! resolved already and an unknown one as outcomes, ids that could change the path refused, 429
//! waited out and 5xx retried; against wiremock and the fake PagerDuty.

use std::time::{Duration, Instant};

use dispatch_core::deadline::Deadline;
use dispatch_core::ids::ServiceId;
use dispatch_core::pagerduty::{IncidentRef, NewIncident, PagerDuty, PagerDutyError, ResolveOutcome};
use dispatch_fakes::{FakePagerDuty, Fault, PagerDutyRoute};
use secrecy::SecretString;
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::helpers::{catch_all, deadline, policy, url};

use crate::support::mocks::once_then;

const API_KEY: &str = "pd-key";
const FROM: &str = "oncall@example.com";

fn pagerduty(base: &url::Url) -> PagerDuty {
    let http = dispatch_core::http::client(Duration::from_millis(500)).unwrap();
    PagerDuty::new(http, base, SecretString::from(API_KEY.to_owned()), FROM.to_owned(), policy())
}

fn against(fake: &FakePagerDuty) -> PagerDuty {
    pagerduty(&url::Url::parse(&fake.url()).unwrap())
}

fn list() -> wiremock::MockBuilder {
    Mock::given(method("GET")).and(path("/incidents"))
}

fn resolve_q1() -> wiremock::MockBuilder {
    Mock::given(method("PUT")).and(path("/incidents/Q1"))
}

fn resolved_reply() -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(json!({ "incident": { "id": "Q1", "type": "incident", "status": "resolved" } }))
}

fn listed(incidents: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({ "incidents": incidents, "limit": 25, "offset": 0, "more": false }))
}

/// Opens an incident with `key` through the client.
async fn open(client: &PagerDuty, key: &str) {
    let incident = NewIncident {
        title: "disk full".to_owned(),
        details: None,
        incident_key: key.to_owned(),
        service: ServiceId::parse("PSVC").unwrap(),
    };
    client.create_incident(&incident, deadline()).await.unwrap();
}

/// How many requests the fake got with `method` on a path starting with `/incidents`.
fn calls(fake: &FakePagerDuty, method: &str) -> usize {
    fake.requests().iter().filter(|r| r.method == method && r.path.starts_with("/incidents")).count()
}

#[tokio::test]
async fn open_incidents_asks_for_the_percent_encoded_key_in_the_two_open_statuses_with_the_rest_headers() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let query = "incident_key=disk+%26+db%2F1%23x&statuses%5B%5D=triggered&statuses%5B%5D=acknowledged";
    list()
        .and(move |request: &Request| request.url.query() == Some(query))
        .and(header("authorization", "Token token=pd-key"))
        .and(header("accept", "application/vnd.pagerduty+json;version=2"))
        .respond_with(listed(json!([
            { "id": "Q1", "status": "triggered", "incident_key": "disk & db/1#x", "html_url": "https://acme.pagerduty.com/incidents/Q1" },
            { "id": "Q2", "status": "acknowledged", "incident_key": "disk & db/1#x" },
        ])))
        .expect(1)
        .mount(&server)
        .await;

    let found = pagerduty(&url(&server)).open_incidents("disk & db/1#x", deadline()).await;

    assert_eq!(
        found,
        Ok(vec![
            IncidentRef {
                id: "Q1".into(),
                status: "triggered".into(),
                html_url: Some("https://acme.pagerduty.com/incidents/Q1".into())
            },
            IncidentRef { id: "Q2".into(), status: "acknowledged".into(), html_url: None },
        ])
    );
}

#[tokio::test]
async fn incidents_of_another_key_or_resolved_in_a_reply_that_ignored_the_filter_are_left_out() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    list()
        .respond_with(listed(json!([
            { "id": "Q1", "status": "resolved", "incident_key": "k" },
            { "id": "Q2", "status": "triggered", "incident_key": "someone-else" },
            { "id": "Q3", "status": "triggered", "incident_key": "k" },
        ])))
        .expect(1)
        .mount(&server)
        .await;

    let found = pagerduty(&url(&server)).open_incidents("k", deadline()).await.unwrap();

    assert_eq!(found.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ["Q3"]);
}

#[tokio::test]
async fn the_fake_finds_only_the_open_incidents_of_a_key_that_looks_like_more_query() {
    let fake = FakePagerDuty::start().await.unwrap();
    let client = against(&fake);
    let hostile = "k&statuses[]=resolved";
    open(&client, hostile).await;
    open(&client, "k").await;
    let gone = fake.add_incident("PSVC", hostile, "old");
    fake.set_incident_status(&gone.id, "resolved");

    let found = client.open_incidents(hostile, deadline()).await.unwrap();
    let none = client.open_incidents("nobody", deadline()).await.unwrap();

    let expected: Vec<String> =
        fake.incidents_with_key(hostile).into_iter().filter(|i| i.status != "resolved").map(|i| i.id).collect();
    assert_eq!(found.iter().map(|i| i.id.clone()).collect::<Vec<_>>(), expected);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].status, "triggered");
    assert!(none.is_empty());
}

#[tokio::test]
async fn open_incidents_waits_out_a_429_and_retries_a_502() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    once_then(&server, list, ResponseTemplate::new(429).insert_header("Retry-After", "1"), listed(json!([]))).await;

    let started = Instant::now();
    let found = pagerduty(&url(&server)).open_incidents("k", deadline()).await;

    assert_eq!(found, Ok(vec![]));
    assert!(started.elapsed() >= Duration::from_millis(950), "the Retry-After wait was not honoured");
    let fake = FakePagerDuty::start().await.unwrap();
    fake.add_incident("PSVC", "k", "t");
    fake.fail_route(PagerDutyRoute::ListIncidents, Fault::Status(502), 1);
    assert_eq!(against(&fake).open_incidents("k", deadline()).await.map(|f| f.len()), Ok(1));
    assert_eq!(calls(&fake, "GET"), 2);
}

#[tokio::test]
async fn a_resolve_is_a_put_of_an_incident_reference_with_the_from_header() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    resolve_q1()
        .and(header("authorization", "Token token=pd-key"))
        .and(header("accept", "application/vnd.pagerduty+json;version=2"))
        .and(header("from", FROM))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({ "incident": { "type": "incident_reference", "status": "resolved" } })))
        .respond_with(resolved_reply())
        .expect(1)
        .mount(&server)
        .await;

    let outcome = pagerduty(&url(&server)).resolve_incident("Q1", deadline()).await;

    assert_eq!(outcome, Ok(ResolveOutcome::Resolved));
}

#[tokio::test]
async fn the_fake_resolves_an_open_incident_once_then_says_already_resolved_and_knows_no_other_id() {
    let fake = FakePagerDuty::start().await.unwrap();
    let client = against(&fake);
    open(&client, "k").await;
    let id = client.open_incidents("k", deadline()).await.unwrap().remove(0).id;

    let first = client.resolve_incident(&id, deadline()).await;
    let second = client.resolve_incident(&id, deadline()).await;
    let unknown = client.resolve_incident("QNOSUCH1", deadline()).await;

    assert_eq!(
        (first, second, unknown),
        (Ok(ResolveOutcome::Resolved), Ok(ResolveOutcome::AlreadyResolved), Ok(ResolveOutcome::NotFound))
    );
    assert_eq!(fake.incident_status(&id).as_deref(), Some("resolved"));
    assert_eq!(fake.incident(&id).unwrap().resolved_by.as_deref(), Some(FROM));
    assert!(client.open_incidents("k", deadline()).await.unwrap().is_empty());
    assert_eq!(calls(&fake, "PUT"), 3, "no outcome was retried");
}

#[tokio::test]
async fn an_already_resolved_refusal_is_recognised_in_other_wordings() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    resolve_q1()
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({ "error": { "message": "Invalid Input Provided", "code": 2001, "errors": ["Incident has already been resolved."] } }),
        ))
        .expect(1)
        .mount(&server)
        .await;

    let outcome = pagerduty(&url(&server)).resolve_incident("Q1", deadline()).await;

    assert_eq!(outcome, Ok(ResolveOutcome::AlreadyResolved));
}

#[tokio::test]
async fn ids_that_could_name_another_path_or_query_are_refused_without_a_request() {
    let fake = FakePagerDuty::start().await.unwrap();
    let client = against(&fake);
    let hostile =
        ["", "../services/PSVC", "Q1/notes", "Q1?x=1", "Q1#", "Q1%2F..", "Q 1", "Q1\n", "Qü1", ".", &"Q".repeat(65)];

    for id in hostile {
        let error = client.resolve_incident(id, deadline()).await.unwrap_err();
        assert!(matches!(&error, PagerDutyError::Rejected { status: 0, .. }), "{id:?}: {error:?}");
        assert!(!error.is_retryable());
    }
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn a_resolve_answered_429_is_waited_out_then_resolves() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    once_then(&server, resolve_q1, ResponseTemplate::new(429).insert_header("Retry-After", "1"), resolved_reply())
        .await;

    let started = Instant::now();
    let outcome = pagerduty(&url(&server)).resolve_incident("Q1", deadline()).await;

    assert_eq!(outcome, Ok(ResolveOutcome::Resolved));
    assert!(started.elapsed() >= Duration::from_millis(950), "the Retry-After wait was not honoured");
}

#[tokio::test]
async fn a_resolve_answered_502_is_retried_and_one_applied_but_never_answered_is_already_resolved_on_retry() {
    let fake = FakePagerDuty::start().await.unwrap();
    let id = fake.add_incident("PSVC", "k", "t").id;
    fake.fail_route(PagerDutyRoute::UpdateIncident, Fault::Status(502), 1);
    let client = against(&fake);

    let retried = client.resolve_incident(&id, deadline()).await;

    assert_eq!(retried, Ok(ResolveOutcome::Resolved));
    assert_eq!(calls(&fake, "PUT"), 2);
    fake.fail_route(PagerDutyRoute::UpdateIncident, Fault::AppliedThenHang(Duration::from_secs(2)), 1);
    let other = fake.add_incident("PSVC", "k2", "t").id;
    let outcome = client.resolve_incident(&other, deadline()).await;
    assert_eq!(outcome, Ok(ResolveOutcome::AlreadyResolved), "the retry finds the first attempt's work done");
}

#[tokio::test]
async fn a_resolve_failing_with_503_on_every_attempt_is_retried_up_to_the_policy_then_transient() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    resolve_q1().respond_with(ResponseTemplate::new(503)).expect(u64::from(policy().attempts)).mount(&server).await;

    let error = pagerduty(&url(&server)).resolve_incident("Q1", deadline()).await.unwrap_err();

    assert!(matches!(&error, PagerDutyError::Transient(m) if m.contains("503")), "{error:?}");
    assert!(error.is_retryable());
}

#[tokio::test]
async fn a_refused_key_on_a_resolve_is_unauthorized_not_retried_and_never_shows_the_key() {
    let fake = FakePagerDuty::start().await.unwrap();
    let id = fake.add_incident("PSVC", "k", "t").id;
    fake.refuse_key(API_KEY);

    let error = against(&fake).resolve_incident(&id, Deadline::after(Duration::from_secs(5))).await.unwrap_err();

    assert!(matches!(error, PagerDutyError::Unauthorized { status: 401, .. }), "{error:?}");
    assert!(!format!("{error:?}{error}").contains(API_KEY));
    assert_eq!(calls(&fake, "PUT"), 1);
    assert_eq!(fake.incident_status(&id).as_deref(), Some("triggered"));
}
