//! A fake PagerDuty: REST API v2 `POST /incidents`, refusing a second open incident with the same
//! key on the same service as PagerDuty does; and Events API v2 `POST /v2/enqueue`, answering the
//! documented shapes (202 `success` with the `dedup_key`, 400 `invalid event` naming the field),
//! adding a trigger whose `dedup_key` has an open alert to that alert, as PagerDuty does.

use std::sync::{Arc, Mutex};

use axum::http::Method;
use axum::response::Response;
use serde_json::{Value, json};

use crate::server::{Fault, Faults, Incoming, Recorded, json, late, lock, serve, short_circuit, unexpected};

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

/// An event the fake's Events API accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeEvent {
    /// `routing_key`.
    pub routing_key: String,
    /// `trigger`, `acknowledge` or `resolve`.
    pub event_action: String,
    /// `dedup_key` (generated when a trigger had none).
    pub dedup_key: String,
    /// `payload.summary` (triggers).
    pub summary: Option<String>,
    /// `payload.source` (triggers).
    pub source: Option<String>,
    /// `payload.severity` (triggers).
    pub severity: Option<String>,
    /// `payload.custom_details`.
    pub custom_details: Option<Value>,
    /// `links`.
    pub links: Value,
    /// A trigger added to an alert already open with its `dedup_key`, rather than opening one.
    pub deduplicated: bool,
}

/// An alert opened by a trigger on the fake's Events API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeAlert {
    /// `routing_key` of the trigger that opened it.
    pub routing_key: String,
    /// Its `dedup_key`.
    pub dedup_key: String,
    /// The opening trigger's summary.
    pub summary: String,
    /// The opening trigger's severity.
    pub severity: String,
    /// `triggered`, `acknowledged` or `resolved`.
    pub status: String,
}

/// A PagerDuty route, for fault injection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PagerDutyRoute {
    /// REST `POST /incidents` (what [`FakePagerDuty::fail`] plans for).
    Incidents,
    /// Events API v2 `POST /v2/enqueue`.
    Enqueue,
}

#[derive(Debug, Default)]
struct State {
    incidents: Vec<FakeIncident>,
    events: Vec<FakeEvent>,
    alerts: Vec<FakeAlert>,
    faults: Faults<PagerDutyRoute>,
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

    /// Plans `fault` for the next `times` incident requests (REST `POST /incidents`).
    pub fn fail(&self, fault: Fault, times: usize) {
        self.fail_route(PagerDutyRoute::Incidents, fault, times);
    }

    /// Plans `fault` for the next `times` requests to `route`.
    pub fn fail_route(&self, route: PagerDutyRoute, fault: Fault, times: usize) {
        lock(&self.state).faults.add(route, fault, times);
    }

    /// Events accepted by the Events API so far, in order.
    pub fn events(&self) -> Vec<FakeEvent> {
        lock(&self.state).events.clone()
    }

    /// Alerts opened by triggers so far (one per trigger that was not deduplicated).
    pub fn alerts(&self) -> Vec<FakeAlert> {
        lock(&self.state).alerts.clone()
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
    if request.method == Method::POST && s.as_slice() == ["v2", "enqueue"] {
        return enqueue(state, &request.recorded).await;
    }
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
    let fault = lock(state).faults.take(&PagerDutyRoute::Incidents);
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

/// Longest `payload.summary`.
const SUMMARY_MAX: usize = 1024;
/// Longest `dedup_key`.
const DEDUP_KEY_MAX: usize = 255;

/// PagerDuty's answer to an event it cannot take: 400 `invalid event`, the errors naming the field.
fn invalid_event(error: &str) -> Response {
    json(400, json!({ "status": "invalid event", "message": "Event object is invalid", "errors": [error] }))
}

/// Events API v2 `POST /v2/enqueue`.
async fn enqueue(state: &Mutex<State>, recorded: &Recorded) -> Response {
    let fault = lock(state).faults.take(&PagerDutyRoute::Enqueue);
    if let Some(fault) = &fault
        && let Some(response) = short_circuit(fault).await
    {
        return response;
    }
    let event = match check_event(&recorded.json()) {
        Ok(event) => event,
        Err(error) => return invalid_event(&error),
    };
    let dedup_key = event.dedup_key.clone();
    {
        let mut state = lock(state);
        let open = state
            .alerts
            .iter_mut()
            .find(|a| a.routing_key == event.routing_key && a.dedup_key == event.dedup_key && a.status != "resolved");
        let mut event = event;
        match (event.event_action.as_str(), open) {
            ("trigger", Some(_)) => event.deduplicated = true,
            ("trigger", None) => state.alerts.push(FakeAlert {
                routing_key: event.routing_key.clone(),
                dedup_key: event.dedup_key.clone(),
                summary: event.summary.clone().unwrap_or_default(),
                severity: event.severity.clone().unwrap_or_default(),
                status: "triggered".to_owned(),
            }),
            ("acknowledge", Some(alert)) => alert.status = "acknowledged".to_owned(),
            ("resolve", Some(alert)) => alert.status = "resolved".to_owned(),
            // PagerDuty accepts an acknowledge or resolve for no open alert, and drops it.
            _ => {}
        }
        state.events.push(event);
    }
    late(&fault).await;
    json(202, json!({ "status": "success", "message": "Event processed", "dedup_key": dedup_key }))
}

/// The event, or PagerDuty's error naming the field.
fn check_event(body: &Value) -> Result<FakeEvent, String> {
    if !body.is_object() {
        return Err("Event object is invalid".to_owned());
    }
    let text = |pointer: &str| body.pointer(pointer).and_then(Value::as_str).filter(|t| !t.trim().is_empty());
    let routing_key = text("/routing_key").ok_or("'routing_key' is missing or blank")?;
    if routing_key.chars().count() != 32 {
        return Err("Length of 'routing_key' is incorrect (should be 32 characters)".to_owned());
    }
    let event_action = text("/event_action").ok_or("'event_action' is missing or blank")?;
    if !["trigger", "acknowledge", "resolve"].contains(&event_action) {
        return Err("'event_action' is invalid (must be one of trigger, acknowledge, resolve)".to_owned());
    }
    let dedup_key = match text("/dedup_key") {
        Some(key) if key.chars().count() > DEDUP_KEY_MAX => {
            return Err(format!("'dedup_key' is too long (must be at most {DEDUP_KEY_MAX} characters)"));
        }
        Some(key) => key.to_owned(),
        None if event_action == "trigger" => format!("fake-dedup-{:016x}", rand_key(body)),
        None => return Err("'dedup_key' is missing or blank".to_owned()),
    };
    let mut event = FakeEvent {
        routing_key: routing_key.to_owned(),
        event_action: event_action.to_owned(),
        dedup_key,
        summary: None,
        source: None,
        severity: None,
        custom_details: body.pointer("/payload/custom_details").cloned(),
        links: body.get("links").cloned().unwrap_or(Value::Null),
        deduplicated: false,
    };
    if event_action == "trigger" {
        if !body["payload"].is_object() {
            return Err("'payload' is missing or not an object".to_owned());
        }
        let summary = text("/payload/summary").ok_or("'payload.summary' is missing or blank")?;
        let n = summary.chars().count();
        if n > SUMMARY_MAX {
            return Err(format!("'payload.summary' is too long ({n} characters, at most {SUMMARY_MAX})"));
        }
        let source = text("/payload/source").ok_or("'payload.source' is missing or blank")?;
        let severity = text("/payload/severity").ok_or("'payload.severity' is missing or blank")?;
        if !["critical", "error", "warning", "info"].contains(&severity) {
            return Err("'payload.severity' is invalid (must be one of critical, error, warning, info)".to_owned());
        }
        if let Some(links) = body.get("links").filter(|l| !l.is_null()) {
            let valid = links.as_array().is_some_and(|links| links.iter().all(|l| l["href"].is_string()));
            if !valid {
                return Err("'links' must be an array of objects with an href".to_owned());
            }
        }
        event.summary = Some(summary.to_owned());
        event.source = Some(source.to_owned());
        event.severity = Some(severity.to_owned());
    }
    Ok(event)
}

/// A key for a trigger without one, from its body.
fn rand_key(body: &Value) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    body.to_string().hash(&mut hasher);
    std::time::SystemTime::now().hash(&mut hasher);
    hasher.finish()
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
