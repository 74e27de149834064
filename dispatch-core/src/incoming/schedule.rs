//! Scheduling the follow-ups of a self-service prompt: once the prompt is out, one one-time
//! EventBridge Scheduler schedule per step (remind, escalate), each invoking `incoming` itself
//! with a [`FollowUp`] event at the step's time. Scheduler is the clock, not a process of ours.
//! Creating them is a recorded step of delivery: the delivery record names the steps scheduled,
//! a retry creates only the missing ones, and a schedule's name is derived from the event and the
//! step, so one created by an attempt that failed before recording it counts as created
//! (Scheduler answers 409).

use chrono::{DateTime, Duration, Utc};
use tracing::{debug, error, info, warn};

use super::follow_up::{FollowUp, Step};
use super::{Envelope, Incoming, IssueReport};
use crate::deadline::Deadline;
use crate::routing::{Plan, SlackContent, SlackDelivery};
use crate::scheduler::{Created, OneTimeSchedule, SchedulerError, schedule_name};
use crate::state::delivery::PromptRef;

/// The follow-ups one attempt scheduled.
#[derive(Debug, Default)]
pub(super) struct Scheduled {
    /// Steps scheduled now (`remind`, `escalate`).
    pub(super) created: Vec<String>,
    /// The failure that stopped the others, if any.
    pub(super) failed: Option<SchedulerError>,
}

impl Incoming {
    /// Schedules the plan's follow-ups of the prompt `entry` (posted at `prompt`, when this
    /// attempt posted it) not in `before`.
    pub(super) async fn schedule_follow_ups(
        &self,
        plan: &Plan,
        issue: &IssueReport,
        (entry, prompt): (&SlackDelivery, Option<&PromptRef>),
        before: &[String],
        envelope: Envelope<'_>,
        deadline: Deadline,
    ) -> Scheduled {
        let mut scheduled = Scheduled::default();
        let follow_ups = plan.follow_ups(self.follow_up_settings);
        if follow_ups.is_empty() {
            return scheduled;
        }
        let Some(scheduler) = &self.scheduler else {
            // Said once at start: SchedulerGroupName and SchedulerRoleArn are not set.
            debug!("follow-ups are due but EventBridge Scheduler is not configured: none scheduled");
            return scheduled;
        };
        let Some(target) = self.function_arn.get() else {
            warn!("follow-ups are due but this function's ARN is unknown (not invoked by Lambda): none scheduled");
            return scheduled;
        };
        let published = envelope.published_at().unwrap_or_else(Utc::now);
        let steps =
            [(Step::Remind, follow_ups.remind_after_minutes), (Step::Escalate, follow_ups.escalate_after_minutes)];
        for (step, minutes) in steps {
            let Some(minutes) = minutes else { continue };
            if before.iter().any(|s| s == step.as_str()) {
                continue;
            }
            let event = follow_up_event(plan, issue, (entry, prompt), envelope, step, minutes);
            let input = serde_json::to_string(&event).unwrap_or_else(|_| unreachable!("a follow-up always serialises"));
            let at = due(published, minutes);
            let name = schedule_name(step.as_str(), envelope.event_id);
            let schedule = OneTimeSchedule { name: &name, at, target_arn: target, input: &input };
            match scheduler.create_once(&schedule, deadline).await {
                Ok(created) => {
                    let outcome = if created == Created::New { "scheduled" } else { "already scheduled" };
                    info!(step = step.as_str(), at = %at.to_rfc3339(), schedule = %name, outcome, "follow-up scheduled");
                    scheduled.created.push(step.as_str().to_owned());
                }
                Err(e) => {
                    error!(step = step.as_str(), error = %e, retryable = e.is_retryable(), outcome = "not scheduled", "follow-up not scheduled");
                    scheduled.failed = Some(e);
                    break;
                }
            }
        }
        scheduled
    }
}

/// When a step falls due: `minutes` after the alarm was published.
fn due(published: DateTime<Utc>, minutes: u32) -> DateTime<Utc> {
    published + Duration::minutes(i64::from(minutes))
}

/// The event Scheduler hands to `incoming` for one step of the prompt `entry` (posted at
/// `prompt`, when known).
fn follow_up_event(
    plan: &Plan,
    issue: &IssueReport,
    (entry, prompt): (&SlackDelivery, Option<&PromptRef>),
    envelope: Envelope<'_>,
    step: Step,
    minutes: u32,
) -> FollowUp {
    let user = match &entry.content {
        SlackContent::Prompt { intended_user, .. } => Some(intended_user.to_string()),
        _ => None,
    };
    FollowUp {
        step,
        repo: issue.repo.to_string(),
        issue: issue.issue.number,
        request_id: plan.request_id.to_string(),
        event_id: envelope.event_id.to_owned(),
        user,
        name: entry.recipient.clone(),
        after_minutes: minutes,
        service: plan.escalation_service.as_ref().map(ToString::to_string),
        prompt: prompt.cloned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_falls_due_its_minutes_after_the_alarm_was_published() {
        let published = DateTime::parse_from_rfc3339("2026-12-01T10:00:00.250Z").unwrap().to_utc();
        assert_eq!(due(published, 30).to_rfc3339(), "2026-12-01T10:30:00.250+00:00");
    }
}
