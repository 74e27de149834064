//! Load against the fakes: many distinct alarms at once, many identical alarms at once, many
//! clicks at once (including repeats of the same click).

use std::time::Duration;

use dispatch_core::triage::event::Shape;
use futures::StreamExt;
use serde_json::json;

use super::setup::*;
use crate::support::slack::{block_actions, button_value, form_body, signed_request};

fn self_service(i: usize, title: &str) -> serde_json::Value {
    json!({ "type": "self-service", "requestId": format!("load-{i}"),
        "users": [{ "slackId": format!("U{i:05}"), "slack": format!("user{i}") }],
        "body": { "github": { "title": title, "body": "b" },
                  "slack": { "message": "m", "prompt": "p?", "actions": { "yes": "Yes", "no": "No" } } } })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_distinct_alarms_at_once_are_all_delivered_once() {
    let _heavy = exclusive().await;
    let stack = production_stack().await;
    let results: Vec<_> = futures::stream::iter(0..1000usize)
        .map(|i| {
            let stack = &stack;
            async move {
                let message = if i.is_multiple_of(2) {
                    self_service(i, &format!("distinct alarm {i}"))
                } else {
                    json!({ "type": "high-priority", "requestId": format!("load-{i}"), "body": { "pagerduty": { "title": format!("page {i}") } } })
                };
                stack.run(&format!("evt-{i}"), &message).await
            }
        })
        .buffer_unordered(200)
        .collect()
        .await;
    let failed: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).map(ToString::to_string).collect();
    assert!(failed.is_empty(), "{} failed, e.g. {:?}", failed.len(), failed.first());
    let issues = stack.fakes.github.issues(REPO);
    assert_eq!(issues.len(), 500, "one issue per self-service alarm");
    let mut titles: Vec<&str> = issues.iter().map(|i| i.title.as_str()).collect();
    titles.sort_unstable();
    titles.dedup();
    assert_eq!(titles.len(), 500, "no title twice");
    assert_eq!(stack.fakes.slack.messages().len(), 500, "one DM per self-service alarm");
    assert_eq!(stack.fakes.pagerduty.incidents().len(), 500, "one incident per high-priority alarm");
}

/// GitHub cannot create an issue only if absent, so identical alarms arriving together can each
/// create one. Worst case: as many issues as alarms that looked up before the first was created;
/// all but the earliest are closed at once as duplicates and send nothing. So exactly one issue
/// stays open and the person is messaged once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_identical_alarms_at_once_leave_one_open_issue_and_one_dm() {
    let _heavy = exclusive().await;
    let stack = production_stack().await;
    // Force the worst case: every lookup sees the repository before any alarm creates its issue.
    stack.fakes.github.fail(
        dispatch_fakes::GitHubRoute::List,
        dispatch_fakes::Fault::AppliedThenHang(Duration::from_millis(500)),
        100,
    );
    let message = self_service(7, "identical alarm");
    let results: Vec<_> = futures::stream::iter(0..100)
        .map(|i| {
            let (stack, message) = (&stack, &message);
            async move { stack.run(&format!("evt-same-{i}"), message).await }
        })
        .buffer_unordered(100)
        .collect()
        .await;
    assert!(results.iter().all(Result::is_ok));
    let issues = stack.fakes.github.issues(REPO);
    assert!(issues.len() > 1, "the race happened: {} issues", issues.len());
    let open: Vec<_> = issues.iter().filter(|i| i.state == "open").collect();
    assert_eq!(open.len(), 1, "exactly one open issue");
    assert_eq!(open[0].number, issues.iter().map(|i| i.number).min().unwrap(), "the earliest issue wins");
    for closed in issues.iter().filter(|i| i.state == "closed") {
        assert_eq!(closed.state_reason.as_deref(), Some("not_planned"));
        assert!(closed.comments.iter().any(|c| c.starts_with(&format!("Duplicate of #{}", open[0].number))));
    }
    assert_eq!(stack.fakes.slack.messages_to("U00007").len(), 1, "one DM");
    println!(
        "100 identical alarms at once: {} issues created, 1 open, {} closed as duplicates",
        issues.len(),
        issues.len() - 1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_clicks_answer_each_alarm_once() {
    let _heavy = exclusive().await;
    let stack = production_stack().await;
    let mut buttons = Vec::new();
    for i in 0..100 {
        stack.run(&format!("evt-click-{i}"), &self_service(i, &format!("click alarm {i}"))).await.unwrap();
        let posted = stack.fakes.slack.messages_to(&format!("U{i:05}")).pop().unwrap();
        buttons.push((i, button_value(&posted)));
    }
    // Every alarm clicked twice at the same moment: even ones Yes twice, odd ones No twice. A
    // click that could not be acted on in time is told to click again; people do, so do we.
    let click = |i: usize, value: String| {
        let stack = &stack;
        async move {
            let action = if i.is_multiple_of(2) { "dispatch_yes" } else { "dispatch_no" };
            let payload =
                block_actions(&value, action, &format!("U{i:05}"), &stack.fakes.slack.response_url(&format!("c{i}")));
            let body = form_body(&payload);
            let now = chrono::Utc::now();
            stack
                .triage
                .handle(&signed_request(SIGNING_SECRET, Shape::RestProxy, &body, now.timestamp()), now)
                .await
                .status
        }
    };
    let clicks: Vec<_> = buttons.iter().flat_map(|b| [b.clone(), b.clone()]).collect();
    let statuses: Vec<u16> =
        futures::stream::iter(clicks).map(|(i, value)| click(i, value)).buffer_unordered(200).collect().await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let answered =
        |issue: &dispatch_fakes::FakeIssue| issue.comments.iter().any(|c| c.contains("<!-- dispatch:answer "));
    let mut again = 0;
    for _ in 0..3 {
        let issues = stack.fakes.github.issues(REPO);
        for (i, value) in &buttons {
            if !answered(&issues[*i]) {
                again += 1;
                click(*i, value.clone()).await;
            }
        }
    }
    println!("200 concurrent clicks on 100 alarms: {again} clicks repeated after an error");
    let issues = stack.fakes.github.issues(REPO);
    for issue in &issues {
        let answers = issue.comments.iter().filter(|c| c.contains("<!-- dispatch:answer ")).count();
        assert_eq!(answers, 1, "issue #{} answered {answers} times", issue.number);
    }
    assert_eq!(issues.iter().filter(|i| i.state == "closed").count(), 50);
    assert_eq!(stack.fakes.pagerduty.incidents().len(), 50);
    let told = stack.fakes.slack.responses();
    assert_eq!(told.len(), 200 + again);
    let text = |r: &serde_json::Value| r["text"].as_str().unwrap_or_default().to_owned();
    let acted = told.iter().filter(|(_, r)| text(r).starts_with("Dispatch alert")).count();
    assert_eq!(acted, 100, "exactly one click per alarm was acted on");
}
