//! Stateful fakes of the services Dispatch talks to, served on loopback: GitHub (issues, search,
//! comments), Slack (`chat.postMessage`, `response_url`), PagerDuty (REST incidents with dedup
//! keys, Events API v2 alerts), and a Lambda Runtime API to run the real binaries under. Each
//! records every request and can be told to fail a route in a given way a given number of times.
//! The fake Slack refuses what Slack refuses ([`check_blocks`]) and builds the interaction payloads
//! Slack sends. Tests, benchmarks and `dispatch sandbox` use the same fakes.

pub mod block_kit;
mod github;
mod kms;
mod lambda;
mod pagerduty;
mod scheduler;
mod server;
mod slack;
pub mod support;

pub use block_kit::check_blocks;
pub use github::{APP_LOGIN, APP_SLUG, DISPATCH_LOGIN, FakeGitHub, FakeIssue, GitHubRoute};
pub use kms::FakeKms;
pub use lambda::{Invocation, LambdaRuntime};
pub use pagerduty::{FakeAlert, FakeEvent, FakeIncident, FakePagerDuty, PagerDutyRoute};
pub use scheduler::{FakeScheduler, RecordedSchedule, SchedulerFault};
pub use server::{Fault, Recorded};
pub use slack::{
    BOT_USER_ID, FakeSlack, FakeUser, Posted, Revision, SlackRoute, TEAM_ID, Updated, VERIFICATION_TOKEN,
    legacy_interactive_message_payload, stored_message,
};

/// All three services, each on its own port.
#[derive(Debug, Clone)]
pub struct Fakes {
    /// GitHub.
    pub github: FakeGitHub,
    /// Slack.
    pub slack: FakeSlack,
    /// PagerDuty.
    pub pagerduty: FakePagerDuty,
}

impl Fakes {
    /// Starts the three fakes.
    pub async fn start() -> std::io::Result<Self> {
        Ok(Self {
            github: FakeGitHub::start().await?,
            slack: FakeSlack::start().await?,
            pagerduty: FakePagerDuty::start().await?,
        })
    }

    /// The environment variables that point Dispatch at these fakes (`GitHubApiUrl`, …).
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("GitHubApiUrl", self.github.url()),
            ("SlackApiUrl", self.slack.url()),
            ("PagerDutyApiUrl", self.pagerduty.url()),
            // The same fake serves the Events API v2; it is used only with a `PagerDutyRoutingKey`.
            ("PagerDutyEventsUrl", self.pagerduty.url()),
        ]
    }
}
