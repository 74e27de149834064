//! The fake's REST API v2: `POST /incidents` (a second open incident with the same key on the same
//! service is refused, as PagerDuty does), `GET /incidents` filtered by `incident_key` and
//! `statuses[]`, `PUT /incidents/{id}` to acknowledge or resolve (`From` required; an incident
//! resolved already is a 400 "Incident Already Resolved"; an unknown id a 404), and the read routes
//! `dispatch doctor` uses.

use std::sync::Mutex;

use axum::http::Method;
use axum::response::Response;
use serde_json::{Value, json};

use super::{FROM_ADDRESS, FakeIncident, PagerDutyRoute, State};
use crate::server::{Incoming, Recorded, json, late, lock, short_circuit};

/// PagerDuty's 400 "Invalid Input Provided" (code 2001) with `error` in its errors.
fn invalid_input(error: &str) -> Response {
    json(400, json!({ "error": { "message": "Invalid Input Provided", "code": 2001, "errors": [error] } }))
}

/// The 401 of a request without an API key.
fn unauthorized() -> Response {
    json(401, json!({ "error": { "message": "Unauthorized", "code": 2006 } }))
}

/// Whether `recorded` carries an API key (`Authorization: Token token=…`).
fn authorized(recorded: &Recorded) -> bool {
    recorded.header("authorization").is_some_and(|a| a.starts_with("Token token="))
}

/// An incident as the REST API shows it.
fn incident_json(incident: &FakeIncident) -> Value {
    let id = &incident.id;
    json!({
        "id": id,
        "type": "incident",
        "summary": format!("[#{}] {}", id.trim_start_matches('Q'), incident.title),
        "title": incident.title,
        "status": incident.status,
        "incident_key": incident.incident_key,
        "html_url": format!("https://fake.pagerduty.invalid/incidents/{id}"),
        "service": { "id": incident.service, "type": "service_reference" },
        "urgency": "high",
    })
}

/// `POST /incidents`.
pub(super) async fn create_incident(state: &Mutex<State>, recorded: &Recorded) -> Response {
    if !authorized(recorded) {
        return unauthorized();
    }
    let fault = lock(state).faults.take(&PagerDutyRoute::Incidents);
    if let Some(fault) = &fault
        && let Some(response) = short_circuit(fault).await
    {
        return response;
    }
    let body = recorded.json();
    let incident = &body["incident"];
    let (Some(title), Some(service)) = (incident["title"].as_str(), incident["service"]["id"].as_str()) else {
        return invalid_input("Title and service are required.");
    };
    let Some(from) = recorded.header("from").filter(|f| f.contains('@')) else {
        return invalid_input("Requester User Not Found");
    };
    let key = incident["incident_key"].as_str().unwrap_or_default().to_owned();
    let reply = {
        let mut state = lock(state);
        let open = |i: &FakeIncident| i.incident_key == key && i.service == service && i.status != "resolved";
        if !key.is_empty() && state.incidents.iter().any(open) {
            return invalid_input("Open incident with matching dedup key already exists on this service");
        }
        let created = FakeIncident {
            id: format!("Q{:05}", state.incidents.len() + 1),
            title: title.to_owned(),
            service: service.to_owned(),
            incident_key: key.clone(),
            details: incident["body"]["details"].as_str().map(str::to_owned),
            from: from.to_owned(),
            status: "triggered".to_owned(),
            resolved_by: None,
        };
        state.incidents.push(created.clone());
        json(201, json!({ "incident": incident_json(&created) }))
    };
    late(&fault).await;
    reply
}

/// The statuses an incident can have.
const STATUSES: [&str; 3] = ["triggered", "acknowledged", "resolved"];

/// `GET /incidents`: with `incident_key`, the incidents of that key; with `statuses[]` (each
/// value a status; PagerDuty reads no other spelling of the name), those in one of them.
pub(super) async fn list_incidents(state: &Mutex<State>, recorded: &Recorded) -> Response {
    let fault = lock(state).faults.take(&PagerDutyRoute::ListIncidents);
    if let Some(fault) = &fault
        && let Some(response) = short_circuit(fault).await
    {
        return response;
    }
    let statuses = recorded.query_all("statuses[]");
    if let Some(bad) = statuses.iter().find(|s| !STATUSES.contains(&s.as_str())) {
        return invalid_input(&format!("Statuses '{bad}' is not a valid status"));
    }
    let key = recorded.query.get("incident_key");
    let reply = {
        let state = lock(state);
        let incidents: Vec<Value> = state
            .incidents
            .iter()
            .filter(|i| key.is_none_or(|k| *k == i.incident_key))
            .filter(|i| statuses.is_empty() || statuses.contains(&i.status))
            .map(incident_json)
            .collect();
        json(200, json!({ "incidents": incidents, "limit": 25, "offset": 0, "more": false, "total": null }))
    };
    late(&fault).await;
    reply
}

/// `PUT /incidents/{id}`: `{"incident":{"type":"incident_reference","status":…}}` with `From`.
pub(super) async fn update_incident(state: &Mutex<State>, id: &str, recorded: &Recorded) -> Response {
    if !authorized(recorded) {
        return unauthorized();
    }
    let fault = lock(state).faults.take(&PagerDutyRoute::UpdateIncident);
    if let Some(fault) = &fault
        && let Some(response) = short_circuit(fault).await
    {
        return response;
    }
    let Some(from) = recorded.header("from").filter(|f| f.contains('@')) else {
        return invalid_input("Requester User Not Found");
    };
    let body = recorded.json();
    let incident = &body["incident"];
    if !matches!(incident["type"].as_str(), Some("incident_reference" | "incident")) {
        return invalid_input("Incident type must be incident_reference");
    }
    let Some(status @ ("acknowledged" | "resolved")) = incident["status"].as_str() else {
        return invalid_input("Status must be one of acknowledged, resolved");
    };
    let reply = {
        let mut state = lock(state);
        let Some(found) = state.incidents.iter_mut().find(|i| i.id == id) else {
            return json(404, json!({ "error": { "message": "Not Found", "code": 2100 } }));
        };
        if found.status == "resolved" {
            return invalid_input("Incident Already Resolved");
        }
        found.status = status.to_owned();
        if status == "resolved" {
            found.resolved_by = Some(from.to_owned());
        }
        json(200, json!({ "incident": incident_json(found) }))
    };
    late(&fault).await;
    reply
}

/// The read routes: `GET /services/{id}` and `GET /users?query=`, and the 401 of a refused key on
/// any REST route or of no key on a read route (`GET /incidents` too); `None` for everything else.
pub(super) fn read(state: &Mutex<State>, s: &[&str], request: &Incoming) -> Option<Response> {
    let recorded = &request.recorded;
    let key = recorded.header("authorization").and_then(|a| a.strip_prefix("Token token=")).map(str::trim);
    let state = lock(state);
    let reading = request.method == Method::GET && matches!(s, ["services", _] | ["users"] | ["incidents"]);
    if key.is_some_and(|k| state.refused_keys.iter().any(|r| r == k)) || (reading && key.is_none()) {
        return Some(json(401, json!({ "error": { "message": "Unauthorized", "code": 2006 } })));
    }
    match s {
        ["services", id] if reading => Some(if state.missing_services.iter().any(|m| m == id) {
            json(404, json!({ "error": { "message": "Not Found", "code": 2100 } }))
        } else {
            json(
                200,
                json!({ "service": {
                    "id": id,
                    "type": "service",
                    "name": format!("Service {id}"),
                    "status": "active",
                    "html_url": format!("https://fake.pagerduty.invalid/service-directory/{id}"),
                } }),
            )
        }),
        ["users"] if reading => {
            let query = recorded.query.get("query").map(|q| q.to_lowercase()).unwrap_or_default();
            let users: Vec<Value> = std::iter::once(FROM_ADDRESS)
                .chain(state.users.iter().map(String::as_str))
                .enumerate()
                .filter(|(_, email)| email.to_lowercase().contains(&query))
                .map(|(i, email)| {
                    let name = email.split('@').next().unwrap_or_default();
                    json!({ "id": format!("PU{:05}", i + 1), "type": "user", "name": name, "email": email, "role": "user" })
                })
                .collect();
            Some(json(200, json!({ "users": users, "limit": 25, "offset": 0, "more": false, "total": null })))
        }
        _ => None,
    }
}
