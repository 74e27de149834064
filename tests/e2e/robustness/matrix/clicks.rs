//! A self-service click against each fault of triage.

use std::time::Duration;

use dispatch_core::deadline::RetryPolicy;
use dispatch_core::triage::event::Shape;
use dispatch_fakes::{Fault, GitHubRoute};

use super::alarms::alarms;
use super::{Inject, Row};
use crate::robustness::setup::*;
use crate::support::slack::{form_body, signed_request};

/// Faults for the triage side: closing, recording the answer, paging.
pub(super) fn click_faults() -> Vec<(&'static str, Inject)> {
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
pub(super) async fn click_case(answer: &'static str, fault_name: &'static str, inject: Inject) -> Row {
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
