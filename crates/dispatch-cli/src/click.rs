//! A button click as Slack sends it to `triage`: a `block_actions` payload in a form body, signed
//! with the signing secret (`v0=` HMAC-SHA256 over `v0:{timestamp}:{body}`).

use dispatch_core::triage::event::{HttpRequest, Shape};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

/// Who clicks which button of which prompt, and where Slack takes the answer.
#[derive(Debug, Clone)]
pub struct ClickSpec<'a> {
    /// The button's `action_id` (`dispatch_yes` / `dispatch_no`).
    pub action_id: &'a str,
    /// The button's text.
    pub text: &'a str,
    /// The button's `value`, as Dispatch wrote it.
    pub value: &'a str,
    /// Slack user id of the clicker.
    pub user_id: &'a str,
    /// Slack username of the clicker.
    pub user_name: &'a str,
    /// The interaction's `response_url`.
    pub response_url: &'a str,
}

/// The `block_actions` payload Slack posts for a click on a DM's button.
pub fn block_actions(click: &ClickSpec<'_>) -> Value {
    json!({
        "type": "block_actions",
        "user": { "id": click.user_id, "username": click.user_name, "name": click.user_name, "team_id": "T0SANDBOX" },
        "api_app_id": "A0SANDBOX",
        "team": { "id": "T0SANDBOX", "domain": "sandbox" },
        "container": { "type": "message", "channel_id": "D0SANDBOX", "is_ephemeral": false },
        "channel": { "id": "D0SANDBOX", "name": "directmessage" },
        "trigger_id": "sandbox.trigger",
        "response_url": click.response_url,
        "actions": [{
            "action_id": click.action_id,
            "block_id": dispatch_core::compose::PROMPT_BLOCK,
            "value": click.value,
            "type": "button",
            "text": { "type": "plain_text", "text": click.text, "emoji": true },
        }]
    })
}

/// The form body: `payload=<url-encoded JSON>`.
pub fn form(payload: &Value) -> String {
    url::form_urlencoded::Serializer::new(String::new()).append_pair("payload", &payload.to_string()).finish()
}

/// Slack's `X-Slack-Signature` for `body` sent at `timestamp`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!("any key length"));
    mac.update(format!("v0:{timestamp}:{body}").as_bytes());
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

/// The request as a Function URL delivers it, with Slack's headers.
pub fn signed_request(secret: &str, timestamp: i64, body: String) -> HttpRequest {
    HttpRequest {
        shape: Shape::Http,
        headers: [
            ("x-slack-request-timestamp".to_owned(), timestamp.to_string()),
            ("x-slack-signature".to_owned(), signature(secret, timestamp, &body)),
            ("content-type".to_owned(), "application/x-www-form-urlencoded".to_owned()),
        ]
        .into(),
        body: body.into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use dispatch_core::triage::verify::verify_signature;

    use super::*;

    #[test]
    fn triage_accepts_the_signature_and_refuses_a_changed_body() {
        let request = signed_request("s3cret", 1_700_000_000, "payload=%7B%7D".into());
        let (timestamp, signature) =
            (request.header("x-slack-request-timestamp").unwrap(), request.header("x-slack-signature").unwrap());
        let secret = "s3cret".to_owned().into();
        assert!(verify_signature(&secret, timestamp, &request.body, signature, 1_700_000_010).is_ok());
        assert!(verify_signature(&secret, timestamp, b"payload=%7B%7E", signature, 1_700_000_010).is_err());
    }

    #[test]
    fn the_payload_carries_the_button_and_the_clicker() {
        let spec = ClickSpec {
            action_id: "dispatch_no",
            text: "No",
            value: "{\"v\":1}",
            user_id: "U1",
            user_name: "alice",
            response_url: "http://127.0.0.1:1/response/x",
        };
        let form = form(&block_actions(&spec));
        let payload: Value = url::form_urlencoded::parse(form.as_bytes())
            .find(|(k, _)| k == "payload")
            .map(|(_, v)| serde_json::from_str(&v).unwrap())
            .unwrap();
        assert_eq!(payload["actions"][0]["action_id"], "dispatch_no");
        assert_eq!(payload["actions"][0]["value"], "{\"v\":1}");
        assert_eq!((payload["user"]["id"].as_str(), payload["user"]["username"].as_str()), (Some("U1"), Some("alice")));
    }
}
