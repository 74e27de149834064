//! The matrix's alarms, one or more per message type (hostile ones included), and its faults.

use std::time::Duration;

use dispatch_fakes::{Fault, GitHubRoute, SlackRoute};
use serde_json::{Value, json};

use super::Inject;

pub(super) struct Alarm {
    pub(super) name: &'static str,
    pub(super) message: Value,
    pub(super) title: Option<&'static str>,
    pub(super) recipients: Vec<&'static str>,
    pub(super) key: Option<&'static str>,
}

pub(super) fn alarms() -> Vec<Alarm> {
    let users = |ids: &[&str]| {
        json!(ids.iter().map(|id| json!({ "slackId": id, "slack": id.to_lowercase() })).collect::<Vec<_>>())
    };
    vec![
        Alarm {
            name: "self-service",
            message: json!({ "type": "self-service", "requestId": "m-ss", "users": users(&["U1"]),
                "body": { "github": { "title": "m ss", "body": "b" },
                          "slack": { "message": "m", "prompt": "p?", "actions": { "yes": "Yes", "no": "No" } } } }),
            title: Some("m ss"),
            recipients: vec!["U1"],
            key: None,
        },
        Alarm {
            name: "broadcast",
            message: json!({ "type": "broadcast", "requestId": "m-bc", "users": users(&["U1", "U2", "U3"]),
                "body": { "github": { "title": "m bc", "body": "b" }, "slack": { "message": "m" } } }),
            title: Some("m bc"),
            recipients: vec!["U1", "U2", "U3"],
            key: None,
        },
        Alarm {
            name: "nag",
            message: json!({ "type": "nag", "requestId": "m-nag", "users": users(&["U1", "U2"]),
                "body": { "github": { "title": "m nag", "body": "b" }, "slack": { "message": "m" } } }),
            title: Some("m nag"),
            recipients: vec!["U1", "U2"],
            key: None,
        },
        Alarm {
            name: "low-priority",
            message: json!({ "type": "low-priority", "requestId": "m-lp", "body": { "github": { "title": "m lp", "body": "b" } } }),
            title: Some("m lp"),
            recipients: vec![],
            key: None,
        },
        Alarm {
            name: "high-priority",
            message: json!({ "type": "high-priority", "requestId": "m-hp", "body": { "pagerduty": { "title": "m hp" } } }),
            title: None,
            recipients: vec![],
            key: Some("m hp"),
        },
        Alarm {
            // A sender's loose fields: a number requestId, an unused user with an odd slackId.
            name: "high-priority, loose fields",
            message: json!({ "type": "high-priority", "requestId": 42, "users": [{ "slackId": "not a slack id!" }],
                "body": { "pagerduty": { "title": "m hp loose" } } }),
            title: None,
            recipients: vec![],
            key: Some("m hp loose"),
        },
        Alarm {
            // A message of exactly one section's 3,000 characters and a newline, non-ASCII.
            name: "broadcast, 3,000 characters + newline",
            message: json!({ "type": "broadcast", "requestId": "m-bc-long", "users": users(&["U1"]),
                "body": { "github": { "title": "m bc long", "body": "b" }, "slack": { "message": format!("{}\n", "é".repeat(3000)) } } }),
            title: Some("m bc long"),
            recipients: vec!["U1"],
            key: None,
        },
        Alarm {
            // The shape of the original project's own test messages: no prompt, no buttons.
            name: "self-service, no prompt",
            message: json!({ "type": "self-service", "requestId": "m-ss-bare", "users": users(&["U1"]),
                "body": { "github": { "title": "m ss bare", "body": "b" }, "slack": { "message": "m" } } }),
            title: Some("m ss bare"),
            recipients: vec!["U1"],
            key: None,
        },
        Alarm {
            // A user known only by email, found with users.lookupByEmail (registered as U9).
            name: "broadcast, a user by email",
            message: json!({ "type": "broadcast", "requestId": "m-bc-email", "users": [{ "slackId": "U1" }, { "email": "u9@example.com" }],
                "body": { "github": { "title": "m bc email", "body": "b" }, "slack": { "message": "m" } } }),
            title: Some("m bc email"),
            recipients: vec!["U1", "U9"],
            key: None,
        },
        Alarm {
            name: "self-service, by email",
            message: json!({ "type": "self-service", "requestId": "m-ss-email", "users": [{ "email": "U9@Example.com" }],
                "body": { "github": { "title": "m ss email", "body": "b" },
                          "slack": { "message": "m", "prompt": "p?", "actions": { "yes": "Yes", "no": "No" } } } }),
            title: Some("m ss email"),
            recipients: vec!["U9"],
            key: None,
        },
        Alarm {
            name: "fallback",
            message: json!({ "type": "page-me", "body": { "github": { "title": "m fb" } } }),
            title: None,
            recipients: vec![],
            key: Some("m fb"),
        },
    ]
}

pub(super) fn faults() -> Vec<(&'static str, Inject)> {
    // Longer than the matrix's request timeout (two seconds), so these are timeouts.
    let hang = Duration::from_millis(2500);
    use GitHubRoute::*;
    vec![
        ("none", Inject::GitHub(Get, Fault::Status(500), 0)),
        ("github lookup 500", Inject::GitHub(List, Fault::Status(500), 3)),
        ("github lookup timeout", Inject::GitHub(List, Fault::Hang(hang), 3)),
        ("github lookup 429", Inject::GitHub(List, Fault::RateLimited { status: 429, retry_after: 1 }, 1)),
        ("github search 500", Inject::GitHub(Search, Fault::Status(500), 3)),
        // GraphQL unusable: absent (a GitHub Enterprise without it), failing, or rate limited.
        ("github graphql 404", Inject::GitHub(GraphQl, Fault::Status(404), 100)),
        ("github graphql 502", Inject::GitHub(GraphQl, Fault::Status(502), 3)),
        ("github graphql 403 limit", Inject::GitHub(GraphQl, Fault::github_secondary_limit(1), 1)),
        ("github create 500", Inject::GitHub(Create, Fault::Status(500), 3)),
        ("github create timeout", Inject::GitHub(Create, Fault::AppliedThenHang(hang), 1)),
        ("github create 429", Inject::GitHub(Create, Fault::github_secondary_limit(1), 1)),
        ("github create 502, applied late", Inject::GitHub(Create, Fault::AppliedLate(502), 1)),
        ("forged delivery record", Inject::ForgedDeliveryRecord),
        ("github comment 500", Inject::GitHub(Comment, Fault::Status(500), 3)),
        ("github comment timeout", Inject::GitHub(Comment, Fault::AppliedThenHang(hang), 3)),
        ("github comment 429", Inject::GitHub(Comment, Fault::RateLimited { status: 429, retry_after: 1 }, 1)),
        ("slack 500", Inject::Slack(SlackRoute::PostMessage, Fault::Status(500), 3)),
        ("slack timeout", Inject::Slack(SlackRoute::PostMessage, Fault::Hang(hang), 3)),
        ("slack 429", Inject::Slack(SlackRoute::PostMessage, Fault::slack_rate_limited(1), 2)),
        ("slack channel_not_found", Inject::UnknownChannel("U1")),
        ("slack lookup 500", Inject::Slack(SlackRoute::LookupByEmail, Fault::Status(500), 3)),
        ("slack lookup timeout", Inject::Slack(SlackRoute::LookupByEmail, Fault::Hang(hang), 3)),
        ("slack lookup 429", Inject::Slack(SlackRoute::LookupByEmail, Fault::slack_rate_limited(1), 1)),
        (
            "slack ok:false ratelimited",
            Inject::Slack(SlackRoute::PostMessage, Fault::SlackError("ratelimited".into()), 1),
        ),
        (
            "slack ok:false other",
            Inject::Slack(SlackRoute::PostMessageTo("U1".into()), Fault::SlackError("not_in_channel".into()), 1),
        ),
        ("pagerduty 500", Inject::PagerDuty(Fault::Status(500), 3)),
        ("pagerduty 429", Inject::PagerDuty(Fault::RateLimited { status: 429, retry_after: 1 }, 1)),
        ("pagerduty timeout", Inject::PagerDuty(Fault::AppliedThenHang(hang), 1)),
        ("pagerduty 400", Inject::PagerDuty(Fault::Status(400), 100)),
        ("pagerduty duplicate key", Inject::OpenIncident),
        ("events none", Inject::Events(Fault::Status(500), 0)),
        ("events 500", Inject::Events(Fault::Status(500), 3)),
        ("events 429", Inject::Events(Fault::RateLimited { status: 429, retry_after: 1 }, 1)),
        ("events timeout", Inject::Events(Fault::AppliedThenHang(hang), 1)),
        ("events 400", Inject::Events(Fault::Status(400), 100)),
    ]
}
