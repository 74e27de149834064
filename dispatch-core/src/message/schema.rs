//! The JSON Schema published for senders, generated from the wire types plus the per-type
//! requirements that serde cannot express (`if type == … then …`). It describes a clean message:
//! the parser accepts more (a missing prompt is defaulted, a number `requestId` becomes its
//! string), with a warning for each field it did not take as written.

use schemars::Schema;
use serde_json::{Value, json};

use super::wire::WireMessage;

/// The JSON Schema of a Dispatch message, as committed in `MESSAGE-SPEC.schema.json`.
pub fn message_schema() -> Schema {
    schemars::schema_for!(WireMessage)
}

/// The committed schema's text: pretty JSON with a trailing newline.
pub fn message_schema_json() -> String {
    let mut text = serde_json::to_string_pretty(&message_schema())
        .unwrap_or_else(|_| unreachable!("a schema is always serialisable"));
    text.push('\n');
    text
}

fn requires(kind: &str, then: Value) -> Value {
    json!({ "if": { "properties": { "type": { "const": kind } }, "required": ["type"] }, "then": then })
}

fn github_issue() -> Value {
    json!({ "required": ["github"], "properties": { "github": { "required": ["title", "body"] } } })
}

/// schemars transform: adds the fields a clean message of each type carries.
pub(crate) fn require_per_type(schema: &mut Schema) {
    let self_service = json!({
        "required": ["body"],
        "properties": { "body": {
            "required": ["github", "slack"],
            "properties": {
                "github": { "required": ["title", "body"] },
                "slack": {
                    "required": ["message", "prompt", "actions"],
                    "properties": { "actions": { "required": ["yes", "no"] } }
                }
            }
        } }
    });
    let fan_out = json!({
        "required": ["users", "body"],
        "properties": {
            "users": { "minItems": 1 },
            "body": {
                "required": ["github", "slack"],
                "properties": {
                    "github": { "required": ["title", "body"] },
                    "slack": { "required": ["message"] }
                }
            }
        }
    });
    let low_priority = json!({ "required": ["body"], "properties": { "body": github_issue() } });
    let high_priority = json!({
        "required": ["body"],
        "properties": { "body": {
            "required": ["pagerduty"],
            "properties": { "pagerduty": { "required": ["title"] } }
        } }
    });
    let rules = vec![
        requires("self-service", self_service),
        requires("broadcast", fan_out.clone()),
        requires("nag", fan_out),
        requires("low-priority", low_priority),
        requires("high-priority", high_priority),
    ];
    schema.insert("allOf".to_owned(), Value::Array(rules));
}
