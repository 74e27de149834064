#![allow(dead_code)]

use std::time::Duration;

use dispatch_core::deadline::{Deadline, RetryPolicy};
use dispatch_core::incoming::{AlarmError, Envelope, Incoming, InvocationError, Report};
use dispatch_core::state::button::Callback;
use dispatch_fakes::{Fakes, Posted};
use serde_json::Value;

pub use crate::support::examples::*;
use crate::support::settings::Settings;
pub use crate::support::settings::{DEFAULT_CHANNEL, REPO};
pub use crate::support::sns::sns_event;
pub use dispatch_fakes::support::{with, without};

/// The Slack id of `carol@example.com`, the user `examples/broadcast.json` knows by email only.
pub const CAROL: &str = "U056MNOPQR";

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
    let settings = extra.iter().fold(Settings::on(&fakes), |settings, (name, value)| settings.set(name, *value));
    let incoming = settings.incoming(policy()).await;
    Harness { fakes, incoming }
}

impl Harness {
    /// Runs one message as the event `event_id`.
    pub async fn run(&self, event_id: &str, message: &Value) -> Result<Report, AlarmError> {
        let body = message.to_string();
        let delivery = Envelope { event_id, published: Some("2026-11-27T14:02:11Z"), body: &body };
        self.incoming.handle(delivery, deadline()).await
    }

    /// Runs one message as the event `event_id`, with `budget` to do it in.
    pub async fn run_within(&self, event_id: &str, message: &Value, budget: Duration) -> Result<Report, AlarmError> {
        let body = message.to_string();
        let delivery = Envelope { event_id, published: Some("2026-11-27T14:02:11Z"), body: &body };
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

/// The callback value on a posted prompt's Yes button.
pub fn button_callback(posted: &Posted) -> Callback {
    Callback::decode(&crate::support::slack::button_value(posted)).unwrap()
}

pub fn has_buttons(posted: &Posted) -> bool {
    posted.blocks.as_array().is_some_and(|b| b.iter().any(|b| b["type"] == "actions"))
}
