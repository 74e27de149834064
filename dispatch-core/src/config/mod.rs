//! Configuration (DESIGN.md §6), read once at start-up from the environment variables named like
//! the original's CloudFormation parameters (with the README's spellings as aliases). `secure:`
//! values are decrypted with KMS, concurrently, once. A missing or malformed setting is an error
//! naming it. Secrets are `SecretString`s, whose `Debug` shows `[REDACTED]`.

mod follow_up;
mod resolved;
mod settings;

use secrecy::SecretString;
use url::Url;

use crate::github::GitHubAuth;
use crate::ids::{GitHubMention, GitHubOwner, Repo, RepoName, ServiceId, SlackChannel};
use crate::kms::Kms;
use crate::pagerduty::RoutingKey;
use crate::routing::RoutingDefaults;
use crate::tls::{self, Trust};
pub use follow_up::{
    DEFAULT_ESCALATE_AFTER_MINUTES, DEFAULT_REMIND_AFTER_MINUTES, FollowUpConfig, MAX_FOLLOW_UP_MINUTES,
    SchedulerTarget,
};
use resolved::Resolved;
pub use settings::*;

/// Default GitHub API.
pub const GITHUB_API_URL: &str = "https://api.github.com";
/// Default Slack Web API.
pub const SLACK_API_URL: &str = "https://slack.com/api";
/// Default PagerDuty API.
pub const PAGERDUTY_API_URL: &str = "https://api.pagerduty.com";
/// Default PagerDuty Events API.
pub const PAGERDUTY_EVENTS_URL: &str = "https://events.pagerduty.com";

/// A configuration problem, naming the setting. Never contains a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A required setting is absent or empty.
    #[error("missing required setting {name}{}", aliases_note(.aliases))]
    Missing {
        /// The setting.
        name: &'static str,
        /// Its aliases.
        aliases: &'static [&'static str],
    },
    /// A setting is present but unusable.
    #[error("invalid setting {name}: {reason}")]
    Invalid {
        /// The setting.
        name: &'static str,
        /// Why.
        reason: String,
    },
    /// A `secure:` value could not be decrypted.
    #[error("could not decrypt setting {name}: {reason}")]
    Decrypt {
        /// The setting.
        name: &'static str,
        /// Why (KMS's error, never the ciphertext).
        reason: String,
    },
    /// `secure:` values are present but no KMS client was given.
    #[error("setting {name} is encrypted (secure:) but KMS is not available")]
    NoKms {
        /// The setting.
        name: &'static str,
    },
}

fn aliases_note(aliases: &[&str]) -> String {
    if aliases.is_empty() { String::new() } else { format!(" (also accepted as {})", aliases.join(", ")) }
}

/// Settings of the GitHub client.
#[derive(Debug, Clone)]
pub struct GitHubConfig {
    /// `GitHubApiUrl`.
    pub api_url: Url,
    /// Token or App.
    pub auth: GitHubAuth,
    /// `GitHubOwner` / `GitHubRepo`.
    pub repo: Repo,
}

/// Settings of the PagerDuty client.
#[derive(Debug, Clone)]
pub struct PagerDutyConfig {
    /// `PagerDutyApiUrl`.
    pub api_url: Url,
    /// `PagerDutyApiKey`.
    pub api_key: SecretString,
    /// `PagerDutyFromAddress`.
    pub from: String,
    /// `PagerDutyServiceId`.
    pub service: ServiceId,
}

/// Settings of the PagerDuty Events API v2 client.
#[derive(Debug, Clone)]
pub struct PagerDutyEventsConfig {
    /// `PagerDutyEventsUrl`.
    pub events_url: Url,
    /// `PagerDutyRoutingKey`.
    pub routing_key: RoutingKey,
}

/// Configuration of the `incoming` function.
#[derive(Debug, Clone)]
pub struct IncomingConfig {
    /// GitHub.
    pub github: GitHubConfig,
    /// PagerDuty.
    pub pagerduty: PagerDutyConfig,
    /// PagerDuty's Events API v2, when `PagerDutyRoutingKey` is set: high-priority and fallback
    /// alarms go there instead of the REST API.
    pub pagerduty_events: Option<PagerDutyEventsConfig>,
    /// `SlackApiUrl`.
    pub slack_api_url: Url,
    /// `SlackBotToken`.
    pub slack_bot_token: SecretString,
    /// What routing falls back on.
    pub defaults: RoutingDefaults,
    /// Reminders and escalations of self-service prompts nobody answers.
    pub follow_up: FollowUpConfig,
}

/// How `triage` checks that a request comes from Slack.
#[derive(Debug, Clone)]
pub enum SlackVerification {
    /// `SlackSigningSecret`: v0 HMAC-SHA256 signatures.
    SigningSecret(SecretString),
    /// `SlackVerificationToken`: the legacy static token, only when no signing secret is set.
    LegacyToken(SecretString),
}

/// Configuration of the `triage` function.
#[derive(Debug, Clone)]
pub struct TriageConfig {
    /// GitHub.
    pub github: GitHubConfig,
    /// PagerDuty.
    pub pagerduty: PagerDutyConfig,
    /// `SlackApiUrl`.
    pub slack_api_url: Url,
    /// `SlackBotToken`, optional for triage.
    pub slack_bot_token: Option<SecretString>,
    /// Signing secret, else legacy token.
    pub verification: SlackVerification,
}

fn github(values: &Resolved) -> Result<GitHubConfig, ConfigError> {
    let app_id = values.optional(GITHUB_APP_ID, |v| v.parse::<u64>().map_err(|_| "must be a number".to_owned()))?;
    let auth = match app_id {
        Some(app_id) => GitHubAuth::App {
            app_id,
            private_key: values.required_secret(GITHUB_APP_PRIVATE_KEY)?,
            installation_id: values.required(GITHUB_APP_INSTALLATION_ID, |v| {
                v.parse::<u64>().map_err(|_| "must be a number".to_owned())
            })?,
        },
        None => GitHubAuth::Token(values.required_secret(GITHUB_TOKEN)?),
    };
    Ok(GitHubConfig {
        api_url: values.url(GITHUB_API_URL_SETTING, GITHUB_API_URL)?,
        auth,
        repo: Repo::new(
            values.required(GITHUB_OWNER, GitHubOwner::parse)?,
            values.required(GITHUB_REPO, RepoName::parse)?,
        ),
    })
}

fn pagerduty(values: &Resolved) -> Result<PagerDutyConfig, ConfigError> {
    Ok(PagerDutyConfig {
        api_url: values.url(PAGERDUTY_API_URL_SETTING, PAGERDUTY_API_URL)?,
        api_key: values.required_secret(PAGERDUTY_API_KEY)?,
        from: values.required(PAGERDUTY_FROM_ADDRESS, |v| {
            if v.contains('@') && !v.contains(char::is_whitespace) {
                Ok(v.to_owned())
            } else {
                Err("must be the email address of a PagerDuty user".to_owned())
            }
        })?,
        service: values.required(PAGERDUTY_SERVICE_ID, ServiceId::parse)?,
    })
}

fn pagerduty_events(values: &Resolved) -> Result<Option<PagerDutyEventsConfig>, ConfigError> {
    let events_url = values.url(PAGERDUTY_EVENTS_URL_SETTING, PAGERDUTY_EVENTS_URL)?;
    let Some(key) = values.secret(PAGERDUTY_ROUTING_KEY) else { return Ok(None) };
    // A decrypted value may end in the newline of the file it was encrypted from.
    let key = SecretString::from(secrecy::ExposeSecret::expose_secret(&key).trim().to_owned());
    let routing_key =
        RoutingKey::parse(key).map_err(|reason| ConfigError::Invalid { name: PAGERDUTY_ROUTING_KEY.name, reason })?;
    Ok(Some(PagerDutyEventsConfig { events_url, routing_key }))
}

/// The trust `ExtraCaCerts` asks for, when it is set.
fn extra_trust(values: &Resolved) -> Result<Option<Trust>, ConfigError> {
    values.optional(EXTRA_CA_CERTS, |value| Trust::with_extra(&tls::read_extra_certificates(value)?))
}

/// Reads the settings, then makes `ExtraCaCerts`, when set, the trust of every HTTP client the
/// process builds afterwards ([`tls::set_process_trust`]): the clients are built from the
/// configuration, after it is loaded.
async fn resolve(env: &Env, kms: Option<&Kms>) -> Result<Resolved, ConfigError> {
    let values = Resolved::load(env, kms).await?;
    if let Some(trust) = extra_trust(&values)? {
        tls::set_process_trust(trust);
    }
    Ok(values)
}

impl IncomingConfig {
    /// Reads and validates the `incoming` settings; `kms` is needed only when a value is `secure:`.
    /// `ExtraCaCerts` is read first and, when set, trusted by every HTTP client built afterwards.
    pub async fn load(env: &Env, kms: Option<&Kms>) -> Result<Self, ConfigError> {
        let values = resolve(env, kms).await?;
        let github = github(&values)?;
        let pagerduty = pagerduty(&values)?;
        let defaults = RoutingDefaults {
            repo: github.repo.clone(),
            github_user: values.required(GITHUB_DEFAULT_USER, GitHubMention::parse)?,
            slack_channel: values.required(SLACK_DEFAULT_CHANNEL, SlackChannel::parse)?,
            pagerduty_service: pagerduty.service.clone(),
        };
        Ok(Self {
            slack_api_url: values.url(SLACK_API_URL_SETTING, SLACK_API_URL)?,
            slack_bot_token: values.required_secret(SLACK_BOT_TOKEN)?,
            pagerduty_events: pagerduty_events(&values)?,
            follow_up: follow_up::follow_up(&values)?,
            github,
            pagerduty,
            defaults,
        })
    }
}

impl TriageConfig {
    /// Reads and validates the `triage` settings; `kms` is needed only when a value is `secure:`.
    /// `ExtraCaCerts` is read first and, when set, trusted by every HTTP client built afterwards.
    pub async fn load(env: &Env, kms: Option<&Kms>) -> Result<Self, ConfigError> {
        let values = resolve(env, kms).await?;
        let verification = match (values.secret(SLACK_SIGNING_SECRET), values.secret(SLACK_VERIFICATION_TOKEN)) {
            (Some(secret), _) => SlackVerification::SigningSecret(secret),
            (None, Some(token)) => SlackVerification::LegacyToken(token),
            (None, None) => return Err(ConfigError::Missing { name: SLACK_SIGNING_SECRET.name, aliases: &[] }),
        };
        Ok(Self {
            github: github(&values)?,
            pagerduty: pagerduty(&values)?,
            slack_api_url: values.url(SLACK_API_URL_SETTING, SLACK_API_URL)?,
            slack_bot_token: values.secret(SLACK_BOT_TOKEN),
            verification,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests;
