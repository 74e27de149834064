//! The interaction payload (DESIGN.md §7b): a form body with one `payload` field holding JSON,
//! either Block Kit `block_actions` (the buttons Dispatch sends now) or legacy
//! `interactive_message` (buttons the Node version left in users' DMs). Exactly one action.

use serde_json::Value;
use url::Url;

use crate::compose::{NO_ACTION, YES_ACTION};
use crate::state::button::{BadCallback, Callback, LegacyCallback};

/// Largest form body accepted. A `block_actions` payload echoes the whole message the button is
/// on (DESIGN.md §7i), so its size follows Slack's limits for a message, not Dispatch's own: up to
/// 40,000 characters of `text` and 50 blocks of up to 3,000 characters each, 190,000 characters
/// in all. Form-encoded, a character takes at most 16 bytes (a non-BMP character escaped by JSON
/// as a `\uXXXX\uXXXX` pair, each of its 12 bytes percent-encoded as needed): about 3 MB, plus
/// the rest of the payload. 4 MiB covers it, under the 6 MB Lambda accepts for a request.
pub const MAX_BODY: usize = 4 * 1024 * 1024;

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

/// An interaction's `response_url`: where the answer goes. Its path is a bearer credential (for
/// 30 minutes, anyone holding it may post to the conversation), so it never appears in a log,
/// an error or a `Debug` output: only its origin does.
#[derive(Clone, PartialEq, Eq)]
pub struct ResponseUrl(Url);

impl ResponseUrl {
    /// The URL, to post to.
    pub fn url(&self) -> &Url {
        &self.0
    }
}

impl std::fmt::Debug for ResponseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ResponseUrl({}/…)", self.0.origin().ascii_serialization())
    }
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
    /// The conversation the button was clicked in (`channel.id`, else `container.channel_id`).
    pub channel: Option<String>,
    /// Where to answer.
    pub response_url: ResponseUrl,
    /// The legacy verification token inside the payload, if any.
    pub token: Option<String>,
    /// The Slack timestamp of the message the button is on (`container.message_ts`, else
    /// `message.ts`, else a Node-era payload's `message_ts`): when the prompt was posted.
    pub message_ts: Option<String>,
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
            // The Node version named its buttons `yes` and `no` and put the alarm's response text
            // (or `false`) in `value`: the answer is the name alone.
            let name = text(action, "/name").unwrap_or_default().trim().to_ascii_lowercase();
            let answer = match name.as_str() {
                "yes" => Answer::Yes,
                "no" => Answer::No,
                _ => return Err(BadPayload::UnknownAction(name)),
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
    let channel = text(payload, "/channel/id").or_else(|| text(payload, "/container/channel_id")).map(str::to_owned);
    Ok(Click {
        answer,
        alarm,
        user: Clicker { id, name },
        channel,
        response_url: ResponseUrl(response_url),
        token: text(payload, "/token").map(str::to_owned),
        message_ts: text(payload, "/container/message_ts")
            .or_else(|| text(payload, "/message/ts"))
            .or_else(|| text(payload, "/message_ts"))
            .map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use serde_json::json;

    fn legacy(name: &str, value: Option<&str>) -> Value {
        let callback = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"github":7,"requestId":"abc123"}"#);
        let mut action = json!({ "name": name, "type": "button" });
        if let Some(value) = value {
            action["value"] = json!(value);
        }
        json!({
            "type": "interactive_message",
            "callback_id": callback,
            "actions": [action],
            "user": { "id": "U1", "name": "alice" },
            "response_url": "https://hooks.slack.com/actions/T1/1/abc",
        })
    }

    #[test]
    fn a_node_era_button_is_answered_by_its_name_whatever_its_value() {
        let cases = [
            ("no", Some("The security team has been paged."), Answer::No),
            ("no", Some("yes"), Answer::No),
            ("no", Some("Yes, thanks, closing"), Answer::No),
            ("no", Some("false"), Answer::No),
            ("no", None, Answer::No),
            ("yes", Some("false"), Answer::Yes),
            ("yes", Some("no"), Answer::Yes),
            ("yes", Some("Thanks, nothing else to do."), Answer::Yes),
            ("yes", None, Answer::Yes),
            ("YES", Some("x"), Answer::Yes),
        ];
        for (name, value, expected) in cases {
            let click = parse_click(&legacy(name, value)).unwrap_or_else(|e| panic!("{name}/{value:?}: {e}"));
            assert_eq!(click.answer, expected, "name {name}, value {value:?}");
        }
    }

    #[test]
    fn a_node_era_button_with_another_name_is_refused() {
        assert_eq!(parse_click(&legacy("maybe", Some("yes"))), Err(BadPayload::UnknownAction("maybe".into())));
        assert!(parse_click(&legacy("", Some("yes"))).is_err());
    }

    #[test]
    fn the_prompts_timestamp_is_read_from_the_container_else_the_message() {
        let ts = |payload: &Value| parse_click(payload).unwrap().message_ts;
        let mut payload = legacy("yes", None);
        assert_eq!(ts(&payload), None);
        payload["message_ts"] = json!("1764200000.000003");
        assert_eq!(ts(&payload).as_deref(), Some("1764200000.000003"), "a Node-era payload's");
        payload["message"] = json!({ "ts": "1764200000.000002" });
        assert_eq!(ts(&payload).as_deref(), Some("1764200000.000002"));
        payload["container"] = json!({ "type": "message", "message_ts": "1764200000.000001" });
        assert_eq!(ts(&payload).as_deref(), Some("1764200000.000001"));
    }

    #[test]
    fn a_response_url_never_shows_its_path() {
        let click = parse_click(&legacy("yes", None)).unwrap();
        let shown = format!("{click:?}");
        assert!(shown.contains("ResponseUrl(https://hooks.slack.com/…)"), "{shown}");
        assert!(!shown.contains("actions/T1"), "{shown}");
    }
}
