//! No secret value appears in a log line (at any level, the HTTP libraries' included), in the
//! Debug output of the configuration and clients, or in any error, across successes and failures.

use std::time::Duration;

use dispatch_core::compose;
use dispatch_core::config::{IncomingConfig, TriageConfig};
use dispatch_core::deadline::Deadline;
use dispatch_core::github::{GitHub, NewIssue};
use dispatch_core::ids::SlackChannel;
use dispatch_core::pagerduty::{Event, EventPayload, NewIncident, PagerDuty, PagerDutyEvents, Severity};
use dispatch_core::slack::Slack;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::config::settings;
use super::helpers::{fake_kms, kms_client, policy, secure, url};

const SECRETS: [&str; 6] = [
    "ghp-secret-gh-token-7f3a",
    "xoxb-secret-bot-token-91c2",
    "pd-secret-api-key-55e0",
    "signing-secret-0b9d",
    "ghp-from-kms-4417",
    // A PagerDuty routing key (Events API v2), given `secure:`.
    "5ec7e7r0u7in9key0000000000000042",
];

fn assert_clean(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what} contains the secret {secret}:\n{text}");
    }
}

#[tokio::test]
async fn no_secret_reaches_logs_debug_output_or_errors() {
    let (captured, _guard) = crate::support::capture_logs();

    // Services that refuse everything in the ways that produce the richest errors.
    let server = MockServer::start().await;
    Mock::given(path("/repos/acme/dispatch-alarms/issues"))
        .and(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({ "message": "Bad credentials" })))
        .mount(&server)
        .await;
    Mock::given(path("/repos/acme/dispatch-alarms/issues"))
        .and(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    Mock::given(path("/chat.postMessage"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "ok": false, "error": "invalid_auth" })))
        .mount(&server)
        .await;
    Mock::given(path("/v2/enqueue"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "status": "invalid event", "message": "Event object is invalid", "errors": ["'payload.summary' is missing or blank"],
        })))
        .mount(&server)
        .await;
    Mock::given(path("/incidents"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({ "error": { "message": "Unauthorized", "code": 2006 } })),
        )
        .mount(&server)
        .await;

    let kms_server = fake_kms().await;
    let kms = kms_client(&kms_server);
    let settings = ["GitHubApiUrl", "SlackApiUrl", "PagerDutyApiUrl", "PagerDutyEventsUrl"]
        .into_iter()
        .fold(settings(), |settings, name| settings.set(name, server.uri()))
        .set("GitHubToken", SECRETS[0])
        .set("SlackBotToken", secure(SECRETS[1]))
        .set("PagerDutyApiKey", SECRETS[2])
        .set("SlackSigningSecret", SECRETS[3])
        .set("PagerDutyRoutingKey", secure(SECRETS[5]));
    let env = settings.env();
    let incoming = IncomingConfig::load(&env, Some(&kms)).await.unwrap();
    let triage = TriageConfig::load(&env, Some(&kms)).await.unwrap();
    let decrypted =
        IncomingConfig::load(&settings.set("GitHubToken", secure(SECRETS[4])).env(), Some(&kms)).await.unwrap();

    let mut outputs =
        vec![format!("{incoming:?}"), format!("{triage:?}"), format!("{decrypted:?}"), format!("{env:?}")];

    let http = dispatch_core::http::client(Duration::from_millis(500)).unwrap();
    let github = GitHub::new(&url(&server), &incoming.github.auth, policy()).unwrap();
    let slack = Slack::new(http.clone(), &url(&server), Some(incoming.slack_bot_token.clone()), policy());
    let pagerduty =
        PagerDuty::new(http, &url(&server), incoming.pagerduty.api_key.clone(), "oncall@example.com".into(), policy());
    let events_config = incoming.pagerduty_events.clone().expect("the routing key is set");
    let events = PagerDutyEvents::new(
        dispatch_core::http::client(Duration::from_millis(500)).unwrap(),
        &events_config.events_url,
        events_config.routing_key,
        policy(),
    );
    outputs.extend([format!("{github:?}"), format!("{slack:?}"), format!("{pagerduty:?}"), format!("{events:?}")]);

    let deadline = Deadline::after(Duration::from_secs(5));
    let repo = &incoming.github.repo;
    let new_issue = NewIssue { title: "t".into(), body: "b".into(), labels: vec![] };
    let create = github.create_issue(repo, &new_issue, deadline).await.unwrap_err();
    let lookup =
        github.find_duplicate(repo, "t", dispatch_core::github::Counted::Open, None, deadline).await.unwrap_err();
    let channel = SlackChannel::parse("U012ABCDEF").unwrap();
    let post = slack.post_message(&channel, &compose::text_message("hello"), deadline).await.unwrap_err();
    let incident = NewIncident {
        title: "t".into(),
        details: None,
        incident_key: "k".into(),
        service: dispatch_core::ids::ServiceId::parse("PDEFAULT").unwrap(),
    };
    let page = pagerduty.create_incident(&incident, deadline).await.unwrap_err();
    let trigger = Event::Trigger {
        dedup_key: "k".into(),
        payload: EventPayload {
            summary: "t".into(),
            source: "dispatch".into(),
            severity: Severity::Critical,
            custom_details: None,
        },
        links: vec![],
    };
    let alert = events.enqueue(&trigger, deadline).await.unwrap_err();
    for error in [
        format!("{create} {create:?}"),
        format!("{lookup} {lookup:?}"),
        format!("{post} {post:?}"),
        format!("{page} {page:?}"),
        format!("{alert} {alert:?}"),
    ] {
        outputs.push(error);
    }

    // The secrets did go where they belong: the test would prove nothing if they were never used.
    let requests = server.received_requests().await.unwrap();
    let sent: Vec<String> = requests
        .iter()
        .filter_map(|r| r.headers.get("authorization"))
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(sent.contains(&format!("Bearer {}", SECRETS[0])));
    assert!(sent.contains(&format!("Bearer {}", SECRETS[1])));
    assert!(sent.contains(&format!("Token token={}", SECRETS[2])));
    let enqueued = requests.iter().find(|r| r.url.path() == "/v2/enqueue").expect("an event was sent");
    assert_eq!(enqueued.body_json::<serde_json::Value>().unwrap()["routing_key"], SECRETS[5]);

    drop(_guard);
    let logs = captured.text();
    assert!(logs.lines().count() > 5, "the subscriber captured the HTTP libraries' logs: {logs}");
    assert_clean("the logs", &logs);
    for output in outputs {
        assert_clean("a Debug or error output", &output);
    }
}
