//! Every message type against every fault, replayed the way Lambda retries (the same event up to
//! two more times): exactly one issue per alarm, one DM per reachable recipient, at most one
//! incident per key, and an error result whenever something could not be delivered. The paging
//! alarms also run on a stack with a PagerDuty routing key, against faults of the Events API v2:
//! at most one alert per key.

use std::sync::Arc;
use std::time::Duration;

use dispatch_core::config::IncomingConfig;
use dispatch_core::deadline::RetryPolicy;
use dispatch_core::triage::event::Shape;
use dispatch_fakes::{FakeKms, Fakes, Fault, GitHubRoute, PagerDutyRoute, SlackRoute};
use serde_json::{Value, json};

use super::setup::*;
use crate::support::slack::{form_body, signed_request};

#[derive(Debug, Clone)]
enum Inject {
    GitHub(GitHubRoute, Fault, usize),
    Slack(SlackRoute, Fault, usize),
    UnknownChannel(&'static str),
    PagerDuty(Fault, usize),
    /// On a stack with a routing key: high-priority and fallback alarms go to the Events API v2,
    /// which fails this way.
    Events(Fault, usize),
    OpenIncident,
    /// Slack fails the first attempt; before the retry, another user comments on the issue a
    /// delivery record claiming every message of the event was sent.
    ForgedDeliveryRecord,
    /// Before the click, another user comments an answer marker claiming the alarm was answered.
    ForgedAnswer,
}

struct Alarm {
    name: &'static str,
    message: Value,
    title: Option<&'static str>,
    recipients: Vec<&'static str>,
    key: Option<&'static str>,
}

fn alarms() -> Vec<Alarm> {
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

fn faults() -> Vec<(&'static str, Inject)> {
    // Longer than the matrix's request timeout (two seconds), so these are timeouts.
    let hang = Duration::from_millis(2500);
    use GitHubRoute::*;
    vec![
        ("none", Inject::GitHub(Get, Fault::Status(500), 0)),
        ("github lookup 500", Inject::GitHub(List, Fault::Status(500), 3)),
        ("github lookup timeout", Inject::GitHub(List, Fault::Hang(hang), 3)),
        ("github lookup 429", Inject::GitHub(List, Fault::RateLimited { status: 429, retry_after: 1 }, 1)),
        ("github search 500", Inject::GitHub(Search, Fault::Status(500), 3)),
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

/// The routing key of the stacks that page through the Events API v2.
const ROUTING_KEY: &str = "0ddba11c0ffee0000000000000000042";

/// The matrix's stack, with `PagerDutyRoutingKey` set.
async fn events_stack(incoming_policy: RetryPolicy) -> Stack {
    let fakes = Fakes::start().await.unwrap();
    let settings = settings(&fakes).set("PagerDutyRoutingKey", ROUTING_KEY);
    let incoming = settings.incoming(incoming_policy).await;
    let triage = settings.triage(policy()).await;
    Stack { fakes, incoming, triage }
}

#[derive(Debug, Default)]
struct Row {
    case: String,
    runs: usize,
    expected: usize,
    delivered: usize,
    lost: usize,
    doubled: usize,
    failed_as_expected: bool,
}

async fn run_case(alarm: Alarm, fault_name: &'static str, inject: Inject) -> Row {
    let incoming_policy = RetryPolicy { request_timeout: Duration::from_secs(2), ..policy() };
    let events = matches!(inject, Inject::Events(..));
    let stack = if events { events_stack(incoming_policy).await } else { stack_with(incoming_policy, policy()).await };
    stack.fakes.github.seed(REPO, 150);
    stack.fakes.slack.add_user("u9@example.com", "U9");
    let mut unreachable: Vec<&str> = Vec::new();
    let mut undeliverable = false;
    match &inject {
        Inject::GitHub(route, fault, times) => stack.fakes.github.fail(*route, fault.clone(), *times),
        Inject::Slack(route, fault, times) => stack.fakes.slack.fail(route.clone(), fault.clone(), *times),
        Inject::UnknownChannel(channel) => {
            stack.fakes.slack.unknown_channel(channel);
            if alarm.recipients.contains(channel) {
                unreachable.push(channel);
                undeliverable = true;
            }
        }
        Inject::PagerDuty(fault, times) => {
            stack.fakes.pagerduty.fail(fault.clone(), *times);
            undeliverable = *times > 10 && alarm.key.is_some();
        }
        Inject::Events(fault, times) => {
            stack.fakes.pagerduty.fail_route(PagerDutyRoute::Enqueue, fault.clone(), *times);
            undeliverable = *times > 10 && alarm.key.is_some();
        }
        Inject::OpenIncident | Inject::ForgedAnswer => {}
        Inject::ForgedDeliveryRecord => {
            stack.fakes.slack.fail(SlackRoute::PostMessage, Fault::Status(500), 3);
        }
    }
    let event_id = format!("evt-{}-{}", alarm.name, fault_name.replace(' ', "-"));
    if let (Inject::OpenIncident, Some(key)) = (&inject, alarm.key) {
        // Another alarm with the same title (the incident key), whose incident is still open.
        let other =
            json!({ "type": "high-priority", "requestId": "earlier", "body": { "pagerduty": { "title": key } } });
        stack.run("evt-earlier", &other).await.unwrap();
    }
    let mut runs = 0;
    let mut last = None;
    for _ in 0..3 {
        runs += 1;
        let result = stack.run(&event_id, &alarm.message).await;
        let ok = result.is_ok();
        last = Some(result);
        if ok {
            break;
        }
        if let (Inject::ForgedDeliveryRecord, Some(title)) = (&inject, alarm.title) {
            let forged = format!("Done.\n\n<!-- dispatch:delivered event={event_id} sent=0,1,2,3,4,5 -->");
            for issue in stack.fakes.github.issues(REPO).iter().filter(|i| i.title == title) {
                stack.fakes.github.comment_as(REPO, issue.number, "mallory", &forged);
            }
        }
    }
    let last_ok = last.as_ref().is_some_and(Result::is_ok);

    let mut row = Row { case: format!("{} × {fault_name}", alarm.name), runs, ..Row::default() };
    let mut tally = |count: usize, expected: bool| {
        if expected {
            row.expected += 1;
            match count {
                0 => row.lost += 1,
                1 => row.delivered += 1,
                _ => row.doubled += 1,
            }
        } else if count > 1 {
            row.doubled += 1;
        }
    };
    if let Some(title) = alarm.title {
        // GitHub cannot delete an issue: a duplicate Dispatch closed as "not planned" is not a
        // second issue for the alarm (a create GitHub applied late leaves one).
        let issues = stack
            .fakes
            .github
            .issues(REPO)
            .into_iter()
            .filter(|i| i.title == title && i.state_reason.as_deref() != Some("not_planned"))
            .count();
        tally(issues, true);
    }
    for recipient in &alarm.recipients {
        let dms = stack.fakes.slack.messages_to(recipient).len();
        tally(dms, !unreachable.contains(recipient));
        if unreachable.contains(recipient) {
            assert_eq!(dms, 0);
        }
    }
    if let Some(key) = alarm.key {
        let count = if events {
            // An alert per key: a trigger PagerDuty deduplicated opened none.
            assert!(stack.fakes.pagerduty.incidents().is_empty(), "{}: the REST API was used", row.case);
            stack.fakes.pagerduty.alerts().iter().filter(|a| a.dedup_key == key).count()
        } else {
            stack.fakes.pagerduty.incidents().iter().filter(|i| i.incident_key == key).count()
        };
        tally(count, !undeliverable);
    }
    row.failed_as_expected = last_ok != undeliverable;
    // Nothing shown to Slack users, nor any error, carries a secret.
    let mut shown: Vec<String> =
        stack.fakes.slack.messages().iter().map(|m| format!("{} {}", m.text, m.blocks)).collect();
    shown.extend(stack.fakes.slack.responses().iter().map(|(_, r)| r.to_string()));
    if let Some(Err(e)) = &last {
        shown.push(format!("{e} {e:?}"));
    }
    for text in shown {
        for secret in SECRETS.iter().chain([&ROUTING_KEY]) {
            assert!(!text.contains(secret), "{}: {text}", row.case);
        }
    }
    row
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_fault_loses_or_doubles_an_alarm_and_undeliverable_ones_fail() {
    let _heavy = exclusive().await;
    let captured = dispatch_fakes::support::CapturedLogs::default();
    let subscriber =
        tracing_subscriber::fmt().with_max_level(tracing::Level::DEBUG).with_writer(captured.clone()).json().finish();
    let capturing = tracing::subscriber::set_global_default(subscriber).is_ok();
    // A bounded number of cases at a time, so that no request times out for want of CPU: a
    // timeout is only ever the fault under test.
    let slots = Arc::new(tokio::sync::Semaphore::new(12));
    let mut cases = Vec::new();
    for (fault_name, inject) in faults() {
        for alarm in alarms() {
            if matches!(inject, Inject::Events(..)) && alarm.key.is_none() {
                // Only alarms that page use the Events API.
                continue;
            }
            let (slots, inject) = (slots.clone(), inject.clone());
            cases.push(tokio::spawn(async move {
                let _slot = slots.acquire_owned().await.unwrap();
                run_case(alarm, fault_name, inject).await
            }));
        }
    }
    let mut rows = Vec::new();
    for case in cases {
        rows.push(case.await.unwrap());
    }
    rows.push(kms_failure_at_start_up().await);
    for (fault_name, inject) in click_faults() {
        for answer in ["yes", "no"] {
            rows.push(click_case(answer, fault_name, inject.clone()).await);
        }
    }

    let mut table = format!(
        "{:<64} {:>4} {:>9} {:>9} {:>5} {:>7}  result\n",
        "case", "runs", "expected", "delivered", "lost", "doubled"
    );
    for row in &rows {
        table.push_str(&format!(
            "{:<64} {:>4} {:>9} {:>9} {:>5} {:>7}  {}\n",
            row.case,
            row.runs,
            row.expected,
            row.delivered,
            row.lost,
            row.doubled,
            if row.failed_as_expected { "ok" } else { "WRONG RESULT" }
        ));
    }
    let (lost, doubled): (usize, usize) = rows.iter().fold((0, 0), |(l, d), r| (l + r.lost, d + r.doubled));
    let wrong = rows.iter().filter(|r| !r.failed_as_expected).count();
    let delivered: usize = rows.iter().map(|r| r.delivered).sum();
    table.push_str(&format!(
        "{} cases: {delivered} delivered, {lost} lost, {doubled} doubled, {wrong} with the wrong result\n",
        rows.len()
    ));
    println!("\n{table}");
    // Kept for CI to show: `cargo test` prints a passing test's output only with --nocapture.
    let _ = std::fs::write(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("fault-matrix.txt"), &table);
    if capturing {
        let logs = captured.text();
        assert!(logs.lines().count() > 1000, "the matrix's logs were captured");
        for secret in SECRETS.iter().chain([&ROUTING_KEY]) {
            assert!(!logs.contains(secret), "a log line holds the secret {secret}");
        }
        println!("{} log lines scanned: no secret", logs.lines().count());
    }
    let bad: Vec<&str> =
        rows.iter().filter(|r| r.lost + r.doubled > 0 || !r.failed_as_expected).map(|r| r.case.as_str()).collect();
    assert!(bad.is_empty(), "cases that lost, doubled or hid a failure: {bad:?}");
}

/// A KMS that cannot decrypt stops the function at start-up on every attempt: nothing is sent, and
/// the event goes to the failure queue.
async fn kms_failure_at_start_up() -> Row {
    let fakes = Fakes::start().await.unwrap();
    let kms = FakeKms::start().await.unwrap();
    let client = crate::support::kms_client(&kms);
    let settings = settings(&fakes).set("SlackBotToken", "secure:bm90LWZyb20ta21z");
    let mut failures = 0;
    for _ in 0..3 {
        if IncomingConfig::load(&settings.env(), Some(&client)).await.is_err() {
            failures += 1;
        }
    }
    let sent = fakes.github.requests().len() + fakes.slack.requests().len() + fakes.pagerduty.requests().len();
    Row {
        case: "any type × kms failure at start-up".into(),
        runs: 3,
        failed_as_expected: failures == 3 && sent == 0,
        ..Row::default()
    }
}

/// Faults for the triage side: closing, recording the answer, paging.
fn click_faults() -> Vec<(&'static str, Inject)> {
    let hang = Duration::from_millis(2500);
    vec![
        ("github close 500", Inject::GitHub(GitHubRoute::Update, Fault::Status(500), 2)),
        ("github close timeout", Inject::GitHub(GitHubRoute::Update, Fault::Hang(hang), 2)),
        (
            "github close 429",
            Inject::GitHub(GitHubRoute::Update, Fault::RateLimited { status: 429, retry_after: 1 }, 1),
        ),
        ("github comment 500", Inject::GitHub(GitHubRoute::Comment, Fault::Status(500), 2)),
        ("pagerduty 500", Inject::PagerDuty(Fault::Status(500), 2)),
        ("pagerduty 429", Inject::PagerDuty(Fault::RateLimited { status: 429, retry_after: 1 }, 1)),
        ("pagerduty 400", Inject::PagerDuty(Fault::Status(400), 100)),
        ("forged answer by another user", Inject::ForgedAnswer),
    ]
}

/// A self-service alarm answered through triage while `inject` fails; a user told of an error
/// clicks again (up to three clicks in all). Yes must close the issue with one recorded answer; No
/// must open one incident with one recorded answer; a click that cannot succeed leaves nothing.
async fn click_case(answer: &'static str, fault_name: &'static str, inject: Inject) -> Row {
    let triage_policy = RetryPolicy { attempts: 2, request_timeout: Duration::from_secs(2), ..policy() };
    let stack = stack_with(RetryPolicy { request_timeout: Duration::from_secs(2), ..policy() }, triage_policy).await;
    let alarm = &alarms()[0];
    stack.run("evt-click", &alarm.message).await.unwrap();
    let posted = stack.fakes.slack.messages_to("U1").pop().unwrap();
    let undeliverable = matches!(&inject, Inject::PagerDuty(_, times) if *times > 10) && answer == "no";
    match &inject {
        Inject::GitHub(route, fault, times) => stack.fakes.github.fail(*route, fault.clone(), *times),
        Inject::PagerDuty(fault, times) => stack.fakes.pagerduty.fail(fault.clone(), *times),
        Inject::ForgedAnswer => {
            let forged = format!(
                "Handled.\n\n<!-- dispatch:answer request=m-ss answer={} user=U1 at={} -->",
                if answer == "yes" { "no" } else { "yes" },
                chrono::Utc::now().timestamp()
            );
            stack.fakes.github.comment_as(REPO, 1, "mallory", &forged);
        }
        _ => {}
    }
    // As Slack sends it: with the whole message the button is on.
    let payload = stack.fakes.slack.block_actions_payload(&posted, &format!("dispatch_{answer}"), "U1", "u1");
    let body = form_body(&payload);
    let mut runs = 0;
    for _ in 0..3 {
        runs += 1;
        let now = chrono::Utc::now();
        let request = signed_request(SIGNING_SECRET, Shape::Http, &body, now.timestamp());
        assert_eq!(stack.triage.handle(&request, now).await.status, 200);
        let told = stack.fakes.slack.responses().last().map(|(_, r)| r["text"].as_str().unwrap_or_default().to_owned());
        if !told.unwrap_or_default().starts_with("Error:") {
            break;
        }
    }
    let issue = stack.fakes.github.issues(REPO).into_iter().find(|i| i.title == "m ss").unwrap();
    let answers = issue
        .comments
        .iter()
        .zip(&issue.comment_authors)
        .filter(|(c, author)| c.contains("<!-- dispatch:answer ") && *author == dispatch_fakes::DISPATCH_LOGIN)
        .count();
    let mut row = Row { case: format!("self-service click {answer} × {fault_name}"), runs, ..Row::default() };
    let mut tally = |count: usize, expected: bool| {
        row.expected += usize::from(expected);
        match (count, expected) {
            (0, true) => row.lost += 1,
            (1, true) => row.delivered += 1,
            (0, false) => {}
            // More than once, or anything at all where nothing could be done.
            _ => row.doubled += 1,
        }
    };
    tally(answers, !undeliverable);
    if answer == "yes" {
        tally(usize::from(issue.state == "closed"), true);
    } else {
        tally(stack.fakes.pagerduty.incidents().len(), !undeliverable);
    }
    let last = stack
        .fakes
        .slack
        .responses()
        .last()
        .map(|(_, r)| r["text"].as_str().unwrap_or_default().to_owned())
        .unwrap_or_default();
    row.failed_as_expected = last.starts_with("Error:") == undeliverable;
    row
}
