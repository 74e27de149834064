#![allow(dead_code)]

use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, TimeZone, Utc};
use dispatch_core::deadline::{Deadline, RetryPolicy};
use dispatch_core::incoming::{Envelope, Incoming};
use dispatch_core::triage::Triage;
use dispatch_core::triage::event::{HttpRequest, HttpResponse, Shape};
use dispatch_fakes::Fakes;
use serde_json::{Value, json};

pub use crate::support::examples::{SELF_SERVICE, json};
pub use crate::support::settings::REPO;
use crate::support::settings::Settings;
pub use crate::support::slack::{LEGACY_TOKEN, block_actions, form_body as form};

pub const SIGNING_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";

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
    let settings = Settings::on(&fakes).set("SlackVerificationToken", LEGACY_TOKEN);
    let settings = if legacy { settings } else { settings.set("SlackSigningSecret", SIGNING_SECRET) };
    let incoming = settings.incoming(policy()).await;
    let triage = settings.triage(policy()).await;
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
                Envelope { event_id: &event_id, published: None, body: &body },
                Deadline::after(Duration::from_secs(10)),
            )
            .await
            .unwrap();
        crate::support::slack::button_value(&self.fakes.slack.messages().pop().expect("a prompt was posted"))
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

/// A request with Slack's headers, signed at `timestamp`.
pub fn signed(body: &str, timestamp: i64) -> HttpRequest {
    crate::support::slack::signed_request(SIGNING_SECRET, Shape::Http, body, timestamp)
}
