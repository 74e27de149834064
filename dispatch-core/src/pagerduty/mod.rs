//! The PagerDuty clients (DESIGN.md §7f, §7j): REST API v2 ([`PagerDuty`]) `POST /incidents`,
//! `GET /incidents` by key and `PUT /incidents/{id}` to resolve; and Events API v2
//! `POST /v2/enqueue` ([`PagerDutyEvents`]), which takes monitoring alarms with an integration's
//! routing key. An open incident with the same key is a distinct, non-failing outcome of REST, as
//! are an incident resolved already and an unknown one; the Events API deduplicates a trigger by
//! its `dedup_key` itself. Both retry 429 and 5xx within the deadline; any other refusal carries
//! PagerDuty's message, never a credential.

mod events;
mod incidents;
mod rest;

use std::time::Duration;

use crate::http::NoReply;

pub use events::{
    Enqueued, Event, EventLink, EventPayload, PagerDutyEvents, ROUTING_KEY_LEN, RoutingKey, SOURCE, SUMMARY_MAX,
    Severity, custom_details, summary,
};
pub use incidents::{IncidentRef, ResolveOutcome};
pub use rest::{ACCEPT, IncidentOutcome, NewIncident, PagerDuty, Service, User};

/// Why PagerDuty refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PagerDutyError {
    /// Still rate limited when the deadline left no time to wait.
    #[error("PagerDuty: rate limited{}", .0.map(|d| format!(", retry after {}s", d.as_secs())).unwrap_or_default())]
    RateLimited(Option<Duration>),
    /// A 5xx, a timeout or a connection failure.
    #[error("PagerDuty: unavailable ({0})")]
    Transient(String),
    /// The API key was refused (401/403).
    #[error("PagerDuty: credentials refused (HTTP {status}: {message})")]
    Unauthorized {
        /// HTTP status.
        status: u16,
        /// PagerDuty's message.
        message: String,
    },
    /// Any other 4xx, with PagerDuty's message.
    #[error("PagerDuty: request refused (HTTP {status}: {message})")]
    Rejected {
        /// HTTP status.
        status: u16,
        /// PagerDuty's message and errors.
        message: String,
    },
}

impl From<NoReply> for PagerDutyError {
    /// No answer: a request that could not be built is refused for good; no reply is transient.
    fn from(e: NoReply) -> Self {
        match e {
            NoReply::Invalid(reason) => Self::Rejected { status: 0, message: format!("invalid request: {reason}") },
            NoReply::Unavailable(reason) => Self::Transient(reason),
        }
    }
}

impl PagerDutyError {
    /// Whether a later attempt may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::RateLimited(_) | Self::Transient(_))
    }
}
