//! Is an HTTP request a click from Slack? Verification (signature or legacy token), then the
//! payload, then where the answer may go. A request refused here gets a 401 or a 400 and reaches
//! nothing else.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::event::{HttpRequest, HttpResponse, Shape};
use super::payload::{self, BadPayload, Click, ResponseUrl};
use super::verify::{self, Unverified};
use crate::config::SlackVerification;
use crate::slack::Slack;

/// Why a request is not acted on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Not verified as Slack's: 401.
    #[error(transparent)]
    Unverified(#[from] Unverified),
    /// Verified, but not a click Dispatch sent: 400.
    #[error(transparent)]
    Malformed(#[from] BadPayload),
    /// Its `response_url` is not Slack's: 400.
    #[error("response_url {0:?} is not on hooks.slack.com")]
    ForeignResponseUrl(ResponseUrl),
}

impl From<&Refusal> for HttpResponse {
    fn from(refusal: &Refusal) -> Self {
        match refusal {
            Refusal::Unverified(_) => Self::new(401, "Unauthorized"),
            Refusal::Malformed(e) => Self::new(400, format!("Bad request: {e}")),
            Refusal::ForeignResponseUrl(_) => Self::new(400, "Bad request: response_url is not on hooks.slack.com"),
        }
    }
}

/// The click a request carries, once verified as Slack's: signed within five minutes of `now`, or
/// carrying the legacy token.
pub fn click(verification: &SlackVerification, request: &HttpRequest, now: DateTime<Utc>) -> Result<Click, Refusal> {
    if let SlackVerification::SigningSecret(secret) = verification {
        signed(secret, request, now)?;
    }
    let payload = payload::payload_json(&request.body);
    if let SlackVerification::LegacyToken(token) = verification {
        // The token is inside the payload: an unreadable payload is unverified, not malformed.
        let given = payload.as_ref().ok().and_then(|p| p.get("token")).and_then(Value::as_str);
        verify::verify_token(token, given)?;
    }
    Ok(payload.and_then(|payload| payload::parse_click(&payload))?)
}

/// Whether Slack can be answered through the click's `response_url`: only Slack's own are posted to.
pub fn answerable(slack: &Slack, click: &Click) -> Result<(), Refusal> {
    if slack.accepts_response_url(click.response_url.url()) {
        Ok(())
    } else {
        Err(Refusal::ForeignResponseUrl(click.response_url.clone()))
    }
}

/// Slack's signature headers, checked at `now`.
fn signed(secret: &secrecy::SecretString, request: &HttpRequest, now: DateTime<Utc>) -> Result<(), Unverified> {
    if request.shape == Shape::LegacyPostBody {
        return Err(Unverified::Unverifiable("a postBody request carries no signature; use a proxy integration"));
    }
    let timestamp =
        request.header("x-slack-request-timestamp").ok_or(Unverified::MissingHeader("X-Slack-Request-Timestamp"))?;
    let signature = request.header("x-slack-signature").ok_or(Unverified::MissingHeader("X-Slack-Signature"))?;
    verify::verify_signature(secret, timestamp, &request.body, signature, now.timestamp())
}

#[cfg(test)]
mod tests {
    use base64::Engine;

    use super::*;

    #[test]
    fn refusals_answer_401_when_unverified_and_400_when_malformed() {
        let unverified = HttpResponse::from(&Refusal::Unverified(Unverified::BadSignature));
        assert_eq!(unverified, HttpResponse::new(401, "Unauthorized"));
        let malformed = HttpResponse::from(&Refusal::Malformed(BadPayload::NoPayload));
        assert_eq!(malformed, HttpResponse::new(400, "Bad request: no payload field in the form body"));
        let foreign = HttpResponse::from(&Refusal::ForeignResponseUrl(foreign_click().response_url));
        assert_eq!(foreign, HttpResponse::new(400, "Bad request: response_url is not on hooks.slack.com"));
    }

    /// A Node-era click whose `response_url` is not Slack's.
    fn foreign_click() -> Click {
        let callback = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"github":7,"requestId":"abc123"}"#);
        payload::parse_click(&serde_json::json!({
            "type": "interactive_message",
            "callback_id": callback,
            "actions": [{ "name": "yes" }],
            "user": { "id": "U1", "name": "alice" },
            "response_url": "https://example.com/actions/T1/1/secret",
        }))
        .unwrap()
    }

    #[test]
    fn a_refused_response_url_shows_its_origin_only() {
        let refusal = Refusal::ForeignResponseUrl(foreign_click().response_url);
        assert_eq!(refusal.to_string(), "response_url ResponseUrl(https://example.com/…) is not on hooks.slack.com");
    }
}
