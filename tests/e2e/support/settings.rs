//! The settings of a deployment, as the functions read them from their environment.

use dispatch_core::config::{Env, IncomingConfig, TriageConfig};
use dispatch_core::deadline::RetryPolicy;
use dispatch_core::incoming::Incoming;
use dispatch_core::triage::Triage;
use dispatch_fakes::Fakes;

/// The repository the settings name.
pub const REPO: &str = "acme/dispatch-alarms";
/// The default channel the settings name.
pub const DEFAULT_CHANNEL: &str = "#security-alerts";
/// The settings of GitHub App authentication, to add to the others (they take the place of
/// `GitHubToken`): the test App's id, private key and installation. The fake GitHub accepts any
/// App's JWT, and its installation token writes as `dispatch-app[bot]`.
pub const AS_APP: [(&str, &str); 3] = [
    ("GitHubAppId", "17"),
    ("GitHubAppPrivateKey", include_str!("../../fixtures/test-github-app-key.pem")),
    ("GitHubAppInstallationId", "4242"),
];

/// Settings by name, changed one at a time: each name at most once.
#[derive(Debug, Clone)]
pub struct Settings(Vec<(&'static str, String)>);

impl Settings {
    /// Every setting incoming requires, with test tokens (`ghp-test`, `xoxb-test`, `pd-test`).
    pub fn required() -> Self {
        let vars = [
            ("GitHubOwner", "acme"),
            ("GitHubRepo", "dispatch-alarms"),
            ("GitHubToken", "ghp-test"),
            ("GitHubDefaultUser", "acme/security"),
            ("SlackBotToken", "xoxb-test"),
            ("SlackDefaultChannel", DEFAULT_CHANNEL),
            ("PagerDutyApiKey", "pd-test"),
            ("PagerDutyFromAddress", "oncall@example.com"),
            ("PagerDutyServiceId", "PDEFAULT"),
        ];
        Self(vars.into_iter().map(|(name, value)| (name, value.to_owned())).collect())
    }

    /// [`Settings::required`] with the services' addresses pointing at `fakes`.
    pub fn on(fakes: &Fakes) -> Self {
        fakes.env().into_iter().fold(Self::required(), |settings, (name, value)| settings.set(name, value))
    }

    /// `name` set to `value`, in place of any value it had.
    pub fn set(self, name: &'static str, value: impl Into<String>) -> Self {
        let mut vars = self.unset(name).0;
        vars.push((name, value.into()));
        Self(vars)
    }

    /// Without `name`.
    pub fn unset(mut self, name: &str) -> Self {
        self.0.retain(|(k, _)| *k != name);
        self
    }

    /// `name`'s value under another spelling (an alias such as the Node era's `GithubOwner`).
    pub fn renamed(self, name: &str, alias: &'static str) -> Self {
        let value = self.get(name).unwrap_or_else(|| panic!("{name} is not set")).to_owned();
        self.unset(name).set(alias, value)
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str())
    }

    /// The settings as environment variables.
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        self.0.clone()
    }

    /// The settings as the loaders read them.
    pub fn env(&self) -> Env {
        Env::new(self.vars())
    }

    /// The incoming handler built from these settings, as the function builds it at start.
    pub async fn incoming(&self, policy: RetryPolicy) -> Incoming {
        Incoming::from_config(&IncomingConfig::load(&self.env(), None).await.unwrap(), policy).unwrap()
    }

    /// The triage handler built from these settings, as the function builds it at start.
    pub async fn triage(&self, policy: RetryPolicy) -> Triage {
        Triage::from_config(&TriageConfig::load(&self.env(), None).await.unwrap(), policy).unwrap()
    }
}
