//! The `incoming` handler (DESIGN.md §1-5): one SNS record → parse → plan → issue, Slack delivery
//! and incident, with the retry semantics of §5: a retried event finishes what its first attempt
//! left, a new alarm with the same title is suppressed by the dedup rule, and anything not
//! delivered fails the invocation so Lambda retries it and finally parks it in the failure queue.
//!
//! Each step lives in a file of its own and returns its outcome: `issue.rs` the audit issue,
//! `delivery.rs` the Slack messages (with `lookup.rs` for users known by email), `incident.rs`
//! the page; [`Incoming::handle`] assembles the [`Report`]. Each alarm is handled inside one `alarm` span carrying its ids, so
//! log lines add only what is new.

mod delivery;
mod envelope;
mod follow_up;
mod incident;
mod invocation;
mod issue;
mod lookup;
mod report;
mod resolve;
mod schedule;
#[cfg(test)]
mod tests;

pub use envelope::{Envelope, RETRY_AGE};
pub use follow_up::{FollowUp, FollowedUp, Step};
pub use invocation::{Failure, Invocation};
pub use report::{
    AlarmError, EventReport, IncidentReport, InvocationError, IssueAction, IssueReport, Report, SlackReport,
    SlackResult,
};
pub use resolve::Resolution;

use aws_lambda_events::sns::SnsEvent;
use tracing::field::{Empty, display};
use tracing::{Instrument, error, info, warn};

use crate::clients::{Clients, SetupError};
use crate::config::IncomingConfig;
use crate::deadline::{Deadline, RetryPolicy};
use crate::github::GitHub;
use crate::message::parse_event;
use crate::message::{FollowUpTimes, Status};
use crate::pagerduty::{PagerDuty, PagerDutyEvents};
use crate::routing::{RoutingDefaults, plan};
use crate::scheduler::Scheduler;
use crate::slack::Slack;
use delivery::{Delivered, NotDelivered};
use incident::Paged;

/// Slack conversations posted to at the same time (messages to one conversation stay in order).
pub const SLACK_CONCURRENCY: usize = 16;

/// Addresses looked up at the same time (`users.lookupByEmail` allows about 50 a minute).
pub const LOOKUP_CONCURRENCY: usize = 4;

/// Time kept back from Slack's deliveries for the comment that records them.
pub const RECORD_RESERVE: std::time::Duration = std::time::Duration::from_secs(3);

/// The clients and defaults the handler works with. Built once per process.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// GitHub.
    pub github: GitHub,
    /// Slack.
    pub slack: Slack,
    /// PagerDuty.
    pub pagerduty: PagerDuty,
    /// PagerDuty's Events API v2, when a routing key is configured: high-priority and fallback
    /// alarms go there instead of [`Self::pagerduty`].
    pub pagerduty_events: Option<PagerDutyEvents>,
    /// Routing defaults.
    pub defaults: RoutingDefaults,
    /// `SelfServiceRemindAfter` and `SelfServiceEscalateAfter`, in minutes (0: never).
    pub follow_up_settings: FollowUpTimes,
    /// EventBridge Scheduler, when configured: the clock of follow-ups.
    pub scheduler: Option<Scheduler>,
    /// This function's ARN, which follow-up schedules invoke: known from the first invocation.
    function_arn: std::sync::OnceLock<String>,
}

impl Incoming {
    /// Builds every client from the configuration.
    pub fn from_config(config: &IncomingConfig, policy: RetryPolicy) -> Result<Self, SetupError> {
        let Clients { github, slack, pagerduty, pagerduty_events } = Clients::from_config(config, policy)?;
        let follow_up = &config.follow_up;
        let follow_up_settings = FollowUpTimes {
            remind_after_minutes: Some(follow_up.remind_after_minutes),
            escalate_after_minutes: Some(follow_up.escalate_after_minutes),
        };
        let scheduler = follow_up.scheduler.as_ref().map(Scheduler::from_config);
        if follow_up.missing_scheduler() {
            warn!(
                "SchedulerGroupName and SchedulerRoleArn are not set: unanswered prompts are neither reminded nor escalated"
            );
        }
        Ok(Self {
            github,
            slack,
            pagerduty,
            pagerduty_events,
            defaults: config.defaults.clone(),
            follow_up_settings,
            scheduler,
            function_arn: std::sync::OnceLock::new(),
        })
    }

    /// Records this function's ARN (from the Lambda context), which follow-up schedules invoke.
    pub fn set_function_arn(&self, arn: &str) {
        if !arn.is_empty() {
            let _ = self.function_arn.set(arn.to_owned());
        }
    }

    /// Handles an SNS event: every record, each on its own; fails if any failed.
    pub async fn handle_sns(&self, event: &SnsEvent, deadline: Deadline) -> Result<Vec<Report>, InvocationError> {
        self.handle_invocation(event, None, deadline).await
    }

    /// Handles an SNS event as Lambda's invocation `lambda_request_id`, which each record's span
    /// names: every record, each on its own; fails if any failed.
    pub async fn handle_invocation(
        &self,
        event: &SnsEvent,
        lambda_request_id: Option<&str>,
        deadline: Deadline,
    ) -> Result<Vec<Report>, InvocationError> {
        let mut reports = Vec::new();
        let mut failures = Vec::new();
        for record in &event.records {
            let published = record.sns.timestamp.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            let envelope =
                Envelope { event_id: &record.sns.message_id, published: Some(&published), body: &record.sns.message };
            let result =
                self.handle_alarm(envelope, deadline).instrument(alarm_span(envelope, lambda_request_id)).await;
            crate::metrics::emit(&crate::metrics::alarm(&result, envelope.body, chrono::Utc::now()));
            match result {
                Ok(report) => reports.push(report),
                Err(error) => failures.push((record.sns.message_id.clone(), error)),
            }
        }
        if failures.is_empty() { Ok(reports) } else { Err(InvocationError { total: event.records.len(), failures }) }
    }

    /// Handles one message, inside its `alarm` span.
    pub async fn handle(&self, envelope: Envelope<'_>, deadline: Deadline) -> Result<Report, AlarmError> {
        self.handle_alarm(envelope, deadline).instrument(alarm_span(envelope, None)).await
    }

    async fn handle_alarm(&self, envelope: Envelope<'_>, deadline: Deadline) -> Result<Report, AlarmError> {
        let message = parse_event(envelope.body.as_bytes(), envelope.event_id).map_err(|e| {
            error!(path = %e.path, reason = %e.reason, outcome = "rejected", "message rejected");
            AlarmError::Invalid(e)
        })?;
        let plan = plan(&message, &self.defaults);
        let span = tracing::Span::current();
        span.record("request_id", plan.request_id.as_str()).record("type", plan.kind.as_str());
        if let Some(issue) = &plan.issue {
            span.record("repo", display(&issue.repo));
        }
        if let Some(incident) = &plan.incident {
            span.record("service", display(&incident.service));
        }
        info!("alarm received");
        for warning in &message.warnings {
            warn!(path = %warning.path, reason = %warning.reason, "message field not taken as written");
        }
        if plan.status == Status::Resolved {
            let resolution = self.resolve(&plan, envelope, deadline).await?;
            return Ok(Report::of(envelope, plan, Outcomes { resolution: Some(resolution), ..Outcomes::default() }));
        }
        if plan.users_missing {
            error!("message has no users; using the default Slack channel and GitHub user");
        }

        let issue = match &plan.issue {
            Some(issue) => Some(self.open_issue(issue, &plan.request_id, envelope, deadline).await?),
            None => None,
        };
        let mut done = Outcomes { issue: issue.clone(), ..Outcomes::default() };
        if let Some(issue) = &issue {
            if matches!(issue.action, IssueAction::Suppressed | IssueAction::ResolvedBefore) {
                return Ok(Report::of(envelope, plan, done));
            }
            if !plan.slack.is_empty() {
                match self.deliver(&plan, issue, envelope, deadline).await {
                    Ok(Delivered { slack, scheduled }) => (done.slack, done.scheduled) = (slack, scheduled),
                    Err(NotDelivered::GitHub(e)) => return Err(e.into()),
                    Err(NotDelivered::Failed { failed, slack, scheduled }) => {
                        let report = Report::of(envelope, plan, Outcomes { slack, scheduled, ..done });
                        return Err(AlarmError::Undelivered { failed, report: Box::new(report) });
                    }
                    Err(NotDelivered::Schedule { error, slack, scheduled }) => {
                        let failed = vec![format!("follow-up schedule: {error}")];
                        let report = Report::of(envelope, plan, Outcomes { slack, scheduled, ..done });
                        return Err(AlarmError::Undelivered { failed, report: Box::new(report) });
                    }
                }
            }
        }
        if let Some(incident) = &plan.incident {
            done.paged = Some(self.page(incident, deadline).await?);
        }
        Ok(Report::of(envelope, plan, done))
    }
}

/// The span an alarm is handled in: the Lambda invocation's id, when there is one, and the SNS
/// message id; then, once the message is read, its `request_id`, `type`, and the `repo` of its
/// issue or the `service` it pages.
fn alarm_span(envelope: Envelope<'_>, lambda_request_id: Option<&str>) -> tracing::Span {
    tracing::info_span!(
        "alarm",
        lambda_request_id,
        sns_message_id = envelope.event_id,
        request_id = Empty,
        r#type = Empty,
        repo = Empty,
        service = Empty,
    )
}

/// Each step's outcome, as the report gathers them.
#[derive(Debug, Default)]
struct Outcomes {
    issue: Option<IssueReport>,
    slack: Vec<SlackReport>,
    scheduled: Vec<String>,
    paged: Option<Paged>,
    resolution: Option<Resolution>,
}

impl Report {
    /// The report of an alarm, from each step's outcome.
    fn of(envelope: Envelope<'_>, plan: crate::routing::Plan, done: Outcomes) -> Self {
        let (incident, event) = match done.paged {
            Some(Paged::Incident(incident)) => (Some(incident), None),
            Some(Paged::Alert(event)) => (None, Some(event)),
            None => (None, None),
        };
        Self {
            event_id: envelope.event_id.to_owned(),
            plan,
            issue: done.issue,
            slack: done.slack,
            incident,
            event,
            resolution: done.resolution,
            scheduled: done.scheduled,
        }
    }
}
