//! Small helpers the test suites share: editing a JSON message at a pointer, the form body Slack
//! posts an interaction payload in, and capturing log output to scan it.

use std::sync::{Arc, Mutex};

use serde_json::Value;

/// `value` with the value at a JSON pointer replaced (objects and a next array slot created on
/// the way).
pub fn with(mut value: Value, pointer: &str, new: Value) -> Value {
    let mut target = &mut value;
    for key in pointer.trim_start_matches('/').split('/') {
        target = match target {
            Value::Array(items) => {
                let index: usize = key.parse().expect("an array index");
                if index == items.len() {
                    items.push(Value::Null);
                }
                &mut items[index]
            }
            other => other.as_object_mut().expect("an object on the way").entry(key.to_owned()).or_insert(Value::Null),
        };
    }
    *target = new;
    value
}

/// `value` without the value at a JSON pointer.
pub fn without(mut value: Value, pointer: &str) -> Value {
    let (parent, key) = pointer.rsplit_once('/').expect("a pointer with a parent");
    let parent = if parent.is_empty() { &mut value } else { value.pointer_mut(parent).expect("the parent exists") };
    match parent {
        Value::Object(map) => {
            map.remove(key);
        }
        Value::Array(items) => {
            items.remove(key.parse::<usize>().expect("an array index"));
        }
        _ => panic!("{pointer} has no parent container"),
    }
    value
}

/// The body Slack posts an interaction payload in: `payload=<url-encoded JSON>`
/// (`application/x-www-form-urlencoded`).
pub fn form_body(payload: &Value) -> String {
    url::form_urlencoded::Serializer::new(String::new()).append_pair("payload", &payload.to_string()).finish()
}

/// A log writer that keeps everything written, for a `tracing_subscriber` to write to.
#[derive(Debug, Clone, Default)]
pub struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl CapturedLogs {
    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)).into_owned()
    }
}

impl std::io::Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for CapturedLogs {
    type Writer = CapturedLogs;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}
