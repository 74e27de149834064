//! The follow-ups of an unanswered prompt as Scheduler delivers them: each schedule's input handed
//! to `incoming`, a failed invocation retried, and every follow-up delivered a second time
//! (Scheduler delivers at least once), with a fault on one request of one step. After all of it:
//! - exactly one reminder, a reply in the prompt's thread, and one record of it on the issue;
//! - exactly one incident keyed by the `requestId`, the prompt replaced with the escalated note,
//!   and one escalation note on the issue;
//! - no other DM.
//!
//! The reminder is recorded before it is posted (Slack has no idempotency key), so neither a
//! failed record nor a duplicate delivery replies twice.

use std::time::Duration;

use dispatch_core::incoming::Step;
use dispatch_core::scheduler::schedule_name;
use dispatch_fakes::{Fault, GitHubRoute, PagerDutyRoute, SlackRoute};

use super::{Case, Known, Life, REQUEST, Tally, has_buttons, published};
use crate::robustness::matrix::Row;

/// When the fault is planned: before the alarm fires, or before a step's first delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    Fire,
    Step(Step),
}

#[derive(Debug, Clone)]
enum Inject {
    GitHub(GitHubRoute, Fault, usize),
    Slack(SlackRoute, Fault, usize),
    PagerDuty(PagerDutyRoute, Fault, usize),
}

fn faults() -> Vec<(At, &'static str, Inject, Known)> {
    let hang = Duration::from_millis(2500);
    let (remind, escalate) = (At::Step(Step::Remind), At::Step(Step::Escalate));
    use GitHubRoute::{Comment, Get, ListComments};
    use Inject::{GitHub as Gh, PagerDuty as Pd, Slack};
    use PagerDutyRoute::Incidents;
    vec![
        (remind, "none", Gh(Get, Fault::Status(500), 0), None),
        (remind, "github issue 500", Gh(Get, Fault::Status(500), 3), None),
        (remind, "github comments 500", Gh(ListComments, Fault::Status(500), 3), None),
        (remind, "slack reply 500", Slack(SlackRoute::Reply, Fault::Status(500), 3), None),
        (remind, "slack reply 429", Slack(SlackRoute::Reply, Fault::slack_rate_limited(1), 1), None),
        (remind, "slack reply timeout", Slack(SlackRoute::Reply, Fault::Hang(hang), 3), None),
        (
            remind,
            "slack reply ok:false internal_error",
            Slack(SlackRoute::Reply, Fault::SlackError("internal_error".into()), 3),
            None,
        ),
        (remind, "github record timeout, applied", Gh(Comment, Fault::AppliedThenHang(hang), 1), None),
        (remind, "github record 500", Gh(Comment, Fault::Status(500), 1), None),
        (escalate, "none", Gh(Get, Fault::Status(500), 0), None),
        (escalate, "github issue 500", Gh(Get, Fault::Status(500), 3), None),
        (escalate, "github comments 500", Gh(ListComments, Fault::Status(500), 3), None),
        (escalate, "pagerduty create 500", Pd(Incidents, Fault::Status(500), 3), None),
        (escalate, "pagerduty create 429", Pd(Incidents, Fault::RateLimited { status: 429, retry_after: 1 }, 1), None),
        (escalate, "pagerduty create timeout, applied", Pd(Incidents, Fault::AppliedThenHang(hang), 1), None),
        (escalate, "slack update 500", Slack(SlackRoute::Update, Fault::Status(500), 3), None),
        (escalate, "slack update timeout, applied", Slack(SlackRoute::Update, Fault::AppliedThenHang(hang), 3), None),
        (escalate, "github note 500", Gh(Comment, Fault::Status(500), 1), None),
        (escalate, "github note timeout, applied", Gh(Comment, Fault::AppliedThenHang(hang), 1), None),
        // The delivery record names the prompt the follow-ups act on.
        (At::Fire, "github delivery record 500", Gh(Comment, Fault::Status(500), 1), None),
    ]
}

pub(super) fn cases() -> Vec<Case> {
    faults().into_iter().map(|(at, name, inject, known)| Box::pin(case(at, name, inject, known)) as Case).collect()
}

fn plan(life: &Life, inject: &Inject) {
    let fakes = &life.stack.fakes;
    match inject.clone() {
        Inject::GitHub(route, fault, times) => fakes.github.fail(route, fault, times),
        Inject::Slack(route, fault, times) => fakes.slack.fail(route, fault, times),
        Inject::PagerDuty(route, fault, times) => fakes.pagerduty.fail_route(route, fault, times),
    }
}

async fn case(at: At, fault_name: &'static str, inject: Inject, known: Known) -> Row {
    let life = Life::start().await;
    if at == At::Fire {
        plan(&life, &inject);
    }
    life.fire(&published(0)).await;
    let (mut runs, mut ok) = (0, true);
    for schedule in life.due() {
        let step = if schedule.name == schedule_name("remind", "evt-fire") { Step::Remind } else { Step::Escalate };
        if at == At::Step(step) {
            plan(&life, &inject);
        }
        // Delivered, retried until it succeeds; then delivered again.
        for _ in 0..2 {
            let (step_runs, step_ok) = life.follow_up(&schedule).await;
            if at == At::Step(step) {
                runs += step_runs;
            }
            ok &= step_ok;
        }
    }

    let what = match at {
        At::Fire => "fire",
        At::Step(step) => step.as_str(),
    };
    let mut tally = Tally::new(format!("follow-ups, {what} × {fault_name}"), runs.max(1), ok);
    let issue = life.issue();
    let prompt = life.prompt().expect("the prompt");
    let incidents = life.stack.fakes.pagerduty.incidents_with_key(REQUEST);
    tally
        .once(life.replies())
        .once(life.written(&issue, "<!-- dispatch:reminded "))
        .once(incidents.len())
        .holds(prompt.text.contains("escalated") && !has_buttons(&prompt))
        .once(life.written(&issue, "cause=no_answer"))
        .never(life.dms() - 1);
    if let Some(reason) = known {
        tally.known(reason);
    }
    tally.row()
}
