//! `users`: the first user of a self-service or low-priority alarm, the recipients of a broadcast
//! or nag, and the fields each type reads of a user.

use serde_json::Value;

use super::reader::{IGNORED, Object, Reader, json_kind};
use crate::ids::{Email, GitHubMention, SlackUserId};
use crate::message::{InvalidMessage, User};

/// Which fields of a user a type reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Uses {
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
pub(super) fn first_user(r: &mut Reader, users: Option<&Value>, uses: Uses) -> Option<User> {
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
pub(super) fn recipients(r: &mut Reader, users: Option<&Value>, kind: &str) -> Result<Vec<User>, InvalidMessage> {
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
