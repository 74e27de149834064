//! SNS message body → [`Message`]. Rejects only what cannot be routed (DESIGN.md §5): input that is
//! not a JSON object with a string `type`, and, for the five known types, the few fields each one
//! cannot do without (the issue title, the incident title, a broadcast's recipients, a repository
//! override that would send the audit log elsewhere). Everything else is coerced, defaulted, cut or
//! ignored, with a [`MessageWarning`] naming the field; fields a type does not use are not read at
//! all. Any other type is read leniently and pages. Total: any input gives a message or an
//! [`InvalidMessage`].

mod content;
mod lifecycle;
mod reader;
mod users;

use serde_json::Value;

use super::error::ROOT;
use super::{
    Alarm, FanOut, FollowUpTimes, IncidentContent, InvalidMessage, LowPriority, Message, SelfService, Status, Unrouted,
};
use crate::ids::{RepoOverride, RequestId, ServiceId};
use crate::pagerduty::Severity;
use content::{details, fan_out_message, incident, issue, prompt, severity};
use lifecycle::{follow_up, status};

use reader::{IGNORED, Object, Reader, json_kind, required_object};
use users::{Uses, first_user, recipients};
/// Parses one message; a missing or unusable `requestId` is generated at random.
pub fn parse(bytes: &[u8]) -> Result<Message, InvalidMessage> {
    parse_with(bytes, RequestId::generate)
}

/// Parses the message of one delivery (an SNS record); a missing or unusable `requestId` is
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
        "self-service" | "broadcast" | "nag" | "low-priority" | "high-priority" => strict(object, &kind, new_id),
        _ => Ok(lenient(&value, kind, new_id)),
    }
}

fn strict(object: &Object, kind: &str, new_id: impl FnOnce() -> RequestId) -> Result<Message, InvalidMessage> {
    let r = &mut Reader::default();
    let (request_id, request_id_generated) = request_id(r, object.get("requestId"), new_id);
    // A high-priority alarm opens no issue: its repository does not matter.
    let github_repo = if kind == "high-priority" { None } else { github_repo(r, object)? };
    let pagerduty_service = r.id(object.get("pagerDutyServiceId"), "pagerDutyServiceId", ServiceId::parse, IGNORED);
    let retrigger = retrigger(r, object.get("retrigger"));
    let status = status(r, object.get("status"))?;
    let body = required_object(object.get("body"), "body", kind)?;
    let users = object.get("users");

    let mut follow_up_times = FollowUpTimes::default();
    let alarm = match kind {
        "self-service" => {
            follow_up_times = follow_up(r, object);
            let user = first_user(r, users, Uses::Prompt);
            let issue = issue(r, body, kind)?;
            let prompt = prompt(r, body.get("slack"), &issue.title);
            Alarm::SelfService(SelfService { user, issue, prompt })
        }
        "broadcast" | "nag" => {
            // A resolve sends nothing: its recipients do not matter.
            let users = match status {
                Status::Firing => recipients(r, users, kind)?,
                Status::Resolved => recipients(r, users, kind).unwrap_or_default(),
            };
            let issue = issue(r, body, kind)?;
            let message = fan_out_message(r, body.get("slack"), &issue.title);
            let fan_out = FanOut { users, issue, message };
            if kind == "nag" { Alarm::Nag(fan_out) } else { Alarm::Broadcast(fan_out) }
        }
        "low-priority" => {
            let user = first_user(r, users, Uses::Tag);
            Alarm::LowPriority(LowPriority { user, issue: issue(r, body, kind)? })
        }
        _ => Alarm::HighPriority(incident(r, required_object(body.get("pagerduty"), "body.pagerduty", kind)?, kind)?),
    };
    Ok(Message {
        request_id,
        request_id_generated,
        github_repo,
        pagerduty_service,
        retrigger,
        status,
        follow_up: follow_up_times,
        alarm,
        warnings: match status {
            Status::Firing => std::mem::take(&mut r.warnings),
            Status::Resolved => r.warnings.drain(..).filter(|w| lifecycle::read_by_a_resolve(&w.path)).collect(),
        },
    })
}

/// `requestId`, or a new one when it is missing or not a valid id.
fn request_id(r: &mut Reader, value: Option<&Value>, new_id: impl FnOnce() -> RequestId) -> (RequestId, bool) {
    match r.id(value, "requestId", RequestId::parse, "replaced by a generated id") {
        Some(id) => (id, false),
        None => (new_id(), true),
    }
}

/// `githubRepo` or `gitHubRepo`. Invalid is a rejection: the audit issue would go to another
/// repository than the sender meant.
fn github_repo(r: &mut Reader, object: &Object) -> Result<Option<RepoOverride>, InvalidMessage> {
    let given = |key: &'static str| object.get(key).filter(|v| !v.is_null()).map(|v| (key, v));
    let (key, value) = match (given("githubRepo"), given("gitHubRepo")) {
        (Some((_, a)), Some((_, b))) if a != b => {
            return Err(InvalidMessage::new(
                "githubRepo",
                "given twice, as githubRepo and gitHubRepo, with different values",
            ));
        }
        (Some(given), _) | (None, Some(given)) => given,
        (None, None) => return Ok(None),
    };
    let text = match r.string(Some(value), key) {
        Ok(text) => text.unwrap_or_default(),
        Err(found) => return Err(InvalidMessage::new(key, format!("expected a string, found {found}"))),
    };
    RepoOverride::parse(&text).map(Some).map_err(|reason| InvalidMessage::new(key, reason))
}

fn retrigger(r: &mut Reader, value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(Value::Bool(retrigger)) => *retrigger,
        Some(other) => {
            let text = other.as_str().map(str::trim).unwrap_or_default();
            for retrigger in [true, false] {
                if text.eq_ignore_ascii_case(&retrigger.to_string()) {
                    r.warn("retrigger", format!("a string, taken as the boolean {retrigger}"));
                    return retrigger;
                }
            }
            r.warn("retrigger", format!("expected a boolean, found {}; the default true is used", json_kind(other)));
            true
        }
    }
}

/// Any other type: take what is usable and page with it; nothing here can reject the message.
fn lenient(value: &Value, type_name: String, new_id: impl FnOnce() -> RequestId) -> Message {
    let r = &mut Reader::default();
    let at = |pointer: &str| value.pointer(pointer);
    let (request_id, request_id_generated) = request_id(r, at("/requestId"), new_id);
    // An unknown type must still page: a status that cannot be read pages too.
    let status = status(r, at("/status")).unwrap_or_else(|e| {
        r.warn(&e.path, format!("{}; taken as firing, so the alarm still pages", e.reason));
        Status::Firing
    });
    let pagerduty_service = r.id(at("/pagerDutyServiceId"), "pagerDutyServiceId", ServiceId::parse, IGNORED);
    let mut text = |pointer: &str, path: &str| {
        r.optional_string(at(pointer), path, IGNORED).filter(|text| !text.trim().is_empty())
    };
    let incident_title = text("/body/pagerduty/title", "body.pagerduty.title");
    let github_title = text("/body/github/title", "body.github.title");
    let incident = incident_title.map(|title| IncidentContent {
        title,
        details: details(r, at("/body/pagerduty/body")),
        service: r.id(at("/body/pagerduty/service"), "body.pagerduty.service", ServiceId::parse, IGNORED),
        severity: severity(r, at("/body/pagerduty/severity")).unwrap_or_else(|e| {
            r.warn(&e.path, format!("{}; {} is used", e.reason, Severity::default()));
            Severity::default()
        }),
    });
    Message {
        request_id,
        request_id_generated,
        github_repo: None,
        pagerduty_service,
        retrigger: true,
        status,
        follow_up: FollowUpTimes::default(),
        alarm: Alarm::Unrouted(Unrouted { type_name, incident, github_title, raw: value.to_string() }),
        warnings: std::mem::take(&mut r.warnings),
    }
}
