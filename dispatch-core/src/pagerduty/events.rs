//! The Events API v2 client: `POST /v2/enqueue` with an integration's routing key, and the
//! events, payloads and routing keys it sends.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use url::Url;

use super::PagerDutyError;
use crate::deadline::{Deadline, RetryPolicy, Verdict, retry_after, with_retries};

/// Longest `payload.summary` the Events API accepts, in characters.
pub const SUMMARY_MAX: usize = 1024;
/// `payload.source` of every event Dispatch sends.
pub const SOURCE: &str = "dispatch";
/// Length of an integration key (a routing key).
pub const ROUTING_KEY_LEN: usize = 32;

/// The integration key of a PagerDuty service (`PagerDutyRoutingKey`): 32 letters and digits. A
/// credential: its `Debug` hides it and no error quotes it.
#[derive(Clone)]
pub struct RoutingKey(SecretString);

impl std::fmt::Debug for RoutingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RoutingKey([REDACTED])")
    }
}

impl RoutingKey {
    /// Checks the form of an integration key. The reason never holds the key or any of its
    /// characters.
    pub fn parse(key: SecretString) -> Result<Self, String> {
        let value = key.expose_secret();
        let n = value.chars().count();
        if n != ROUTING_KEY_LEN {
            return Err(format!(
                "must be the {ROUTING_KEY_LEN}-character integration key of a PagerDuty service (Events API v2), got {n} characters"
            ));
        }
        if !value.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err("must be an integration key of a PagerDuty service: letters and digits only".to_owned());
        }
        Ok(Self(key))
    }

    /// The key, for the request body only.
    fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

/// `payload.severity` of a PagerDuty event: how bad the alarm is for the affected system.
/// PagerDuty's event rules and service settings may use it to set the urgency of the incident.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The default: the affected system is down or at risk.
    #[default]
    Critical,
    /// Something failed.
    Error,
    /// Something may fail if left alone.
    Warning,
    /// For information.
    Info,
}

impl Severity {
    /// Every severity, most severe first.
    pub const ALL: [Severity; 4] = [Severity::Critical, Severity::Error, Severity::Warning, Severity::Info];

    /// The name PagerDuty uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Info => "info",
        }
    }

    /// One of `critical`, `error`, `warning`, `info`, exactly.
    pub fn parse(value: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == value)
            .ok_or_else(|| "must be one of critical, error, warning, info".to_owned())
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `links[]` of a trigger: a link shown on the alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventLink {
    /// Address.
    pub href: String,
    /// Text shown.
    pub text: String,
}

/// `payload` of a trigger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventPayload {
    /// The alert's title, at most [`SUMMARY_MAX`] characters (see [`summary`]).
    pub summary: String,
    /// What sent it: [`SOURCE`].
    pub source: String,
    /// How bad it is.
    pub severity: Severity,
    /// Details shown on the alert; an object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_details: Option<Value>,
}

/// One event for `POST /v2/enqueue`, tagged by its `event_action`. The routing key is added by
/// the client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event_action", rename_all = "lowercase")]
pub enum Event {
    /// Opens an alert, or adds to the open alert with the same `dedup_key`.
    Trigger {
        /// The alert's key, at most 255 characters (`routing::incident_key`).
        dedup_key: String,
        /// What the alert says.
        payload: EventPayload,
        /// Links shown on the alert.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        links: Vec<EventLink>,
    },
    /// Resolves the open alert with this `dedup_key`.
    Resolve {
        /// The alert's key.
        dedup_key: String,
    },
}

impl Event {
    /// The event's `dedup_key`.
    pub fn dedup_key(&self) -> &str {
        match self {
            Self::Trigger { dedup_key, .. } | Self::Resolve { dedup_key } => dedup_key,
        }
    }

    /// `trigger` or `resolve`.
    pub fn action(&self) -> &'static str {
        match self {
            Self::Trigger { .. } => "trigger",
            Self::Resolve { .. } => "resolve",
        }
    }
}

/// The request body: the routing key and the event.
#[derive(Serialize)]
struct Enqueue<'a> {
    routing_key: &'a str,
    #[serde(flatten)]
    event: &'a Event,
}

/// The Events API's answer to an accepted event (HTTP 202).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Enqueued {
    /// The alert's key, as PagerDuty holds it.
    pub dedup_key: String,
}

/// An alarm's title as a `payload.summary`: cut after [`SUMMARY_MAX`] characters, at a character
/// boundary.
pub fn summary(title: &str) -> String {
    match title.char_indices().nth(SUMMARY_MAX) {
        Some((end, _)) => title[..end].to_owned(),
        None => title.to_owned(),
    }
}

/// The details of an alarm as `custom_details`, which PagerDuty shows as fields: JSON object text
/// (the fallback's whole message, or a `body.pagerduty.body` that was an object) as that object,
/// any other text as `{"details": text}`.
pub fn custom_details(details: Option<&str>) -> Option<Value> {
    let details = details?;
    match serde_json::from_str::<Value>(details) {
        Ok(object @ Value::Object(_)) => Some(object),
        _ => Some(json!({ "details": details })),
    }
}

/// The Events API v2 client. Build it once per process and share it.
#[derive(Debug, Clone)]
pub struct PagerDutyEvents {
    http: reqwest::Client,
    enqueue: Url,
    routing_key: RoutingKey,
    policy: RetryPolicy,
}

impl PagerDutyEvents {
    /// A client for the Events API at `base_url` (`https://events.pagerduty.com`), sending to the
    /// service whose integration key is `routing_key`.
    pub fn new(http: reqwest::Client, base_url: &Url, routing_key: RoutingKey, policy: RetryPolicy) -> Self {
        let mut base = base_url.clone();
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let enqueue = base.join("v2/enqueue").unwrap_or(base);
        Self { http, enqueue, routing_key, policy }
    }

    /// Sends one event, retrying 429 and 5xx within `deadline`. Safe to retry after an ambiguous
    /// failure: PagerDuty adds a trigger with the `dedup_key` of an open alert to that alert.
    pub async fn enqueue(&self, event: &Event, deadline: Deadline) -> Result<Enqueued, PagerDutyError> {
        let body = Enqueue { routing_key: self.routing_key.expose(), event };
        let verdict = |error: &PagerDutyError| match error {
            PagerDutyError::RateLimited(after) => Verdict::RateLimited(*after),
            PagerDutyError::Transient(_) => Verdict::Transient,
            _ => Verdict::Final,
        };
        with_retries(&self.policy, deadline, "pagerduty events", verdict, || self.attempt(&body, deadline)).await
    }

    /// Triggers an alert.
    pub async fn trigger(
        &self,
        dedup_key: String,
        payload: EventPayload,
        links: Vec<EventLink>,
        deadline: Deadline,
    ) -> Result<Enqueued, PagerDutyError> {
        self.enqueue(&Event::Trigger { dedup_key, payload, links }, deadline).await
    }

    /// Resolves the alert with `dedup_key`.
    pub async fn resolve(&self, dedup_key: String, deadline: Deadline) -> Result<Enqueued, PagerDutyError> {
        self.enqueue(&Event::Resolve { dedup_key }, deadline).await
    }

    async fn attempt(&self, body: &Enqueue<'_>, deadline: Deadline) -> Result<Enqueued, PagerDutyError> {
        let request = self.http.post(self.enqueue.clone()).json(body);
        let reply = crate::http::exchange(request, deadline, self.policy.request_timeout)
            .await
            .map_err(PagerDutyError::from)?;
        let (status, headers, bytes) = (reply.status, reply.headers, reply.body);
        if status.is_success() {
            return serde_json::from_slice::<Enqueued>(&bytes)
                .or_else(|_| Ok(Enqueued { dedup_key: body.event.dedup_key().to_owned() }));
        }
        // PagerDuty does not echo the key, but nothing it says reaches a log with the key in it.
        let message = events_error_message(&bytes).replace(self.routing_key.expose(), "[REDACTED]");
        match status.as_u16() {
            429 => Err(PagerDutyError::RateLimited(retry_after(&headers))),
            s if s >= 500 => Err(PagerDutyError::Transient(format!("HTTP {s}: {message}"))),
            s @ (401 | 403) => Err(PagerDutyError::Unauthorized { status: s, message }),
            s => Err(PagerDutyError::Rejected { status: s, message }),
        }
    }
}

/// The Events API's `message` and `errors[]` (which name the fields), joined.
fn events_error_message(body: &[u8]) -> String {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
    };
    let mut parts: Vec<String> = value["message"].as_str().map(str::to_owned).into_iter().collect();
    if let Some(errors) = value["errors"].as_array() {
        parts.extend(errors.iter().filter_map(Value::as_str).map(str::to_owned));
    }
    if parts.is_empty() { "no message".to_owned() } else { parts.join(": ") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_is_cut_after_1024_characters_at_a_character_boundary() {
        let title = "é".repeat(SUMMARY_MAX + 10);
        let cut = summary(&title);
        assert_eq!(cut.chars().count(), SUMMARY_MAX);
        assert_eq!(cut, "é".repeat(SUMMARY_MAX));
        assert_eq!(summary("short"), "short");
        let exact = "x".repeat(SUMMARY_MAX);
        assert_eq!(summary(&exact), exact);
    }

    #[test]
    fn details_become_an_object_of_custom_details() {
        assert_eq!(custom_details(None), None);
        assert_eq!(custom_details(Some("disk full")), Some(json!({ "details": "disk full" })));
        assert_eq!(custom_details(Some(r#"{"type":"page-me"}"#)), Some(json!({ "type": "page-me" })));
        assert_eq!(custom_details(Some("[1,2]")), Some(json!({ "details": "[1,2]" })));
    }

    #[test]
    fn a_trigger_serialises_with_the_routing_key_and_its_action_and_a_resolve_with_its_key_only() {
        let key = RoutingKey::parse(SecretString::from("a".repeat(32))).unwrap();
        let trigger = Event::Trigger {
            dedup_key: "k".into(),
            payload: EventPayload {
                summary: "s".into(),
                source: SOURCE.into(),
                severity: Severity::Warning,
                custom_details: None,
            },
            links: vec![],
        };
        let body = serde_json::to_value(Enqueue { routing_key: key.expose(), event: &trigger }).unwrap();
        assert_eq!(
            body,
            json!({ "routing_key": "a".repeat(32), "event_action": "trigger", "dedup_key": "k",
                    "payload": { "summary": "s", "source": "dispatch", "severity": "warning" } })
        );
        let resolve = Event::Resolve { dedup_key: "k".into() };
        let body = serde_json::to_value(Enqueue { routing_key: key.expose(), event: &resolve }).unwrap();
        assert_eq!(body, json!({ "routing_key": "a".repeat(32), "event_action": "resolve", "dedup_key": "k" }));
    }

    #[test]
    fn a_routing_key_is_32_letters_and_digits_and_neither_its_debug_nor_its_errors_show_it() {
        let good = "0123456789abcdef0123456789ABCDEF";
        let key = RoutingKey::parse(SecretString::from(good.to_owned())).unwrap();
        assert!(!format!("{key:?}").contains(good));
        for bad in ["short-secret", &format!("{good}0"), "0123456789abcdef0123456789abcde-"] {
            let reason = RoutingKey::parse(SecretString::from(bad.to_owned())).unwrap_err();
            assert!(!reason.contains(bad), "{reason}");
        }
    }

    #[test]
    fn severities_parse_exactly_and_default_to_critical() {
        assert_eq!(Severity::default(), Severity::Critical);
        for severity in Severity::ALL {
            assert_eq!(Severity::parse(severity.as_str()), Ok(severity));
        }
        assert!(Severity::parse("Critical").is_err());
        assert!(Severity::parse("high").is_err());
    }
}
