//! `body`: the issue (`body.github`), the Slack texts (`body.slack`) and the incident
//! (`body.pagerduty`).

use serde_json::Value;

use super::reader::{IGNORED, Object, Reader, is_absent, json_kind, required_object};
use crate::ids::ServiceId;
use crate::message::{
    BUTTON_TEXT_MAX, DEFAULT_NO, DEFAULT_PROMPT, DEFAULT_YES, ISSUE_BODY_MAX, IncidentContent, InvalidMessage,
    IssueContent, LABEL_MAX, Prompt, RESPONSE_TEXT_MAX, SLACK_TEXT_MAX, TITLE_MAX,
};
use crate::pagerduty::Severity;

/// `body.github`: only the title is required (it is the dedup key).
pub(super) fn issue(r: &mut Reader, body: &Object, kind: &str) -> Result<IssueContent, InvalidMessage> {
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
pub(super) fn prompt(r: &mut Reader, slack: Option<&Value>, title: &str) -> Prompt {
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
pub(super) fn fan_out_message(r: &mut Reader, slack: Option<&Value>, title: &str) -> String {
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
pub(super) fn incident(r: &mut Reader, pagerduty: &Object, kind: &str) -> Result<IncidentContent, InvalidMessage> {
    Ok(IncidentContent {
        title: r.required_text(pagerduty.get("title"), "body.pagerduty.title", kind)?,
        details: details(r, pagerduty.get("body")),
        service: r.id(pagerduty.get("service"), "body.pagerduty.service", ServiceId::parse, IGNORED),
        severity: severity(r, pagerduty.get("severity"))?,
    })
}

/// `body.pagerduty.severity`: `critical` when absent; one of PagerDuty's four, else `Err`.
pub(super) fn severity(r: &mut Reader, value: Option<&Value>) -> Result<Severity, InvalidMessage> {
    const PATH: &str = "body.pagerduty.severity";
    match r.string(value, PATH) {
        Ok(None) => Ok(Severity::default()),
        Ok(Some(text)) => Severity::parse(&text).map_err(|reason| InvalidMessage::new(PATH, reason)),
        Err(found) => Err(InvalidMessage::new(PATH, format!("expected a string, found {found}"))),
    }
}

/// `body.pagerduty.body`: a string as written; any other JSON value as its compact JSON text.
pub(super) fn details(r: &mut Reader, value: Option<&Value>) -> Option<String> {
    const PATH: &str = "body.pagerduty.body";
    r.string(value, PATH).unwrap_or_else(|found| {
        r.warn(PATH, format!("{found}, taken as its JSON text"));
        value.map(Value::to_string)
    })
}
