//! A resolve that arrives before its trigger (SNS does not keep order), with a fault on the
//! requests that record it early (the lookup, the create of the closed record, its close): after
//! Lambda's retries exactly one closed record exists, and the trigger, published a second before
//! the resolve, sends nothing: no DM, no schedule, no incident; its own issue is closed.

use std::time::Duration;

use dispatch_fakes::{Fault, GitHubRoute};

use super::{Case, Known, Life, Tally, alarm, published};
use crate::robustness::matrix::Row;

fn faults() -> Vec<(&'static str, GitHubRoute, Fault, usize, Known)> {
    let hang = Duration::from_millis(2500);
    use GitHubRoute::*;
    vec![
        ("none", Get, Fault::Status(500), 0, None),
        ("github lookup 500", List, Fault::Status(500), 3, None),
        ("github create 500", Create, Fault::Status(500), 3, None),
        ("github create timeout, applied", Create, Fault::AppliedThenHang(hang), 1, None),
        ("github create 429", Create, Fault::github_secondary_limit(1), 1, None),
        ("github create 502, applied late", Create, Fault::AppliedLate(502), 1, None),
        ("github close 500", Update, Fault::Status(500), 3, None),
        ("github close timeout, applied", Update, Fault::AppliedThenHang(hang), 3, None),
    ]
}

pub(super) fn cases() -> Vec<Case> {
    let row = |(name, route, fault, times, known)| Box::pin(case(name, route, fault, times, known)) as Case;
    faults().into_iter().map(row).collect()
}

async fn case(fault_name: &'static str, route: GitHubRoute, fault: Fault, times: usize, known: Known) -> Row {
    let life = Life::start().await;
    let fakes = &life.stack.fakes;
    let (fired_at, resolved_at) = (published(-1000), published(0));
    fakes.github.fail(route, fault, times);
    let (runs, resolve_ok) = life.run("evt-resolve", &resolved_at, &alarm("resolved")).await;
    fakes.github.heal();
    let (_, trigger_ok) = life.run("evt-fire", &fired_at, &alarm("firing")).await;

    // A later alarm of the same title, published after the resolve, fires as usual.
    let (_, again_ok) = life.run("evt-again", &published(0), &alarm("firing")).await;

    let ok = resolve_ok && trigger_ok && again_ok;
    let mut tally = Tally::new(format!("resolve before its trigger × {fault_name}"), runs, ok);
    let (issues, records) = life.issues();
    let of = |event: &str| issues.iter().filter(|i| i.body.contains(&format!("event={event} "))).collect::<Vec<_>>();
    let (fired, again) = (of("evt-fire"), of("evt-again"));
    let scheduled = |event| {
        life.scheduler.schedules().iter().filter(|s| s.input.as_deref().unwrap_or_default().contains(event)).count()
    };
    tally
        .once(records.len())
        .holds(!records.is_empty() && records.iter().all(|r| r.state == "closed"))
        // The trigger's own issue, closed: it sent nothing.
        .once(fired.len())
        .holds(!fired.is_empty() && fired.iter().all(|i| i.state == "closed"))
        .never(scheduled("\"evt-fire\""))
        .never(fakes.pagerduty.incidents().len())
        // The later alarm: its open issue, its prompt (the only DM), its follow-ups.
        .once(again.iter().filter(|i| i.state == "open").count())
        .once(life.dms())
        .holds(scheduled("\"evt-again\"") == 2);
    if let Some(reason) = known {
        tally.known(reason);
    }
    tally.row()
}
