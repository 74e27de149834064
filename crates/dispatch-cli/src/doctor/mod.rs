//! `dispatch doctor`: reads the settings the way `incoming` and `triage` do (the environment, or an
//! env file; `secure:` values decrypted with KMS) and checks them live against GitHub, Slack and
//! PagerDuty with read-only requests. One line per check, ✓ or ✗ with the fix; never a secret.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use dispatch_core::config::{
    ConfigError, Env, IncomingConfig, SLACK_SIGNING_SECRET, SLACK_VERIFICATION_TOKEN, Setting, SlackVerification,
    TriageConfig,
};
use dispatch_core::deadline::RetryPolicy;
use dispatch_core::kms::{Kms, SECURE_PREFIX};

use crate::args::DoctorArgs;
use crate::style::Paint;

mod github;
mod pagerduty;
mod slack;

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
