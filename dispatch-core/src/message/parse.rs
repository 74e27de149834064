//! SNS message body → [`Message`]. Strict for the known types, lenient for any other type (which
//! must still page someone), and total: any input gives a message or an [`InvalidMessage`].

use serde_json::Value;

use super::error::{ROOT, render_path};
use super::wire::{WireActions, WireGitHub, WireMessage, WirePagerDuty, WireSlack, WireUser};
use super::{
    Alarm, BUTTON_TEXT_MAX, FanOut, ISSUE_BODY_MAX, IncidentContent, InvalidMessage, IssueContent, LowPriority,
    Message, Prompt, RESPONSE_TEXT_MAX, SLACK_TEXT_MAX, SelfService, Unrouted, User,
};
use crate::ids::{GitHubMention, RepoOverride, RequestId, ServiceId, SlackUserId};

/// Parses and validates one message; a missing `requestId` is generated at random.
pub fn parse(bytes: &[u8]) -> Result<Message, InvalidMessage> {
    parse_with(bytes, RequestId::generate)
}

/// Parses and validates the message of one delivery (an SNS record); a missing `requestId` is
/// derived from `event_id`, so every retry of the event gets the same one.
pub fn parse_event(bytes: &[u8], event_id: &str) -> Result<Message, InvalidMessage> {
    parse_with(bytes, || RequestId::derive(event_id))
}

fn parse_with(bytes: &[u8], new_id: impl FnOnce() -> RequestId) -> Result<Message, InvalidMessage> {
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| InvalidMessage::new(ROOT, format!("not valid JSON ({e})")))?;
    let Value::Object(object) = &value else {
        return Err(InvalidMessage::new(ROOT, format!("expected a JSON object, found {}", json_kind(&value))));
    };
    let kind = match object.get("type") {
        None | Some(Value::Null) => return Err(InvalidMessage::new("type", "required")),
        Some(Value::String(kind)) => kind.clone(),
        Some(other) => {
            return Err(InvalidMessage::new("type", format!("expected a string, found {}", json_kind(other))));
        }
    };
    match kind.as_str() {
        "self-service" | "broadcast" | "nag" | "low-priority" | "high-priority" => strict(value, &kind, new_id),
        _ => Ok(lenient(&value, kind, new_id)),
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Reads the fields a known type requires, naming the path of the first that is missing or wrong.
struct Strict<'a> {
    kind: &'a str,
}

impl Strict<'_> {
    fn required<T>(&self, value: Option<T>, path: &str) -> Result<T, InvalidMessage> {
        value.ok_or_else(|| InvalidMessage::new(path, format!("required for {}", self.kind)))
    }

    fn text(&self, value: Option<String>, path: &str) -> Result<String, InvalidMessage> {
        let value = self.required(value, path)?;
        if value.trim().is_empty() {
            return Err(InvalidMessage::new(path, "must not be empty"));
        }
        Ok(value)
    }
}

fn bounded(value: Option<String>, path: &str, min: usize, max: usize) -> Result<Option<String>, InvalidMessage> {
    if let Some(text) = &value {
        let n = text.chars().count();
        if n < min || text.trim().is_empty() && min > 0 {
            return Err(InvalidMessage::new(path, "must not be empty"));
        }
        if n > max {
            return Err(InvalidMessage::new(path, format!("must be at most {max} characters, got {n}")));
        }
    }
    Ok(value)
}

fn id<T>(value: Option<&str>, path: &str, parse: fn(&str) -> Result<T, String>) -> Result<Option<T>, InvalidMessage> {
    value.map(|v| parse(v).map_err(|reason| InvalidMessage::new(path, reason))).transpose()
}

fn strict(value: Value, kind: &str, new_id: impl FnOnce() -> RequestId) -> Result<Message, InvalidMessage> {
    let wire: WireMessage = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = render_path(e.path());
        InvalidMessage::new(path, e.into_inner().to_string())
    })?;
    let s = Strict { kind };
    let (request_id, request_id_generated) = match id(wire.request_id.as_deref(), "requestId", RequestId::parse)? {
        Some(id) => (id, false),
        None => (new_id(), true),
    };
    let github_repo = id(wire.github_repo.as_deref(), "githubRepo", RepoOverride::parse)?;
    let pagerduty_service = id(wire.pager_duty_service_id.as_deref(), "pagerDutyServiceId", ServiceId::parse)?;
    let users = users(wire.users.unwrap_or_default())?;
    let body = s.required(wire.body, "body")?;

    let alarm = match kind {
        "self-service" => {
            let slack = s.required(body.slack, "body.slack")?;
            Alarm::SelfService(SelfService {
                user: users.into_iter().next(),
                issue: issue(&s, body.github)?,
                prompt: prompt(&s, slack)?,
            })
        }
        "broadcast" | "nag" => {
            if users.is_empty() {
                return Err(InvalidMessage::new("users", format!("at least one recipient is required for {kind}")));
            }
            let slack = s.required(body.slack, "body.slack")?;
            let fan_out = FanOut {
                users,
                issue: issue(&s, body.github)?,
                message: slack_text(&s, slack.message, "body.slack.message")?,
            };
            if kind == "nag" { Alarm::Nag(fan_out) } else { Alarm::Broadcast(fan_out) }
        }
        "low-priority" => {
            Alarm::LowPriority(LowPriority { user: users.into_iter().next(), issue: issue(&s, body.github)? })
        }
        _ => Alarm::HighPriority(incident(&s, s.required(body.pagerduty, "body.pagerduty")?)?),
    };
    Ok(Message {
        request_id,
        request_id_generated,
        github_repo,
        pagerduty_service,
        retrigger: wire.retrigger.unwrap_or(true),
        alarm,
    })
}

fn users(wire: Vec<WireUser>) -> Result<Vec<User>, InvalidMessage> {
    wire.into_iter()
        .enumerate()
        .map(|(i, user)| {
            Ok(User {
                slack_id: id(present(&user.slack_id), &format!("users[{i}].slackId"), SlackUserId::parse)?,
                slack: present(&user.slack).map(str::to_owned),
                github: id(present(&user.github), &format!("users[{i}].github"), GitHubMention::parse)?,
            })
        })
        .collect()
}

/// A directory feed may send `""` for an unknown value: that counts as absent.
fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn issue(s: &Strict<'_>, github: Option<WireGitHub>) -> Result<IssueContent, InvalidMessage> {
    let github = s.required(github, "body.github")?;
    let mut labels = Vec::new();
    let given = github.labels.into_iter().flatten().enumerate().map(|(i, l)| (format!("body.github.labels[{i}]"), l));
    for (path, label) in given.chain(github.label.map(|l| ("body.github.label".to_owned(), l))) {
        let label = bounded(Some(label), &path, 1, 50)?.unwrap_or_default();
        if !labels.contains(&label) {
            labels.push(label);
        }
    }
    Ok(IssueContent {
        // GitHub stores titles trimmed; dedup compares with what GitHub returns.
        title: bounded(
            Some(s.text(github.title, "body.github.title")?.trim().to_owned()),
            "body.github.title",
            1,
            256,
        )?
        .unwrap_or_default(),
        body: bounded(Some(s.required(github.body, "body.github.body")?), "body.github.body", 0, ISSUE_BODY_MAX)?
            .unwrap_or_default(),
        labels,
    })
}

fn slack_text(s: &Strict<'_>, value: Option<String>, path: &str) -> Result<String, InvalidMessage> {
    Ok(bounded(Some(s.text(value, path)?), path, 1, SLACK_TEXT_MAX)?.unwrap_or_default())
}

fn prompt(s: &Strict<'_>, slack: WireSlack) -> Result<Prompt, InvalidMessage> {
    let actions: WireActions = s.required(slack.actions, "body.slack.actions")?;
    let button = |value: Option<String>, path: &str| -> Result<String, InvalidMessage> {
        let text = s.text(value, path)?;
        Ok(bounded(Some(text), path, 1, BUTTON_TEXT_MAX)?.unwrap_or_default())
    };
    Ok(Prompt {
        message: slack_text(s, slack.message, "body.slack.message")?,
        prompt: slack_text(s, slack.prompt, "body.slack.prompt")?,
        yes: button(actions.yes, "body.slack.actions.yes")?,
        no: button(actions.no, "body.slack.actions.no")?,
        yes_response: bounded(actions.yes_response, "body.slack.actions.yes_response", 0, RESPONSE_TEXT_MAX)?,
        no_response: bounded(actions.no_response, "body.slack.actions.no_response", 0, RESPONSE_TEXT_MAX)?,
    })
}

fn incident(s: &Strict<'_>, pagerduty: WirePagerDuty) -> Result<IncidentContent, InvalidMessage> {
    Ok(IncidentContent {
        title: s.text(pagerduty.title, "body.pagerduty.title")?,
        details: pagerduty.body,
        service: id(pagerduty.service.as_deref(), "body.pagerduty.service", ServiceId::parse)?,
    })
}

/// Any other type: take what is usable and page with it; nothing here can reject the message.
fn lenient(value: &Value, type_name: String, new_id: impl FnOnce() -> RequestId) -> Message {
    let text = |pointer: &str| value.pointer(pointer).and_then(Value::as_str).filter(|s| !s.trim().is_empty());
    let service = |pointer: &str| text(pointer).and_then(|s| ServiceId::parse(s).ok());
    let incident = text("/body/pagerduty/title").map(|title| IncidentContent {
        title: title.to_owned(),
        details: text("/body/pagerduty/body").map(str::to_owned),
        service: service("/body/pagerduty/service"),
    });
    let (request_id, request_id_generated) = match text("/requestId").and_then(|s| RequestId::parse(s).ok()) {
        Some(id) => (id, false),
        None => (new_id(), true),
    };
    Message {
        request_id,
        request_id_generated,
        github_repo: None,
        pagerduty_service: service("/pagerDutyServiceId"),
        retrigger: true,
        alarm: Alarm::Unrouted(Unrouted {
            type_name,
            incident,
            github_title: text("/body/github/title").map(str::to_owned),
            raw: value.to_string(),
        }),
    }
}
