//! A fake PagerDuty: REST API v2 `POST /incidents`, refusing a second open incident with the same
//! key on the same service as PagerDuty does, `GET /incidents` by key and status, and
//! `PUT /incidents/{id}` to resolve (see `rest.rs`); and Events API v2 `POST /v2/enqueue`,
//! answering the documented shapes (202 `success` with the `dedup_key`, 400 `invalid event` naming
//! the field), adding a trigger whose `dedup_key` has an open alert to that alert, as PagerDuty
//! does (see `events.rs`).

mod events;
mod rest;
#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex};

use axum::http::Method;
use axum::response::Response;
use serde_json::Value;

use crate::server::{Fault, Faults, Incoming, Recorded, Started, lock, serve_with_state, unexpected};

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
    /// `From` header of the request that opened it.
    pub from: String,
    /// `triggered`, `acknowledged` or `resolved`.
    pub status: String,
    /// `From` header of the request that resolved it, once resolved over REST.
    pub resolved_by: Option<String>,
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
    /// REST `GET /incidents` (finding incidents by key).
    ListIncidents,
    /// REST `PUT /incidents/{id}` (resolving or acknowledging one).
    UpdateIncident,
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
        let Started { addr, state, log } =
            serve_with_state(|state: Arc<Mutex<State>>, request| async move { handle(&state, request).await }).await?;
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

    /// The incident with `id`, as it is now.
    pub fn incident(&self, id: &str) -> Option<FakeIncident> {
        lock(&self.state).incidents.iter().find(|i| i.id == id).cloned()
    }

    /// The status of incident `id` (`triggered`, `acknowledged`, `resolved`).
    pub fn incident_status(&self, id: &str) -> Option<String> {
        self.incident(id).map(|i| i.status)
    }

    /// The incidents opened with incident key `key`, oldest first, resolved ones included.
    pub fn incidents_with_key(&self, key: &str) -> Vec<FakeIncident> {
        lock(&self.state).incidents.iter().filter(|i| i.incident_key == key).cloned().collect()
    }

    /// Opens a `triggered` incident on `service` with incident key `key`, as if someone had opened
    /// it in PagerDuty (its `from` is [`FROM_ADDRESS`]), and returns it. No dedup check.
    pub fn add_incident(&self, service: &str, key: &str, title: &str) -> FakeIncident {
        let mut state = lock(&self.state);
        let incident = FakeIncident {
            id: format!("Q{:05}", state.incidents.len() + 1),
            title: title.to_owned(),
            service: service.to_owned(),
            incident_key: key.to_owned(),
            details: None,
            from: FROM_ADDRESS.to_owned(),
            status: "triggered".to_owned(),
            resolved_by: None,
        };
        state.incidents.push(incident.clone());
        incident
    }

    /// Sets the status of incident `id` as someone in PagerDuty would (`acknowledged`,
    /// `resolved`); whether the fake holds it.
    pub fn set_incident_status(&self, id: &str, status: &str) -> bool {
        let mut state = lock(&self.state);
        let found = state.incidents.iter_mut().find(|i| i.id == id);
        found.map(|i| i.status = status.to_owned()).is_some()
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

    /// Plans `fault` for the next `times` requests to `route` (REST `POST`, `GET`, `PUT`
    /// `/incidents…` or the Events API).
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
        return events::enqueue(state, &request.recorded).await;
    }
    if let Some(response) = rest::read(state, &s, &request) {
        return response;
    }
    match (&request.method, s.as_slice()) {
        (&Method::POST, ["incidents"]) => rest::create_incident(state, &request.recorded).await,
        (&Method::GET, ["incidents"]) => rest::list_incidents(state, &request.recorded).await,
        (&Method::PUT, ["incidents", id]) => rest::update_incident(state, id, &request.recorded).await,
        _ => unexpected(&request),
    }
}
