//! Why a message was rejected: the JSON path of the offending field and the reason.

use std::fmt;

/// The path of the whole document in an [`InvalidMessage`].
pub const ROOT: &str = "$";

/// A rejected message. `path` is the field's JSON path (`body.github.title`, `users[0].slackId`,
/// or `$` for the document itself); `reason` says what is wrong. Neither ever holds a field's value
/// beyond what serde quotes for a type mismatch.
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

/// Renders a serde_path_to_error path as `users[0].slackId`.
pub(crate) fn render_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Unknown => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push('?');
            }
        }
    }
    if out.is_empty() { ROOT.to_owned() } else { out }
}
