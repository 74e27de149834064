//! Configuration (DESIGN.md §6), read once at start-up from the environment variables named like
//! the original's CloudFormation parameters (with the README's spellings as aliases). `secure:`
//! values are decrypted with KMS, concurrently, once. A missing or malformed setting is an error
//! naming it. Secrets are `SecretString`s, whose `Debug` shows `[REDACTED]`.

use std::collections::HashMap;

use futures::future::try_join_all;
use secrecy::SecretString;
use url::Url;

use crate::github::GitHubAuth;
use crate::ids::{GitHubMention, GitHubOwner, Repo, RepoName, ServiceId, SlackChannel};
use crate::kms::{Kms, SECURE_PREFIX};
use crate::pagerduty::RoutingKey;
use crate::routing::RoutingDefaults;

/// Default GitHub API.
pub const GITHUB_API_URL: &str = "https://api.github.com";
/// Default Slack Web API.
pub const SLACK_API_URL: &str = "https://slack.com/api";
/// Default PagerDuty API.
pub const PAGERDUTY_API_URL: &str = "https://api.pagerduty.com";
/// Default PagerDuty Events API.
pub const PAGERDUTY_EVENTS_URL: &str = "https://events.pagerduty.com";

/// One setting: its name and the aliases also accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// The name.
    pub name: &'static str,
    /// Other accepted spellings.
    pub aliases: &'static [&'static str],
}

const fn setting(name: &'static str, aliases: &'static [&'static str]) -> Setting {
    Setting { name, aliases }
}

/// `GitHubOwner` (alias `GithubOwner`).
pub const GITHUB_OWNER: Setting = setting("GitHubOwner", &["GithubOwner"]);
/// `GitHubRepo` (alias `GithubRepo`).
pub const GITHUB_REPO: Setting = setting("GitHubRepo", &["GithubRepo"]);
/// `GitHubToken` (alias `GithubToken`).
pub const GITHUB_TOKEN: Setting = setting("GitHubToken", &["GithubToken"]);
/// `GitHubAppId`: with the two below, GitHub App authentication instead of a token.
pub const GITHUB_APP_ID: Setting = setting("GitHubAppId", &[]);
/// `GitHubAppPrivateKey`: the App's PEM private key (`secure:` allowed).
pub const GITHUB_APP_PRIVATE_KEY: Setting = setting("GitHubAppPrivateKey", &[]);
/// `GitHubAppInstallationId`.
pub const GITHUB_APP_INSTALLATION_ID: Setting = setting("GitHubAppInstallationId", &[]);
/// `GitHubDefaultUser`.
pub const GITHUB_DEFAULT_USER: Setting = setting("GitHubDefaultUser", &["GithubDefaultUser"]);
/// `SlackBotToken`.
pub const SLACK_BOT_TOKEN: Setting = setting("SlackBotToken", &[]);
/// `SlackDefaultChannel` (alias `SlackChannel`).
pub const SLACK_DEFAULT_CHANNEL: Setting = setting("SlackDefaultChannel", &["SlackChannel"]);
/// `SlackSigningSecret`.
pub const SLACK_SIGNING_SECRET: Setting = setting("SlackSigningSecret", &[]);
/// `SlackVerificationToken`.
pub const SLACK_VERIFICATION_TOKEN: Setting = setting("SlackVerificationToken", &[]);
/// `PagerDutyApiKey`.
pub const PAGERDUTY_API_KEY: Setting = setting("PagerDutyApiKey", &[]);
/// `PagerDutyFromAddress`.
pub const PAGERDUTY_FROM_ADDRESS: Setting = setting("PagerDutyFromAddress", &[]);
/// `PagerDutyServiceId`.
pub const PAGERDUTY_SERVICE_ID: Setting = setting("PagerDutyServiceId", &[]);
/// `GitHubApiUrl`.
pub const GITHUB_API_URL_SETTING: Setting = setting("GitHubApiUrl", &["GithubApiUrl"]);
/// `SlackApiUrl`.
pub const SLACK_API_URL_SETTING: Setting = setting("SlackApiUrl", &[]);
/// `PagerDutyApiUrl`.
pub const PAGERDUTY_API_URL_SETTING: Setting = setting("PagerDutyApiUrl", &[]);
/// `PagerDutyRoutingKey`: the integration key (Events API v2) of a service, optional (`secure:`
/// allowed). When set, high-priority and fallback alarms are sent as Events API v2 triggers.
pub const PAGERDUTY_ROUTING_KEY: Setting = setting("PagerDutyRoutingKey", &[]);
/// `PagerDutyEventsUrl`.
pub const PAGERDUTY_EVENTS_URL_SETTING: Setting = setting("PagerDutyEventsUrl", &[]);

/// Every setting either function reads, for documentation and deployment checks.
pub const ALL_SETTINGS: &[Setting] = &[
    GITHUB_OWNER,
    GITHUB_REPO,
    GITHUB_TOKEN,
    GITHUB_APP_ID,
    GITHUB_APP_PRIVATE_KEY,
    GITHUB_APP_INSTALLATION_ID,
    GITHUB_DEFAULT_USER,
    SLACK_BOT_TOKEN,
    SLACK_DEFAULT_CHANNEL,
    SLACK_SIGNING_SECRET,
    SLACK_VERIFICATION_TOKEN,
    PAGERDUTY_API_KEY,
    PAGERDUTY_FROM_ADDRESS,
    PAGERDUTY_SERVICE_ID,
    GITHUB_API_URL_SETTING,
    SLACK_API_URL_SETTING,
    PAGERDUTY_API_URL_SETTING,
    PAGERDUTY_ROUTING_KEY,
    PAGERDUTY_EVENTS_URL_SETTING,
];

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

/// The environment, captured once by the binary (`Env::new(std::env::vars())`); the library never
/// reads the process environment itself.
#[derive(Clone, Default)]
pub struct Env {
    vars: HashMap<String, String>,
}

impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env").field("names", &self.vars.keys().collect::<Vec<_>>()).finish()
    }
}

impl Env {
    /// Captures variables.
    pub fn new<K: Into<String>, V: Into<String>>(vars: impl IntoIterator<Item = (K, V)>) -> Self {
        Self { vars: vars.into_iter().map(|(k, v)| (k.into(), v.into())).collect() }
    }

    /// The value of a setting under its name or an alias; empty counts as absent.
    pub fn get(&self, setting: Setting) -> Option<&str> {
        std::iter::once(setting.name)
            .chain(setting.aliases.iter().copied())
            .find_map(|name| self.vars.get(name).map(String::as_str).filter(|v| !v.trim().is_empty()))
    }

    /// Whether any setting this process reads is `secure:`, so a KMS client is needed.
    pub fn needs_kms(&self) -> bool {
        ALL_SETTINGS.iter().any(|s| self.get(*s).is_some_and(|v| v.starts_with(SECURE_PREFIX)))
    }
}

/// Settings with every `secure:` value decrypted.
struct Resolved {
    values: HashMap<&'static str, SecretString>,
}

impl Resolved {
    /// Decrypts every `secure:` value concurrently, once.
    async fn load(env: &Env, kms: Option<&Kms>) -> Result<Self, ConfigError> {
        let mut values = HashMap::new();
        let mut encrypted = Vec::new();
        for setting in ALL_SETTINGS {
            if let Some(value) = env.get(*setting) {
                match value.strip_prefix(SECURE_PREFIX) {
                    Some(ciphertext) => encrypted.push((setting.name, ciphertext)),
                    None => {
                        values.insert(setting.name, SecretString::from(value.trim().to_owned()));
                    }
                }
            }
        }
        if let Some((name, _)) = encrypted.first()
            && kms.is_none()
        {
            return Err(ConfigError::NoKms { name });
        }
        if let Some(kms) = kms {
            let decrypted = try_join_all(encrypted.into_iter().map(|(name, ciphertext)| async move {
                kms.decrypt(ciphertext)
                    .await
                    .map(|plain| (name, plain))
                    .map_err(|reason| ConfigError::Decrypt { name, reason })
            }))
            .await?;
            values.extend(decrypted);
        }
        Ok(Self { values })
    }

    fn secret(&self, setting: Setting) -> Option<SecretString> {
        self.values.get(setting.name).cloned()
    }

    fn required_secret(&self, setting: Setting) -> Result<SecretString, ConfigError> {
        self.secret(setting).ok_or(ConfigError::Missing { name: setting.name, aliases: setting.aliases })
    }

    fn text(&self, setting: Setting) -> Option<String> {
        use secrecy::ExposeSecret;
        self.values.get(setting.name).map(|v| v.expose_secret().to_owned())
    }

    fn required<T>(&self, setting: Setting, parse: impl FnOnce(&str) -> Result<T, String>) -> Result<T, ConfigError> {
        let value = self.text(setting).ok_or(ConfigError::Missing { name: setting.name, aliases: setting.aliases })?;
        parse(&value).map_err(|reason| ConfigError::Invalid { name: setting.name, reason })
    }

    fn optional<T>(
        &self,
        setting: Setting,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ConfigError> {
        self.text(setting)
            .map(|v| parse(&v).map_err(|reason| ConfigError::Invalid { name: setting.name, reason }))
            .transpose()
    }

    fn url(&self, setting: Setting, default: &str) -> Result<Url, ConfigError> {
        let value = self.text(setting).unwrap_or_else(|| default.to_owned());
        let url = Url::parse(&value).map_err(|e| ConfigError::Invalid { name: setting.name, reason: e.to_string() })?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(ConfigError::Invalid { name: setting.name, reason: "must be an http or https URL".into() });
        }
        Ok(url)
    }
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

impl IncomingConfig {
    /// Reads and validates the `incoming` settings; `kms` is needed only when a value is `secure:`.
    pub async fn load(env: &Env, kms: Option<&Kms>) -> Result<Self, ConfigError> {
        let values = Resolved::load(env, kms).await?;
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
            github,
            pagerduty,
            defaults,
        })
    }
}

impl TriageConfig {
    /// Reads and validates the `triage` settings; `kms` is needed only when a value is `secure:`.
    pub async fn load(env: &Env, kms: Option<&Kms>) -> Result<Self, ConfigError> {
        let values = Resolved::load(env, kms).await?;
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
