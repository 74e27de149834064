//! `dispatch doctor`: reads the settings the way `incoming` and `triage` do (the environment, or an
//! env file; `secure:` values decrypted with KMS) and checks them live against GitHub, Slack and
//! PagerDuty with read-only requests. One line per check, ✓ or ✗ with the fix; never a secret.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use dispatch_core::config::{
    ConfigError, Env, GitHubConfig, IncomingConfig, PagerDutyConfig, SLACK_SIGNING_SECRET, SLACK_VERIFICATION_TOKEN,
    Setting, SlackVerification, TriageConfig,
};
use dispatch_core::deadline::{Deadline, RetryPolicy};
use dispatch_core::github::{GitHub, GitHubAuth, GitHubError};
use dispatch_core::kms::{Kms, SECURE_PREFIX};
use dispatch_core::pagerduty::{PagerDuty, PagerDutyError};
use dispatch_core::slack::{Slack, SlackError};
use secrecy::ExposeSecret;

use crate::args::DoctorArgs;
use crate::style::Paint;

/// `PagerDutyRoutingKey`, read raw: the doctor checks its form whether or not the functions read it.
const ROUTING_KEY: Setting = Setting { name: "PagerDutyRoutingKey", aliases: &[] };
/// Length of a PagerDuty integration key.
const ROUTING_KEY_LEN: usize = 32;
/// The bot token scopes Dispatch uses: posting, DMs, and finding people by email.
pub const SLACK_SCOPES: &[&str] = &["chat:write", "im:write", "users:read", "users:read.email"];

/// Retries and timeouts of every check's requests.
const POLICY: RetryPolicy =
    RetryPolicy { attempts: 2, backoff: Duration::from_millis(300), request_timeout: Duration::from_secs(10) };
/// Time one check may take.
const CHECK_BUDGET: Duration = Duration::from_secs(25);

/// Reads the settings, runs every check, and exits 1 if any failed.
pub async fn run(args: &DoctorArgs, paint: Paint) -> ExitCode {
    let (vars, source) = match &args.env_file {
        Some(path) => match read_env_file(path) {
            Ok(vars) => (vars, path.display().to_string()),
            Err(e) => {
                eprintln!("{}", paint.red(e));
                return ExitCode::FAILURE;
            }
        },
        None => (std::env::vars().collect(), "the environment".to_owned()),
    };
    println!("{}", paint.bold(format!("Dispatch doctor: the settings from {source}, checked live")));
    println!(
        "{}",
        paint.dim("Read-only requests to GitHub, Slack and PagerDuty: nothing is created, sent or changed.")
    );
    let mut doctor = Doctor { paint, passed: 0, failed: 0, warned: 0 };
    doctor.examine(vars).await;
    doctor.summary()
}

/// `NAME=value` lines, as `dispatch fakes --env-file` writes them (blank lines, `#` comments and an
/// `export ` prefix are allowed; one pair of surrounding quotes is removed). Errors name the line,
/// never its value.
pub fn read_env_file(path: &Path) -> Result<Vec<(String, String)>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let mut vars = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((name, value)) = line.split_once('=') else {
            return Err(format!("{}:{}: not a NAME=value line", path.display(), i + 1));
        };
        let value = value.trim();
        let unquoted =
            ['"', '\''].iter().find_map(|q| value.strip_prefix(*q).and_then(|v| v.strip_suffix(*q))).unwrap_or(value);
        vars.push((name.trim().to_owned(), unquoted.to_owned()));
    }
    Ok(vars)
}

/// Prints each check's line as it completes, and counts them.
#[derive(Debug)]
struct Doctor {
    paint: Paint,
    passed: usize,
    failed: usize,
    warned: usize,
}

impl Doctor {
    fn pass(&mut self, service: &str, what: impl AsRef<str>) {
        self.passed += 1;
        println!("{} {service}: {}", self.paint.green("✓"), what.as_ref());
    }

    fn fail(&mut self, service: &str, what: impl AsRef<str>, fix: impl AsRef<str>) {
        self.failed += 1;
        println!("{} {service}: {} — {}", self.paint.red("✗"), what.as_ref(), fix.as_ref());
    }

    /// Passes, with something to look at.
    fn warn(&mut self, service: &str, what: impl AsRef<str>, advice: impl AsRef<str>) {
        self.warned += 1;
        println!("{} {service}: {} — {}", self.paint.yellow("⚠"), what.as_ref(), advice.as_ref());
    }

    /// A check not run because an earlier one failed.
    fn skip(&self, service: &str, what: impl AsRef<str>) {
        println!("{}", self.paint.dim(format!("– {service}: {}", what.as_ref())));
    }

    fn summary(&self) -> ExitCode {
        let total = self.passed + self.failed + self.warned;
        let warnings = match self.warned {
            0 => String::new(),
            1 => " (1 warning)".to_owned(),
            n => format!(" ({n} warnings)"),
        };
        println!();
        if self.failed == 0 {
            println!("{}", self.paint.green(format!("All {total} checks passed{warnings}.")));
            ExitCode::SUCCESS
        } else {
            let (failed, them) = (self.failed, if self.failed == 1 { "it" } else { "them" });
            println!(
                "{}",
                self.paint
                    .red(format!("{failed} of {total} checks failed{warnings}: fix {them} and run the doctor again."))
            );
            ExitCode::FAILURE
        }
    }

    async fn examine(&mut self, vars: Vec<(String, String)>) {
        // The routing key has a check of its own: the rest load without it, as they would
        // whatever the functions' version makes of it.
        let (routing_key, vars): (Vec<_>, Vec<_>) = vars.into_iter().partition(|(name, _)| name == ROUTING_KEY.name);
        let routing_key = Env::new(routing_key);
        let routing_key = routing_key.get(ROUTING_KEY);
        let env = &Env::new(vars);
        let needs_kms = env.needs_kms() || routing_key.is_some_and(|k| k.starts_with(SECURE_PREFIX));
        let kms = if needs_kms { Some(Kms::from_aws_environment().await) } else { None };
        let incoming = IncomingConfig::load(env, kms.as_ref()).await;
        let triage = TriageConfig::load(env, kms.as_ref()).await;
        match (&incoming, &triage) {
            (Ok(_), triage) => {
                let who = if triage.is_ok() {
                    "incoming and triage read their settings"
                } else {
                    "incoming reads its settings"
                };
                let decrypted = if env.needs_kms() { ", secure: values decrypted with KMS" } else { "" };
                self.pass("Settings", format!("{who}{decrypted}"));
            }
            (Err(e), _) => self.fail("Settings", format!("incoming cannot start: {e}"), config_fix(e)),
        }
        match &incoming {
            Ok(config) => {
                self.github(&config.github).await;
                self.slack(config).await;
                self.signing_secret(env, &triage, true);
                self.pagerduty(&config.pagerduty).await;
            }
            Err(_) => {
                self.skip("GitHub, Slack, PagerDuty", "not checked until the settings load");
                self.signing_secret(env, &triage, false);
            }
        }
        self.routing_key(routing_key, kms.as_ref()).await;
    }

    async fn github(&mut self, config: &GitHubConfig) {
        let repo = &config.repo;
        let github = match GitHub::new(&config.api_url, &config.auth, POLICY) {
            Ok(github) => github,
            Err(e) => {
                self.fail("GitHub", format!("the client cannot be set up: {e}"), github_credentials_fix(&config.auth));
                return;
            }
        };
        let info = match github.repository(repo, Deadline::after(CHECK_BUDGET)).await {
            Ok(info) => info,
            Err(GitHubError::NotFound(_)) => {
                self.fail(
                    "GitHub",
                    format!("repository {repo} was not found, or the credentials cannot see it"),
                    "check GitHubOwner and GitHubRepo, and give the token (or the App installation) access to the repository",
                );
                return;
            }
            Err(GitHubError::Unauthorized(status)) => {
                self.fail(
                    "GitHub",
                    format!("the credentials were refused (HTTP {status}: wrong, expired or revoked)"),
                    github_credentials_fix(&config.auth),
                );
                return;
            }
            Err(e) => {
                self.fail("GitHub", format!("repository {repo} cannot be read: {e}"), UNREACHABLE_FIX);
                return;
            }
        };
        self.pass("GitHub", format!("repository {repo} exists"));
        match &config.auth {
            GitHubAuth::Token(_) => match info.permissions {
                Some(permissions) if permissions.can_write_issues() => {
                    self.pass("GitHub", format!("repository {repo} is writable (issues and labels)"))
                }
                Some(_) => self.fail(
                    "GitHub",
                    format!("the token may read {repo} but not open or label issues there"),
                    format!(
                        "give the token's account the Triage or Write role on {repo} (a fine-grained token also needs Issues: Read and write)"
                    ),
                ),
                None => self.warn(
                    "GitHub",
                    format!("GitHub did not say whether the token may write issues in {repo}"),
                    "make sure the token has Issues: Read and write on the repository",
                ),
            },
            GitHubAuth::App { .. } => {
                let permissions = GitHub::installation_permissions(
                    &config.api_url,
                    &config.auth,
                    POLICY,
                    Deadline::after(CHECK_BUDGET),
                )
                .await;
                match permissions {
                    Ok(Some(permissions)) if permissions.get("issues").is_some_and(|p| p == "write") => self.pass(
                        "GitHub",
                        format!("repository {repo} is writable: the App installation has Issues: Read and write"),
                    ),
                    Ok(_) => self.fail(
                        "GitHub",
                        "the GitHub App installation may not write issues or labels",
                        "grant Issues: Read and write under the App's Permissions & events, then accept the new permissions on the installation",
                    ),
                    Err(e) => self.fail(
                        "GitHub",
                        format!("the App installation's permissions cannot be read: {e}"),
                        "check GitHubAppId, GitHubAppPrivateKey and GitHubAppInstallationId",
                    ),
                }
            }
        }
    }

    async fn slack(&mut self, config: &IncomingConfig) {
        let http = match dispatch_core::http::client(POLICY.request_timeout) {
            Ok(http) => http,
            Err(e) => {
                self.fail("Slack", format!("no HTTP client: {e}"), "run the doctor again");
                return;
            }
        };
        let slack = Slack::new(http, &config.slack_api_url, Some(config.slack_bot_token.clone()), POLICY);
        let auth = match slack.auth_test(Deadline::after(CHECK_BUDGET)).await {
            Ok(auth) => auth,
            Err(SlackError::Unauthorized(code)) => {
                self.fail(
                    "Slack",
                    format!("the bot token was refused ({code})"),
                    "copy the Bot User OAuth Token (xoxb-…) from the app's OAuth & Permissions page into SlackBotToken; reinstall the app if the token was revoked",
                );
                self.skip("Slack", "scopes and default channel not checked without a working token");
                return;
            }
            Err(e) => {
                self.fail("Slack", format!("auth.test failed: {e}"), UNREACHABLE_FIX);
                return;
            }
        };
        self.pass("Slack", format!("the bot token works (workspace {}, bot user {})", auth.team, auth.user));
        match &auth.scopes {
            None => self.warn(
                "Slack",
                "Slack did not list the token's scopes (no x-oauth-scopes header)",
                format!("check under OAuth & Permissions that the bot has {}", SLACK_SCOPES.join(", ")),
            ),
            Some(scopes) => {
                let missing: Vec<&str> =
                    SLACK_SCOPES.iter().copied().filter(|s| !scopes.iter().any(|have| have == s)).collect();
                match missing.as_slice() {
                    [] => self.pass(
                        "Slack",
                        format!("the token has the scopes Dispatch needs ({})", SLACK_SCOPES.join(", ")),
                    ),
                    [one] => self.fail(
                        "Slack",
                        format!("the token lacks the scope {one}"),
                        "add it under OAuth & Permissions › Bot Token Scopes and reinstall the app",
                    ),
                    several => self.fail(
                        "Slack",
                        format!("the token lacks the scopes {}", several.join(", ")),
                        "add them under OAuth & Permissions › Bot Token Scopes and reinstall the app",
                    ),
                }
            }
        }
        self.default_channel(&slack, config.defaults.slack_channel.as_str()).await;
    }

    async fn default_channel(&mut self, slack: &Slack, channel: &str) {
        if channel.starts_with('#') {
            self.warn(
                "Slack",
                format!("the default channel {channel} is a name, and the doctor checks channel IDs only"),
                "put the channel's ID (channel details › About) in SlackDefaultChannel to have it checked, and make sure the bot is in the channel",
            );
            return;
        }
        if channel.starts_with(['U', 'W']) {
            self.warn(
                "Slack",
                format!("the default channel {channel} is a user: fallbacks go to their direct messages"),
                "not checked; use a channel ID to have the fallback channel checked",
            );
            return;
        }
        match slack.conversation_info(channel, Deadline::after(CHECK_BUDGET)).await {
            Ok(info) => {
                let name = info.name.map(|n| format!("#{n} ({channel})")).unwrap_or_else(|| channel.to_owned());
                if info.is_archived {
                    self.fail(
                        "Slack",
                        format!("the default channel {name} is archived"),
                        "unarchive it, or set SlackDefaultChannel to another channel's ID",
                    );
                } else if info.is_member {
                    self.pass("Slack", format!("the bot is in the default channel {name}"));
                } else {
                    self.fail(
                        "Slack",
                        format!("the bot is not in the default channel {name}"),
                        "invite it: type /invite @the-app's-name in the channel",
                    );
                }
            }
            Err(SlackError::Api(code)) if code == "channel_not_found" => self.fail(
                "Slack",
                format!("the default channel {channel} does not exist, or the bot cannot see it (channel_not_found)"),
                "set SlackDefaultChannel to the ID of an existing channel (channel details › About) and invite the bot into it",
            ),
            Err(SlackError::Api(code)) if code == "missing_scope" => self.warn(
                "Slack",
                format!("the default channel {channel} cannot be checked: the token lacks channels:read (groups:read for a private channel)"),
                "add that scope to have it checked, or make sure by hand that the bot is in the channel",
            ),
            Err(e) => self.fail("Slack", format!("the default channel {channel} cannot be checked: {e}"), UNREACHABLE_FIX),
        }
    }

    async fn pagerduty(&mut self, config: &PagerDutyConfig) {
        let http = match dispatch_core::http::client(POLICY.request_timeout) {
            Ok(http) => http,
            Err(e) => {
                self.fail("PagerDuty", format!("no HTTP client: {e}"), "run the doctor again");
                return;
            }
        };
        let pagerduty = PagerDuty::new(http, &config.api_url, config.api_key.clone(), config.from.clone(), POLICY);
        let service = &config.service;
        match pagerduty.service(service, Deadline::after(CHECK_BUDGET)).await {
            Ok(found) => {
                self.pass("PagerDuty", "the API key works");
                match found {
                    Some(s) => self.pass("PagerDuty", format!("service {service} exists ({})", s.name)),
                    None => self.fail(
                        "PagerDuty",
                        format!("service {service} does not exist"),
                        "set PagerDutyServiceId to the ID at the end of the service's address (…/service-directory/PXXXXXX)",
                    ),
                }
            }
            Err(PagerDutyError::Unauthorized { status, .. }) => {
                self.fail(
                    "PagerDuty",
                    format!("the API key was refused (HTTP {status})"),
                    "create a REST API key under Integrations › API Access Keys and put it in PagerDutyApiKey",
                );
                self.skip("PagerDuty", "service and From address not checked without a working key");
                return;
            }
            Err(e) => {
                self.fail("PagerDuty", format!("service {service} cannot be read: {e}"), UNREACHABLE_FIX);
                return;
            }
        }
        let from = &config.from;
        match pagerduty.user_by_email(from, Deadline::after(CHECK_BUDGET)).await {
            Ok(Some(user)) => {
                self.pass("PagerDuty", format!("the From address {from} is a user of the account ({})", user.name))
            }
            Ok(None) => self.fail(
                "PagerDuty",
                format!("the From address {from} is not a user of the account"),
                "set PagerDutyFromAddress to the login email of a PagerDuty user: incidents are opened in their name",
            ),
            Err(e) => self.fail("PagerDuty", format!("the users cannot be searched: {e}"), UNREACHABLE_FIX),
        }
    }

    /// Checks the form of `PagerDutyRoutingKey` (read raw, decrypted if `secure:`); sends nothing.
    async fn routing_key(&mut self, raw: Option<&str>, kms: Option<&Kms>) {
        let Some(raw) = raw else {
            self.skip("PagerDuty", "no routing key (PagerDutyRoutingKey): alarms open incidents with the REST API");
            return;
        };
        let key = match (raw.strip_prefix(SECURE_PREFIX), kms) {
            (None, _) => raw.trim().to_owned(),
            (Some(ciphertext), Some(kms)) => match kms.decrypt(ciphertext).await {
                Ok(plain) => plain.expose_secret().to_owned(),
                Err(reason) => {
                    self.fail("PagerDuty", format!("PagerDutyRoutingKey cannot be decrypted: {reason}"), KMS_FIX);
                    return;
                }
            },
            (Some(_), None) => unreachable!("a KMS client is made when the routing key is secure:"),
        };
        let n = key.chars().count();
        if n == ROUTING_KEY_LEN && key.chars().all(|c| c.is_ascii_alphanumeric()) {
            self.pass("PagerDuty", "the routing key is well formed (32 letters and digits; no event was sent)");
        } else {
            self.fail(
                "PagerDuty",
                format!("the routing key PagerDutyRoutingKey is not 32 letters and digits ({n} characters)"),
                "copy the Integration Key of the service's Events API v2 integration (Service › Integrations) into PagerDutyRoutingKey",
            );
        }
    }

    /// Triage verifies clicks with the signing secret; the legacy token alone is not enough.
    fn signing_secret(&mut self, env: &Env, triage: &Result<TriageConfig, ConfigError>, incoming_loaded: bool) {
        let set = match triage {
            Ok(config) => matches!(config.verification, SlackVerification::SigningSecret(_)),
            Err(ConfigError::Missing { name, .. }) if *name == SLACK_SIGNING_SECRET.name => false,
            Err(e) if incoming_loaded => {
                self.fail("Settings", format!("triage cannot start: {e}"), config_fix(e));
                return;
            }
            // The same problem as incoming's, reported already: look at the raw settings.
            Err(_) => env.get(SLACK_SIGNING_SECRET).is_some(),
        };
        if set {
            self.pass("Slack", "triage's signing secret is set (SlackSigningSecret)");
        } else if env.get(SLACK_VERIFICATION_TOKEN).is_some() {
            self.fail(
                "Slack",
                "triage has only the legacy SlackVerificationToken, not the signing secret SlackSigningSecret",
                SIGNING_SECRET_FIX,
            );
        } else {
            self.fail("Slack", "triage's signing secret SlackSigningSecret is not set", SIGNING_SECRET_FIX);
        }
    }
}

const UNREACHABLE_FIX: &str =
    "check the service's API URL setting and this machine's network, then run the doctor again";
const KMS_FIX: &str = "check that the value is KMS ciphertext from this account and region, and that these AWS credentials (AWS_PROFILE, AWS_REGION) may kms:Decrypt it";
const SIGNING_SECRET_FIX: &str = "set SlackSigningSecret to the Signing Secret under the app's Basic Information › App Credentials: Slack signs every click with it";

fn github_credentials_fix(auth: &GitHubAuth) -> &'static str {
    match auth {
        GitHubAuth::Token(_) => {
            "create a new token with Issues: Read and write on the repository and put it in GitHubToken"
        }
        GitHubAuth::App { .. } => {
            "check GitHubAppId, GitHubAppPrivateKey (the App's PEM key) and GitHubAppInstallationId"
        }
    }
}

/// The fix for a setting that does not load.
fn config_fix(error: &ConfigError) -> String {
    match error {
        ConfigError::Missing { name, .. } => {
            format!("set {name} in the function's configuration (the CloudFormation parameter of the same name)")
        }
        ConfigError::Invalid { name, .. } => format!("correct {name} in the function's configuration"),
        ConfigError::Decrypt { .. } => KMS_FIX.to_owned(),
        ConfigError::NoKms { name } => format!("{name} is secure:, so AWS credentials that may decrypt it are needed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_files_take_comments_quotes_and_export_but_name_the_bad_line_without_its_value() {
        let dir = std::env::temp_dir().join(format!("dispatch-doctor-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ok.env");
        std::fs::write(&path, "# comment\n\nA=1\nexport B=\"two words\"\nC='x=y'\n").unwrap();
        let vars = read_env_file(&path).unwrap();
        let expected = [("A", "1"), ("B", "two words"), ("C", "x=y")];
        assert_eq!(vars, expected.map(|(k, v)| (k.to_owned(), v.to_owned())));
        let bad = dir.join("bad.env");
        std::fs::write(&bad, "A=1\nsecret-value-without-equals\n").unwrap();
        let error = read_env_file(&bad).unwrap_err();
        assert!(error.ends_with("bad.env:2: not a NAME=value line"), "{error}");
        assert!(!error.contains("secret-value"));
    }
}
