#![allow(dead_code)]

use std::time::Duration;

use dispatch_core::deadline::{Deadline, RetryPolicy};
use dispatch_core::incoming::{AlarmError, Envelope, Incoming, Report};
use dispatch_core::triage::Triage;
use dispatch_fakes::Fakes;
use serde_json::Value;

pub use crate::support::settings::{REPO, Settings};
pub const SIGNING_SECRET: &str = "robustness-signing-secret";
pub const SECRETS: [&str; 4] = ["ghp-robust-secret-1", "xoxb-robust-secret-2", "pd-robust-secret-3", SIGNING_SECRET];

pub fn policy() -> RetryPolicy {
    RetryPolicy { attempts: 3, backoff: Duration::from_millis(10), request_timeout: Duration::from_millis(300) }
}

/// The usual settings on `fakes`, with the suite's secrets.
pub fn settings(fakes: &Fakes) -> Settings {
    Settings::on(fakes)
        .set("GitHubToken", SECRETS[0])
        .set("SlackBotToken", SECRETS[1])
        .set("PagerDutyApiKey", SECRETS[2])
        .set("SlackSigningSecret", SECRETS[3])
}

pub struct Stack {
    pub fakes: Fakes,
    pub incoming: Incoming,
    pub triage: Triage,
}

/// Fakes and both handlers, with quick retries for fault tests.
pub async fn stack() -> Stack {
    stack_with(policy(), RetryPolicy { attempts: 2, ..policy() }).await
}

/// Fakes and both handlers with the policies the Lambdas use in production, for load tests.
pub async fn production_stack() -> Stack {
    stack_with(RetryPolicy::default(), dispatch_core::triage::policy()).await
}

pub async fn stack_with(incoming_policy: RetryPolicy, triage_policy: RetryPolicy) -> Stack {
    let fakes = Fakes::start().await.unwrap();
    let settings = settings(&fakes);
    stack_on(fakes, &settings, incoming_policy, triage_policy).await
}

/// Both handlers built from `settings`, on `fakes`.
pub async fn stack_on(
    fakes: Fakes,
    settings: &Settings,
    incoming_policy: RetryPolicy,
    triage_policy: RetryPolicy,
) -> Stack {
    let incoming = settings.incoming(incoming_policy).await;
    let triage = settings.triage(triage_policy).await;
    Stack { fakes, incoming, triage }
}

impl Stack {
    pub async fn run(&self, event_id: &str, message: &Value) -> Result<Report, AlarmError> {
        let body = message.to_string();
        let delivery = Envelope { event_id, published: None, body: &body };
        self.incoming.handle(delivery, Deadline::after(Duration::from_secs(15))).await
    }
}

/// Held by the heavy tests (matrix, load) so they do not run at the same time: their timeouts
/// must come from the faults under test, not from sharing two cores.
pub async fn exclusive() -> tokio::sync::MutexGuard<'static, ()> {
    static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    HEAVY.lock().await
}
