//! `dispatch fakes`: the settings it prints drive a real `incoming` handler, and it stops cleanly
//! on SIGTERM with an account of what it received.

use std::process::Stdio;
use std::time::Duration;

use dispatch_core::config::{Env, IncomingConfig};
use dispatch_core::deadline::{Deadline, RetryPolicy};
use dispatch_core::incoming::{Envelope, Incoming, SlackResult};

use crate::helpers::*;

#[tokio::test]
async fn the_printed_settings_drive_a_real_incoming_handler_until_sigterm() {
    let (child, env_file) = start_fakes("fakes", Stdio::piped).await;
    let text = std::fs::read_to_string(&env_file).unwrap();
    let vars: Vec<(String, String)> =
        text.lines().map(|l| l.split_once('=').unwrap()).map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
    let names: Vec<&str> = vars.iter().map(|(k, _)| k.as_str()).collect();
    for required in [
        "GitHubApiUrl",
        "SlackApiUrl",
        "PagerDutyApiUrl",
        "GitHubOwner",
        "GitHubRepo",
        "GitHubToken",
        "GitHubDefaultUser",
        "SlackBotToken",
        "SlackDefaultChannel",
        "SlackSigningSecret",
        "PagerDutyApiKey",
        "PagerDutyFromAddress",
        "PagerDutyServiceId",
    ] {
        assert!(names.contains(&required), "{required} missing from\n{text}");
    }
    for (name, value) in &vars {
        // What env-file readers such as cargo lambda's accept unquoted.
        assert!(
            !value.is_empty() && !value.contains(|c: char| c.is_whitespace() || "#='\"`".contains(c)),
            "{name}={value}"
        );
        if name.ends_with("ApiUrl") {
            assert!(value.starts_with("http://127.0.0.1:"), "{name}={value} is not on loopback");
        }
    }

    let config = IncomingConfig::load(&Env::new(vars), None).await.unwrap();
    let incoming = Incoming::from_config(&config, RetryPolicy::default()).unwrap();
    let body = std::fs::read_to_string(example("broadcast.json")).unwrap();
    let report = incoming
        .handle(Envelope { event_id: "e-1", published: None, body: &body }, Deadline::after(Duration::from_secs(30)))
        .await
        .unwrap();
    assert_eq!(report.issue.unwrap().issue.number, 1);
    // carol, known by email, is found in the fake Slack: her notice is not needed.
    assert!(report.slack.iter().all(|s| matches!(s.result, SlackResult::Sent(_) | SlackResult::NotNeeded)));

    let pid = child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let waiting = tokio::task::spawn_blocking(move || child.wait_with_output());
    let output = tokio::time::timeout(Duration::from_secs(30), waiting).await.unwrap().unwrap().unwrap();
    let (stdout, stderr) = (String::from_utf8(output.stdout).unwrap(), String::from_utf8(output.stderr).unwrap());
    assert!(output.status.success(), "{stderr}");
    assert_eq!(stdout, text, "stdout holds exactly the settings");
    assert!(
        stderr.contains(
            "Stopped. The fakes held 1 GitHub issue, 3 Slack messages, 0 prompt answers, 0 PagerDuty incidents."
        ),
        "{stderr}"
    );
}
