//! A firing self-service alarm with follow-ups on, against the faults of `CreateSchedule` (and of
//! the prompt before it): after Lambda's retries the prompt went out once, the issue exists once,
//! and each due follow-up (remind, escalate) is scheduled exactly once.

use std::time::Duration;

use dispatch_core::incoming::{FollowUp, Invocation, Step};
use dispatch_core::scheduler::schedule_name;
use dispatch_fakes::SchedulerFault::{self, AppliedThenError, Hang};
use dispatch_fakes::{Fault, SlackRoute};

use super::{Case, Life, Tally, alarm, published};
use crate::robustness::matrix::Row;

/// What fails, and how many times in a row.
enum Inject {
    Scheduler(SchedulerFault, usize),
    Slack(SlackRoute, Fault, usize),
}

fn faults() -> Vec<(&'static str, Inject)> {
    let error = |status, kind: &str| SchedulerFault::error(status, kind);
    let applied = |status, kind: &str| AppliedThenError { status, error_type: kind.to_owned() };
    use Inject::Scheduler;
    vec![
        ("none", Scheduler(error(500, "InternalServerException"), 0)),
        // The SDK makes three attempts: three failures fail the invocation, one is retried within it.
        ("scheduler 500", Scheduler(error(500, "InternalServerException"), 3)),
        ("scheduler 500 once", Scheduler(error(500, "InternalServerException"), 1)),
        ("scheduler throttling", Scheduler(error(429, "ThrottlingException"), 3)),
        ("scheduler throttling once", Scheduler(error(429, "ThrottlingException"), 1)),
        ("scheduler timeout", Scheduler(Hang(Duration::from_millis(5500)), 1)),
        ("scheduler refused 400", Scheduler(error(400, "ValidationException"), 1)),
        // A create that landed but answered an error: the next attempt meets 409 ConflictException.
        ("scheduler created, 503 answered", Scheduler(applied(503, "InternalServerException"), 1)),
        ("scheduler created, every answer lost", Scheduler(applied(503, "InternalServerException"), 3)),
        ("scheduler created, 403 answered", Scheduler(applied(403, "AccessDeniedException"), 1)),
        ("slack 500 before the schedules", Inject::Slack(SlackRoute::PostMessage, Fault::Status(500), 3)),
    ]
}

pub(super) fn cases() -> Vec<Case> {
    faults().into_iter().map(|(name, inject)| Box::pin(case(name, inject)) as Case).collect()
}

async fn case(fault_name: &'static str, inject: Inject) -> Row {
    let life = Life::start().await;
    match inject {
        Inject::Scheduler(fault, times) => life.scheduler.fail(fault, times),
        Inject::Slack(route, fault, times) => life.stack.fakes.slack.fail(route, fault, times),
    }
    let (runs, ok) = life.run("evt-fire", &published(0), &alarm("firing")).await;

    let mut tally = Tally::new(format!("self-service, follow-ups on × {fault_name}"), runs, ok);
    tally.once(life.issues().0.len()).once(life.dms());
    let schedules = life.scheduler.schedules();
    for step in [Step::Remind, Step::Escalate] {
        let name = schedule_name(step.as_str(), "evt-fire");
        let mine: Vec<_> = schedules.iter().filter(|s| s.name == name).collect();
        tally.once(mine.len());
        // Each hands `incoming` the follow-up of its own step of this alarm's prompt.
        for schedule in mine {
            let input = schedule.input.as_deref().unwrap_or_default();
            let event = serde_json::from_str::<Invocation>(input);
            let right = matches!(&event, Ok(Invocation::FollowUp(FollowUp { step: s, event_id, user, .. }))
                if *s == step && event_id == "evt-fire" && user.as_deref() == Some("U1"));
            assert!(right, "{fault_name}: the {} schedule's input: {input}", step.as_str());
        }
    }
    // No schedule of another name (another step, another event).
    tally.never(schedules.len().saturating_sub(2));
    tally.row()
}
