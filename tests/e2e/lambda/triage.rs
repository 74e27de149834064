//! The built `triage` binary under a Lambda Runtime API emulator, receiving API Gateway proxy and
//! Function URL events, against the fakes.

use std::time::Duration;

use base64::Engine;
use dispatch_core::ids::{GitHubOwner, Repo, RepoName, RequestId, SlackUserId};
use dispatch_core::state::button::Callback;
use dispatch_fakes::Fakes;
use serde_json::{Value, json};

use super::Function;
use crate::support::settings::Settings;
use crate::support::slack::{block_actions, form_body, signature};

const SECRET: &str = "e2e-signing-secret-5f1c";

/// The function with triage's settings only: it tags nobody, posts to no channel and needs no bot
/// token.
async fn start(fakes: &Fakes) -> Function {
    let settings = Settings::on(fakes)
        .unset("GitHubDefaultUser")
        .unset("SlackDefaultChannel")
        .unset("SlackBotToken")
        .set("SlackSigningSecret", SECRET);
    Function::start("triage", settings.vars()).await
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

/// The form body of a click on the button `action_id` whose value is `value`.
fn form(value: &str, action_id: &str, response_url: &str) -> String {
    form_body(&block_actions(value, action_id, "U012ABCDEF", response_url))
}

/// The timestamp and signature headers for `body` sent now.
fn signed_headers(body: &str) -> (String, String) {
    let timestamp = chrono::Utc::now().timestamp();
    (timestamp.to_string(), signature(SECRET, timestamp, body))
}

async fn invoke(function: &Function, event: Value) -> Value {
    function.invoke(event, Duration::from_secs(10)).await.unwrap()
}

#[tokio::test]
async fn the_binary_answers_api_gateway_and_function_url_clicks() {
    let fakes = Fakes::start().await.unwrap();
    fakes.github.add_issue("acme/dispatch-alarms", "alarm one", "body", true);
    fakes.github.add_issue("acme/dispatch-alarms", "alarm two", "body", true);
    let function = start(&fakes).await;

    let body = form(&button(1, "req-one"), "dispatch_yes", &fakes.slack.response_url("one"));
    let (timestamp, signature) = signed_headers(&body);
    let rest = json!({
        "resource": "/", "path": "/", "httpMethod": "POST",
        "headers": { "X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature, "Content-Type": "application/x-www-form-urlencoded" },
        "requestContext": { "httpMethod": "POST" },
        "body": base64::engine::general_purpose::STANDARD.encode(&body),
        "isBase64Encoded": true
    });
    assert_eq!(invoke(&function, rest).await["statusCode"], 200);
    assert_eq!(fakes.github.issues("acme/dispatch-alarms")[0].state, "closed");

    let body = form(&button(2, "req-two"), "dispatch_no", &fakes.slack.response_url("two"));
    let (timestamp, signature) = signed_headers(&body);
    let function_url = json!({
        "version": "2.0", "routeKey": "$default", "rawPath": "/", "rawQueryString": "",
        "headers": { "x-slack-request-timestamp": timestamp, "x-slack-signature": signature, "content-type": "application/x-www-form-urlencoded" },
        "requestContext": { "http": { "method": "POST", "path": "/" } },
        "body": body, "isBase64Encoded": false
    });
    assert_eq!(invoke(&function, function_url).await["statusCode"], 200);
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
    assert_eq!(invoke(&function, forged).await["statusCode"], 401);
    assert_eq!(fakes.pagerduty.incidents().len(), 1);
}
