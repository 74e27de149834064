//! What one message did, as people see it in the fakes, and how it compares with its plan.

use dispatch_core::incoming::{IssueAction, IssueReport, Report, SlackResult};
use dispatch_core::pagerduty::IncidentOutcome;
use dispatch_core::routing::SlackContent;

use crate::render::{self, indented, labelled, quoted};
use crate::settings::count;

use super::{Outcome, Sandbox};

impl Sandbox {
    /// Prints the plan's heading, the issue, the Slack messages and the incident.
    pub(super) fn show(&self, report: &Report) {
        let paint = self.paint;
        let plan = &report.plan;
        println!("{}", paint.dim(format!("type {} · requestId {}", plan.kind, plan.request_id)));
        if plan.users_missing {
            println!(
                "{}",
                paint.yellow("The message has no users: the default Slack channel and GitHub user stand in.")
            );
        }
        if let Some(issue) = &report.issue {
            self.show_issue(issue);
        }
        for (i, slack) in report.slack.iter().enumerate() {
            let d = &slack.delivery;
            let by_email = plan.slack.get(i).and_then(|planned| planned.email());
            let channel = d.channel().map_or_else(|| "(not looked up)".to_owned(), ToString::to_string);
            let to = match (&d.content, by_email) {
                (_, Some(_)) if channel.starts_with(['U', 'W']) => {
                    format!("direct message to {} ({channel}, found by email)", d.recipient)
                }
                _ if channel.starts_with(['U', 'W']) => format!("direct message to {} ({channel})", d.recipient),
                (SlackContent::MissingSlackId { .. }, _) => {
                    format!("default channel {channel}: notice that {} has no Slack ID", d.recipient)
                }
                (SlackContent::EmailNotFound { email }, _) => {
                    format!("default channel {channel}: notice that no Slack user was found for {email}")
                }
                (_, Some(email)) => format!("default channel {channel}, for {} ({email} not found)", d.recipient),
                _ => format!("default channel {channel}, for {} (no Slack ID)", d.recipient),
            };
            match &slack.result {
                SlackResult::Sent(message) => {
                    println!("{}", labelled(paint, "Slack", &to));
                    println!("{}", quoted(&paint.dim("│"), &render::blocks(paint, &message.blocks)));
                }
                SlackResult::AlreadySent => {
                    println!("{}", labelled(paint, "Slack", &format!("{to}: already sent by an earlier attempt")))
                }
                SlackResult::NotNeeded => {}
                SlackResult::Failed(e) => {
                    println!(
                        "{}",
                        labelled(paint, "Slack", &format!("{to}: {}", paint.red(format!("not delivered, {e}"))))
                    )
                }
            }
        }
        if let Some(incident) = &report.incident {
            let new = &incident.incident;
            let what = match &incident.outcome {
                IncidentOutcome::Created { id, .. } => {
                    format!("incident {} {} on service {}", paint.bold(id), paint.green("opened"), new.service)
                }
                IncidentOutcome::AlreadyOpen => paint.yellow(format!(
                    "an incident with key {} is already open on service {}: not opened twice",
                    new.incident_key, new.service
                )),
            };
            println!("{}", labelled(paint, "PagerDuty", &what));
            self.show_incident_content(&new.title, &new.incident_key, new.details.as_deref());
        }
    }

    pub(super) fn show_issue(&self, issue: &IssueReport) {
        let paint = self.paint;
        let repo = issue.repo.to_string();
        let number = issue.issue.number;
        let what = match issue.action {
            IssueAction::Created => paint.green("opened"),
            IssueAction::Resumed => "resumed: an earlier attempt of this event opened it".to_owned(),
            IssueAction::Reused => "reused: a nag keeps one issue and messages every time".to_owned(),
            IssueAction::Suppressed => paint.yellow(format!(
                "already exists ({}): the alarm is being handled, so nothing is sent",
                issue.issue.state
            )),
            IssueAction::ResolvedBefore => {
                paint.yellow("closed: the source resolved this alarm before it was published, so nothing is sent")
            }
        };
        println!("{}", labelled(paint, "GitHub", &format!("issue {} {what}", paint.bold(format!("{repo}#{number}")))));
        println!("{}", indented(&paint.bold(&issue.issue.title)));
        if matches!(issue.action, IssueAction::Suppressed | IssueAction::ResolvedBefore) {
            return;
        }
        let stored = self.stored_issue(&repo, number);
        if let Some(stored) = stored {
            if !stored.labels.is_empty() {
                println!("{}", indented(&format!("labels: {}", stored.labels.join(", "))));
            }
            // Dispatch's marker is an HTML comment: GitHub does not show it, so it is faint here.
            let body: Vec<String> = stored
                .body
                .lines()
                .map(|line| if line.starts_with("<!--") { paint.dim(line) } else { line.to_owned() })
                .collect();
            println!("{}", quoted(&paint.dim("│"), &body.join("\n")));
        }
        println!("{}", indented(&paint.dim(&issue.issue.html_url)));
    }

    pub(super) fn show_incident_content(&self, title: &str, key: &str, details: Option<&str>) {
        let paint = self.paint;
        println!("{}", indented(&paint.bold(title)));
        println!("{}", indented(&format!("key: {key}")));
        if let Some(details) = details.filter(|d| !d.trim().is_empty()) {
            println!("{}", quoted(&paint.dim("│"), details));
        }
    }

    /// Compares the report and the fakes with the plan.
    pub(super) fn check(&self, report: &Report, slack_before: usize, outcome: &mut Outcome) {
        let plan = &report.plan;
        let mut suppressed = false;
        if plan.issue.is_some() {
            match &report.issue {
                None => outcome.problems.push("no issue, though the plan has one".into()),
                Some(issue) => {
                    let repo = issue.repo.to_string();
                    let stored = self.stored_issue(&repo, issue.issue.number);
                    let held = stored.is_some_and(|s| s.title == issue.issue.title);
                    if !held {
                        outcome.problems.push(format!("issue {repo}#{} is not in the fake GitHub", issue.issue.number));
                    }
                    suppressed = matches!(issue.action, IssueAction::Suppressed | IssueAction::ResolvedBefore);
                    outcome.done.push(
                        match issue.action {
                            IssueAction::Created => "issue opened",
                            IssueAction::Resumed => "issue resumed",
                            IssueAction::Reused => "issue reused",
                            IssueAction::Suppressed => "duplicate suppressed",
                            IssueAction::ResolvedBefore => "resolved before it fired",
                        }
                        .into(),
                    );
                }
            }
        }
        if !suppressed && !plan.slack.is_empty() {
            let sent = report.slack.iter().filter(|s| matches!(s.result, SlackResult::Sent(_))).count();
            let undelivered: Vec<String> = plan
                .slack
                .iter()
                .enumerate()
                .filter(|(i, _)| {
                    !report.slack.get(*i).is_some_and(|s| {
                        matches!(s.result, SlackResult::Sent(_) | SlackResult::AlreadySent | SlackResult::NotNeeded)
                    })
                })
                .map(|(_, d)| d.recipient.clone())
                .collect();
            if !undelivered.is_empty() {
                outcome.problems.push(format!("Slack messages not delivered to {}", undelivered.join(", ")));
            }
            let received = self.fakes.slack.messages().len() - slack_before;
            if received != sent {
                outcome
                    .problems
                    .push(format!("the fake Slack received {received} messages, {sent} were reported sent"));
            }
            outcome.done.push(format!("{} delivered", count(sent, "Slack message")));
        }
        if let Some(planned) = &plan.incident {
            match report.incident.as_ref().map(|i| &i.outcome) {
                None => outcome.problems.push("no incident, though the plan has one".into()),
                Some(IncidentOutcome::Created { id, .. }) => {
                    let held = self.fakes.pagerduty.incidents().into_iter().any(|i| {
                        &i.id == id && i.incident_key == planned.incident_key && i.service == planned.service.as_str()
                    });
                    if held {
                        outcome.done.push(format!("incident {id} opened"));
                    } else {
                        outcome.problems.push(format!("incident {id} is not in the fake PagerDuty as planned"));
                    }
                }
                Some(IncidentOutcome::AlreadyOpen) => {
                    outcome.done.push("incident already open, not paged twice".into())
                }
            }
        }
    }
}
