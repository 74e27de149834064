//! Why a message was rejected: the JSON path of the offending field and the reason.

use std::fmt;

/// The path of the whole document in an [`InvalidMessage`].
pub const ROOT: &str = "$";

/// A rejected message: one that cannot be routed. `path` is the field's JSON path
/// (`body.github.title`, `users[0].slackId`, or `$` for the document itself); `reason` says what is
/// wrong. Neither ever holds a field's value, beyond the one character a character rule refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct InvalidMessage {
    /// JSON path of the offending field.
    pub path: String,
    /// What is wrong with it.
    pub reason: String,
}

impl InvalidMessage {
    /// An error at `path`.
    pub fn new(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Self { path: path.into(), reason: reason.into() }
    }
}

impl fmt::Display for InvalidMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.reason)
    }
}
