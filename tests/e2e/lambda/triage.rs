//! The built `triage` binary under a Lambda Runtime API emulator, receiving API Gateway proxy and
//! Function URL events, against the fakes.

use std::process::Stdio;
use std::time::Duration;

use base64::Engine;
use dispatch_core::ids::{GitHubOwner, Repo, RepoName, RequestId, SlackUserId};
use dispatch_core::slack::callback::Callback;
use dispatch_fakes::{Fakes, LambdaRuntime};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::process::{Child, Command};

const SECRET: &str = "e2e-signing-secret-5f1c";

async fn start(fakes: &Fakes) -> (LambdaRuntime, Child) {
    let runtime = LambdaRuntime::start().await.unwrap();
    let child = Command::new(crate::support::binary::path("triage"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", runtime.api())
        .env("AWS_LAMBDA_FUNCTION_NAME", "dispatch-triage")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .envs([
            ("GitHubOwner", "acme".to_owned()),
            ("GitHubRepo", "dispatch-alarms".to_owned()),
            ("GitHubToken", "ghp-e2e".to_owned()),
            ("PagerDutyApiKey", "pd-e2e".to_owned()),
            ("PagerDutyFromAddress", "oncall@example.com".to_owned()),
            ("PagerDutyServiceId", "PDEFAULT".to_owned()),
            ("SlackSigningSecret", SECRET.to_owned()),
        ])
        .envs(fakes.env())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    (runtime, child)
}

fn button(issue: u64, request_id: &str) -> String {
    Callback {
        repo: Repo::new(GitHubOwner::parse("acme").unwrap(), RepoName::parse("dispatch-alarms").unwrap()),
        issue,
        request_id: RequestId::parse(request_id).unwrap(),
        user: SlackUserId::parse("U012ABCDEF").unwrap(),
        service: None,
        yes_response: None,
        no_response: None,
    }
    .encode()
}

fn form(value: &str, action_id: &str, response_url: &str) -> String {
    let payload = json!({
        "type": "block_actions",
        "user": { "id": "U012ABCDEF", "username": "alice", "team_id": "T1" },
        "response_url": response_url,
        "actions": [{ "action_id": action_id, "block_id": "dispatch_prompt", "value": value, "type": "button", "action_ts": "1" }]
    });
    url::form_urlencoded::Serializer::new(String::new()).append_pair("payload", &payload.to_string()).finish()
}

fn signed_headers(body: &str) -> (String, String) {
    let timestamp = chrono::Utc::now().timestamp().to_string();
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("v0:{timestamp}:{body}").as_bytes());
    (timestamp, format!("v0={}", hex::encode(mac.finalize().into_bytes())))
}

async fn invoke(runtime: &LambdaRuntime, event: Value) -> Value {
    runtime
        .invoke(event, Duration::from_secs(10), Duration::from_secs(30))
        .await
        .expect("the function answered")
        .result
        .unwrap()
}

#[tokio::test]
async fn the_binary_answers_api_gateway_and_function_url_clicks() {
    let fakes = Fakes::start().await.unwrap();
    fakes.github.add_issue("acme/dispatch-alarms", "alarm one", "body", true);
    fakes.github.add_issue("acme/dispatch-alarms", "alarm two", "body", true);
    let (runtime, _child) = start(&fakes).await;

    let body = form(&button(1, "req-one"), "dispatch_yes", &fakes.slack.response_url("one"));
    let (timestamp, signature) = signed_headers(&body);
    let rest = json!({
        "resource": "/", "path": "/", "httpMethod": "POST",
        "headers": { "X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature, "Content-Type": "application/x-www-form-urlencoded" },
        "requestContext": { "httpMethod": "POST" },
        "body": base64::engine::general_purpose::STANDARD.encode(&body),
        "isBase64Encoded": true
    });
    assert_eq!(invoke(&runtime, rest).await["statusCode"], 200);
    assert_eq!(fakes.github.issues("acme/dispatch-alarms")[0].state, "closed");

    let body = form(&button(2, "req-two"), "dispatch_no", &fakes.slack.response_url("two"));
    let (timestamp, signature) = signed_headers(&body);
    let function_url = json!({
        "version": "2.0", "routeKey": "$default", "rawPath": "/", "rawQueryString": "",
        "headers": { "x-slack-request-timestamp": timestamp, "x-slack-signature": signature, "content-type": "application/x-www-form-urlencoded" },
        "requestContext": { "http": { "method": "POST", "path": "/" } },
        "body": body, "isBase64Encoded": false
    });
    assert_eq!(invoke(&runtime, function_url).await["statusCode"], 200);
    let incidents = fakes.pagerduty.incidents();
    assert_eq!(incidents.len(), 1);
    assert_eq!(
        incidents[0].title,
        "dispatch req-two: user alice responded 'no' for self-service issue acme/dispatch-alarms/2"
    );
    assert_eq!(fakes.slack.responses().len(), 2);

    let forged = json!({
        "version": "2.0", "headers": { "x-slack-request-timestamp": "1", "x-slack-signature": "v0=00" },
        "body": form(&button(2, "req-two"), "dispatch_no", &fakes.slack.response_url("x")), "isBase64Encoded": false
    });
    assert_eq!(invoke(&runtime, forged).await["statusCode"], 401);
    assert_eq!(fakes.pagerduty.incidents().len(), 1);
}
