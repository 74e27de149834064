//! What Slack sends triage: signed requests, and the payloads of button clicks.

use dispatch_core::triage::event::{HttpRequest, Shape};
use dispatch_fakes::Posted;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

pub use dispatch_fakes::support::form_body;

/// The legacy verification token in the payloads (`SlackVerificationToken`).
pub const LEGACY_TOKEN: &str = "xyzz0WbapA4vBCDEFasx0q6G";

/// Slack's `X-Slack-Signature` for `body` sent at `timestamp`: `v0=` HMAC-SHA256 over
/// `v0:{timestamp}:{body}` with the signing secret.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("v0:{timestamp}:{body}").as_bytes());
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

/// A request of the given shape with Slack's headers, signed with `secret` at `timestamp`.
pub fn signed_request(secret: &str, shape: Shape, body: &str, timestamp: i64) -> HttpRequest {
    HttpRequest {
        shape,
        headers: [
            ("x-slack-request-timestamp".to_owned(), timestamp.to_string()),
            ("x-slack-signature".to_owned(), signature(secret, timestamp, body)),
            ("content-type".to_owned(), "application/x-www-form-urlencoded".to_owned()),
        ]
        .into(),
        body: body.as_bytes().to_vec(),
    }
}

/// The `block_actions` payload of a click by `user` (username `alice`) on the prompt button
/// `action_id` whose value is `value`.
pub fn block_actions(value: &str, action_id: &str, user: &str, response_url: &str) -> Value {
    json!({
        "type": "block_actions",
        "token": LEGACY_TOKEN,
        "user": { "id": user, "username": "alice", "name": "alice", "team_id": "T012AB3C4" },
        "api_app_id": "A0123456",
        "team": { "id": "T012AB3C4", "domain": "acme" },
        "container": { "type": "message", "message_ts": "1764200000.000001", "channel_id": "D012ABCDEF", "is_ephemeral": false },
        "channel": { "id": "D012ABCDEF", "name": "directmessage" },
        "trigger_id": "123.456.abc",
        "response_url": response_url,
        "actions": [{
            "action_id": action_id,
            "block_id": "dispatch_prompt",
            "value": value,
            "type": "button",
            "style": if action_id == "dispatch_yes" { "primary" } else { "danger" },
            "text": { "type": "plain_text", "text": "Yes", "emoji": true },
            "action_ts": "1764200100.000002"
        }]
    })
}

/// The value of a posted prompt's first (Yes) button.
pub fn button_value(posted: &Posted) -> String {
    let actions =
        posted.blocks.as_array().unwrap().iter().find(|b| b["type"] == "actions").expect("the prompt has buttons");
    actions["elements"][0]["value"].as_str().unwrap().to_owned()
}
