//! API calls: the HTTP requests one alarm (or one click) makes, counted from the fakes' request
//! logs, with the target repository holding 0, 1,000 and 10,000 issues.

use dispatch_core::incoming::IssueAction;
use dispatch_fakes::Recorded;
use tokio::runtime::Handle;

use crate::stack::{self, Answer, Kind, REPO, Requests, Stack};

/// Repository sizes measured.
pub const SIZES: [u64; 3] = [0, 1_000, 10_000];

/// The requests of one alarm at one repository size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Count {
    /// GitHub requests, in order.
    pub github: Vec<&'static str>,
    /// Slack requests, in order.
    pub slack: Vec<&'static str>,
    /// PagerDuty requests, in order.
    pub pagerduty: Vec<&'static str>,
}

impl Count {
    /// All requests.
    pub fn total(&self) -> usize {
        self.github.len() + self.slack.len() + self.pagerduty.len()
    }

    fn of(requests: &Requests) -> Self {
        Self {
            github: requests.github.iter().map(github_route).collect(),
            slack: requests.slack.iter().map(slack_route).collect(),
            pagerduty: requests.pagerduty.iter().map(|_| "create incident").collect(),
        }
    }
}

/// One row: what was sent and its requests at each size.
#[derive(Debug, Clone)]
pub struct CallsRow {
    /// What was sent.
    pub label: String,
    /// Per size, in [`SIZES`] order.
    pub counts: Vec<Count>,
}

/// The API-call measurements.
#[derive(Debug, Clone)]
pub struct Calls {
    /// Per alarm or click.
    pub rows: Vec<CallsRow>,
}

/// Counts every row at every size.
pub async fn measure(fakes_runtime: &Handle) -> Calls {
    let mut labels: Vec<String> = Kind::ALL.iter().map(|k| k.label().to_owned()).collect();
    labels.extend(["nag, repeated (its issue is open)", "triage Yes", "triage No"].map(str::to_owned));
    let mut counts: Vec<Vec<Count>> = vec![Vec::new(); labels.len()];
    for size in SIZES {
        let stack = Stack::start(fakes_runtime).await;
        stack.fakes.github.seed(REPO, size);
        let mut row = 0;
        let mut record = |count: Count| {
            counts[row].push(count);
            row += 1;
        };
        for kind in Kind::ALL {
            record(
                alarm(&stack, &format!("calls-{}", kind.label()), &kind.message("calls", 0), IssueAction::Created)
                    .await,
            );
        }
        record(alarm(&stack, "calls-nag-again", &Kind::Nag.message("calls", 0), IssueAction::Reused).await);
        for answer in [Answer::Yes, Answer::No] {
            let number = stack.fakes.github.add_issue(REPO, &format!("calls click {answer:?}"), "body", true);
            let request_id = format!("calls-click-{answer:?}");
            let event = stack::click_event(
                &stack::button(number, &request_id),
                answer,
                &stack.fakes.slack.response_url(&request_id),
            );
            let before = stack.requests();
            let response = stack.triage.handle_event(&event, chrono::Utc::now()).await.expect("an HTTP response");
            assert_eq!(response["statusCode"], 200, "{response}");
            record(Count::of(&stack.requests().since(&before)));
        }
        eprintln!("API calls: repository of {size} issues");
    }
    Calls { rows: labels.into_iter().zip(counts).map(|(label, counts)| CallsRow { label, counts }).collect() }
}

async fn alarm(stack: &Stack, event_id: &str, message: &serde_json::Value, expected: IssueAction) -> Count {
    let before = stack.requests();
    let report = stack.alarm(event_id, message).await.expect("the alarm was handled");
    if let Some(issue) = &report.issue {
        assert_eq!(issue.action, expected, "{event_id}");
    }
    Count::of(&stack.requests().since(&before))
}

fn github_route(request: &Recorded) -> &'static str {
    let segments: Vec<&str> = request.path.split('/').filter(|s| !s.is_empty()).collect();
    match (request.method.as_str(), segments.as_slice()) {
        ("POST", ["graphql"]) => "lookup query",
        ("GET", ["repos", _, _, "issues"]) => "list issues",
        ("GET", ["search", "issues"]) => "search",
        ("POST", ["repos", _, _, "issues"]) => "create issue",
        ("GET", ["repos", _, _, "issues", _]) => "get issue",
        ("PATCH", ["repos", _, _, "issues", _]) => "close issue",
        ("GET", ["repos", _, _, "issues", _, "comments"]) => "list comments",
        ("POST", ["repos", _, _, "issues", _, "comments"]) => "comment",
        ("DELETE", ["repos", _, _, "issues", "comments", _]) => "delete comment",
        _ => "other",
    }
}

fn slack_route(request: &Recorded) -> &'static str {
    match request.path.rsplit('/').next() {
        Some("chat.postMessage") => "chat.postMessage",
        Some("users.lookupByEmail") => "users.lookupByEmail",
        _ => "response_url",
    }
}
