#![allow(dead_code)]

use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, TimeZone, Utc};
use dispatch_core::config::{Env, IncomingConfig, TriageConfig};
use dispatch_core::deadline::{Deadline, RetryPolicy};
use dispatch_core::incoming::{Delivery, Incoming};
use dispatch_core::triage::Triage;
use dispatch_core::triage::event::{HttpRequest, HttpResponse, Shape};
use dispatch_fakes::Fakes;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

pub const SIGNING_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
pub const LEGACY_TOKEN: &str = "xyzz0WbapA4vBCDEFasx0q6G";
pub const REPO: &str = "acme/dispatch-alarms";
pub const SELF_SERVICE: &str = include_str!("../../../examples/self-service.json");

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 14, 30, 0).unwrap()
}

pub struct Harness {
    pub fakes: Fakes,
    pub incoming: Incoming,
    pub triage: Triage,
}

fn policy() -> RetryPolicy {
    RetryPolicy { attempts: 2, backoff: Duration::from_millis(10), request_timeout: Duration::from_millis(500) }
}

/// Fakes, an incoming handler and a triage handler verifying with the signing secret (or, with
/// `legacy`, only the legacy token).
pub async fn harness_with(legacy: bool) -> Harness {
    let fakes = Fakes::start().await.unwrap();
    let mut vars: Vec<(&str, String)> = vec![
        ("GitHubOwner", "acme".into()),
        ("GitHubRepo", "dispatch-alarms".into()),
        ("GitHubToken", "ghp-test".into()),
        ("GitHubDefaultUser", "acme/security".into()),
        ("SlackBotToken", "xoxb-test".into()),
        ("SlackDefaultChannel", "#security-alerts".into()),
        ("PagerDutyApiKey", "pd-test".into()),
        ("PagerDutyFromAddress", "oncall@example.com".into()),
        ("PagerDutyServiceId", "PDEFAULT".into()),
        ("SlackVerificationToken", LEGACY_TOKEN.into()),
    ];
    if !legacy {
        vars.push(("SlackSigningSecret", SIGNING_SECRET.into()));
    }
    vars.extend(fakes.env());
    let env = Env::new(vars);
    let incoming = Incoming::from_config(&IncomingConfig::load(&env, None).await.unwrap(), policy()).unwrap();
    let triage = Triage::from_config(&TriageConfig::load(&env, None).await.unwrap(), policy()).unwrap();
    Harness { fakes, incoming, triage }
}

pub async fn harness() -> Harness {
    harness_with(false).await
}

impl Harness {
    /// Sends a self-service alarm through incoming and returns the Yes/No button value it posted.
    pub async fn alarm(&self, message: &Value) -> String {
        let body = message.to_string();
        let event_id = format!("e-{}", self.fakes.slack.messages().len());
        self.incoming
            .handle(
                Delivery { event_id: &event_id, published: None, body: &body },
                Deadline::after(Duration::from_secs(10)),
            )
            .await
            .unwrap();
        let posted = self.fakes.slack.messages().pop().expect("a prompt was posted");
        let actions = posted.blocks.as_array().unwrap().iter().find(|b| b["type"] == "actions").unwrap().clone();
        actions["elements"][0]["value"].as_str().unwrap().to_owned()
    }

    /// A Block Kit click as Slack sends it, signed.
    pub async fn click(&self, value: &str, action_id: &str, user: &str) -> HttpResponse {
        self.click_at(value, action_id, user, now()).await
    }

    /// A Block Kit click as Slack sends it at `at`, signed.
    pub async fn click_at(&self, value: &str, action_id: &str, user: &str, at: DateTime<Utc>) -> HttpResponse {
        let payload = block_actions(value, action_id, user, &self.fakes.slack.response_url("click"));
        self.send(&payload, at).await
    }

    /// Any payload, signed at `at` and handled then.
    pub async fn send(&self, payload: &Value, at: DateTime<Utc>) -> HttpResponse {
        self.triage.handle(&signed(&form(payload), at.timestamp()), at).await
    }

    pub fn responses(&self) -> Vec<Value> {
        self.fakes.slack.responses().into_iter().map(|(_, body)| body).collect()
    }

    pub fn issue(&self, number: u64) -> dispatch_fakes::FakeIssue {
        self.fakes.github.issues(REPO).into_iter().find(|i| i.number == number).unwrap()
    }
}

pub fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// The form body Slack posts: `payload=<url-encoded JSON>`.
pub fn form(payload: &Value) -> String {
    url::form_urlencoded::Serializer::new(String::new()).append_pair("payload", &payload.to_string()).finish()
}

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

pub fn legacy_click(callback_id: &str, answer: &str, response_url: &str) -> Value {
    json!({
        "type": "interactive_message",
        "callback_id": callback_id,
        "token": LEGACY_TOKEN,
        "user": { "id": "U012ABCDEF", "name": "alice" },
        "team": { "id": "T012AB3C4", "domain": "acme" },
        "channel": { "id": "D012ABCDEF", "name": "directmessage" },
        "action_ts": "1764200100.000002",
        "message_ts": "1764200000.000001",
        "attachment_id": "1",
        "actions": [{ "name": answer, "type": "button", "value": answer }],
        "original_message": { "text": "testSlackMessage" },
        "response_url": response_url
    })
}

pub fn legacy_callback_id(github: Value, request_id: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(json!({ "github": github, "requestId": request_id }).to_string())
}

pub fn signature(body: &str, timestamp: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SIGNING_SECRET.as_bytes()).unwrap();
    mac.update(format!("v0:{timestamp}:{body}").as_bytes());
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

/// A request with Slack's headers, signed at `timestamp`.
pub fn signed(body: &str, timestamp: i64) -> HttpRequest {
    HttpRequest {
        shape: Shape::Http,
        headers: [
            ("x-slack-request-timestamp".to_owned(), timestamp.to_string()),
            ("x-slack-signature".to_owned(), signature(body, timestamp)),
            ("content-type".to_owned(), "application/x-www-form-urlencoded".to_owned()),
        ]
        .into(),
        body: body.as_bytes().to_vec(),
    }
}
