//! SNS message body → [`Message`]. Rejects only what cannot be routed (DESIGN.md §5): input that is
//! not a JSON object with a string `type`, and, for the five known types, the few fields each one
//! cannot do without (the issue title, the incident title, a broadcast's recipients, a repository
//! override that would send the audit log elsewhere). Everything else is coerced, defaulted, cut or
//! ignored, with a [`MessageWarning`] naming the field; fields a type does not use are not read at
//! all. Any other type is read leniently and pages. Total: any input gives a message or an
//! [`InvalidMessage`].

use serde_json::{Map, Value};

use super::error::ROOT;
use super::{
    Alarm, BUTTON_TEXT_MAX, DEFAULT_NO, DEFAULT_PROMPT, DEFAULT_YES, FanOut, ISSUE_BODY_MAX, IncidentContent,
    InvalidMessage, IssueContent, LABEL_MAX, LowPriority, Message, MessageWarning, Prompt, RESPONSE_TEXT_MAX,
    SLACK_TEXT_MAX, SelfService, TITLE_MAX, Unrouted, User,
};
use crate::ids::{Email, GitHubMention, RepoOverride, RequestId, ServiceId, SlackUserId};
use crate::pagerduty::Severity;

type Object = Map<String, Value>;

/// What a warning says when an optional field is left out.
const IGNORED: &str = "ignored";

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

fn is_absent(value: Option<&Value>) -> bool {
    matches!(value, None | Some(Value::Null))
}

/// Reads fields loosely and records what it changed.
#[derive(Debug, Default)]
struct Reader {
    warnings: Vec<MessageWarning>,
}

impl Reader {
    fn warn(&mut self, path: &str, reason: impl Into<String>) {
        self.warnings.push(MessageWarning::new(path, reason));
    }

    /// A string as written, or a number as its decimal string (with a warning). Missing and `null`
    /// are `Ok(None)`; any other JSON type is `Err` with its name.
    fn string(&mut self, value: Option<&Value>, path: &str) -> Result<Option<String>, &'static str> {
        match value {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(Value::Number(n)) => {
                self.warn(path, "a number, taken as its decimal string");
                Ok(Some(n.to_string()))
            }
            Some(other) => Err(json_kind(other)),
        }
    }

    /// An optional string: another JSON type is left out, with a warning saying what happens instead.
    fn optional_string(&mut self, value: Option<&Value>, path: &str, instead: &str) -> Option<String> {
        self.string(value, path).unwrap_or_else(|found| {
            self.warn(path, format!("expected a string, found {found}; {instead}"));
            None
        })
    }

    /// A text the type cannot do without (a title): missing, blank or not a string is a rejection.
    fn required_text(&mut self, value: Option<&Value>, path: &str, kind: &str) -> Result<String, InvalidMessage> {
        match self.string(value, path) {
            Ok(Some(text)) if !text.trim().is_empty() => Ok(text),
            Ok(Some(_)) => Err(InvalidMessage::new(path, "must not be empty")),
            Ok(None) => Err(InvalidMessage::new(path, format!("required for {kind}"))),
            Err(found) => Err(InvalidMessage::new(path, format!("expected a string, found {found}"))),
        }
    }

    /// A text with a default: missing, blank or not a string gives `default`, with a warning
    /// ending in `instead`; a text longer than `max` is cut.
    fn text_or(&mut self, value: Option<&Value>, path: &str, max: usize, default: &str, instead: &str) -> String {
        let problem = match self.string(value, path) {
            Ok(Some(text)) if !text.trim().is_empty() => {
                let text = self.cut(text, path, max);
                if !text.trim().is_empty() {
                    return text;
                }
                format!("blank within its first {max} characters")
            }
            Ok(Some(_)) => "blank".to_owned(),
            Ok(None) => "missing".to_owned(),
            Err(found) => format!("expected a string, found {found}"),
        };
        self.warn(path, format!("{problem}; {instead}"));
        default.to_owned()
    }

    /// An id or login: a value that is not one is left out, with a warning saying what happens instead.
    fn id<T>(
        &mut self,
        value: Option<&Value>,
        path: &str,
        parse: fn(&str) -> Result<T, String>,
        instead: &str,
    ) -> Option<T> {
        let text = self.optional_string(value, path, instead)?;
        parse(&text).map_err(|reason| self.warn(path, format!("{reason}; {instead}"))).ok()
    }

    /// A user field: as [`Self::id`], but trimmed first, and blank counts as absent (a directory
    /// feed may send `""` for an unknown value).
    fn user_id<T>(
        &mut self,
        value: Option<&Value>,
        path: &str,
        parse: fn(&str) -> Result<T, String>,
        instead: &str,
    ) -> Option<T> {
        let text = self.optional_string(value, path, instead)?;
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        parse(text).map_err(|reason| self.warn(path, format!("{reason}; {instead}"))).ok()
    }

    /// The text, cut cleanly after `max` characters if it is longer.
    fn cut(&mut self, mut text: String, path: &str, max: usize) -> String {
        if let Some((end, _)) = text.char_indices().nth(max) {
            let n = text.chars().count();
            self.warn(path, format!("longer than {max} characters ({n}); cut to {max}"));
            text.truncate(end);
        }
        text
    }

    /// An optional object: another JSON type is left out, with a warning saying what happens instead.
    fn optional_object<'v>(&mut self, value: Option<&'v Value>, path: &str, instead: &str) -> Option<&'v Object> {
        match value {
            None | Some(Value::Null) => None,
            Some(Value::Object(object)) => Some(object),
            Some(other) => {
                self.warn(path, format!("expected an object, found {}; {instead}", json_kind(other)));
                None
            }
        }
    }
}

/// An object the type cannot do without (`body`, `body.github`, `body.pagerduty`).
fn required_object<'v>(value: Option<&'v Value>, path: &str, kind: &str) -> Result<&'v Object, InvalidMessage> {
    match value {
        None | Some(Value::Null) => Err(InvalidMessage::new(path, format!("required for {kind}"))),
        Some(Value::Object(object)) => Ok(object),
        Some(other) => Err(InvalidMessage::new(path, format!("expected an object, found {}", json_kind(other)))),
    }
}

fn strict(object: &Object, kind: &str, new_id: impl FnOnce() -> RequestId) -> Result<Message, InvalidMessage> {
    let r = &mut Reader::default();
    let (request_id, request_id_generated) = request_id(r, object.get("requestId"), new_id);
    // A high-priority alarm opens no issue: its repository does not matter.
    let github_repo = if kind == "high-priority" { None } else { github_repo(r, object)? };
    let pagerduty_service = r.id(object.get("pagerDutyServiceId"), "pagerDutyServiceId", ServiceId::parse, IGNORED);
    let retrigger = retrigger(r, object.get("retrigger"));
    let body = required_object(object.get("body"), "body", kind)?;
    let users = object.get("users");

    let alarm = match kind {
        "self-service" => {
            let user = first_user(r, users, Uses::Prompt);
            let issue = issue(r, body, kind)?;
            let prompt = prompt(r, body.get("slack"), &issue.title);
            Alarm::SelfService(SelfService { user, issue, prompt })
        }
        "broadcast" | "nag" => {
            let users = recipients(r, users, kind)?;
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
        alarm,
        warnings: std::mem::take(&mut r.warnings),
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

/// Which fields of a user a type reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Uses {
    /// self-service: the DM goes to `slackId`, the issue tags `github`.
    Prompt,
    /// low-priority: the issue tags `github`; no DM, so `slackId` is not read.
    Tag,
    /// broadcast, nag: the DM goes to `slackId`; `github` only names the user in notices.
    Dm,
}

/// The elements of `users` with their paths. A single user object is taken as a list of one;
/// `Err` names the JSON type found when `users` is neither.
fn user_entries<'v>(r: &mut Reader, users: Option<&'v Value>) -> Result<Vec<(String, &'v Value)>, &'static str> {
    match users {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(items.iter().enumerate().map(|(i, v)| (format!("users[{i}]"), v)).collect()),
        Some(user @ Value::Object(_)) => {
            r.warn("users", "an object, taken as a list of one user");
            Ok(vec![("users".to_owned(), user)])
        }
        Some(other) => Err(json_kind(other)),
    }
}

/// The first user (self-service, low-priority); the others are not read.
fn first_user(r: &mut Reader, users: Option<&Value>, uses: Uses) -> Option<User> {
    const DEFAULTS: &str = "the defaults are used";
    let entries = match user_entries(r, users) {
        Ok(entries) => entries,
        Err(found) => {
            r.warn("users", format!("expected an array of user objects, found {found}; {DEFAULTS}"));
            return None;
        }
    };
    let (path, value) = entries.into_iter().next()?;
    match value {
        Value::Object(object) => Some(user(r, object, &path, uses)),
        other => {
            r.warn(&path, format!("expected a user object, found {}; {DEFAULTS}", json_kind(other)));
            None
        }
    }
}

/// Every user object of a broadcast or nag; anything else in the list is skipped. No recipient at
/// all is a rejection.
fn recipients(r: &mut Reader, users: Option<&Value>, kind: &str) -> Result<Vec<User>, InvalidMessage> {
    let none =
        |detail: String| InvalidMessage::new("users", format!("at least one recipient is required for {kind}{detail}"));
    let entries =
        user_entries(r, users).map_err(|found| none(format!(" (expected an array of user objects, found {found})")))?;
    let any = !entries.is_empty();
    let mut recipients = Vec::new();
    for (path, value) in entries {
        match value {
            Value::Object(object) => recipients.push(user(r, object, &path, Uses::Dm)),
            other => r.warn(&path, format!("expected a user object, found {}; skipped", json_kind(other))),
        }
    }
    if recipients.is_empty() {
        return Err(none(if any { " (no element of users is a user object)".to_owned() } else { String::new() }));
    }
    Ok(recipients)
}

fn user(r: &mut Reader, object: &Object, path: &str, uses: Uses) -> User {
    let slack_id = match uses {
        Uses::Tag => None,
        Uses::Prompt | Uses::Dm => r.user_id(
            object.get("slackId"),
            &format!("{path}.slackId"),
            SlackUserId::parse,
            "treated as absent: the message goes to the default channel",
        ),
    };
    // A `slackId` always wins: the address is read only for a user without one.
    let email = match uses {
        Uses::Prompt | Uses::Dm if slack_id.is_none() => email(r, object.get("email"), &format!("{path}.email")),
        _ => None,
    };
    let slack = r.user_id(object.get("slack"), &format!("{path}.slack"), |s| Ok(s.to_owned()), IGNORED);
    let github_instead = match uses {
        Uses::Prompt | Uses::Tag => "treated as absent: the default user is tagged",
        Uses::Dm => "treated as absent",
    };
    let github = r.user_id(object.get("github"), &format!("{path}.github"), GitHubMention::parse, github_instead);
    User { slack_id, email, slack, github }
}

/// `users[].email`, trimmed; blank counts as absent. Unlike the other user fields a number is not
/// taken as its string (no address is a number): it is left out, like an invalid address.
fn email(r: &mut Reader, value: Option<&Value>, path: &str) -> Option<Email> {
    const INSTEAD: &str = "treated as absent: the message goes to the default channel";
    match value {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) if text.trim().is_empty() => None,
        Some(Value::String(text)) => {
            Email::parse(text.trim()).map_err(|reason| r.warn(path, format!("{reason}; {INSTEAD}"))).ok()
        }
        Some(other) => {
            r.warn(path, format!("expected a string, found {}; {INSTEAD}", json_kind(other)));
            None
        }
    }
}

/// `body.github`: only the title is required (it is the dedup key).
fn issue(r: &mut Reader, body: &Object, kind: &str) -> Result<IssueContent, InvalidMessage> {
    const TITLE: &str = "body.github.title";
    const BODY: &str = "body.github.body";
    let github = required_object(body.get("github"), "body.github", kind)?;
    let title = r.required_text(github.get("title"), TITLE, kind)?;
    // GitHub stores titles trimmed; dedup compares with what GitHub returns.
    let title = r.cut(title.trim().to_owned(), TITLE, TITLE_MAX).trim_end().to_owned();
    let body = match r.string(github.get("body"), BODY) {
        Ok(Some(text)) => r.cut(text, BODY, ISSUE_BODY_MAX),
        Ok(None) => {
            r.warn(BODY, "missing; the issue body is empty");
            String::new()
        }
        Err(found) => {
            r.warn(BODY, format!("expected a string, found {found}; the issue body is empty"));
            String::new()
        }
    };
    Ok(IssueContent { title, body, labels: labels(r, github) })
}

/// `labels` followed by `label`, without duplicates; a label GitHub would refuse is dropped.
fn labels(r: &mut Reader, github: &Object) -> Vec<String> {
    let mut given: Vec<(String, &Value)> = Vec::new();
    match github.get("labels") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            given.extend(items.iter().enumerate().map(|(i, v)| (format!("body.github.labels[{i}]"), v)));
        }
        Some(label @ Value::String(_)) => {
            r.warn("body.github.labels", "a string, taken as a list of one label");
            given.push(("body.github.labels".to_owned(), label));
        }
        Some(other) => {
            r.warn("body.github.labels", format!("expected an array of strings, found {}; ignored", json_kind(other)));
        }
    }
    if let Some(label) = github.get("label").filter(|v| !v.is_null()) {
        given.push(("body.github.label".to_owned(), label));
    }
    let mut labels: Vec<String> = Vec::new();
    for (path, value) in given {
        let Value::String(label) = value else {
            r.warn(&path, format!("expected a string, found {}; dropped", json_kind(value)));
            continue;
        };
        let n = label.chars().count();
        if label.trim().is_empty() {
            r.warn(&path, "blank; dropped");
        } else if n > LABEL_MAX {
            r.warn(&path, format!("longer than {LABEL_MAX} characters ({n}); dropped"));
        } else if !labels.contains(label) {
            labels.push(label.clone());
        }
    }
    labels
}

/// `body.slack` of a self-service alarm; whatever is missing is defaulted.
fn prompt(r: &mut Reader, slack: Option<&Value>, title: &str) -> Prompt {
    const MESSAGE: &str = "body.slack.message";
    let instead = "the issue title is the message, with the default prompt and buttons";
    let Some(slack) = slack_object(r, slack, instead) else {
        return Prompt {
            message: title.to_owned(),
            prompt: DEFAULT_PROMPT.to_owned(),
            yes: DEFAULT_YES.to_owned(),
            no: DEFAULT_NO.to_owned(),
            yes_response: None,
            no_response: None,
        };
    };
    let message = r.text_or(slack.get("message"), MESSAGE, SLACK_TEXT_MAX, title, "the issue title is used");
    let prompt = r.text_or(
        slack.get("prompt"),
        "body.slack.prompt",
        SLACK_TEXT_MAX,
        DEFAULT_PROMPT,
        &format!("{DEFAULT_PROMPT:?} is used"),
    );
    let actions = slack.get("actions");
    let buttons = format!("the buttons {DEFAULT_YES:?} and {DEFAULT_NO:?} are used");
    if is_absent(actions) {
        r.warn("body.slack.actions", format!("missing; {buttons}"));
    }
    let actions = r.optional_object(actions, "body.slack.actions", &buttons);
    let field = |key: &str| actions.and_then(|a| a.get(key));
    let button = |r: &mut Reader, key: &str, default: &str| {
        let path = format!("body.slack.actions.{key}");
        match actions {
            Some(_) => r.text_or(field(key), &path, BUTTON_TEXT_MAX, default, &format!("{default:?} is used")),
            None => default.to_owned(),
        }
    };
    let yes = button(r, "yes", DEFAULT_YES);
    let no = button(r, "no", DEFAULT_NO);
    let response = |r: &mut Reader, key: &str| {
        let path = format!("body.slack.actions.{key}");
        r.optional_string(field(key), &path, IGNORED).map(|text| r.cut(text, &path, RESPONSE_TEXT_MAX))
    };
    let yes_response = response(r, "yes_response");
    let no_response = response(r, "no_response");
    Prompt { message, prompt, yes, no, yes_response, no_response }
}

/// `body.slack.message` of a broadcast or nag; the issue title when it is missing.
fn fan_out_message(r: &mut Reader, slack: Option<&Value>, title: &str) -> String {
    match slack_object(r, slack, "the issue title is the message") {
        Some(slack) => {
            r.text_or(slack.get("message"), "body.slack.message", SLACK_TEXT_MAX, title, "the issue title is used")
        }
        None => title.to_owned(),
    }
}

/// `body.slack` as an object; `None`, with a warning, when it is missing or something else.
fn slack_object<'v>(r: &mut Reader, slack: Option<&'v Value>, instead: &str) -> Option<&'v Object> {
    if is_absent(slack) {
        r.warn("body.slack", format!("missing; {instead}"));
    }
    r.optional_object(slack, "body.slack", instead)
}

/// `body.pagerduty` of a high-priority alarm: only the title is required; a severity PagerDuty
/// does not know is a rejection (the sender chose how bad the alarm is, and Dispatch cannot guess).
fn incident(r: &mut Reader, pagerduty: &Object, kind: &str) -> Result<IncidentContent, InvalidMessage> {
    Ok(IncidentContent {
        title: r.required_text(pagerduty.get("title"), "body.pagerduty.title", kind)?,
        details: details(r, pagerduty.get("body")),
        service: r.id(pagerduty.get("service"), "body.pagerduty.service", ServiceId::parse, IGNORED),
        severity: severity(r, pagerduty.get("severity"))?,
    })
}

/// `body.pagerduty.severity`: `critical` when absent; one of PagerDuty's four, else `Err`.
fn severity(r: &mut Reader, value: Option<&Value>) -> Result<Severity, InvalidMessage> {
    const PATH: &str = "body.pagerduty.severity";
    match r.string(value, PATH) {
        Ok(None) => Ok(Severity::default()),
        Ok(Some(text)) => Severity::parse(&text).map_err(|reason| InvalidMessage::new(PATH, reason)),
        Err(found) => Err(InvalidMessage::new(PATH, format!("expected a string, found {found}"))),
    }
}

/// `body.pagerduty.body`: a string as written; any other JSON value as its compact JSON text.
fn details(r: &mut Reader, value: Option<&Value>) -> Option<String> {
    const PATH: &str = "body.pagerduty.body";
    r.string(value, PATH).unwrap_or_else(|found| {
        r.warn(PATH, format!("{found}, taken as its JSON text"));
        value.map(Value::to_string)
    })
}

/// Any other type: take what is usable and page with it; nothing here can reject the message.
fn lenient(value: &Value, type_name: String, new_id: impl FnOnce() -> RequestId) -> Message {
    let r = &mut Reader::default();
    let at = |pointer: &str| value.pointer(pointer);
    let (request_id, request_id_generated) = request_id(r, at("/requestId"), new_id);
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
        alarm: Alarm::Unrouted(Unrouted { type_name, incident, github_title, raw: value.to_string() }),
        warnings: std::mem::take(&mut r.warnings),
    }
}
