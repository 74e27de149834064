#![allow(dead_code)]

use std::time::Duration;

use aws_lambda_events::sns::SnsEvent;
use dispatch_core::config::{Env, IncomingConfig};
use dispatch_core::deadline::{Deadline, RetryPolicy};
use dispatch_core::incoming::{AlarmError, Delivery, Incoming, InvocationError, Report};
use dispatch_core::slack::callback::Callback;
use dispatch_fakes::{Fakes, Posted};
use serde_json::{Value, json};

pub const REPO: &str = "acme/dispatch-alarms";
pub const DEFAULT_CHANNEL: &str = "#security-alerts";
/// The Slack id of `carol@example.com`, the user `examples/broadcast.json` knows by email only.
pub const CAROL: &str = "U056MNOPQR";

pub const SELF_SERVICE: &str = include_str!("../../../examples/self-service.json");
pub const BROADCAST: &str = include_str!("../../../examples/broadcast.json");
pub const NAG: &str = include_str!("../../../examples/nag.json");
pub const LOW_PRIORITY: &str = include_str!("../../../examples/low-priority.json");
pub const HIGH_PRIORITY: &str = include_str!("../../../examples/high-priority.json");
pub const FALLBACK: &str = include_str!("../../../examples/fallback.json");

pub struct Harness {
    pub fakes: Fakes,
    pub incoming: Incoming,
}

pub fn policy() -> RetryPolicy {
    RetryPolicy { attempts: 3, backoff: Duration::from_millis(10), request_timeout: Duration::from_millis(500) }
}

pub fn deadline() -> Deadline {
    Deadline::after(Duration::from_secs(20))
}

pub async fn harness() -> Harness {
    harness_with(&[]).await
}

/// The harness's stack with settings added to the usual ones (a routing key, say).
pub async fn harness_with(extra: &[(&'static str, &str)]) -> Harness {
    let fakes = Fakes::start().await.unwrap();
    fakes.slack.add_user("carol@example.com", CAROL);
    let mut vars: Vec<(&str, String)> = vec![
        ("GitHubOwner", "acme".into()),
        ("GitHubRepo", "dispatch-alarms".into()),
        ("GitHubToken", "ghp-test".into()),
        ("GitHubDefaultUser", "acme/security".into()),
        ("SlackBotToken", "xoxb-test".into()),
        ("SlackDefaultChannel", DEFAULT_CHANNEL.into()),
        ("PagerDutyApiKey", "pd-test".into()),
        ("PagerDutyFromAddress", "oncall@example.com".into()),
        ("PagerDutyServiceId", "PDEFAULT".into()),
    ];
    vars.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    vars.extend(fakes.env());
    let config = IncomingConfig::load(&Env::new(vars), None).await.unwrap();
    let incoming = Incoming::from_config(&config, policy()).unwrap();
    Harness { fakes, incoming }
}

pub fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

pub use dispatch_fakes::support::{with, without};

impl Harness {
    /// Runs one message as the event `event_id`.
    pub async fn run(&self, event_id: &str, message: &Value) -> Result<Report, AlarmError> {
        let body = message.to_string();
        let delivery = Delivery { event_id, published: Some("2026-11-27T14:02:11Z"), body: &body };
        self.incoming.handle(delivery, deadline()).await
    }

    /// Runs one message as the event `event_id`, with `budget` to do it in.
    pub async fn run_within(&self, event_id: &str, message: &Value, budget: Duration) -> Result<Report, AlarmError> {
        let body = message.to_string();
        let delivery = Delivery { event_id, published: Some("2026-11-27T14:02:11Z"), body: &body };
        self.incoming.handle(delivery, Deadline::after(budget)).await
    }

    /// Runs an SNS event as Lambda delivers it.
    pub async fn run_sns(&self, messages: &[(&str, &str)]) -> Result<Vec<Report>, InvocationError> {
        let event = sns_event(messages);
        self.incoming.handle_sns(&event, deadline()).await
    }

    pub fn issues(&self) -> Vec<dispatch_fakes::FakeIssue> {
        self.fakes.github.issues(REPO)
    }

    pub fn dms(&self, channel: &str) -> Vec<Posted> {
        self.fakes.slack.messages_to(channel)
    }
}

/// An SNS event with one record per (MessageId, message), shaped as AWS sends it.
pub fn sns_event(messages: &[(&str, &str)]) -> SnsEvent {
    let template: Value = serde_json::from_str(include_str!("../../fixtures/sns-event.json")).unwrap();
    let record = template["Records"][0].clone();
    let records: Vec<Value> = messages
        .iter()
        .map(|(id, message)| {
            let mut r = record.clone();
            r["Sns"]["MessageId"] = json!(id);
            r["Sns"]["Message"] = json!(message);
            r
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).unwrap()
}

/// The callback value on a posted prompt's Yes button.
pub fn button_callback(posted: &Posted) -> Callback {
    let actions =
        posted.blocks.as_array().unwrap().iter().find(|b| b["type"] == "actions").expect("the prompt has buttons");
    Callback::decode(actions["elements"][0]["value"].as_str().unwrap()).unwrap()
}

pub fn has_buttons(posted: &Posted) -> bool {
    posted.blocks.as_array().is_some_and(|b| b.iter().any(|b| b["type"] == "actions"))
}
