//! The service clients both handlers work with, built once per process from the configuration:
//! one HTTP client (and one TLS configuration) shared by Slack and PagerDuty, and GitHub's.

use secrecy::SecretString;
use url::Url;

use crate::config::{GitHubConfig, IncomingConfig, PagerDutyConfig, PagerDutyEventsConfig, TriageConfig};
use crate::deadline::RetryPolicy;
use crate::github::{GitHub, GitHubError};
use crate::pagerduty::{PagerDuty, PagerDutyEvents};
use crate::slack::Slack;

/// One client per service.
#[derive(Debug, Clone)]
pub struct Clients {
    /// GitHub: the audit issues and everything Dispatch records on them.
    pub github: GitHub,
    /// Slack's Web API (and `response_url` replies).
    pub slack: Slack,
    /// PagerDuty's REST API.
    pub pagerduty: PagerDuty,
    /// PagerDuty's Events API v2, when a routing key is configured.
    pub pagerduty_events: Option<PagerDutyEvents>,
}

/// The clients could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// GitHub client.
    #[error(transparent)]
    GitHub(#[from] GitHubError),
    /// HTTP client.
    #[error("HTTP client: {0}")]
    Http(String),
}

/// What the clients need of a function's configuration.
#[derive(Debug, Clone, Copy)]
pub struct ClientSettings<'a> {
    /// GitHub's API and credentials.
    pub github: &'a GitHubConfig,
    /// `SlackApiUrl`.
    pub slack_api_url: &'a Url,
    /// `SlackBotToken`, when the function has one.
    pub slack_bot_token: Option<&'a SecretString>,
    /// PagerDuty's REST API.
    pub pagerduty: &'a PagerDutyConfig,
    /// PagerDuty's Events API v2, when configured.
    pub pagerduty_events: Option<&'a PagerDutyEventsConfig>,
}

impl<'a> From<&'a IncomingConfig> for ClientSettings<'a> {
    fn from(config: &'a IncomingConfig) -> Self {
        Self {
            github: &config.github,
            slack_api_url: &config.slack_api_url,
            slack_bot_token: Some(&config.slack_bot_token),
            pagerduty: &config.pagerduty,
            pagerduty_events: config.pagerduty_events.as_ref(),
        }
    }
}

impl<'a> From<&'a TriageConfig> for ClientSettings<'a> {
    /// Triage pages through the REST API only (a No keys its incident by the alarm's `requestId`).
    fn from(config: &'a TriageConfig) -> Self {
        Self {
            github: &config.github,
            slack_api_url: &config.slack_api_url,
            slack_bot_token: config.slack_bot_token.as_ref(),
            pagerduty: &config.pagerduty,
            pagerduty_events: None,
        }
    }
}

impl Clients {
    /// Builds every client from a function's configuration.
    pub fn from_config<'a>(config: impl Into<ClientSettings<'a>>, policy: RetryPolicy) -> Result<Self, SetupError> {
        let config = config.into();
        let http = crate::http::client(policy.request_timeout).map_err(|e| SetupError::Http(e.to_string()))?;
        Ok(Self {
            github: GitHub::new(&config.github.api_url, &config.github.auth, policy)?,
            slack: Slack::new(http.clone(), config.slack_api_url, config.slack_bot_token.cloned(), policy),
            pagerduty_events: config.pagerduty_events.map(|events| {
                PagerDutyEvents::new(http.clone(), &events.events_url, events.routing_key.clone(), policy)
            }),
            pagerduty: PagerDuty::new(
                http,
                &config.pagerduty.api_url,
                config.pagerduty.api_key.clone(),
                config.pagerduty.from.clone(),
                policy,
            ),
        })
    }
}
