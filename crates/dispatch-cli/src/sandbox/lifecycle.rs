//! The clock of follow-ups in the sandbox: `incoming` schedules each self-service prompt's
//! reminder and escalation on a fake EventBridge Scheduler, as in production; after the messages,
//! the sandbox takes every schedule in time order and hands its input to `Incoming::invoke`, as
//! Lambda would at that time, then shows and checks what the follow-up did.

use aws_sdk_scheduler::config::{BehaviorVersion, Credentials, Region};
use chrono::{DateTime, Utc};
use dispatch_core::deadline::Deadline;
use dispatch_core::incoming::{FollowUp, Incoming, Invocation, Report, Step};
use dispatch_core::message::FollowUpTimes;
use dispatch_core::scheduler::Scheduler;
use dispatch_fakes::{FakeScheduler, Fakes, RecordedSchedule};

use crate::render::{self, labelled, quoted};
use crate::settings::{self, count};

use super::{MESSAGE_BUDGET, Outcome, Sandbox, Tally};

/// `SchedulerGroupName` of the sandbox.
pub const GROUP: &str = "dispatch-follow-ups";
/// `SchedulerRoleArn` of the sandbox.
pub const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/dispatch-scheduler";
/// The ARN the sandbox's `incoming` has, as Lambda's context would give it.
pub const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:dispatch-incoming";
/// `SelfServiceRemindAfter` of the sandbox, in minutes.
pub const REMIND_AFTER_MINUTES: u32 = 30;
/// `SelfServiceEscalateAfter` of the sandbox, in minutes.
pub const ESCALATE_AFTER_MINUTES: u32 = 60;

/// Points `incoming`'s follow-ups at `fake`: the real aws-sdk-scheduler client with the sandbox's
/// group, role and static credentials, reminders after 30 minutes and escalations after 60.
pub(super) fn follow_ups_on(incoming: &mut Incoming, fake: &FakeScheduler) {
    let config = aws_sdk_scheduler::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKIDSANDBOX", "sandbox-secret-access-key", None, None, "sandbox"))
        .endpoint_url(fake.url())
        .build();
    incoming.scheduler = Some(Scheduler::with_sdk_config(GROUP.to_owned(), ROLE_ARN.to_owned(), &config));
    incoming.follow_up_settings = FollowUpTimes {
        remind_after_minutes: Some(REMIND_AFTER_MINUTES),
        escalate_after_minutes: Some(ESCALATE_AFTER_MINUTES),
    };
    incoming.set_function_arn(FUNCTION_ARN);
}

/// What the fakes hold, with what the lifecycle changed.
pub(super) fn holdings(fakes: &Fakes) -> String {
    // The account ends with the incidents: their resolved ones follow it.
    let mut text = settings::holdings(fakes);
    let resolved = fakes.pagerduty.incidents().iter().filter(|i| i.status == "resolved").count();
    if resolved > 0 {
        text.push_str(&format!(" ({resolved} resolved)"));
    }
    let updated = fakes.slack.updates().len();
    if updated > 0 {
        text.push_str(&format!("; {} updated", count(updated, "Slack message")));
    }
    text
}

/// A time as the sandbox prints it.
fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// The follow-up a schedule carries, if its input is one.
fn follow_up_of(schedule: &RecordedSchedule) -> Option<FollowUp> {
    match serde_json::from_str::<Invocation>(schedule.input.as_deref()?).ok()? {
        Invocation::FollowUp(follow_up) => Some(follow_up),
        Invocation::Sns(_) => None,
    }
}

/// What the fakes held before a follow-up, to tell what it changed.
struct Before {
    messages: usize,
    updates: usize,
    incidents: usize,
    comments: usize,
    open: bool,
}

impl Sandbox {
    /// Shows the schedules a delivered prompt got, and checks them against the plan.
    pub(super) fn check_scheduled(&self, report: &Report, outcome: &mut Outcome) {
        let planned = report.plan.follow_ups(self.incoming.follow_up_settings);
        let planned: Vec<(Step, u32)> =
            [(Step::Remind, planned.remind_after_minutes), (Step::Escalate, planned.escalate_after_minutes)]
                .into_iter()
                .filter_map(|(step, minutes)| minutes.map(|m| (step, m)))
                .collect();
        if planned.is_empty() || report.slack.is_empty() {
            return;
        }
        let schedules: Vec<(RecordedSchedule, FollowUp)> = self
            .scheduler
            .schedules()
            .into_iter()
            .filter_map(|s| follow_up_of(&s).map(|f| (s, f)))
            .filter(|(_, f)| f.event_id == report.event_id)
            .collect();
        let mut shown = Vec::new();
        for (step, minutes) in &planned {
            let found = schedules.iter().find(|(_, f)| f.step == *step && f.after_minutes == *minutes);
            match found {
                Some((schedule, _)) => {
                    let as_configured = schedule.group == GROUP
                        && schedule.target_arn == FUNCTION_ARN
                        && schedule.role_arn == ROLE_ARN
                        && schedule.action_after_completion == "DELETE";
                    if !as_configured {
                        outcome.problems.push(format!("schedule {} is not as configured: {schedule:?}", schedule.name));
                    }
                    shown.push(format!("{} at {} (+{minutes} min)", step.as_str(), when(schedule.at)))
                }
                None => outcome.problems.push(format!("no {} schedule after {minutes} minutes", step.as_str())),
            }
            if !report.scheduled.iter().any(|s| s == step.as_str()) {
                outcome.problems.push(format!("the report does not list the {} schedule", step.as_str()));
            }
        }
        if !shown.is_empty() {
            let group = self.incoming.scheduler.as_ref().map_or(GROUP, Scheduler::group);
            println!(
                "{}",
                labelled(self.paint, "Scheduler", &format!("one-time schedules in {group}: {}", shown.join(", ")))
            );
            outcome.done.push(format!("{} scheduled", count(shown.len(), "follow-up")));
        }
    }

    /// Runs every schedule at once, in time order, and returns how many ran.
    pub(super) async fn follow_ups(&mut self, tally: &mut Tally) -> usize {
        let paint = self.paint;
        // Everything: schedules are at most a week ahead.
        let mut due = self.scheduler.take_due(Utc::now() + chrono::Duration::days(8));
        due.sort_by_key(|s| s.at);
        if due.is_empty() {
            return 0;
        }
        println!(
            "\n{}",
            paint.heading(format!(
                "━━ EventBridge Scheduler: {}, each run now as if it were its time",
                count(due.len(), "follow-up")
            ))
        );
        for (i, schedule) in due.iter().enumerate() {
            let label = format!("follow-up {} ({})", i + 1, schedule.name);
            let outcome = self.fire(i + 1, schedule).await;
            tally.add(paint, &label, &outcome);
        }
        due.len()
    }

    /// Hands one schedule's input to `incoming`, then shows and checks what it did.
    async fn fire(&mut self, n: usize, schedule: &RecordedSchedule) -> Outcome {
        let paint = self.paint;
        let mut outcome = Outcome::default();
        let input = schedule.input.clone().unwrap_or_default();
        // What Lambda hands `incoming`: the schedule's input, as it is.
        let invocation = serde_json::from_str::<Invocation>(&input).ok();
        let Some(invocation @ Invocation::FollowUp(f)) = invocation.as_ref() else {
            println!("\n{}", paint.dim(when(schedule.at)));
            outcome.problems.push(format!("the schedule's input is not a follow-up event: {input}"));
            return outcome;
        };
        let issue = format!("{}#{}", f.repo, f.issue);
        println!(
            "\n{} {}",
            paint.bold(when(schedule.at)),
            paint.dim(format!(
                "· {} {} · {} minutes after the alarm · {}",
                f.step.as_str(),
                f.request_id,
                f.after_minutes,
                f.name
            ))
        );
        println!("{}", labelled(paint, "Scheduler", &format!("invokes {} with:", short_arn(&schedule.target_arn))));
        println!("{}", quoted(&paint.dim("│"), &paint.dim(&input)));
        let before = self.before(f);
        let result = self
            .incoming
            .invoke(invocation, &format!("sandbox-follow-up-{n}"), FUNCTION_ARN, Deadline::after(MESSAGE_BUDGET))
            .await;
        let done = match result {
            Ok(answer) => answer["done"].as_str().unwrap_or_default().to_owned(),
            Err(failure) => {
                outcome.problems.push(format!("incoming failed ({}): {}", failure.kind, failure.message));
                return outcome;
            }
        };
        let acts = before.open && !self.clicked.contains(&issue);
        let changed = self.show_follow_up(f, &before);
        match (f.step, acts) {
            (_, false) => {
                let reason = done.strip_prefix("Nothing(\"").and_then(|r| r.strip_suffix("\")")).unwrap_or(&done);
                println!("{}", labelled(paint, "incoming", &format!("nothing to do: {reason}")));
                if changed {
                    outcome
                        .problems
                        .push(format!("the alarm was answered or closed, yet the follow-up acted ({done})"));
                } else {
                    outcome.done.push(format!("nothing to do ({reason})"));
                }
            }
            (Step::Remind, true) => self.check_reminded(f, &before, &done, &mut outcome),
            (Step::Escalate, true) => self.check_escalated(f, &before, &done, &mut outcome),
        }
        outcome
    }

    fn before(&self, f: &FollowUp) -> Before {
        let stored = self.stored_issue(&f.repo, f.issue);
        Before {
            messages: self.fakes.slack.messages().len(),
            updates: self.fakes.slack.updates().len(),
            incidents: self.fakes.pagerduty.incidents().len(),
            comments: stored.as_ref().map_or(0, |s| s.comments.len()),
            open: stored.is_some_and(|s| s.state == "open"),
        }
    }

    /// Prints what the follow-up changed in the fakes; `true` if anything.
    fn show_follow_up(&self, f: &FollowUp, before: &Before) -> bool {
        let paint = self.paint;
        let replies: Vec<_> = self.fakes.slack.messages().into_iter().skip(before.messages).collect();
        for reply in &replies {
            let thread = if reply.thread_ts.is_some() { "in the prompt's thread" } else { "as a new message" };
            println!("{}", labelled(paint, "Slack", &format!("reminder to {} {thread}:", f.name)));
            let blocks = reply.blocks.as_array().map(Vec::as_slice).unwrap_or_default();
            println!("{}", quoted(&paint.dim("│"), &render::blocks(paint, blocks)));
        }
        let incidents: Vec<_> = self.fakes.pagerduty.incidents().into_iter().skip(before.incidents).collect();
        for incident in &incidents {
            let what = format!(
                "incident {} {} on service {}",
                paint.bold(&incident.id),
                paint.red("opened"),
                incident.service
            );
            println!("{}", labelled(paint, "PagerDuty", &what));
            self.show_incident_content(&incident.title, &incident.incident_key, incident.details.as_deref());
        }
        let updates: Vec<_> = self.fakes.slack.updates().into_iter().skip(before.updates).collect();
        for update in &updates {
            let what = format!("the prompt to {} is replaced (chat.update), without its buttons:", f.name);
            println!("{}", labelled(paint, "Slack", &what));
            let blocks = update.blocks.as_ref().and_then(|b| b.as_array()).map(Vec::as_slice).unwrap_or_default();
            println!("{}", quoted(&paint.red("┃"), &render::blocks(paint, blocks)));
        }
        let comments: Vec<String> = self
            .stored_issue(&f.repo, f.issue)
            .map(|s| s.comments.into_iter().skip(before.comments).collect())
            .unwrap_or_default();
        if !comments.is_empty() {
            let what = format!("issue {} stays open, with the comment:", paint.bold(format!("{}#{}", f.repo, f.issue)));
            println!("{}", labelled(paint, "GitHub", &what));
            let shown: Vec<String> = comments.iter().map(|c| render::markdown(paint, c)).collect();
            println!("{}", quoted(&paint.dim("│"), &shown.join("\n\n")));
        }
        !(replies.is_empty() && incidents.is_empty() && updates.is_empty() && comments.is_empty())
    }

    fn new_comments(&self, f: &FollowUp, before: &Before) -> Vec<String> {
        self.stored_issue(&f.repo, f.issue)
            .map(|s| s.comments.into_iter().skip(before.comments).collect())
            .unwrap_or_default()
    }

    fn check_reminded(&self, f: &FollowUp, before: &Before, done: &str, outcome: &mut Outcome) {
        let replies: Vec<_> = self.fakes.slack.messages().into_iter().skip(before.messages).collect();
        if !done.starts_with("Reminded") {
            outcome.problems.push(format!("an unanswered prompt was not reminded: {done}"));
        }
        if replies.is_empty() || !replies.iter().all(|r| r.thread_ts.is_some() && r.text.starts_with("Reminder")) {
            outcome.problems.push("no reminder in the prompt's thread".into());
        }
        if !self.new_comments(f, before).iter().any(|c| c.contains("<!-- dispatch:reminded ")) {
            outcome.problems.push("the reminder is not recorded on the issue".into());
        }
        if outcome.problems.is_empty() {
            outcome.done.push(format!("{} reminded under the prompt", f.name));
        }
    }

    fn check_escalated(&self, f: &FollowUp, before: &Before, done: &str, outcome: &mut Outcome) {
        if !done.starts_with("Escalated") {
            outcome.problems.push(format!("an unanswered prompt was not escalated: {done}"));
        }
        let incidents: Vec<_> = self.fakes.pagerduty.incidents().into_iter().skip(before.incidents).collect();
        let expected = format!(
            "dispatch {}: user {} did not respond for self-service issue {}/{}",
            f.request_id, f.name, f.repo, f.issue
        );
        let incident = incidents.iter().find(|i| i.incident_key == f.request_id && i.title == expected);
        if incident.is_none() {
            outcome.problems.push(format!("no incident \"{expected}\" keyed {}", f.request_id));
        }
        if self.fakes.slack.updates().len() == before.updates {
            outcome.problems.push("the prompt was not replaced".into());
        }
        let recorded = self
            .new_comments(f, before)
            .iter()
            .any(|c| c.contains("<!-- dispatch:escalated ") && c.contains("cause=no_answer"));
        if !recorded {
            outcome.problems.push("the escalation is not recorded on the issue".into());
        }
        if let (true, Some(incident)) = (outcome.problems.is_empty(), incident) {
            outcome.done.push(format!("escalated: incident {} opened, prompt replaced", incident.id));
        }
    }
}

/// `function:NAME` of a Lambda ARN, the rest being the same every time.
fn short_arn(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap_or(arn)
}
