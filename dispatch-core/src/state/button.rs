//! What a self-service button carries to `triage` (DESIGN.md §4.3): the alarm's repository, issue,
//! request id, intended user (or conversation), PagerDuty override and response texts, in the
//! button `value` (at most 2,000 characters); and the legacy `callback_id` of the Node version's
//! buttons. Both stay in users' DMs for as long as Slack keeps them, so old values must stay readable.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::{GitHubOwner, Repo, RepoName, RequestId, ServiceId, SlackUserId};

/// Longest button value Slack accepts.
pub const VALUE_MAX: usize = 2000;

/// The alarm a self-service button belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback {
    /// Repository of the issue.
    pub repo: Repo,
    /// Issue number.
    pub issue: u64,
    /// The alarm's request id.
    pub request_id: RequestId,
    /// The only Slack user who may answer.
    pub user: SlackUserId,
    /// `pagerDutyServiceId` of the alarm, for a No.
    pub service: Option<ServiceId>,
    /// Told to the user after Yes.
    pub yes_response: Option<String>,
    /// Told to the user after No.
    pub no_response: Option<String>,
}

/// The compact wire form, with short keys to leave room for the response texts.
#[derive(Debug, Serialize, Deserialize)]
struct Wire {
    v: u8,
    o: String,
    r: String,
    n: u64,
    id: String,
    u: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    s: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    y: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    no: Option<String>,
}

/// A button value or legacy callback that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unreadable alarm reference: {0}")]
pub struct BadCallback(pub String);

impl Callback {
    /// The button value: compact JSON. Response texts are left out (triage then uses its default
    /// texts) in the rare case that they would push the value past [`VALUE_MAX`].
    pub fn encode(&self) -> String {
        let mut wire = Wire {
            v: 1,
            o: self.repo.owner.to_string(),
            r: self.repo.name.to_string(),
            n: self.issue,
            id: self.request_id.to_string(),
            u: self.user.to_string(),
            s: self.service.as_ref().map(ToString::to_string),
            y: self.yes_response.clone(),
            no: self.no_response.clone(),
        };
        let full = serde_json::to_string(&wire).unwrap_or_default();
        if full.chars().count() <= VALUE_MAX {
            return full;
        }
        tracing::warn!(request_id = %self.request_id, "response texts too long for a Slack button; triage will use its defaults");
        wire.y = None;
        wire.no = None;
        serde_json::to_string(&wire).unwrap_or_default()
    }

    /// Reads a button value written by [`Callback::encode`], validating every id in it.
    pub fn decode(value: &str) -> Result<Self, BadCallback> {
        if value.len() > VALUE_MAX * 4 {
            return Err(BadCallback("value too long".into()));
        }
        let wire: Wire =
            serde_json::from_str(value).map_err(|e| BadCallback(format!("not a Dispatch button value ({e})")))?;
        if wire.v != 1 {
            return Err(BadCallback(format!("unknown version {}", wire.v)));
        }
        let field = |name: &str, reason: String| BadCallback(format!("{name}: {reason}"));
        Ok(Self {
            repo: Repo::new(
                GitHubOwner::parse(&wire.o).map_err(|e| field("owner", e))?,
                RepoName::parse(&wire.r).map_err(|e| field("repo", e))?,
            ),
            issue: wire.n,
            request_id: RequestId::parse(&wire.id).map_err(|e| field("requestId", e))?,
            user: SlackUserId::parse(&wire.u).map_err(|e| field("user", e))?,
            service: wire.s.as_deref().map(ServiceId::parse).transpose().map_err(|e| field("service", e))?,
            yes_response: wire.y,
            no_response: wire.no,
        })
    }
}

/// The `callback_id` of a button the Node version sent: base64url JSON
/// `{"github": <issue number or its string>, "requestId": "…"}`, meaning the default repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyCallback {
    /// Issue number in the default repository.
    pub issue: u64,
    /// The alarm's request id.
    pub request_id: RequestId,
}

impl LegacyCallback {
    /// Decodes a legacy `callback_id` (base64url with or without padding; standard base64 too).
    pub fn decode(callback_id: &str) -> Result<Self, BadCallback> {
        let text = callback_id.trim();
        if text.len() > VALUE_MAX * 4 {
            return Err(BadCallback("callback_id too long".into()));
        }
        let bytes = [&URL_SAFE_NO_PAD, &URL_SAFE, &STANDARD]
            .iter()
            .find_map(|engine| engine.decode(text).ok())
            .ok_or_else(|| BadCallback("callback_id is not base64".into()))?;
        let value: Value =
            serde_json::from_slice(&bytes).map_err(|_| BadCallback("callback_id is not base64 JSON".into()))?;
        let issue = match value.get("github") {
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) => s.trim().parse::<u64>().ok(),
            _ => None,
        }
        .filter(|n| *n > 0)
        .ok_or_else(|| BadCallback("callback_id has no issue number in `github`".into()))?;
        let request_id = value
            .get("requestId")
            .and_then(Value::as_str)
            .ok_or_else(|| BadCallback("callback_id has no `requestId`".into()))?;
        let request_id = RequestId::parse(request_id).map_err(|e| BadCallback(format!("requestId: {e}")))?;
        Ok(Self { issue, request_id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn callback() -> Callback {
        Callback {
            repo: Repo::new(GitHubOwner::parse("acme").unwrap(), RepoName::parse("alarms").unwrap()),
            issue: 42,
            request_id: RequestId::parse("ss-1").unwrap(),
            user: SlackUserId::parse("U012ABCDEF").unwrap(),
            service: Some(ServiceId::parse("PSEC").unwrap()),
            yes_response: Some("Thanks \"you\"".into()),
            no_response: None,
        }
    }

    #[test]
    fn a_button_value_round_trips() {
        let value = callback().encode();
        assert_eq!(
            value,
            r#"{"v":1,"o":"acme","r":"alarms","n":42,"id":"ss-1","u":"U012ABCDEF","s":"PSEC","y":"Thanks \"you\""}"#
        );
        assert_eq!(Callback::decode(&value).unwrap(), callback());
    }

    #[test]
    fn the_longest_allowed_values_fit_in_a_button() {
        let mut long = callback();
        long.repo = Repo::new(GitHubOwner::parse(&"o".repeat(39)).unwrap(), RepoName::parse(&"r".repeat(100)).unwrap());
        long.request_id = RequestId::parse(&"i".repeat(128)).unwrap();
        long.issue = u64::MAX;
        long.yes_response = Some("y".repeat(500));
        long.no_response = Some("n".repeat(500));
        let value = long.encode();
        assert!(value.chars().count() <= VALUE_MAX, "{}", value.len());
        assert_eq!(Callback::decode(&value).unwrap(), long);
    }

    #[test]
    fn response_texts_are_dropped_rather_than_exceeding_the_limit() {
        let mut long = callback();
        long.yes_response = Some("\u{1}".repeat(500));
        let value = long.encode();
        assert!(value.chars().count() <= VALUE_MAX);
        let decoded = Callback::decode(&value).unwrap();
        assert_eq!((decoded.yes_response, decoded.issue), (None, 42));
    }

    #[test]
    fn a_tampered_value_with_a_path_in_the_repo_is_refused() {
        let value = callback().encode().replace("\"alarms\"", "\"../../orgs\"");
        assert!(Callback::decode(&value).unwrap_err().0.starts_with("repo:"));
        assert!(Callback::decode("not json").is_err());
        assert!(Callback::decode(&callback().encode().replace("\"v\":1", "\"v\":2")).is_err());
    }

    #[test]
    fn legacy_callbacks_take_numeric_and_string_issue_numbers() {
        let numeric = URL_SAFE_NO_PAD.encode(r#"{"github":7,"requestId":"abc123"}"#);
        let string = URL_SAFE.encode(r#"{"github":"7","requestId":"abc123"}"#);
        for id in [numeric, string] {
            assert_eq!(
                LegacyCallback::decode(&id).unwrap(),
                LegacyCallback { issue: 7, request_id: RequestId::parse("abc123").unwrap() }
            );
        }
    }

    #[test]
    fn malformed_legacy_callbacks_are_refused() {
        for bad in [
            "%%%",
            &URL_SAFE_NO_PAD.encode("not json"),
            &URL_SAFE_NO_PAD.encode(r#"{"github":"x","requestId":"a"}"#),
            &URL_SAFE_NO_PAD.encode(r#"{"github":3}"#),
            &URL_SAFE_NO_PAD.encode(r#"{"github":0,"requestId":"a"}"#),
        ] {
            assert!(LegacyCallback::decode(bad).is_err(), "{bad}");
        }
    }
}
