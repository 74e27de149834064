//! The REST API v2 client: `POST /incidents` to open an incident, the retries every REST call
//! shares, and the read-only calls `dispatch doctor` makes (`GET /services/{id}`, `GET /users`).
//! Finding and resolving incidents is in `incidents.rs`.

use crate::http::Reply;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

use super::PagerDutyError;
use crate::deadline::{Deadline, RetryPolicy, Verdict, retry_after, with_retries};
use crate::ids::ServiceId;

/// `Accept` header of REST API v2.
pub const ACCEPT: &str = "application/vnd.pagerduty+json;version=2";

/// An incident to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIncident {
    /// Title.
    pub title: String,
    /// Details, shown in the incident body.
    pub details: Option<String>,
    /// Dedup key: an open incident with the same key is not opened twice.
    pub incident_key: String,
    /// The service.
    pub service: ServiceId,
}

/// What opening an incident did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncidentOutcome {
    /// A new incident.
    Created {
        /// PagerDuty's id.
        id: String,
        /// Web address.
        html_url: Option<String>,
    },
    /// An open incident with the same key already exists.
    AlreadyOpen,
}

/// The PagerDuty client. Build it once per process and share it.
#[derive(Debug, Clone)]
pub struct PagerDuty {
    pub(super) http: reqwest::Client,
    incidents: Url,
    api_key: SecretString,
    from: String,
    policy: RetryPolicy,
}

impl PagerDuty {
    /// A client for the API at `base_url` (`https://api.pagerduty.com`), acting as the PagerDuty
    /// user with email `from` (`PagerDutyFromAddress`).
    pub fn new(
        http: reqwest::Client,
        base_url: &Url,
        api_key: SecretString,
        from: String,
        policy: RetryPolicy,
    ) -> Self {
        let mut base = base_url.clone();
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let incidents = base.join("incidents").unwrap_or(base);
        Self { http, incidents, api_key, from, policy }
    }

    /// Opens an incident, retrying 429 and 5xx within `deadline`. A retry after an ambiguous
    /// failure is safe: the incident key makes PagerDuty refuse a second open incident.
    pub async fn create_incident(
        &self,
        incident: &NewIncident,
        deadline: Deadline,
    ) -> Result<IncidentOutcome, PagerDutyError> {
        let mut body = json!({
            "incident": {
                "type": "incident",
                "title": incident.title,
                "service": { "id": incident.service.as_str(), "type": "service_reference" },
                "incident_key": incident.incident_key,
            }
        });
        if let Some(details) = &incident.details {
            body["incident"]["body"] = json!({ "type": "incident_body", "details": details });
        }
        let request = || self.writing(self.http.post(self.incidents.clone())).json(&body);
        self.call(request, deadline, |reply| {
            if reply.status.is_success() {
                #[derive(Deserialize)]
                struct Created {
                    incident: CreatedIncident,
                }
                #[derive(Deserialize)]
                struct CreatedIncident {
                    id: String,
                    html_url: Option<String>,
                }
                let created: Created = serde_json::from_slice(&reply.body)
                    .map_err(|e| PagerDutyError::Transient(format!("unexpected response body: {e}")))?;
                return Ok(IncidentOutcome::Created { id: created.incident.id, html_url: created.incident.html_url });
            }
            let message = error_message(&reply.body);
            if reply.status == 400 && message.to_lowercase().contains("matching dedup key already exists") {
                return Ok(IncidentOutcome::AlreadyOpen);
            }
            Err(refusal(reply.status.as_u16(), message))
        })
        .await
    }

    /// `request` with the API key and the REST v2 `Accept` header.
    pub(super) fn authorized(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        request
            .header(reqwest::header::AUTHORIZATION, format!("Token token={}", self.api_key.expose_secret()))
            .header(reqwest::header::ACCEPT, ACCEPT)
    }

    /// `request` authorized, and with the `From` header a change needs (the acting user's email).
    pub(super) fn writing(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        self.authorized(request).header("From", &self.from)
    }

    /// Sends what `request` builds until `read` accepts the reply or fails for good: a 429 is waited
    /// out, a 5xx or no reply retried within the policy's attempts (as is whatever `read` calls
    /// [`PagerDutyError::Transient`]), all within `deadline`. `read` sees every other reply.
    pub(super) async fn call<T>(
        &self,
        request: impl Fn() -> reqwest::RequestBuilder,
        deadline: Deadline,
        read: impl Fn(Reply) -> Result<T, PagerDutyError>,
    ) -> Result<T, PagerDutyError> {
        let verdict = |error: &PagerDutyError| match error {
            PagerDutyError::RateLimited(after) => Verdict::RateLimited(*after),
            PagerDutyError::Transient(_) => Verdict::Transient,
            _ => Verdict::Final,
        };
        let attempt = || async {
            let reply = crate::http::exchange(request(), deadline, self.policy.request_timeout)
                .await
                .map_err(PagerDutyError::from)?;
            match reply.status.as_u16() {
                429 => Err(PagerDutyError::RateLimited(retry_after(&reply.headers))),
                s if s >= 500 => Err(PagerDutyError::Transient(format!("HTTP {s}: {}", error_message(&reply.body)))),
                _ => read(reply),
            }
        };
        with_retries(&self.policy, deadline, "pagerduty", verdict, attempt).await
    }
}

/// A refusal that is not worth repeating: the credentials (401, 403) or the request (any other).
pub(super) fn refusal(status: u16, message: String) -> PagerDutyError {
    match status {
        401 | 403 => PagerDutyError::Unauthorized { status, message },
        _ => PagerDutyError::Rejected { status, message },
    }
}

/// PagerDuty's `error.message` and `error.errors[]`, joined.
pub(super) fn error_message(body: &[u8]) -> String {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
    };
    let error = &value["error"];
    let mut parts: Vec<String> = error["message"].as_str().map(str::to_owned).into_iter().collect();
    if let Some(errors) = error["errors"].as_array() {
        parts.extend(errors.iter().filter_map(Value::as_str).map(str::to_owned));
    }
    if parts.is_empty() { "no message".to_owned() } else { parts.join(": ") }
}

/// A service, as `GET /services/{id}` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Service {
    /// Id.
    pub id: String,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// `active`, `disabled`, …
    #[serde(default)]
    pub status: Option<String>,
}

/// A user of the account, as `GET /users` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct User {
    /// Id.
    pub id: String,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Login email.
    pub email: String,
}

/// Read-only calls for checking a deployment (`dispatch doctor`).
impl PagerDuty {
    /// `GET /services/{id}`: the service, or `None` when the account has no such service.
    pub async fn service(&self, id: &ServiceId, deadline: Deadline) -> Result<Option<Service>, PagerDutyError> {
        #[derive(Deserialize)]
        struct Reply {
            service: Service,
        }
        let url = self.api_url(&format!("services/{}", id.as_str()), &[])?;
        let reply: Option<Reply> = self.get(url, deadline).await?;
        Ok(reply.map(|r| r.service))
    }

    /// The user whose login email is exactly `email` (case aside), from `GET /users?query=`.
    pub async fn user_by_email(&self, email: &str, deadline: Deadline) -> Result<Option<User>, PagerDutyError> {
        #[derive(Deserialize)]
        struct Reply {
            #[serde(default)]
            users: Vec<User>,
        }
        let url = self.api_url("users", &[("query", email), ("limit", "100")])?;
        let reply: Option<Reply> = self.get(url, deadline).await?;
        Ok(reply.into_iter().flat_map(|r| r.users).find(|u| u.email.eq_ignore_ascii_case(email)))
    }

    /// An address under the API's base URL (the incidents URL's directory).
    pub(super) fn api_url(&self, path: &str, query: &[(&str, &str)]) -> Result<Url, PagerDutyError> {
        let mut url = self
            .incidents
            .join(path)
            .map_err(|e| PagerDutyError::Rejected { status: 0, message: format!("invalid request: {e}") })?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        Ok(url)
    }

    /// One GET with retries of 429 and 5xx within `deadline`; `None` for a 404.
    pub(super) async fn get<T: serde::de::DeserializeOwned>(
        &self,
        url: Url,
        deadline: Deadline,
    ) -> Result<Option<T>, PagerDutyError> {
        self.call(
            || self.authorized(self.http.get(url.clone())),
            deadline,
            |reply| {
                if reply.status.is_success() {
                    return serde_json::from_slice(&reply.body)
                        .map(Some)
                        .map_err(|e| PagerDutyError::Transient(format!("unexpected response body: {e}")));
                }
                match reply.status.as_u16() {
                    404 => Ok(None),
                    s => Err(refusal(s, error_message(&reply.body))),
                }
            },
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_message_joins_message_and_errors() {
        let body = br#"{"error":{"message":"Invalid Input Provided","code":2001,"errors":["Open incident with matching dedup key already exists on this service"]}}"#;
        assert_eq!(
            error_message(body),
            "Invalid Input Provided: Open incident with matching dedup key already exists on this service"
        );
        assert_eq!(error_message(b"<html>"), "<html>");
    }
}
