//! Warm cost: the real handlers called in-process, one invocation at a time as one Lambda instance
//! runs them, against zero-latency fakes. The fakes run on a runtime and thread of their own; the
//! handler runs alone on the measuring thread, so that thread's CPU time is the handler's own work
//! (parsing, planning, building and reading HTTP messages, logging), not the fakes'.

use std::hint::black_box;
use std::time::{Duration, Instant};

use aws_lambda_events::sns::SnsEvent;
use dispatch_core::config::SlackVerification;
use dispatch_core::deadline::Deadline;
use dispatch_core::incoming::IssueAction;
use dispatch_core::message::parse_event;
use dispatch_core::routing::plan;
use dispatch_core::triage::{event, payload, verify};
use rustix::thread::CpuSet;
use serde_json::{Value, json};
use tokio::runtime::Handle;

use crate::stack::{self, Answer, BUDGET, Kind, REPO, Stack};
use crate::stats::Summary;

/// One warm row.
#[derive(Debug, Clone)]
pub struct WarmRow {
    /// What was invoked.
    pub label: String,
    /// Wall time per invocation, ms (includes the loopback round trips to the fakes).
    pub wall: Summary,
    /// CPU time of the handler's thread per invocation, ms (excludes the fakes' work).
    pub cpu: Option<Summary>,
    /// Invocations per second, one at a time.
    pub per_second: f64,
    /// HTTP requests per invocation.
    pub requests: f64,
    /// The same row measured again with the threads free to run on every CPU, when the first
    /// measurement had them on one.
    pub spread: Option<Spread>,
}

/// A row measured with the handler's and the fakes' threads free to run on different CPUs.
#[derive(Debug, Clone)]
pub struct Spread {
    /// Wall time per invocation, ms.
    pub wall: Summary,
    /// CPU time of the handler's thread per invocation, ms.
    pub cpu: Option<Summary>,
}

/// The pure part of one type: no I/O.
#[derive(Debug, Clone)]
pub struct PureRow {
    /// What was timed.
    pub label: String,
    /// Per call, µs.
    pub time: Summary,
}

/// The warm measurements.
#[derive(Debug, Clone)]
pub struct Warm {
    /// Invocations through the handlers.
    pub rows: Vec<WarmRow>,
    /// The pure parts.
    pub pure: Vec<PureRow>,
    /// Measured invocations per row.
    pub iterations: usize,
    /// Discarded invocations before each row.
    pub warmup: usize,
    /// Calls per pure row.
    pub pure_iterations: usize,
    /// The CPU the rows were first measured on, both threads pinned to it; `None` if pinning was
    /// not possible (then the rows were measured once, unpinned).
    pub pinned: Option<usize>,
}

/// Samples of one row.
#[derive(Debug, Default)]
struct Samples {
    wall: Vec<Duration>,
    cpu: Vec<Duration>,
    cpu_known: bool,
}

impl Samples {
    async fn time<F: Future<Output = ()>>(&mut self, work: F) {
        let cpu0 = stack::thread_cpu();
        let t0 = Instant::now();
        work.await;
        let wall = t0.elapsed();
        let cpu1 = stack::thread_cpu();
        self.wall.push(wall);
        match (cpu0, cpu1) {
            (Some(a), Some(b)) => {
                self.cpu.push(b.saturating_sub(a));
                self.cpu_known = true;
            }
            _ => self.cpu_known = false,
        }
    }

    fn row(self, label: String, requests: usize) -> WarmRow {
        let n = self.wall.len();
        let total: Duration = self.wall.iter().sum();
        WarmRow {
            label,
            wall: Summary::millis(&self.wall),
            cpu: self.cpu_known.then(|| Summary::millis(&self.cpu)),
            per_second: n as f64 / total.as_secs_f64(),
            requests: requests as f64 / n as f64,
            spread: None,
        }
    }
}

/// Runs every row. Must run on a current-thread runtime (the handler's work then stays on the
/// measuring thread). The rows are measured first with this thread and the fakes' thread pinned to
/// one CPU, then again free to run on any CPU: on a virtual machine, waking a thread on an idle
/// CPU costs far more than the work itself, and which of the two a run gets would otherwise be
/// down to the scheduler.
pub async fn measure(fakes_runtime: &Handle, iterations: usize, warmup: usize, pure_iterations: usize) -> Warm {
    let all = rustix::thread::sched_getaffinity(None).ok();
    let first = all.and_then(|set| (0..CpuSet::MAX_CPU).find(|cpu| set.is_set(*cpu)));
    let pinned = match first {
        Some(cpu) => {
            let mut one = CpuSet::new();
            one.set(cpu);
            place(fakes_runtime, one).await.ok().map(|()| cpu)
        }
        None => None,
    };
    let mut rows = rows(fakes_runtime, iterations, warmup).await;
    let stack = Stack::start(fakes_runtime).await;
    let mut pure: Vec<PureRow> =
        Kind::ALL.into_iter().map(|kind| pure_incoming(&stack, kind, pure_iterations)).collect();
    pure.push(pure_triage(&stack, pure_iterations));
    pure.push(pure_github_page(pure_iterations / 10));
    if let (Some(_), Some(all)) = (pinned, all) {
        place(fakes_runtime, all).await.expect("the original CPU affinity is allowed");
        eprintln!("warm: again, threads on any CPU");
        for (row, free) in rows.iter_mut().zip(self::rows(fakes_runtime, iterations, warmup).await) {
            row.spread = Some(Spread { wall: free.wall, cpu: free.cpu });
        }
    }
    Warm { rows, pure, iterations, warmup, pure_iterations, pinned }
}

/// Restricts this thread and the fakes' thread to `cpus`.
async fn place(fakes_runtime: &Handle, cpus: CpuSet) -> rustix::io::Result<()> {
    rustix::thread::sched_setaffinity(None, &cpus)?;
    fakes_runtime.spawn(async move { rustix::thread::sched_setaffinity(None, &cpus) }).await.expect("fakes task")
}

async fn rows(fakes_runtime: &Handle, iterations: usize, warmup: usize) -> Vec<WarmRow> {
    let mut rows = Vec::new();
    for kind in Kind::ALL {
        let stack = Stack::start(fakes_runtime).await;
        rows.push(incoming_row(&stack, kind, kind.label().to_owned(), iterations, warmup, true).await);
        eprintln!("warm: {}", kind.label());
    }
    for size in [1_000u64, 10_000] {
        let stack = Stack::start(fakes_runtime).await;
        stack.fakes.github.seed(REPO, size);
        let label = format!("self-service, repository of {} issues", thousands(size));
        rows.push(incoming_row(&stack, Kind::SelfService, label, iterations, warmup, false).await);
        eprintln!("warm: self-service, {size} issues");
    }
    for size in [0u64, 10_000] {
        let stack = Stack::start(fakes_runtime).await;
        stack.fakes.github.seed(REPO, size);
        rows.push(lookup_row(&stack, size, iterations, warmup).await);
        eprintln!("warm: lookup, {size} issues");
    }
    for answer in [Answer::Yes, Answer::No] {
        let stack = Stack::start(fakes_runtime).await;
        rows.push(triage_row(&stack, answer, iterations, warmup).await);
        eprintln!("warm: triage {answer:?}");
    }
    rows
}

/// `1,000`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `incoming` with SNS events of `kind`, each parsed from its bytes as the runtime receives it.
/// With `fresh_repo`, every alarm goes to an empty repository of its own (`githubRepo`), so the
/// row measures the same work throughout; without, to the default repository as it grows.
async fn incoming_row(
    stack: &Stack,
    kind: Kind,
    label: String,
    iterations: usize,
    warmup: usize,
    fresh_repo: bool,
) -> WarmRow {
    let event = |i: usize| {
        let mut message = kind.message("warm", i);
        if fresh_repo {
            message["githubRepo"] = json!(format!("warm-{i}"));
        }
        serde_json::to_vec(&stack::sns_event(&format!("warm-{i}"), &message)).expect("JSON")
    };
    for i in 0..warmup {
        invoke_incoming(stack, &event(iterations + i)).await;
    }
    let before = stack.requests();
    let mut samples = Samples::default();
    for i in 0..iterations {
        let bytes = event(i);
        samples.time(invoke_incoming(stack, &bytes)).await;
    }
    samples.row(label, stack.requests().since(&before).total())
}

async fn invoke_incoming(stack: &Stack, bytes: &[u8]) {
    let event: SnsEvent = serde_json::from_slice(bytes).expect("an SNS event");
    let reports = stack.incoming.handle_sns(&event, Deadline::after(BUDGET)).await.expect("the alarm was handled");
    let issue = reports[0].issue.as_ref().map(|i| i.action);
    assert!(issue.is_none_or(|a| a == IssueAction::Created), "a new alarm each time, not {issue:?}");
    black_box(reports);
}

/// The dedup lookup alone (`GitHub::find_duplicate` for a title not in the repository), to show
/// what a large repository adds to an alarm.
async fn lookup_row(stack: &Stack, size: u64, iterations: usize, warmup: usize) -> WarmRow {
    let repo = &stack.incoming.defaults.repo;
    let lookup = |i: usize| async move {
        let title = format!("Two-factor authentication disabled for alice (lookup-{i})");
        let found = stack
            .incoming
            .github
            .find_duplicate(
                repo,
                &title,
                dispatch_core::github::Counted::Open,
                Some(dispatch_core::github::OwnIssue { marker: "<!-- dispatch:event=lookup ", maybe_closed: false }),
                Deadline::after(BUDGET),
            )
            .await
            .expect("the lookup answered");
        assert!(found.found.is_none() && found.complete, "no such issue");
        black_box(found);
    };
    for i in 0..warmup {
        lookup(iterations + i).await;
    }
    let before = stack.requests();
    let mut samples = Samples::default();
    for i in 0..iterations {
        samples.time(lookup(i)).await;
    }
    let label = format!("dedup lookup alone (`GitHub::find_duplicate`), repository of {} issues", thousands(size));
    samples.row(label, stack.requests().since(&before).total())
}

/// `triage` with signed Function URL clicks, one per issue.
async fn triage_row(stack: &Stack, answer: Answer, iterations: usize, warmup: usize) -> WarmRow {
    let total = warmup + iterations;
    let numbers: Vec<u64> =
        (0..total).map(|i| stack.fakes.github.add_issue(REPO, &format!("warm click {i}"), "body", true)).collect();
    let click = |i: usize| {
        let request_id = format!("warm-click-{i}");
        let button = stack::button(numbers[i], &request_id);
        stack::click_event(&button, answer, &stack.fakes.slack.response_url(&request_id))
    };
    for i in 0..warmup {
        invoke_triage(stack, &click(i)).await;
    }
    let before = stack.requests();
    let mut samples = Samples::default();
    for i in warmup..total {
        let event = click(i);
        samples.time(invoke_triage(stack, &event)).await;
    }
    let requests = stack.requests().since(&before).total();
    let acted = match answer {
        Answer::Yes => stack.fakes.github.issues(REPO).iter().filter(|i| i.state == "closed").count(),
        Answer::No => stack.fakes.pagerduty.incidents().len(),
    };
    assert_eq!(acted, total, "every click acted on");
    let label = match answer {
        Answer::Yes => "triage Yes (close the issue)",
        Answer::No => "triage No (open an incident)",
    };
    samples.row(label.to_owned(), requests)
}

async fn invoke_triage(stack: &Stack, event: &Value) {
    let response = stack.triage.handle_event(event, chrono::Utc::now()).await.expect("an HTTP response");
    assert_eq!(response["statusCode"], 200, "{response}");
    black_box(response);
}

/// `parse_event` and `plan` of one example, the pure part of `incoming`.
fn pure_incoming(stack: &Stack, kind: Kind, iterations: usize) -> PureRow {
    let body = kind.message("pure", 0).to_string();
    let mut times = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let t0 = Instant::now();
        let message = parse_event(black_box(body.as_bytes()), "pure-event").expect("valid");
        let plan = plan(&message, &stack.incoming.defaults);
        black_box(plan);
        times.push(t0.elapsed());
    }
    PureRow { label: format!("{}: `parse_event` + `plan`", kind.label()), time: Summary::micros(&times) }
}

/// Event decoding, signature check and payload parsing of one click, the pure part of `triage`.
fn pure_triage(stack: &Stack, iterations: usize) -> PureRow {
    let SlackVerification::SigningSecret(secret) = &stack.triage.verification else {
        panic!("triage verifies with the signing secret");
    };
    let click = stack::click_event(&stack::button(1, "pure-click"), Answer::Yes, &stack.fakes.slack.response_url("p"));
    let now = chrono::Utc::now().timestamp();
    let mut times = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let t0 = Instant::now();
        let request = event::from_event(black_box(&click)).expect("an HTTP event");
        let timestamp = request.header("x-slack-request-timestamp").unwrap_or_default();
        let signature = request.header("x-slack-signature").unwrap_or_default();
        verify::verify_signature(secret, timestamp, &request.body, signature, now).expect("signed");
        let parsed = payload::payload_json(&request.body).and_then(|p| payload::parse_click(&p)).expect("a click");
        black_box(parsed);
        times.push(t0.elapsed());
    }
    PureRow {
        label: "triage click: `from_event` + `verify_signature` + `parse_click`".to_owned(),
        time: Summary::micros(&times),
    }
}

/// One issue as api.github.com lists it (all the fields of `GET /repos/{o}/{r}/issues`), about
/// 4 KB; the fake's issues carry only the fields Dispatch reads.
fn github_issue(number: u64) -> Value {
    let user = |login: &str, id: u64| {
        let api = format!("https://api.github.com/users/{login}");
        json!({
            "login": login, "id": id, "node_id": "MDQ6VXNlcjU4MzIzMQ==",
            "avatar_url": format!("https://avatars.githubusercontent.com/u/{id}?v=4"), "gravatar_id": "",
            "url": api, "html_url": format!("https://github.com/{login}"),
            "followers_url": format!("{api}/followers"), "following_url": format!("{api}/following{{/other_user}}"),
            "gists_url": format!("{api}/gists{{/gist_id}}"), "starred_url": format!("{api}/starred{{/owner}}{{/repo}}"),
            "subscriptions_url": format!("{api}/subscriptions"), "organizations_url": format!("{api}/orgs"),
            "repos_url": format!("{api}/repos"), "events_url": format!("{api}/events{{/privacy}}"),
            "received_events_url": format!("{api}/received_events"), "type": "User", "user_view_type": "public",
            "site_admin": false
        })
    };
    let api = format!("https://api.github.com/repos/{REPO}/issues/{number}");
    json!({
        "url": api, "repository_url": format!("https://api.github.com/repos/{REPO}"),
        "labels_url": format!("{api}/labels{{/name}}"), "comments_url": format!("{api}/comments"),
        "events_url": format!("{api}/events"), "html_url": format!("https://github.com/{REPO}/issues/{number}"),
        "id": 2_500_000_000u64 + number, "node_id": "I_kwDOABCDEF7Abc123", "number": number,
        "title": format!("Two-factor authentication disabled for user{number}"),
        "user": user("dispatch-bot[bot]", 41_898_282),
        "labels": [{ "id": 6_000_000_001u64, "node_id": "LA_kwDOABCDEF8AAAABc", "url": format!("https://api.github.com/repos/{REPO}/labels/self-service"), "name": "self-service", "color": "d73a4a", "default": false, "description": "" }],
        "state": if number.is_multiple_of(3) { "closed" } else { "open" }, "locked": false,
        "assignee": null, "assignees": [], "milestone": null, "comments": 1,
        "created_at": "2026-11-27T09:14:03Z", "updated_at": "2026-11-27T09:14:05Z", "closed_at": null,
        "author_association": "NONE", "type": null, "active_lock_reason": null, "sub_issues_summary": { "total": 0, "completed": 0, "percent_completed": 0 },
        "body": format!("Two-factor authentication was disabled on user{number}'s GitHub account at 2026-11-27T09:14:00Z. \n\n @user{number}\n\n<!-- dispatch:event=6f1c2a4e-0b7d-5c39-9a8e-{number:012} request=ss-2fa-disabled-{number} -->"),
        "closed_by": null,
        "reactions": { "url": format!("{api}/reactions"), "total_count": 0, "+1": 0, "-1": 0, "laugh": 0, "hooray": 0, "confused": 0, "heart": 0, "rocket": 0, "eyes": 0 },
        "timeline_url": format!("{api}/timeline"), "performed_via_github_app": null, "state_reason": null
    })
}

/// Reading a page of the newest 100 issues shaped like GitHub's, what the dedup lookup does on
/// every alarm with an issue.
fn pure_github_page(iterations: usize) -> PureRow {
    let page: Vec<Value> = (1..=100).map(github_issue).collect();
    let bytes = serde_json::to_vec(&page).expect("JSON");
    let mut times = Vec::with_capacity(iterations);
    for _ in 0..iterations.max(100) {
        let t0 = Instant::now();
        let issues: Vec<dispatch_core::github::Issue> = serde_json::from_slice(black_box(&bytes)).expect("issues");
        black_box(issues);
        times.push(t0.elapsed());
    }
    PureRow {
        label: format!(
            "a GitHub-shaped page of 100 issues ({} KB) → `Vec<github::Issue>` (the lookup's response)",
            bytes.len() / 1000
        ),
        time: Summary::micros(&times),
    }
}
