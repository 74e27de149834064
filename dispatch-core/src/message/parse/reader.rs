//! Loose field reading: each helper takes what is usable and records a [`MessageWarning`] for
//! what it changed or left out.

use serde_json::{Map, Value};

use super::super::{InvalidMessage, MessageWarning};

pub(super) type Object = Map<String, Value>;

/// Parses a field's text into a domain type, or says why not.
type ParseFn<T> = fn(&str) -> Result<T, String>;

/// What a warning says when an optional field is left out.
pub(super) const IGNORED: &str = "ignored";

pub(super) fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub(super) fn is_absent(value: Option<&Value>) -> bool {
    matches!(value, None | Some(Value::Null))
}

/// Reads fields loosely and records what it changed.
#[derive(Debug, Default)]
pub(super) struct Reader {
    pub(super) warnings: Vec<MessageWarning>,
}

impl Reader {
    pub(super) fn warn(&mut self, path: &str, reason: impl Into<String>) {
        self.warnings.push(MessageWarning::new(path, reason));
    }

    /// A string as written, or a number as its decimal string (with a warning). Missing and `null`
    /// are `Ok(None)`; any other JSON type is `Err` with its name.
    pub(super) fn string(&mut self, value: Option<&Value>, path: &str) -> Result<Option<String>, &'static str> {
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
    pub(super) fn optional_string(&mut self, value: Option<&Value>, path: &str, instead: &str) -> Option<String> {
        self.string(value, path).unwrap_or_else(|found| {
            self.warn(path, format!("expected a string, found {found}; {instead}"));
            None
        })
    }

    /// A text the type cannot do without (a title): missing, blank or not a string is a rejection.
    pub(super) fn required_text(
        &mut self,
        value: Option<&Value>,
        path: &str,
        kind: &str,
    ) -> Result<String, InvalidMessage> {
        match self.string(value, path) {
            Ok(Some(text)) if !text.trim().is_empty() => Ok(text),
            Ok(Some(_)) => Err(InvalidMessage::new(path, "must not be empty")),
            Ok(None) => Err(InvalidMessage::new(path, format!("required for {kind}"))),
            Err(found) => Err(InvalidMessage::new(path, format!("expected a string, found {found}"))),
        }
    }

    /// A text with a default: missing, blank or not a string gives `default`, with a warning
    /// ending in `instead`; a text longer than `max` is cut.
    pub(super) fn text_or(
        &mut self,
        value: Option<&Value>,
        path: &str,
        max: usize,
        default: &str,
        instead: &str,
    ) -> String {
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
    pub(super) fn id<T>(&mut self, value: Option<&Value>, path: &str, parse: ParseFn<T>, instead: &str) -> Option<T> {
        let text = self.optional_string(value, path, instead)?;
        self.parsed(&text, path, parse, instead)
    }

    /// A user field: as [`Self::id`], but trimmed first, and blank counts as absent (a directory
    /// feed may send `""` for an unknown value).
    pub(super) fn user_id<T>(
        &mut self,
        value: Option<&Value>,
        path: &str,
        parse: ParseFn<T>,
        instead: &str,
    ) -> Option<T> {
        let text = self.optional_string(value, path, instead)?;
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        self.parsed(text, path, parse, instead)
    }

    fn parsed<T>(&mut self, text: &str, path: &str, parse: ParseFn<T>, instead: &str) -> Option<T> {
        parse(text).map_err(|reason| self.warn(path, format!("{reason}; {instead}"))).ok()
    }

    /// The text, cut cleanly after `max` characters if it is longer.
    pub(super) fn cut(&mut self, mut text: String, path: &str, max: usize) -> String {
        if let Some((end, _)) = text.char_indices().nth(max) {
            let n = text.chars().count();
            self.warn(path, format!("longer than {max} characters ({n}); cut to {max}"));
            text.truncate(end);
        }
        text
    }

    /// An optional object: another JSON type is left out, with a warning saying what happens instead.
    pub(super) fn optional_object<'v>(
        &mut self,
        value: Option<&'v Value>,
        path: &str,
        instead: &str,
    ) -> Option<&'v Object> {
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
pub(super) fn required_object<'v>(
    value: Option<&'v Value>,
    path: &str,
    kind: &str,
) -> Result<&'v Object, InvalidMessage> {
    match value {
        None | Some(Value::Null) => Err(InvalidMessage::new(path, format!("required for {kind}"))),
        Some(Value::Object(object)) => Ok(object),
        Some(other) => Err(InvalidMessage::new(path, format!("expected an object, found {}", json_kind(other)))),
    }
}
