//! Tests of the fake PagerDuty's REST incidents: finding them by key and status, resolving them,
//! and refusing what PagerDuty refuses.

use serde_json::json;

use super::*;

/// A REST request with an API key and a `From` header unless `headers` says otherwise.
fn request(method: &str, target: &str, body: &Value, headers: &[(&str, &str)]) -> Incoming {
    let mut all: std::collections::HashMap<String, String> =
        [("authorization".to_owned(), "Token token=pd-key".to_owned()), ("from".to_owned(), FROM_ADDRESS.to_owned())]
            .into();
    for (name, value) in headers {
        if value.is_empty() {
            all.remove(*name);
        } else {
            all.insert((*name).to_owned(), (*value).to_owned());
        }
    }
    Incoming::for_test(method, target, body, all)
}

async fn send(fake: &FakePagerDuty, request: Incoming) -> (u16, Value) {
    let response = handle(&fake.state, request).await;
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn resolve_body() -> Value {
    json!({ "incident": { "type": "incident_reference", "status": "resolved" } })
}

async fn open(fake: &FakePagerDuty, key: &str) -> String {
    let body = json!({ "incident": { "type": "incident", "title": "t", "service": { "id": "PSVC", "type": "service_reference" }, "incident_key": key } });
    let (status, answer) = send(fake, request("POST", "/incidents", &body, &[])).await;
    assert_eq!(status, 201, "{answer}");
    answer["incident"]["id"].as_str().unwrap().to_owned()
}

fn ids(answer: &Value) -> Vec<&str> {
    answer["incidents"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn incidents_are_found_by_key_and_only_in_the_statuses_asked_for() {
    let fake = FakePagerDuty::start().await.unwrap();
    let first = open(&fake, "k&1").await;
    let other = open(&fake, "k").await;
    fake.set_incident_status(&first, "resolved");
    let second = open(&fake, "k&1").await;
    fake.set_incident_status(&second, "acknowledged");

    let open_only = "/incidents?incident_key=k%261&statuses%5B%5D=triggered&statuses%5B%5D=acknowledged";
    let (status, answer) = send(&fake, request("GET", open_only, &Value::Null, &[])).await;
    let (_, all_of_key) = send(&fake, request("GET", "/incidents?incident_key=k%261", &Value::Null, &[])).await;
    let (_, unbracketed) =
        send(&fake, request("GET", "/incidents?incident_key=k%261&statuses=triggered", &Value::Null, &[])).await;

    assert_eq!((status, ids(&answer)), (200, vec![second.as_str()]));
    assert_eq!(answer["incidents"][0]["status"], "acknowledged");
    assert_eq!(answer["incidents"][0]["incident_key"], "k&1");
    assert_eq!(ids(&all_of_key), [first.as_str(), second.as_str()]);
    assert_eq!(ids(&unbracketed), [first.as_str(), second.as_str()], "PagerDuty reads only statuses[]");
    assert!(!ids(&all_of_key).contains(&other.as_str()));
    let bad = send(&fake, request("GET", "/incidents?statuses%5B%5D=open", &Value::Null, &[])).await;
    assert_eq!(bad.0, 400);
    let keyless = send(&fake, request("GET", "/incidents", &Value::Null, &[("authorization", "")])).await;
    assert_eq!(keyless.0, 401);
}

#[tokio::test]
async fn an_open_incident_is_resolved_once_and_a_second_resolve_is_pagerdutys_already_resolved() {
    let fake = FakePagerDuty::start().await.unwrap();
    let id = open(&fake, "k").await;

    let (status, answer) = send(&fake, request("PUT", &format!("/incidents/{id}"), &resolve_body(), &[])).await;
    let again = send(&fake, request("PUT", &format!("/incidents/{id}"), &resolve_body(), &[])).await;

    assert_eq!((status, &answer["incident"]["status"]), (200, &json!("resolved")));
    assert_eq!(fake.incident_status(&id).as_deref(), Some("resolved"));
    assert_eq!(fake.incident(&id).unwrap().resolved_by.as_deref(), Some(FROM_ADDRESS));
    assert_eq!(
        again,
        (
            400,
            json!({ "error": { "message": "Invalid Input Provided", "code": 2001, "errors": ["Incident Already Resolved"] } })
        )
    );
    let reopened = open(&fake, "k").await;
    assert_ne!(reopened, id, "a resolved incident no longer holds its key");
    assert_eq!(fake.incidents_with_key("k").len(), 2);
}

#[tokio::test]
async fn a_resolve_without_from_of_an_unknown_id_or_with_a_wrong_body_is_refused_and_changes_nothing() {
    let fake = FakePagerDuty::start().await.unwrap();
    let id = open(&fake, "k").await;
    let path = format!("/incidents/{id}");

    let no_from = send(&fake, request("PUT", &path, &resolve_body(), &[("from", "")])).await;
    let unknown = send(&fake, request("PUT", "/incidents/QNOPE", &resolve_body(), &[])).await;
    let bad_status = json!({ "incident": { "type": "incident_reference", "status": "closed" } });
    let wrong = send(&fake, request("PUT", &path, &bad_status, &[])).await;
    let no_key = send(&fake, request("PUT", &path, &resolve_body(), &[("authorization", "")])).await;
    fake.refuse_key("pd-key");
    let refused = send(&fake, request("PUT", &path, &resolve_body(), &[])).await;

    assert_eq!((no_from.0, &no_from.1["error"]["errors"][0]), (400, &json!("Requester User Not Found")));
    assert_eq!((unknown.0, &unknown.1["error"]["code"]), (404, &json!(2100)));
    assert_eq!(wrong.0, 400);
    assert_eq!((no_key.0, refused.0), (401, 401));
    assert_eq!(fake.incident_status(&id).as_deref(), Some("triggered"));
}

#[tokio::test]
async fn faults_on_finding_and_resolving_answer_in_their_place_without_touching_the_incident() {
    let fake = FakePagerDuty::start().await.unwrap();
    let id = fake.add_incident("PSVC", "k", "t").id;
    fake.fail_route(PagerDutyRoute::ListIncidents, Fault::Status(502), 1);
    fake.fail_route(PagerDutyRoute::UpdateIncident, Fault::RateLimited { status: 429, retry_after: 2 }, 1);
    let path = format!("/incidents/{id}");

    let listed = send(&fake, request("GET", "/incidents?incident_key=k", &Value::Null, &[])).await;
    let limited = send(&fake, request("PUT", &path, &resolve_body(), &[])).await;
    assert_eq!((listed.0, limited.0), (502, 429));
    assert_eq!(fake.incident_status(&id).as_deref(), Some("triggered"));

    let listed = send(&fake, request("GET", "/incidents?incident_key=k", &Value::Null, &[])).await;
    let resolved = send(&fake, request("PUT", &path, &resolve_body(), &[])).await;
    assert_eq!((listed.0, ids(&listed.1)), (200, vec![id.as_str()]));
    assert_eq!(resolved.0, 200);
    assert_eq!(fake.incident_status(&id).as_deref(), Some("resolved"));
}
