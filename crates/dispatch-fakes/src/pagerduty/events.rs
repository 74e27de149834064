//! The fake's Events API v2 `POST /v2/enqueue`: the documented answers (202 `success` with the
//! `dedup_key`, 400 `invalid event` naming the field), a trigger whose `dedup_key` has an open
//! alert added to that alert, as PagerDuty does.

use std::sync::Mutex;

use axum::response::Response;
use serde_json::{Value, json};

use super::{FakeAlert, FakeEvent, PagerDutyRoute, State};
use crate::server::{Recorded, json, late, lock, short_circuit};

/// Longest `payload.summary`.
const SUMMARY_MAX: usize = 1024;
/// Longest `dedup_key`.
const DEDUP_KEY_MAX: usize = 255;

/// PagerDuty's answer to an event it cannot take: 400 `invalid event`, the errors naming the field.
fn invalid_event(error: &str) -> Response {
    json(400, json!({ "status": "invalid event", "message": "Event object is invalid", "errors": [error] }))
}

/// Events API v2 `POST /v2/enqueue`.
pub(super) async fn enqueue(state: &Mutex<State>, recorded: &Recorded) -> Response {
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
