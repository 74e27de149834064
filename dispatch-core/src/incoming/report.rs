//! What handling one message did ([`Report`], assembled from each step's outcome) and why it
//! failed ([`AlarmError`], [`InvocationError`], each with the kind the failure queue shows).

use crate::github::{GitHubError, Issue};
use crate::ids::Repo;
use crate::message::InvalidMessage;
use crate::pagerduty::{Enqueued, Event, IncidentOutcome, NewIncident, PagerDutyError};
use crate::routing::{Plan, SlackDelivery};
use crate::slack::{SlackError, SlackMessage};

/// What happened to the issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueAction {
    /// Created for this alarm.
    Created,
    /// Created by an earlier attempt of the same event: the work was resumed.
    Resumed,
    /// A nag's existing issue, reused.
    Reused,
    /// An existing issue means the alarm is already handled: nothing else was done.
    Suppressed,
    /// The source resolved the alarm before it was published (a resolve that arrived first is
    /// recorded on GitHub): the issue was closed and nothing sent.
    ResolvedBefore,
}

/// The issue of an alarm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueReport {
    /// Repository.
    pub repo: Repo,
    /// The issue as GitHub returned it.
    pub issue: Issue,
    /// What was done.
    pub action: IssueAction,
}

/// What became of one planned Slack message.
#[derive(Debug, Clone, PartialEq)]
pub enum SlackResult {
    /// Posted now.
    Sent(SlackMessage),
    /// Posted by an earlier attempt of the same event.
    AlreadySent,
    /// Not to be posted: the notice for a user addressed by email who was found.
    NotNeeded,
    /// Could not be posted.
    Failed(SlackError),
}

/// One planned Slack message and its result.
#[derive(Debug, Clone, PartialEq)]
pub struct SlackReport {
    /// The plan's entry, as delivered: a user addressed by email resolved to where the lookup sent
    /// the message (see [`SlackDelivery::resolve`]); as planned when it was not looked up (already
    /// sent) or the lookup failed.
    pub delivery: SlackDelivery,
    /// What happened.
    pub result: SlackResult,
}

/// The incident of an alarm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentReport {
    /// What was sent.
    pub incident: NewIncident,
    /// What PagerDuty did.
    pub outcome: IncidentOutcome,
}

/// The alert of an alarm sent to PagerDuty's Events API v2.
#[derive(Debug, Clone, PartialEq)]
pub struct EventReport {
    /// What was sent (without the routing key).
    pub event: Event,
    /// PagerDuty's answer.
    pub enqueued: Enqueued,
}

/// Everything one message caused.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The SNS `MessageId`.
    pub event_id: String,
    /// The plan that was carried out.
    pub plan: Plan,
    /// The issue, if the type has one.
    pub issue: Option<IssueReport>,
    /// The Slack messages.
    pub slack: Vec<SlackReport>,
    /// The incident, if the type pages and it went to the REST API.
    pub incident: Option<IncidentReport>,
    /// The alert, if the type pages and it went to the Events API v2 (a routing key is configured).
    pub event: Option<EventReport>,
    /// What a resolve did (`"status": "resolved"`); `None` for a firing alarm.
    pub resolution: Option<super::Resolution>,
    /// The follow-ups scheduled for an unanswered prompt, now or by an earlier attempt.
    pub scheduled: Vec<String>,
}

/// Why one message was not fully handled.
#[derive(Debug, thiserror::Error)]
pub enum AlarmError {
    /// The message breaks the spec: a permanent failure.
    #[error("message rejected: {0}")]
    Invalid(InvalidMessage),
    /// GitHub failed.
    #[error(transparent)]
    GitHub(#[from] GitHubError),
    /// PagerDuty failed.
    #[error(transparent)]
    PagerDuty(#[from] PagerDutyError),
    /// Slack failed to update or follow up a prompt.
    #[error(transparent)]
    Slack(#[from] SlackError),
    /// Some Slack messages were not delivered (the others were, and are recorded).
    #[error("{} of {} Slack messages not delivered ({})", failed.len(), report.slack.len(), failed.join(", "))]
    Undelivered {
        /// `recipient: code` of each failure.
        failed: Vec<String>,
        /// What was done.
        report: Box<Report>,
    },
}

impl AlarmError {
    /// Whether retrying the event cannot help (the message itself is wrong).
    pub fn is_permanent(&self) -> bool {
        matches!(self, Self::Invalid(_))
    }
}

/// The invocation failed for at least one record; Lambda will retry the event.
#[derive(Debug, thiserror::Error)]
#[error("{} of {total} records failed: {}", failures.len(), failures.iter().map(|(id, e)| format!("{id}: {e}")).collect::<Vec<_>>().join("; "))]
pub struct InvocationError {
    /// Records in the event.
    pub total: usize,
    /// Each failed record's event id and error.
    pub failures: Vec<(String, AlarmError)>,
}

impl AlarmError {
    /// What happened, in one word, for the failure queue's `errorType` (an operator reads it
    /// there, next to the event): `InvalidMessage` (fix the message, then replay), `Undelivered`
    /// (Slack refused or could not take a message), `Transient` (a service was unavailable or rate
    /// limited past the invocation's time: a replay finishes the job), `Refused` (GitHub or
    /// PagerDuty refused the request: credentials, permissions or a setting to fix).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "InvalidMessage",
            Self::Undelivered { .. } => "Undelivered",
            Self::GitHub(e) if e.is_retryable() => "Transient",
            Self::PagerDuty(e) if e.is_retryable() => "Transient",
            Self::Slack(e) if e.is_retryable() => "Transient",
            Self::GitHub(_) | Self::PagerDuty(_) | Self::Slack(_) => "Refused",
        }
    }
}

impl InvocationError {
    /// The kind of the first failed record ([`AlarmError::kind`]): SNS delivers one record per
    /// invocation in practice.
    pub fn kind(&self) -> &'static str {
        self.failures.first().map_or("Transient", |(_, e)| e.kind())
    }
}
