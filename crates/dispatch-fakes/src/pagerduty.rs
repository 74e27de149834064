//! A fake PagerDuty REST API v2: `POST /incidents`, refusing a second open incident with the same
//! key on the same service as PagerDuty does.

use std::sync::{Arc, Mutex};

use axum::http::Method;
use axum::response::Response;
use serde_json::json;

use crate::server::{Fault, Faults, Incoming, Recorded, json, late, serve, short_circuit, unexpected};

/// An incident the fake holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeIncident {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Service id.
    pub service: String,
    /// Dedup key.
    pub incident_key: String,
    /// Details.
    pub details: Option<String>,
    /// `From` header.
    pub from: String,
}

#[derive(Debug, Default)]
struct State {
    incidents: Vec<FakeIncident>,
    faults: Faults<()>,
    /// Services that do not exist (`GET /services/{id}` answers 404); every other one does.
    missing_services: Vec<String>,
    /// API keys refused with 401 on every REST route.
    refused_keys: Vec<String>,
    /// Users of the account besides [`FROM_ADDRESS`], by email.
    users: Vec<String>,
}

/// The email of the account's user the fake knows from the start (the sandbox's From address).
pub const FROM_ADDRESS: &str = "oncall@example.com";


/// The fake PagerDuty.
#[derive(Debug, Clone)]
pub struct FakePagerDuty {
    url: String,
    state: Arc<Mutex<State>>,
    log: Arc<Mutex<Vec<Recorded>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl FakePagerDuty {
    /// Starts it on a loopback port.
    pub async fn start() -> std::io::Result<Self> {
        let state = Arc::new(Mutex::new(State::default()));
        let log = Arc::new(Mutex::new(Vec::new()));
        let s = state.clone();
        let addr = serve(log.clone(), move |request| {
            let state = s.clone();
            async move { handle(&state, request).await }
        })
        .await?;
        Ok(Self { url: format!("http://{addr}"), state, log })
    }

    /// The API base URL.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Incidents opened so far.
    pub fn incidents(&self) -> Vec<FakeIncident> {
        lock(&self.state).incidents.clone()
    }

    /// Makes service `id` not exist: `GET /services/{id}` answers 404.
    pub fn missing_service(&self, id: &str) {
        lock(&self.state).missing_services.push(id.to_owned());
    }

    /// Refuses API key `key` (wrong or revoked) with 401 on every REST route.
    pub fn refuse_key(&self, key: &str) {
        lock(&self.state).refused_keys.push(key.to_owned());
    }

    /// Adds a user of the account, found by `GET /users?query=` ([`FROM_ADDRESS`] is one already).
    pub fn add_user(&self, email: &str) {
        lock(&self.state).users.push(email.to_owned());
    }

    /// Plans `fault` for the next `times` incident requests.
    pub fn fail(&self, fault: Fault, times: usize) {
        lock(&self.state).faults.add((), fault, times);
    }

    /// Forgets planned faults.
    pub fn heal(&self) {
        lock(&self.state).faults.clear();
    }

    /// Every request received.
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.log).clone()
    }
}

async fn handle(state: &Mutex<State>, request: Incoming) -> Response {
    let s: Vec<&str> = request.segments.iter().map(String::as_str).collect();
    if let Some(response) = read(state, &s, &request) {
        return response;
    }
    if request.method != Method::POST || s.as_slice() != ["incidents"] {
        return unexpected(&request);
    }
    let recorded = &request.recorded;
    if !recorded.header("authorization").is_some_and(|a| a.starts_with("Token token=")) {
        return json(401, json!({ "error": { "message": "Unauthorized", "code": 2006 } }));
    }
    let fault = lock(state).faults.take(&());
    if let Some(fault) = &fault
        && let Some(response) = short_circuit(fault).await
    {
        return response;
    }
    let body = recorded.json();
    let incident = &body["incident"];
    let (Some(title), Some(service)) = (incident["title"].as_str(), incident["service"]["id"].as_str()) else {
        return json(
            400,
            json!({ "error": { "message": "Invalid Input Provided", "code": 2001, "errors": ["Title and service are required."] } }),
        );
    };
    let Some(from) = recorded.header("from").filter(|f| f.contains('@')) else {
        return json(
            400,
            json!({ "error": { "message": "Invalid Input Provided", "code": 2001, "errors": ["Requester User Not Found"] } }),
        );
    };
    let key = incident["incident_key"].as_str().unwrap_or_default().to_owned();
    let reply = {
        let mut state = lock(state);
        if !key.is_empty() && state.incidents.iter().any(|i| i.incident_key == key && i.service == service) {
            return json(
                400,
                json!({ "error": { "message": "Invalid Input Provided", "code": 2001, "errors": ["Open incident with matching dedup key already exists on this service"] } }),
            );
        }
        let id = format!("Q{:05}", state.incidents.len() + 1);
        state.incidents.push(FakeIncident {
            id: id.clone(),
            title: title.to_owned(),
            service: service.to_owned(),
            incident_key: key,
            details: incident["body"]["details"].as_str().map(str::to_owned),
            from: from.to_owned(),
        });
        json(
            201,
            json!({ "incident": { "id": id, "html_url": format!("https://fake.pagerduty.invalid/incidents/{id}"), "status": "triggered" } }),
        )
    };
    late(&fault).await;
    reply
}

/// The read routes: `GET /services/{id}` and `GET /users?query=`, and the 401 of a refused key on
/// any REST route; `None` for everything else.
fn read(state: &Mutex<State>, s: &[&str], request: &Incoming) -> Option<Response> {
    let recorded = &request.recorded;
    let key = recorded.header("authorization").and_then(|a| a.strip_prefix("Token token=")).map(str::trim);
    let state = lock(state);
    let reading = request.method == Method::GET && matches!(s, ["services", _] | ["users"]);
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
            let users: Vec<serde_json::Value> = std::iter::once(FROM_ADDRESS)
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
