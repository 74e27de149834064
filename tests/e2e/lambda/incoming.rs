//! The built `incoming` binary, run as Lambda runs it: it polls a Lambda Runtime API emulator for
//! SNS events and talks to the fake services on loopback.

use std::time::Duration;

use dispatch_fakes::{FakeKms, FakeScheduler, Fakes};
use serde_json::{Value, json};

use super::Function;
use crate::support::examples::{HIGH_PRIORITY, SELF_SERVICE};
use crate::support::settings::Settings;

const SECRETS: [&str; 3] = ["ghp-e2e-secret-token", "xoxb-e2e-secret-token", "pd-e2e-secret-key"];

/// The usual settings on `fakes` with this suite's secrets, under the Node era's spellings where
/// the README named them so (`GithubOwner`, `GithubRepo`, `GithubToken`, `SlackChannel`).
fn settings(fakes: &Fakes) -> Settings {
    Settings::on(fakes)
        .set("GitHubToken", SECRETS[0])
        .set("SlackBotToken", SECRETS[1])
        .set("PagerDutyApiKey", SECRETS[2])
        .renamed("GitHubOwner", "GithubOwner")
        .renamed("GitHubRepo", "GithubRepo")
        .renamed("GitHubToken", "GithubToken")
        .renamed("SlackDefaultChannel", "SlackChannel")
}

async fn start(settings: Settings) -> Function {
    Function::start("incoming", settings.vars()).await
}

/// An SNS event of one record.
fn sns(message_id: &str, message: &str) -> Value {
    crate::support::sns::event(&[(message_id, message)])
}

impl Function {
    async fn run(&self, event: Value) -> Result<Value, Value> {
        self.invoke(event, Duration::from_secs(30)).await
    }
}

#[tokio::test]
async fn the_binary_routes_sns_events_and_reports_failures_to_lambda() {
    let fakes = Fakes::start().await.unwrap();
    let function = start(settings(&fakes)).await;

    let ok = function.run(sns("e2e-ss", SELF_SERVICE)).await.unwrap();
    assert_eq!(ok, json!({ "handled": 1 }));
    let issues = fakes.github.issues("acme/dispatch-alarms");
    assert_eq!(issues.len(), 1);
    assert_eq!(fakes.slack.messages_to("U012ABCDEF").len(), 1);

    function.run(sns("e2e-hp", HIGH_PRIORITY)).await.unwrap();
    assert_eq!(fakes.pagerduty.incidents().len(), 1);

    let rejected = function.run(sns("e2e-bad", r#"{"type":"broadcast","body":{}}"#)).await.unwrap_err();
    assert_eq!(rejected["errorType"], "InvalidMessage", "the failure queue says what happened: {rejected}");
    let message = rejected["errorMessage"].as_str().unwrap();
    assert!(
        message.contains("e2e-bad: message rejected: users: at least one recipient is required for broadcast"),
        "{message}"
    );

    fakes.slack.unknown_channel("U012ABCDEF");
    let undelivered = function
        .run(sns("e2e-ss2", &SELF_SERVICE.replace("Two-factor authentication disabled for alice", "Another alarm")))
        .await
        .unwrap_err();
    assert!(undelivered["errorMessage"].as_str().unwrap().contains("channel_not_found"), "{undelivered}");
    assert_eq!(undelivered["errorType"], "Undelivered", "{undelivered}");

    let logs = function.logs();
    let json_lines: Vec<Value> = logs.iter().filter_map(|l| serde_json::from_str(l).ok()).collect();
    assert!(!json_lines.is_empty(), "structured logs: {logs:?}");
    let rejected_line =
        json_lines.iter().find(|l| l["fields"]["message"] == "message rejected").expect("a rejection log line");
    assert_eq!(rejected_line["level"], "ERROR");
    assert_eq!(rejected_line["fields"]["path"], "users");
    assert_eq!(rejected_line["fields"]["sns_message_id"], "e2e-bad");
    let created = json_lines.iter().find(|l| l["fields"]["outcome"] == "issue created").expect("an issue log line");
    assert_eq!(created["fields"]["request_id"], "ss-2fa-disabled-0001");
    assert_eq!(created["fields"]["type"], "self-service");
    let paged = json_lines.iter().find(|l| l["fields"]["outcome"] == "incident created").expect("an incident log line");
    assert_eq!(paged["fields"]["service"], "PSECOPS");
    for line in &logs {
        for secret in SECRETS {
            assert!(!line.contains(secret), "a log line contains a secret: {line}");
        }
    }
}

#[tokio::test]
async fn metric_lines_reach_stdout_even_with_every_log_filtered_out() {
    let fakes = Fakes::start().await.unwrap();
    let function = start(settings(&fakes).set("RUST_LOG", "off")).await;
    function.run(sns("e2e-metrics", SELF_SERVICE)).await.unwrap();
    let alarms = |logs: &[String]| {
        logs.iter()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|l| l["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"] == "Alarms")
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while alarms(&function.logs()).is_none() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let logs = function.logs();
    let line = alarms(&logs).unwrap_or_else(|| panic!("no Alarms metric line on stdout: {logs:?}"));
    assert_eq!(
        (&line["Type"], &line["Outcome"], &line["Alarms"]),
        (&json!("self-service"), &json!("created"), &json!(1))
    );
    assert!(logs.iter().all(|l| !l.contains("\"fields\"")), "no log line passes the filter: {logs:?}");
}

#[tokio::test]
async fn secure_settings_are_decrypted_through_kms_at_start() {
    let fakes = Fakes::start().await.unwrap();
    let kms = FakeKms::start().await.unwrap();
    let settings = aws(settings(&fakes).unset("GithubToken"), &kms)
        .set("GitHubToken", FakeKms::encrypt(SECRETS[0]))
        .set("SlackBotToken", FakeKms::encrypt(SECRETS[1]));
    let function = start(settings).await;
    function.run(sns("e2e-kms", SELF_SERVICE)).await.unwrap();
    assert_eq!(kms.requests().len(), 2, "each secure: value decrypted once");
    function.run(sns("e2e-kms-2", HIGH_PRIORITY)).await.unwrap();
    assert_eq!(kms.requests().len(), 2, "not again per invocation");
    let slack_auth = fakes.slack.requests()[0].header("authorization").unwrap().to_owned();
    assert_eq!(slack_auth, format!("Bearer {}", SECRETS[1]));
}

#[tokio::test]
async fn a_missing_setting_stops_the_function_at_start_with_its_name() {
    let fakes = Fakes::start().await.unwrap();
    let mut function = start(settings(&fakes).unset("PagerDutyServiceId")).await;
    let status = tokio::time::timeout(Duration::from_secs(30), function.child.wait()).await.unwrap().unwrap();
    assert!(!status.success());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let logs = function.logs().join("\n");
    assert!(logs.contains("missing required setting PagerDutyServiceId"), "{logs}");
}

#[tokio::test]
async fn an_undecryptable_secret_stops_the_function_without_showing_it() {
    let fakes = Fakes::start().await.unwrap();
    let kms = FakeKms::start().await.unwrap();
    let settings = aws(settings(&fakes), &kms).set("SlackBotToken", "secure:bm90LWEtcmVhbC1ibG9i");
    let mut function = start(settings).await;
    let status = tokio::time::timeout(Duration::from_secs(30), function.child.wait()).await.unwrap().unwrap();
    assert!(!status.success());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let logs = function.logs().join("\n");
    assert!(logs.contains("could not decrypt setting SlackBotToken"), "{logs}");
    assert!(!logs.contains("bm90LWEtcmVhbC1ibG9i"), "{logs}");
}

/// `settings` with the standard AWS variables that point the KMS client at `kms`.
fn aws(settings: Settings, kms: &FakeKms) -> Settings {
    settings
        .set("AWS_ENDPOINT_URL_KMS", kms.url())
        .set("AWS_REGION", "us-east-1")
        .set("AWS_ACCESS_KEY_ID", "AKIDE2E")
        .set("AWS_SECRET_ACCESS_KEY", "e2e-secret-access-key")
}

#[tokio::test]
async fn the_binary_schedules_follow_ups_for_its_own_arn_and_acts_on_them_when_they_come_due() {
    let fakes = Fakes::start().await.unwrap();
    let scheduler = FakeScheduler::start().await.unwrap();
    let settings = settings(&fakes)
        .set("SchedulerGroupName", "dispatch-follow-ups")
        .set("SchedulerRoleArn", "arn:aws:iam::111122223333:role/dispatch-scheduler")
        .set("SelfServiceEscalateAfter", "60")
        .set("AWS_ENDPOINT_URL_SCHEDULER", scheduler.url())
        .set("AWS_REGION", "us-east-1")
        .set("AWS_ACCESS_KEY_ID", "AKIDE2E")
        .set("AWS_SECRET_ACCESS_KEY", "e2e-secret-access-key");
    let function = start(settings).await;

    function.run(sns("e2e-follow", SELF_SERVICE)).await.unwrap();
    let mut schedules = scheduler.schedules();
    schedules.sort_by_key(|s| s.at);
    let steps: Vec<&str> = schedules.iter().map(|s| s.name.split('-').nth(1).unwrap_or_default()).collect();
    assert_eq!(steps, ["remind", "escalate"], "{schedules:?}");
    // The target is the function's own ARN, as the Runtime API told it.
    assert!(schedules.iter().all(|s| s.target_arn == "arn:aws:lambda:us-east-1:111122223333:function:dispatch"));

    // Scheduler invokes the function with each schedule's input, as Lambda would hand it over.
    for schedule in &schedules {
        let input: Value = serde_json::from_str(schedule.input.as_deref().unwrap()).unwrap();
        let done = function.run(input).await.unwrap();
        assert!(done["followUp"].is_string(), "{done}");
    }
    let prompt = &fakes.slack.messages_to("U012ABCDEF")[0];
    assert_eq!(fakes.slack.replies("U012ABCDEF", &prompt.ts).len(), 1, "one reminder under the prompt");
    let [incident] = fakes.pagerduty.incidents().try_into().expect("one incident");
    assert!(incident.title.contains("did not respond for self-service issue"), "{}", incident.title);
    let replaced = fakes.slack.message("U012ABCDEF", &prompt.ts).unwrap();
    assert!(!replaced.blocks.to_string().contains("\"actions\""), "the prompt shows no buttons any more");
}
