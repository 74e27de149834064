//! `dispatch doctor`: passes against `dispatch fakes`, and fails, naming the service and the fix,
//! for each broken setting (the fakes run in this process, told what to break); never prints a
//! secret; changes nothing.

use std::path::PathBuf;
use std::process::Stdio;

use dispatch_fakes::Fakes;
use serde_json::json;

use crate::helpers::*;

const GITHUB_TOKEN: &str = "ghp_doctorSECRETgithub0123456789";
const SLACK_TOKEN: &str = "xoxb-doctor-SECRET-slack-0123456789";
const SIGNING_SECRET: &str = "doctorSECRETsigning0123456789abc";
const PAGERDUTY_KEY: &str = "u+doctorSECRETpagerduty";
const ROUTING_KEY: &str = "R0UTINGk3ySECRET0123456789abcdef";
const REPO: &str = "acme/alarms";

/// Every setting the functions read, pointing at `fakes`, with `changes` applied (`None` removes).
fn settings(fakes: &Fakes, changes: &[(&str, Option<&str>)]) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = [
        ("GitHubOwner", "acme"),
        ("GitHubRepo", "alarms"),
        ("GitHubToken", GITHUB_TOKEN),
        ("GitHubDefaultUser", "acme/security"),
        ("SlackBotToken", SLACK_TOKEN),
        ("SlackDefaultChannel", "C0SECURITY"),
        ("SlackSigningSecret", SIGNING_SECRET),
        ("PagerDutyApiKey", PAGERDUTY_KEY),
        ("PagerDutyFromAddress", "oncall@example.com"),
        ("PagerDutyServiceId", "PDEFAULT"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .chain(fakes.env().into_iter().map(|(k, v)| (k.to_owned(), v)))
    .collect();
    for (name, value) in changes {
        vars.retain(|(k, _)| k != name);
        if let Some(value) = value {
            vars.push(((*name).to_owned(), (*value).to_owned()));
        }
    }
    vars
}

/// [`settings`] in an env file.
fn env_file(fakes: &Fakes, changes: &[(&str, Option<&str>)]) -> PathBuf {
    let vars = settings(fakes, changes);
    let text: String = vars.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
    temp_file("doctor.env", &text)
}

/// `dispatch doctor --env-file F`, off the runtime's threads so the fakes keep answering.
async fn doctor(env_file: PathBuf) -> Run {
    tokio::task::spawn_blocking(move || {
        let mut command = command(&["doctor", "--env-file", arg(&env_file)]);
        // AWS settings of the machine running the tests must not matter.
        command.env_remove("AWS_PROFILE");
        run_with(command, "")
    })
    .await
    .unwrap()
}

/// Fresh fakes and the doctor run against them with `changes`, after `breaking` them.
async fn doctor_with(changes: &[(&str, Option<&str>)], breaking: impl FnOnce(&Fakes)) -> (Run, Fakes) {
    let fakes = Fakes::start().await.unwrap();
    breaking(&fakes);
    let run = doctor(env_file(&fakes, changes)).await;
    (run, fakes)
}

/// The ✗ lines.
fn failures(run: &Run) -> Vec<&str> {
    run.stdout.lines().filter(|l| l.starts_with('✗')).collect()
}

/// Asserts the run failed on exactly one check, of `service`, whose line contains `what` and a fix.
fn fails_once(run: &Run, service: &str, what: &str) {
    assert_eq!(run.code, 1, "{}", run.both());
    let failed = failures(run);
    assert_eq!(failed.len(), 1, "one check fails\n{}", run.both());
    let line = failed[0];
    assert!(line.starts_with(&format!("✗ {service}: ")), "names {service}: {line}");
    assert!(line.contains(what), "says {what:?}: {line}");
    let fix = line.split_once(" — ").map(|(_, fix)| fix).unwrap_or_default();
    assert!(fix.split_whitespace().count() >= 4, "a sentence with the fix: {line}");
    assert!(run.stdout.contains("checks failed"), "{}", run.stdout);
}

#[tokio::test]
async fn the_doctor_passes_against_dispatch_fakes() {
    let (mut child, env_file) = start_fakes("doctor-fakes", Stdio::null).await;
    let run = doctor(env_file).await;
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(run.code, 0, "{}", run.both());
    assert!(failures(&run).is_empty(), "{}", run.stdout);
    for expected in [
        "✓ Settings: incoming and triage read their settings",
        "✓ GitHub: repository acme/dispatch-alarms exists",
        "✓ GitHub: repository acme/dispatch-alarms is writable (issues and labels)",
        "✓ Slack: the bot token works",
        "✓ Slack: the token has the scopes Dispatch needs (chat:write, im:write, users:read, users:read.email)",
        "✓ Slack: the bot is in the default channel #c0security (C0SECURITY)",
        "✓ PagerDuty: the API key works",
        "✓ PagerDuty: service PDEFAULT exists",
        "✓ PagerDuty: the From address oncall@example.com is a user of the account",
        "✓ Slack: triage's signing secret is set (SlackSigningSecret)",
        "All 10 checks passed.",
    ] {
        assert!(run.stdout.contains(expected), "{expected:?} missing from\n{}", run.stdout);
    }
    assert!(!run.stdout.contains('\x1b'), "no colours when stdout is not a terminal");
}

#[tokio::test]
async fn every_check_passes_with_a_well_formed_routing_key_and_only_reads() {
    let (run, fakes) = doctor_with(&[("PagerDutyRoutingKey", Some(ROUTING_KEY))], |_| {}).await;
    assert_eq!(run.code, 0, "{}", run.both());
    assert!(run.stdout.contains("✓ PagerDuty: the routing key is well formed"), "{}", run.stdout);
    assert!(run.stdout.contains("All 11 checks passed."), "{}", run.stdout);
    let github = fakes.github.requests();
    assert!(!github.is_empty() && github.iter().all(|r| r.method == "GET"), "{github:?}");
    let pagerduty = fakes.pagerduty.requests();
    assert!(!pagerduty.is_empty() && pagerduty.iter().all(|r| r.method == "GET"), "{pagerduty:?}");
    let slack: Vec<String> = fakes.slack.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(slack, ["/api/auth.test", "/api/conversations.info"]);
    assert!(fakes.slack.messages().is_empty() && fakes.pagerduty.incidents().is_empty());
}

#[tokio::test]
async fn a_missing_repository_fails_the_github_check() {
    let (run, _) = doctor_with(&[], |f| f.github.missing_repo(REPO)).await;
    fails_once(&run, "GitHub", "repository acme/alarms was not found");
    assert!(run.stdout.contains("GitHubOwner and GitHubRepo"), "{}", run.stdout);
}

#[tokio::test]
async fn a_token_without_write_permission_fails_the_github_check() {
    let read_only = json!({ "admin": false, "maintain": false, "push": false, "triage": false, "pull": true });
    let (run, _) = doctor_with(&[], |f| f.github.set_permissions(GITHUB_TOKEN, read_only)).await;
    fails_once(&run, "GitHub", "may read acme/alarms but not open or label issues");
    assert!(run.stdout.contains("✓ GitHub: repository acme/alarms exists"), "{}", run.stdout);
}

#[tokio::test]
async fn a_triage_role_is_enough_to_write_issues() {
    let triage = json!({ "admin": false, "maintain": false, "push": false, "triage": true, "pull": true });
    let (run, _) = doctor_with(&[], |f| f.github.set_permissions(GITHUB_TOKEN, triage)).await;
    assert_eq!(run.code, 0, "{}", run.both());
}

#[tokio::test]
async fn a_refused_github_token_fails_the_github_check() {
    let (run, _) = doctor_with(&[], |f| f.github.refuse_token(GITHUB_TOKEN)).await;
    fails_once(&run, "GitHub", "the credentials were refused (HTTP 401");
    assert!(run.stdout.contains("GitHubToken"), "{}", run.stdout);
}

#[tokio::test]
async fn a_github_app_installation_without_issue_write_fails_the_github_check() {
    let key = std::fs::read_to_string(repo_root().join("tests/fixtures/test-github-app-key.pem")).unwrap();
    let app = [
        ("GitHubToken", None),
        ("GitHubAppId", Some("17")),
        ("GitHubAppPrivateKey", Some(key.as_str())),
        ("GitHubAppInstallationId", Some("4242")),
    ];
    // A PEM spans lines: an env file cannot hold it, so this one runs with the environment.
    let fakes = Fakes::start().await.unwrap();
    let run_app = |fakes: &Fakes| {
        let mut command = command(&["doctor"]);
        command.env_remove("AWS_PROFILE").envs(settings(fakes, &app));
        tokio::task::spawn_blocking(move || run_with(command, ""))
    };
    let run = run_app(&fakes).await.unwrap();
    assert_eq!(run.code, 0, "{}", run.both());
    assert!(run.stdout.contains("the App installation has Issues: Read and write"), "{}", run.stdout);
    fakes.github.set_installation_permissions(json!({ "issues": "read", "metadata": "read" }));
    let run = run_app(&fakes).await.unwrap();
    fails_once(&run, "GitHub", "the GitHub App installation may not write issues");
    assert!(!run.both().contains("PRIVATE KEY"), "{}", run.both());
}

#[tokio::test]
async fn a_refused_slack_token_fails_the_slack_check() {
    let (run, _) = doctor_with(&[("SlackBotToken", Some("revoked-SECRET-token"))], |_| {}).await;
    fails_once(&run, "Slack", "the bot token was refused (invalid_auth)");
    assert!(run.stdout.contains("SlackBotToken"), "{}", run.stdout);
}

#[tokio::test]
async fn a_missing_scope_fails_the_slack_check() {
    let (run, _) = doctor_with(&[], |f| f.slack.set_scopes(&["chat:write", "im:write", "users:read"])).await;
    fails_once(&run, "Slack", "the token lacks the scope users:read.email");
    assert!(run.stdout.contains("add it under OAuth & Permissions"), "{}", run.stdout);
}

#[tokio::test]
async fn a_missing_default_channel_fails_the_slack_check() {
    let (run, _) = doctor_with(&[], |f| f.slack.unknown_channel("C0SECURITY")).await;
    fails_once(&run, "Slack", "the default channel C0SECURITY does not exist");
}

#[tokio::test]
async fn a_bot_outside_the_default_channel_fails_the_slack_check() {
    let (run, _) = doctor_with(&[], |f| f.slack.bot_not_in("C0SECURITY")).await;
    fails_once(&run, "Slack", "the bot is not in the default channel #c0security (C0SECURITY)");
    assert!(run.stdout.contains("/invite"), "{}", run.stdout);
}

#[tokio::test]
async fn a_default_channel_given_by_name_passes_with_a_warning() {
    let (run, fakes) = doctor_with(&[("SlackDefaultChannel", Some("#security"))], |_| {}).await;
    assert_eq!(run.code, 0, "{}", run.both());
    assert!(run.stdout.contains("⚠ Slack: the default channel #security is a name"), "{}", run.stdout);
    assert!(run.stdout.contains("(1 warning)"), "{}", run.stdout);
    assert!(fakes.slack.requests().iter().all(|r| r.path != "/api/conversations.info"));
}

#[tokio::test]
async fn a_refused_pagerduty_key_fails_the_pagerduty_check() {
    let (run, _) = doctor_with(&[], |f| f.pagerduty.refuse_key(PAGERDUTY_KEY)).await;
    fails_once(&run, "PagerDuty", "the API key was refused (HTTP 401)");
    assert!(run.stdout.contains("PagerDutyApiKey"), "{}", run.stdout);
}

#[tokio::test]
async fn a_missing_pagerduty_service_fails_the_pagerduty_check() {
    let (run, _) = doctor_with(&[], |f| f.pagerduty.missing_service("PDEFAULT")).await;
    fails_once(&run, "PagerDuty", "service PDEFAULT does not exist");
    assert!(run.stdout.contains("✓ PagerDuty: the API key works"), "{}", run.stdout);
}

#[tokio::test]
async fn a_from_address_that_is_not_a_pagerduty_user_fails_the_pagerduty_check() {
    let (run, _) = doctor_with(&[("PagerDutyFromAddress", Some("stranger@example.com"))], |_| {}).await;
    fails_once(&run, "PagerDuty", "the From address stranger@example.com is not a user of the account");
}

#[tokio::test]
async fn a_malformed_routing_key_fails_the_pagerduty_check() {
    let (run, fakes) = doctor_with(&[("PagerDutyRoutingKey", Some("SECRET-too-short"))], |_| {}).await;
    fails_once(&run, "PagerDuty", "the routing key PagerDutyRoutingKey is not 32 letters and digits (16 characters)");
    assert!(fakes.pagerduty.requests().iter().all(|r| !r.path.contains("enqueue")), "no event is sent");
}

#[tokio::test]
async fn a_missing_signing_secret_fails_the_triage_check() {
    let (run, _) = doctor_with(&[("SlackSigningSecret", None)], |_| {}).await;
    fails_once(&run, "Slack", "triage's signing secret SlackSigningSecret is not set");
}

#[tokio::test]
async fn a_legacy_verification_token_alone_fails_the_triage_check() {
    let changes = [("SlackSigningSecret", None), ("SlackVerificationToken", Some("legacySECRETtoken"))];
    let (run, _) = doctor_with(&changes, |_| {}).await;
    fails_once(&run, "Slack", "triage has only the legacy SlackVerificationToken");
}

#[tokio::test]
async fn a_missing_setting_is_named_and_the_service_checks_wait_for_it() {
    let (run, fakes) = doctor_with(&[("PagerDutyServiceId", None)], |_| {}).await;
    fails_once(&run, "Settings", "missing required setting PagerDutyServiceId");
    assert!(fakes.github.requests().is_empty() && fakes.slack.requests().is_empty());
}

#[tokio::test]
async fn no_secret_value_appears_in_the_output_whether_checks_pass_or_fail() {
    let secrets = [GITHUB_TOKEN, SLACK_TOKEN, SIGNING_SECRET, PAGERDUTY_KEY, ROUTING_KEY, "SECRET"];
    let (passing, _) = doctor_with(&[("PagerDutyRoutingKey", Some(ROUTING_KEY))], |_| {}).await;
    assert_eq!(passing.code, 0, "{}", passing.both());
    let (failing, _) = doctor_with(
        &[("PagerDutyRoutingKey", Some("SECRET-routing")), ("SlackVerificationToken", Some("legacySECRET"))],
        |f| {
            f.github.refuse_token(GITHUB_TOKEN);
            f.slack.set_scopes(&[]);
            f.pagerduty.refuse_key(PAGERDUTY_KEY);
        },
    )
    .await;
    assert_eq!(failing.code, 1, "{}", failing.both());
    assert!(failures(&failing).len() >= 4, "{}", failing.stdout);
    for run in [&passing, &failing] {
        for secret in secrets {
            assert!(!run.both().contains(secret), "{secret} printed:\n{}", run.both());
        }
    }
}

#[test]
fn the_doctor_help_says_what_it_checks_and_that_it_changes_nothing() {
    let run = dispatch(&["doctor", "--help"]);
    assert_eq!(run.code, 0, "{}", run.both());
    for expected in ["--env-file", "nothing is created, sent or changed", "users:read.email", "SlackSigningSecret"] {
        assert!(run.stdout.contains(expected), "{expected:?} missing from\n{}", run.stdout);
    }
    let main = dispatch(&["--help"]);
    assert!(main.stdout.contains("dispatch doctor --env-file my.env"), "{}", main.stdout);
}
