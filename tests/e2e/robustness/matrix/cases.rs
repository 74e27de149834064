//! One alarm against one fault, replayed as Lambda retries, tallied into a row; and a KMS that
//! cannot decrypt at start-up.

use std::time::Duration;

use dispatch_core::config::IncomingConfig;
use dispatch_core::deadline::RetryPolicy;
use dispatch_fakes::{FakeKms, Fakes, Fault, PagerDutyRoute, SlackRoute};
use serde_json::json;

use super::alarms::Alarm;
use super::{Inject, ROUTING_KEY, Row};
use crate::robustness::setup::*;

/// The matrix's stack, with `PagerDutyRoutingKey` set.
async fn events_stack(incoming_policy: RetryPolicy) -> Stack {
    let fakes = Fakes::start().await.unwrap();
    let settings = settings(&fakes).set("PagerDutyRoutingKey", ROUTING_KEY);
    let incoming = settings.incoming(incoming_policy).await;
    let triage = settings.triage(policy()).await;
    Stack { fakes, incoming, triage }
}

pub(super) async fn run_case(alarm: Alarm, fault_name: &'static str, inject: Inject) -> Row {
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

/// A KMS that cannot decrypt stops the function at start-up on every attempt: nothing is sent, and
/// the event goes to the failure queue.
pub(super) async fn kms_failure_at_start_up() -> Row {
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
