//! What the parser changed in a message it accepted: the field's JSON path and what was done.

use std::fmt;

/// A field of an accepted message that was not taken as written: coerced to the type the spec
/// names (a number `requestId` becomes its string), replaced by a default (a missing self-service
/// prompt), cut to a limit, or ignored (an invalid `slackId`). The message is still delivered.
///
/// `path` is the field's JSON path, as in [`InvalidMessage`](super::InvalidMessage)
/// (`users[1].slackId`); `reason` says what was wrong and what was used instead. Neither ever
/// holds the field's value: at most a default Dispatch chose, a length, or the one character a
/// character rule refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageWarning {
    /// JSON path of the field.
    pub path: String,
    /// What was wrong with it and what was done instead.
    pub reason: String,
}

impl MessageWarning {
    /// A warning at `path`.
    pub fn new(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Self { path: path.into(), reason: reason.into() }
    }
}

impl fmt::Display for MessageWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.reason)
    }
}
