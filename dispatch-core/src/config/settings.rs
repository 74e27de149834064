//! The settings' names (DESIGN.md §6, the original's CloudFormation parameters, with the README's
//! spellings as aliases) and the environment they are read from.

use std::collections::HashMap;

use crate::kms::SECURE_PREFIX;

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
/// `ExtraCaCerts`: certificate authorities to trust besides the compiled-in Mozilla roots, for a
/// private CA (GitHub Enterprise behind one, a TLS-inspecting proxy): PEM text or the path of a
/// PEM file (`crate::tls::read_extra_certificates`). Optional; both functions read it.
pub const EXTRA_CA_CERTS: Setting = setting("ExtraCaCerts", &[]);

/// `SelfServiceRemindAfter`: minutes after a self-service prompt nobody answered before its user is
/// reminded; 0 never reminds. Default 30.
pub const SELF_SERVICE_REMIND_AFTER: Setting = setting("SelfServiceRemindAfter", &[]);
/// `SelfServiceEscalateAfter`: minutes after a self-service prompt nobody answered before it is
/// escalated to PagerDuty; 0 (the default) never escalates.
pub const SELF_SERVICE_ESCALATE_AFTER: Setting = setting("SelfServiceEscalateAfter", &[]);
/// `SchedulerGroupName`: the EventBridge Scheduler schedule group follow-ups are created in (the
/// stack creates it). Without it follow-ups are off.
pub const SCHEDULER_GROUP_NAME: Setting = setting("SchedulerGroupName", &[]);
/// `SchedulerRoleArn`: the role EventBridge Scheduler assumes to invoke `incoming` (the stack
/// creates it). Without it follow-ups are off.
pub const SCHEDULER_ROLE_ARN: Setting = setting("SchedulerRoleArn", &[]);

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
    EXTRA_CA_CERTS,
    SELF_SERVICE_REMIND_AFTER,
    SELF_SERVICE_ESCALATE_AFTER,
    SCHEDULER_GROUP_NAME,
    SCHEDULER_ROLE_ARN,
];

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
