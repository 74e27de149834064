//! The resolve of a self-service alarm against a fault on each of its requests: the lookup, the
//! comments read, the resolution comment, the close, `chat.update` of the prompt, and PagerDuty's
//! `GET /incidents` and `PUT /incidents/{id}`. After Lambda's retries the issue is closed as
//! completed with exactly one resolution comment, the prompt shows the resolved note without
//! buttons (or, once escalated, the incident is resolved), and nothing is sent to anyone.
//! The prompting rows run again with Dispatch authenticated as a GitHub App, whose bot GraphQL
//! and REST name differently (`dispatch-app`, `dispatch-app[bot]`).

use std::time::Duration;

use dispatch_core::incoming::Step;
use dispatch_fakes::{Fault, GitHubRoute, PagerDutyRoute, SlackRoute};

use super::{Auth, Case, Life, REQUEST, Tally, alarm, has_buttons, published};
use crate::robustness::matrix::Row;

/// The alarm before its resolve arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Before {
    /// Its prompt still asks.
    Prompting,
    /// Nobody answered: escalated, with an incident opened for it.
    Escalated,
    /// Nobody answered: escalated onto an incident already open with its key (the note says
    /// `incident=existing`, so the resolve finds it by key).
    EscalatedOntoOpen,
}

/// A fault on one route, for a number of requests.
#[derive(Debug, Clone)]
enum Inject {
    GitHub(GitHubRoute, Fault, usize),
    Slack(SlackRoute, Fault, usize),
    PagerDuty(PagerDutyRoute, Fault, usize),
}

fn faults() -> Vec<(Before, &'static str, Inject)> {
    let hang = Duration::from_millis(2500);
    use Before::*;
    use GitHubRoute::*;
    use Inject::GitHub as Gh;
    use PagerDutyRoute::{ListIncidents, UpdateIncident};
    vec![
        (Prompting, "none", Gh(Get, Fault::Status(500), 0)),
        (Prompting, "github lookup 500", Gh(List, Fault::Status(500), 3)),
        (Prompting, "github graphql 502", Gh(GraphQl, Fault::Status(502), 3)),
        (Prompting, "github comments 500", Gh(ListComments, Fault::Status(500), 3)),
        // A comment is not repeated within an attempt: one failure fails the invocation.
        (Prompting, "github comment 500", Gh(Comment, Fault::Status(500), 1)),
        (Prompting, "github comment timeout, applied", Gh(Comment, Fault::AppliedThenHang(hang), 1)),
        (Prompting, "github close 500", Gh(Update, Fault::Status(500), 3)),
        (Prompting, "github close timeout, applied", Gh(Update, Fault::AppliedThenHang(hang), 3)),
        (Prompting, "slack update 500", Inject::Slack(SlackRoute::Update, Fault::Status(500), 3)),
        (Prompting, "slack update 429", Inject::Slack(SlackRoute::Update, Fault::slack_rate_limited(1), 1)),
        (
            Prompting,
            "slack update ok:false internal_error",
            Inject::Slack(SlackRoute::Update, Fault::SlackError("internal_error".into()), 3),
        ),
        (
            Prompting,
            "slack update timeout, applied",
            Inject::Slack(SlackRoute::Update, Fault::AppliedThenHang(hang), 3),
        ),
        (Escalated, "none", Gh(Get, Fault::Status(500), 0)),
        (Escalated, "github close 500", Gh(Update, Fault::Status(500), 3)),
        (Escalated, "pagerduty resolve 500", Inject::PagerDuty(UpdateIncident, Fault::Status(500), 3)),
        (
            Escalated,
            "pagerduty resolve 429",
            Inject::PagerDuty(UpdateIncident, Fault::RateLimited { status: 429, retry_after: 1 }, 1),
        ),
        (
            Escalated,
            "pagerduty resolve timeout, applied",
            Inject::PagerDuty(UpdateIncident, Fault::AppliedThenHang(hang), 3),
        ),
        (EscalatedOntoOpen, "none", Gh(Get, Fault::Status(500), 0)),
        (EscalatedOntoOpen, "pagerduty list 500", Inject::PagerDuty(ListIncidents, Fault::Status(500), 3)),
        (EscalatedOntoOpen, "pagerduty list timeout", Inject::PagerDuty(ListIncidents, Fault::Hang(hang), 3)),
        (EscalatedOntoOpen, "pagerduty resolve 500", Inject::PagerDuty(UpdateIncident, Fault::Status(500), 3)),
    ]
}

pub(super) fn cases() -> Vec<Case> {
    let rows = faults();
    // Again as a GitHub App, every row of a prompting alarm: Dispatch must know the issue and
    // comments its bot wrote through GraphQL (which names the bot `dispatch-app`) and through the
    // REST API the lookup falls back on (`dispatch-app[bot]`).
    let as_app: Vec<_> = rows.iter().filter(|(before, ..)| *before == Before::Prompting).cloned().collect();
    let rows = rows.into_iter().map(|row| (Auth::Token, row)).chain(as_app.into_iter().map(|row| (Auth::App, row)));
    rows.map(|(auth, (before, name, inject))| Box::pin(case(auth, before, name, inject)) as Case).collect()
}

async fn case(auth: Auth, before: Before, fault_name: &'static str, inject: Inject) -> Row {
    let life = Life::start_as(auth).await;
    let fakes = &life.stack.fakes;
    life.fire(&published(-2000)).await;
    if before == Before::EscalatedOntoOpen {
        fakes.pagerduty.add_incident("PDEFAULT", REQUEST, "opened by a No of an earlier click");
    }
    if before != Before::Prompting {
        life.follow_up_now(Step::Escalate).await;
    }
    let sent = fakes.slack.messages().len();
    match inject {
        Inject::GitHub(route, fault, times) => fakes.github.fail(route, fault, times),
        Inject::Slack(route, fault, times) => fakes.slack.fail(route, fault, times),
        Inject::PagerDuty(route, fault, times) => fakes.pagerduty.fail_route(route, fault, times),
    }
    let (runs, ok) = life.run("evt-resolve", &published(0), &alarm("resolved")).await;

    let case = match before {
        Before::Prompting if auth == Auth::App => format!("resolve self-service as a GitHub App × {fault_name}"),
        Before::Prompting => format!("resolve self-service × {fault_name}"),
        Before::Escalated => format!("resolve escalated self-service × {fault_name}"),
        Before::EscalatedOntoOpen => format!("resolve self-service escalated onto an open incident × {fault_name}"),
    };
    let mut tally = Tally::new(case, runs, ok);
    let (issues, records) = life.issues();
    let issue = life.issue();
    tally
        .holds(issue.state == "closed" && issue.state_reason.as_deref() == Some("completed"))
        .once(life.written(&issue, "<!-- dispatch:resolved "))
        // Nothing new in Slack (no DM, no reply), no other issue, no early record.
        .never(fakes.slack.messages().len() - sent)
        .never(issues.len() - 1)
        .never(records.len());
    let prompt = life.prompt().expect("the prompt");
    match before {
        Before::Prompting => {
            tally.holds(prompt.text.contains("Resolved at the source") && !has_buttons(&prompt));
        }
        Before::Escalated | Before::EscalatedOntoOpen => {
            // The escalated note stays; the incident is resolved, and no other was opened.
            tally.holds(prompt.text.contains("escalated") && !has_buttons(&prompt));
            let incidents = fakes.pagerduty.incidents_with_key(REQUEST);
            tally.holds(!incidents.is_empty() && incidents.iter().all(|i| i.status == "resolved"));
            tally.never(incidents.len() - 1);
        }
    }
    tally.row()
}
