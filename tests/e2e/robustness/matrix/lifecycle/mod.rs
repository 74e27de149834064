//! The alarm's later life against the faults of its new steps (issue 14): scheduling the
//! follow-ups of a firing self-service prompt (`firing`), resolving it (`resolve`), the follow-ups
//! themselves as Scheduler delivers them (`follow_ups`), and a resolve that arrives before its
//! trigger (`early`). Each row injects one fault into one service route, replays the event as
//! Lambda (or Scheduler) retries it, then counts every effect that must happen exactly once.
//!
//! This module holds what the rows share: a stack whose `incoming` schedules follow-ups on a fake
//! EventBridge Scheduler, the alarm, and the counting.

mod early;
mod firing;
mod follow_ups;
mod resolve;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use dispatch_core::deadline::{Deadline, RetryPolicy};
use dispatch_core::incoming::{AlarmError, Envelope, Invocation, Report, Step};
use dispatch_core::scheduler::schedule_name;
use dispatch_fakes::{APP_LOGIN, DISPATCH_LOGIN, FakeIssue, FakeScheduler, Fakes, Posted, RecordedSchedule};
use serde_json::{Value, json};

use super::Row;
use crate::robustness::setup::*;
use crate::support::scheduler::{FUNCTION_ARN, schedule_on};
use crate::support::settings::AS_APP;

/// A row still to run.
pub(super) type Case = Pin<Box<dyn Future<Output = Row> + Send>>;

/// Why dispatch-core fails a row, when it is known to: reported in the table, not hidden.
type Known = Option<&'static str>;

/// Every lifecycle row.
pub(super) fn cases() -> Vec<Case> {
    let mut cases = firing::cases();
    cases.extend(resolve::cases());
    cases.extend(follow_ups::cases());
    cases.extend(early::cases());
    cases
}

/// The alarm's `requestId`: the key of its escalation incident.
const REQUEST: &str = "m-life";
const TITLE: &str = "m life";
/// When the follow-ups fall due (minutes after the alarm).
const REMIND_AFTER: u32 = 30;
const ESCALATE_AFTER: u32 = 60;

/// The self-service alarm of every row: one prompt to U1, reminded after 30 minutes and escalated
/// after 60; `status` firing or resolved.
fn alarm(status: &str) -> Value {
    json!({ "type": "self-service", "requestId": REQUEST, "status": status,
        "remindAfterMinutes": REMIND_AFTER, "escalateAfterMinutes": ESCALATE_AFTER,
        "users": [{ "slackId": "U1", "slack": "u1" }],
        "body": { "github": { "title": TITLE, "body": "b" },
                  "slack": { "message": "m", "prompt": "p?", "actions": { "yes": "Yes", "no": "No" } } } })
}

/// How Dispatch authenticates to GitHub in a row, and so who writes its issues and comments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Auth {
    /// A token: Dispatch's user, `dispatch-bot`.
    Token,
    /// A GitHub App: its bot, `dispatch-app[bot]` over REST and `dispatch-app`, a `Bot`, in GraphQL.
    App,
}

impl Auth {
    /// The matrix's settings on `fakes`, authenticating this way.
    fn settings(self, fakes: &Fakes) -> Settings {
        match self {
            Self::Token => settings(fakes),
            Self::App => AS_APP.iter().fold(settings(fakes), |s, (name, value)| s.set(name, *value)),
        }
    }

    /// The login Dispatch's writes carry.
    fn writer(self) -> &'static str {
        match self {
            Self::Token => DISPATCH_LOGIN,
            Self::App => APP_LOGIN,
        }
    }
}

/// The matrix's stack with follow-ups on: a fake Scheduler, and the function's ARN known.
struct Life {
    stack: Stack,
    scheduler: FakeScheduler,
    auth: Auth,
}

impl Life {
    async fn start() -> Self {
        Self::start_as(Auth::Token).await
    }

    async fn start_as(auth: Auth) -> Self {
        let incoming_policy = RetryPolicy { request_timeout: Duration::from_secs(2), ..policy() };
        let fakes = Fakes::start().await.unwrap();
        let settings = auth.settings(&fakes);
        let Stack { fakes, incoming, triage } = stack_on(fakes, &settings, incoming_policy, policy()).await;
        fakes.github.seed(REPO, 150);
        let scheduler = FakeScheduler::start().await.unwrap();
        let incoming = schedule_on(incoming, &scheduler);
        Self { stack: Stack { fakes, incoming, triage }, scheduler, auth }
    }

    /// One attempt at SNS message `event_id` of `message`, published at `published`.
    async fn attempt(&self, event_id: &str, published: &str, message: &Value) -> Result<Report, AlarmError> {
        let body = message.to_string();
        let envelope = Envelope { event_id, published: Some(published), body: &body };
        self.stack.incoming.handle(envelope, Deadline::after(Duration::from_secs(15))).await
    }

    /// The event retried as Lambda retries it (three attempts in all): the attempts made, and
    /// whether the last succeeded.
    async fn run(&self, event_id: &str, published: &str, message: &Value) -> (usize, bool) {
        for run in 1..=3 {
            if self.attempt(event_id, published, message).await.is_ok() {
                return (run, true);
            }
        }
        (3, false)
    }

    /// The alarm fired at `published` as SNS message `evt-fire`, which must succeed at once.
    async fn fire(&self, published: &str) {
        let report = self.attempt("evt-fire", published, &alarm("firing")).await.unwrap();
        assert_eq!(report.scheduled, ["remind", "escalate"]);
    }

    /// Hands a schedule's input to `incoming` as Scheduler does, retrying a failed invocation
    /// (three attempts in all): the attempts made, and whether the last succeeded.
    async fn follow_up(&self, schedule: &RecordedSchedule) -> (usize, bool) {
        let input = schedule.input.as_deref().expect("a follow-up schedule carries its event");
        let invocation: Invocation = serde_json::from_str(input).unwrap();
        for run in 1..=3 {
            let deadline = Deadline::after(Duration::from_secs(15));
            if self.stack.incoming.invoke(&invocation, "lambda-request", FUNCTION_ARN, deadline).await.is_ok() {
                return (run, true);
            }
        }
        (3, false)
    }

    /// Takes the schedules due by three hours from now (every follow-up of the alarm), as
    /// Scheduler runs them: earliest first.
    fn due(&self) -> Vec<RecordedSchedule> {
        let mut due = self.scheduler.take_due(chrono::Utc::now() + chrono::Duration::hours(3));
        due.sort_by_key(|s| s.at);
        due
    }

    /// Takes the due schedules and hands `step`'s to `incoming`, which must do it at once.
    async fn follow_up_now(&self, step: Step) {
        let name = schedule_name(step.as_str(), "evt-fire");
        let schedule = self.due().into_iter().find(|s| s.name == name).expect("the step was scheduled");
        assert_eq!(self.follow_up(&schedule).await, (1, true), "{}", step.as_str());
    }

    /// The alarm's issues (not the record of an early resolve, nor a duplicate closed as not
    /// planned), and the records of early resolves.
    fn issues(&self) -> (Vec<FakeIssue>, Vec<FakeIssue>) {
        self.stack
            .fakes
            .github
            .issues(REPO)
            .into_iter()
            .filter(|i| i.title == TITLE && i.state_reason.as_deref() != Some("not_planned"))
            .partition(|i| !i.body.contains(" record="))
    }

    /// The alarm's one issue.
    fn issue(&self) -> FakeIssue {
        let (mut issues, _) = self.issues();
        assert_eq!(issues.len(), 1, "{issues:?}");
        issues.remove(0)
    }

    /// The prompt DM'd to U1, as it is now.
    fn prompt(&self) -> Option<Posted> {
        let slack = &self.stack.fakes.slack;
        let first = slack.messages_to("U1").into_iter().find(|m| m.thread_ts.is_none())?;
        slack.message("U1", &first.ts)
    }

    /// Top-level messages to U1 (the prompt and any other DM; thread replies are not).
    fn dms(&self) -> usize {
        self.stack.fakes.slack.messages_to("U1").iter().filter(|m| m.thread_ts.is_none()).count()
    }

    /// Replies under the prompt.
    fn replies(&self) -> usize {
        self.prompt().map_or(0, |p| self.stack.fakes.slack.replies("U1", &p.ts).len())
    }

    /// Comments Dispatch wrote on `issue` that carry `marker`.
    fn written(&self, issue: &FakeIssue, marker: &str) -> usize {
        issue
            .comments
            .iter()
            .zip(&issue.comment_authors)
            .filter(|(c, a)| c.contains(marker) && *a == self.auth.writer())
            .count()
    }
}

/// Whether a Slack message still shows buttons.
fn has_buttons(message: &Posted) -> bool {
    message.blocks.as_array().is_some_and(|blocks| blocks.iter().any(|b| b["type"] == "actions"))
}

/// An SNS timestamp `offset_ms` from now, with milliseconds as SNS writes it.
fn published(offset_ms: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::milliseconds(offset_ms))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Counts a row's effects: `once` what must happen exactly once, `never` what must not happen.
struct Tally(Row);

impl Tally {
    fn new(case: String, runs: usize, ok: bool) -> Self {
        Self(Row { case, runs, failed_as_expected: ok, ..Row::default() })
    }

    fn once(&mut self, count: usize) -> &mut Self {
        self.0.expected += 1;
        match count {
            0 => self.0.lost += 1,
            1 => self.0.delivered += 1,
            _ => self.0.doubled += 1,
        }
        self
    }

    /// `done` counted once, or lost.
    fn holds(&mut self, done: bool) -> &mut Self {
        self.once(usize::from(done))
    }

    /// Anything at all is doubled: it should not have happened.
    fn never(&mut self, count: usize) -> &mut Self {
        if count > 0 {
            self.0.doubled += 1;
        }
        self
    }

    /// Marks the row as failing for a known reason in dispatch-core: reported, not hidden.
    fn known(&mut self, reason: &'static str) -> &mut Self {
        self.0.known = Some(reason);
        self
    }

    fn row(self) -> Row {
        self.0
    }
}
