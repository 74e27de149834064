//! A message with `"status": "resolved"`: what the resolve ended (the issue closed, the prompts
//! updated, the incidents resolved), as the fakes hold it, checked against what the report says.

use std::path::PathBuf;

use dispatch_core::incoming::{Report, Resolution};
use dispatch_core::message::{Status, parse_event};
use dispatch_core::routing::plan;

use crate::input;
use crate::render::{self, indented, labelled, quoted};
use crate::settings::count;

use super::{Outcome, Sandbox};

impl Sandbox {
    /// For each file, whether a later file resolves the alarm it fires (the same issue title in
    /// the same repository, or the same incident key): its prompt is then left for the resolve.
    pub(super) fn resolved_later(&self, files: &[PathBuf]) -> Vec<bool> {
        let alarms: Vec<Option<(String, Status)>> = files.iter().map(|path| self.alarm_of(path)).collect();
        (0..alarms.len())
            .map(|i| match &alarms[i] {
                Some((key, Status::Firing)) => {
                    alarms[i + 1..].iter().flatten().any(|(k, status)| k == key && *status == Status::Resolved)
                }
                _ => false,
            })
            .collect()
    }

    /// What names the alarm of a message, and its status; `None` for a message that cannot be read.
    fn alarm_of(&self, path: &std::path::Path) -> Option<(String, Status)> {
        let input = input::read(path).ok()?;
        let message = parse_event(&input.bytes, "sandbox").ok()?;
        let plan = plan(&message, &self.incoming.defaults);
        let key = match (&plan.issue, &plan.incident) {
            (Some(issue), _) => format!("issue {}: {}", issue.repo, issue.title),
            (None, Some(incident)) => format!("incident {}", incident.incident_key),
            (None, None) => return None,
        };
        Some((key, plan.status))
    }

    /// Remembers who each Slack id delivered to is, for the updates a resolve shows.
    pub(super) fn remember_recipients(&mut self, report: &Report) {
        for slack in &report.slack {
            if let Some(channel) = slack.delivery.channel() {
                self.recipients.push((channel.to_string(), slack.delivery.recipient.clone()));
            }
        }
    }

    /// Prints what a resolve ended and checks it in the fakes.
    pub(super) fn show_resolution(
        &self,
        report: &Report,
        resolution: &Resolution,
        updates_before: usize,
        outcome: &mut Outcome,
    ) {
        let paint = self.paint;
        let plan = &report.plan;
        println!(
            "{}",
            paint.dim(format!("type {} · requestId {} · status {}", plan.kind, plan.request_id, plan.status.as_str()))
        );
        let repo = plan.issue.as_ref().map(|i| i.repo.to_string()).unwrap_or_default();
        match resolution {
            Resolution::Closed { issue, prompts_updated, incidents_resolved } => {
                let stored = self.stored_issue(&repo, *issue);
                let closed = stored.as_ref().is_some_and(|s| s.state == "closed");
                let what = format!(
                    "issue {} {}: resolved at the source, with the comment:",
                    paint.bold(format!("{repo}#{issue}")),
                    paint.green("closed")
                );
                println!("{}", labelled(paint, "GitHub", &what));
                let comment = stored
                    .as_ref()
                    .and_then(|s| s.comments.iter().rev().find(|c| c.contains("<!-- dispatch:resolved ")).cloned());
                match &comment {
                    Some(comment) => println!("{}", quoted(&paint.dim("│"), &render::markdown(paint, comment))),
                    None => outcome.problems.push(format!("no resolution comment on issue {repo}#{issue}")),
                }
                if closed {
                    outcome.done.push("issue closed".into());
                } else {
                    outcome.problems.push(format!("issue {repo}#{issue} is still open after the resolve"));
                }
                self.show_updates(updates_before, *prompts_updated, outcome);
                self.show_resolved_incidents(incidents_resolved, outcome);
            }
            Resolution::LeftAlone { issue } => {
                let what = format!(
                    "issue {} was already closed (answered): left alone",
                    paint.bold(format!("{repo}#{issue}"))
                );
                println!("{}", labelled(paint, "GitHub", &what));
                outcome.done.push("issue already closed, left alone".into());
            }
            Resolution::RecordedEarly { issue } => {
                let what = format!(
                    "no open issue of this alarm: the resolve is recorded as the closed issue {}; the alarm, if it arrives published no later, sends nothing",
                    paint.bold(format!("{repo}#{issue}"))
                );
                println!("{}", labelled(paint, "GitHub", &what));
                if self.stored_issue(&repo, *issue).is_some_and(|s| s.state == "closed") {
                    outcome.done.push("resolve recorded before its alarm".into());
                } else {
                    outcome.problems.push(format!("the record {repo}#{issue} is not a closed issue"));
                }
            }
            Resolution::Incidents { key, resolved } => {
                if resolved.is_empty() {
                    println!(
                        "{}",
                        labelled(paint, "PagerDuty", &format!("no open incident with key {key}: nothing to resolve"))
                    );
                    outcome.done.push("no incident open, nothing resolved".into());
                } else {
                    self.show_resolved_incidents(resolved, outcome);
                    println!("{}", indented(&format!("key: {key}")));
                }
                let open: Vec<String> = self
                    .fakes
                    .pagerduty
                    .incidents_with_key(key)
                    .into_iter()
                    .filter(|i| i.status != "resolved")
                    .map(|i| i.id)
                    .collect();
                if !open.is_empty() {
                    outcome.problems.push(format!("incidents still open with key {key}: {}", open.join(", ")));
                }
            }
        }
    }

    /// The prompts a resolve replaced, as Slack now shows them.
    fn show_updates(&self, updates_before: usize, reported: usize, outcome: &mut Outcome) {
        let paint = self.paint;
        let updates: Vec<_> = self.fakes.slack.updates().into_iter().skip(updates_before).collect();
        for update in &updates {
            let sent_to = self.fakes.slack.message(&update.channel, &update.ts).map(|m| m.channel);
            let name = sent_to
                .as_ref()
                .and_then(|to| self.recipients.iter().rev().find(|(id, _)| id == to))
                .map_or_else(|| update.channel.clone(), |(_, name)| name.clone());
            let what = format!("the prompt to {name} is updated (chat.update), without its buttons:");
            println!("{}", labelled(paint, "Slack", &what));
            let blocks = update.blocks.as_ref().and_then(|b| b.as_array()).map(Vec::as_slice).unwrap_or_default();
            println!("{}", quoted(&paint.green("┃"), &render::blocks(paint, blocks)));
        }
        if updates.len() == reported {
            if reported > 0 {
                outcome.done.push(format!("{} updated", count(reported, "prompt")));
            }
        } else {
            outcome
                .problems
                .push(format!("{reported} prompts reported updated, the fake Slack took {}", updates.len()));
        }
    }

    /// The incidents a resolve resolved, checked in the fake PagerDuty.
    fn show_resolved_incidents(&self, ids: &[String], outcome: &mut Outcome) {
        let paint = self.paint;
        for id in ids {
            let what = format!("incident {} {}", paint.bold(id), paint.green("resolved"));
            println!("{}", labelled(paint, "PagerDuty", &what));
            if let Some(incident) = self.fakes.pagerduty.incident(id) {
                println!("{}", indented(&paint.bold(&incident.title)));
            }
            if self.fakes.pagerduty.incident_status(id).as_deref() == Some("resolved") {
                outcome.done.push(format!("incident {id} resolved"));
            } else {
                outcome.problems.push(format!("incident {id} is not resolved in the fake PagerDuty"));
            }
        }
    }
}
