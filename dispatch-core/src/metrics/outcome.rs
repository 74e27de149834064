//! The outcomes metrics count: of an alarm, a Slack message, an escalation and a click.

use crate::incoming::{IssueAction, Report};
use crate::pagerduty::IncidentOutcome;

/// What became of one SNS record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlarmOutcome {
    /// An issue was created.
    Created,
    /// An earlier attempt's issue was found and its work finished.
    Resumed,
    /// A nag's existing issue was reused.
    Reused,
    /// An existing issue suppressed the alarm.
    Suppressed,
    /// A PagerDuty incident was opened.
    Paged,
    /// A resolve ended its alarm (or was recorded before it).
    Resolved,
    /// The source resolved the alarm before it was published: nothing was sent.
    ResolvedBefore,
    /// PagerDuty already had an open incident for the alarm.
    AlreadyOpen,
    /// The message breaks the spec.
    Rejected,
    /// GitHub, Slack or PagerDuty failed; Lambda retries the event.
    Failed,
}

impl AlarmOutcome {
    /// Every outcome.
    pub const ALL: [Self; 10] = [
        Self::Created,
        Self::Resumed,
        Self::Reused,
        Self::Suppressed,
        Self::Paged,
        Self::Resolved,
        Self::ResolvedBefore,
        Self::AlreadyOpen,
        Self::Rejected,
        Self::Failed,
    ];

    /// The dimension value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Resumed => "resumed",
            Self::Reused => "reused",
            Self::Suppressed => "suppressed",
            Self::Paged => "paged",
            Self::Resolved => "resolved",
            Self::ResolvedBefore => "resolved_before",
            Self::AlreadyOpen => "already_open",
            Self::Rejected => "rejected",
            Self::Failed => "failed",
        }
    }

    /// The outcome of a handled alarm: a suppressed alarm did nothing else; a page, when there is
    /// one, says more than the issue. An Events API alert is `paged`: PagerDuty deduplicates it
    /// without saying so.
    pub fn of(report: &Report) -> Self {
        if report.resolution.is_some() {
            return Self::Resolved;
        }
        let issue = report.issue.as_ref().map(|i| i.action);
        match (issue, &report.incident) {
            (Some(IssueAction::Suppressed), _) => Self::Suppressed,
            (Some(IssueAction::ResolvedBefore), _) => Self::ResolvedBefore,
            (_, Some(incident)) => match incident.outcome {
                IncidentOutcome::Created { .. } => Self::Paged,
                IncidentOutcome::AlreadyOpen => Self::AlreadyOpen,
            },
            _ if report.event.is_some() => Self::Paged,
            (Some(IssueAction::Created), None) => Self::Created,
            (Some(IssueAction::Resumed), None) => Self::Resumed,
            (Some(IssueAction::Reused), None) => Self::Reused,
            // Every plan has an issue or a page; one with neither had nothing left to do.
            (None, None) => Self::Created,
        }
    }
}

/// What became of one Slack message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlackOutcome {
    /// Posted.
    Delivered,
    /// Not posted.
    Failed,
}

impl SlackOutcome {
    /// The dimension value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }
}

/// Why an alarm was escalated to PagerDuty after its prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// The user answered No.
    No,
    /// Nobody answered in time: escalated by the follow-up.
    NoAnswer,
}

impl Cause {
    /// The dimension value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::No => "no",
            Self::NoAnswer => "no_answer",
        }
    }
}

/// What a click did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerOutcome {
    /// Yes: the issue was closed.
    Acknowledged,
    /// No: an incident was opened.
    Escalated,
    /// No: PagerDuty already had the alarm's incident open.
    AlreadyEscalated,
    /// An earlier answer stands; nothing was done.
    AlreadyAnswered,
    /// The source resolved the alarm; nothing was done.
    AlreadyResolved,
    /// The clicker may not answer this alarm.
    Refused,
    /// GitHub or PagerDuty failed; the user may click again.
    Failed,
}

impl AnswerOutcome {
    /// The dimension value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Acknowledged => "acknowledged",
            Self::Escalated => "escalated",
            Self::AlreadyEscalated => "already_escalated",
            Self::AlreadyAnswered => "already_answered",
            Self::AlreadyResolved => "already_resolved",
            Self::Refused => "refused",
            Self::Failed => "failed",
        }
    }

    /// Whether the click is the alarm's answer (it acted), so its time counts.
    pub const fn answered(self) -> bool {
        matches!(self, Self::Acknowledged | Self::Escalated | Self::AlreadyEscalated)
    }
}
