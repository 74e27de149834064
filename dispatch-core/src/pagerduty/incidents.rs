//! Finding and resolving incidents over REST API v2 (DESIGN.md §7j): `GET /incidents` by
//! incident key, and `PUT /incidents/{id}` to resolve one. Both retry 429 and 5xx within the
//! deadline with the retries of `POST /incidents`.

use serde::Deserialize;
use serde_json::json;
use tracing::{debug, warn};
use url::Url;

use super::PagerDutyError;
use super::rest::{PagerDuty, error_message, refusal};
use crate::deadline::Deadline;

/// The statuses of an open incident, as `GET /incidents` filters them.
const OPEN: [&str; 2] = ["triggered", "acknowledged"];
/// Longest incident id Dispatch sends (PagerDuty's are 7 to 14 characters).
const ID_MAX: usize = 64;

/// An open incident, as `GET /incidents` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentRef {
    /// PagerDuty's id (`Q…`, `P…`).
    pub id: String,
    /// `triggered` or `acknowledged`.
    pub status: String,
    /// Web address.
    pub html_url: Option<String>,
}

/// What resolving an incident did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResolveOutcome {
    /// It was open and is now resolved.
    Resolved,
    /// It was resolved already (by someone, by PagerDuty, or by an earlier attempt of this call).
    AlreadyResolved,
    /// PagerDuty has no incident with this id (or the API key may not see it).
    NotFound,
}

/// An incident as `GET /incidents` lists it, as far as Dispatch reads it.
#[derive(Debug, Deserialize)]
struct Listed {
    id: String,
    status: String,
    #[serde(default)]
    html_url: Option<String>,
    #[serde(default)]
    incident_key: Option<String>,
}

impl PagerDuty {
    /// The open (`triggered` or `acknowledged`) incidents whose incident key is `incident_key`:
    /// `GET /incidents?incident_key=…&statuses[]=triggered&statuses[]=acknowledged`, the key
    /// percent-encoded. PagerDuty keeps at most one open incident per key and service, so one page
    /// holds them all. An incident in the reply with another key or status is left out (and
    /// logged): a filter PagerDuty ignored must not let a caller resolve someone else's incident.
    pub async fn open_incidents(
        &self,
        incident_key: &str,
        deadline: Deadline,
    ) -> Result<Vec<IncidentRef>, PagerDutyError> {
        #[derive(Deserialize)]
        struct Reply {
            #[serde(default)]
            incidents: Vec<Listed>,
        }
        let query = [("incident_key", incident_key), ("statuses[]", OPEN[0]), ("statuses[]", OPEN[1])];
        let url = self.api_url("incidents", &query)?;
        let reply: Reply = self.get(url, deadline).await?.ok_or_else(|| PagerDutyError::Rejected {
            status: 404,
            message: "GET /incidents answered 404 (is PagerDutyApiUrl right?)".to_owned(),
        })?;
        let (open, other): (Vec<Listed>, Vec<Listed>) = reply.incidents.into_iter().partition(|incident| {
            OPEN.contains(&incident.status.as_str())
                && incident.incident_key.as_deref().is_none_or(|key| key == incident_key)
        });
        if !other.is_empty() {
            warn!(left_out = other.len(), "PagerDuty listed incidents of another key or status; they are left out");
        }
        debug!(open = open.len(), "open incidents found by key");
        Ok(open.into_iter().map(|i| IncidentRef { id: i.id, status: i.status, html_url: i.html_url }).collect())
    }

    /// Resolves incident `id`: `PUT /incidents/{id}` with
    /// `{"incident":{"type":"incident_reference","status":"resolved"}}` and the `From` header. An
    /// id that is not 1 to 64 ASCII letters and digits is refused without a request, so that no id
    /// can name another path. Repeating the call is safe: an incident resolved already is
    /// [`ResolveOutcome::AlreadyResolved`].
    pub async fn resolve_incident(&self, id: &str, deadline: Deadline) -> Result<ResolveOutcome, PagerDutyError> {
        let url = self.incident_url(id)?;
        let body = json!({ "incident": { "type": "incident_reference", "status": "resolved" } });
        let outcome = self
            .call(
                || self.writing(self.http.put(url.clone())).json(&body),
                deadline,
                |reply| {
                    if reply.status.is_success() {
                        return Ok(ResolveOutcome::Resolved);
                    }
                    let message = error_message(&reply.body);
                    match reply.status.as_u16() {
                        404 => Ok(ResolveOutcome::NotFound),
                        400 | 409 if says_already_resolved(&message) => Ok(ResolveOutcome::AlreadyResolved),
                        s => Err(refusal(s, message)),
                    }
                },
            )
            .await?;
        debug!(incident = id, ?outcome, "incident resolved");
        Ok(outcome)
    }

    /// `…/incidents/{id}`, for an id of ASCII letters and digits only.
    fn incident_url(&self, id: &str) -> Result<Url, PagerDutyError> {
        if id.is_empty() || id.len() > ID_MAX || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(PagerDutyError::Rejected {
                status: 0,
                message: "invalid request: an incident id is 1 to 64 ASCII letters and digits".to_owned(),
            });
        }
        let mut url = self.api_url("incidents", &[])?;
        url.path_segments_mut()
            .map_err(|()| PagerDutyError::Rejected {
                status: 0,
                message: "invalid request: PagerDutyApiUrl cannot take a path".to_owned(),
            })?
            .push(id);
        Ok(url)
    }
}

/// Whether PagerDuty's refusal says the incident is resolved already ("Incident Already
/// Resolved", in the errors of a 2001 "Invalid Input Provided"); the wording is read loosely.
fn says_already_resolved(message: &str) -> bool {
    let message = message.to_lowercase();
    message.contains("already") && message.contains("resolved")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_already_resolved_refusal_is_recognised_in_any_wording_and_other_refusals_are_not() {
        for said in [
            "Invalid Input Provided: Incident Already Resolved",
            "Incident has already been resolved",
            "incident is already RESOLVED",
        ] {
            assert!(says_already_resolved(said), "{said}");
        }
        for said in ["Invalid Input Provided: Requester User Not Found", "Incident Already Acknowledged", "Resolved"] {
            assert!(!says_already_resolved(said), "{said}");
        }
    }
}
