//! The interaction payload (DESIGN.md §7b): a form body with one `payload` field holding JSON,
//! either Block Kit `block_actions` (the buttons Dispatch sends now) or legacy
//! `interactive_message` (buttons the Node version left in users' DMs). Exactly one action.

use serde_json::Value;
use url::Url;

use crate::slack::blocks::{NO_ACTION, YES_ACTION};
use crate::slack::callback::{BadCallback, Callback, LegacyCallback};

/// Largest form body accepted (Slack's payloads are a few kilobytes).
pub const MAX_BODY: usize = 64 * 1024;

/// The answer a button gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// The alarm was expected: close the issue.
    Yes,
    /// It was not: escalate to PagerDuty.
    No,
}

impl Answer {
    /// `yes` or `no`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Yes => "yes",
            Self::No => "no",
        }
    }
}

/// Which alarm the button belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlarmRef {
    /// A button sent by this version.
    Current(Callback),
    /// A button sent by the Node version: default repository and service, no intended user.
    Legacy(LegacyCallback),
}

/// Who clicked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clicker {
    /// Slack user id.
    pub id: String,
    /// Slack username (or name), for messages and the incident title.
    pub name: String,
}

/// A parsed click.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Click {
    /// Yes or No.
    pub answer: Answer,
    /// The alarm.
    pub alarm: AlarmRef,
    /// Who clicked.
    pub user: Clicker,
    /// Where to answer.
    pub response_url: Url,
    /// The legacy verification token inside the payload, if any.
    pub token: Option<String>,
}

/// Why a payload could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadPayload {
    /// Too large.
    #[error("request body too large")]
    TooLarge,
    /// No `payload` field in the form.
    #[error("no payload field in the form body")]
    NoPayload,
    /// `payload` is not JSON.
    #[error("payload is not JSON")]
    NotJson,
    /// A payload type other than the two Dispatch sends.
    #[error("unsupported payload type {0:?}")]
    UnsupportedType(String),
    /// Zero or several actions.
    #[error("expected exactly one action, got {0}")]
    ActionCount(usize),
    /// An action that is neither Yes nor No.
    #[error("unknown action {0:?}")]
    UnknownAction(String),
    /// The alarm reference is unreadable.
    #[error(transparent)]
    Callback(#[from] BadCallback),
    /// A required field is missing.
    #[error("missing {0}")]
    Missing(&'static str),
}

/// Extracts and parses the `payload` field of a form body.
pub fn payload_json(body: &[u8]) -> Result<Value, BadPayload> {
    if body.len() > MAX_BODY {
        return Err(BadPayload::TooLarge);
    }
    let payload = url::form_urlencoded::parse(body).find(|(k, _)| k == "payload").ok_or(BadPayload::NoPayload)?.1;
    serde_json::from_str(&payload).map_err(|_| BadPayload::NotJson)
}

fn text<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// Reads a click from a payload.
pub fn parse_click(payload: &Value) -> Result<Click, BadPayload> {
    let kind = text(payload, "/type").unwrap_or_default();
    let actions = payload.get("actions").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let [action] = actions else { return Err(BadPayload::ActionCount(actions.len())) };
    let (answer, alarm) = match kind {
        "block_actions" => {
            let answer = match text(action, "/action_id").unwrap_or_default() {
                YES_ACTION => Answer::Yes,
                NO_ACTION => Answer::No,
                other => return Err(BadPayload::UnknownAction(other.to_owned())),
            };
            let value = text(action, "/value").ok_or(BadPayload::Missing("actions[0].value"))?;
            (answer, AlarmRef::Current(Callback::decode(value)?))
        }
        "interactive_message" => {
            let word =
                text(action, "/value").or_else(|| text(action, "/name")).unwrap_or_default().to_ascii_lowercase();
            let answer = match word.as_str() {
                "yes" | "true" => Answer::Yes,
                "no" | "false" => Answer::No,
                _ => return Err(BadPayload::UnknownAction(word)),
            };
            let callback_id = text(payload, "/callback_id").ok_or(BadPayload::Missing("callback_id"))?;
            (answer, AlarmRef::Legacy(LegacyCallback::decode(callback_id)?))
        }
        other => return Err(BadPayload::UnsupportedType(other.to_owned())),
    };
    let id = text(payload, "/user/id").ok_or(BadPayload::Missing("user.id"))?.to_owned();
    let name = text(payload, "/user/username").or_else(|| text(payload, "/user/name")).unwrap_or(&id).to_owned();
    let response_url = text(payload, "/response_url")
        .and_then(|u| Url::parse(u).ok())
        .filter(|u| matches!(u.scheme(), "https" | "http"))
        .ok_or(BadPayload::Missing("response_url"))?;
    Ok(Click {
        answer,
        alarm,
        user: Clicker { id, name },
        response_url,
        token: text(payload, "/token").map(str::to_owned),
    })
}
