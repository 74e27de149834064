//! What a click's `response_url` is sent (DESIGN.md §4.6): the prompt replaced by what the answer
//! did, or, to the clicker alone, a plain sentence saying why nothing was done. One conversion
//! from the answer's result; the log has the details.

use serde_json::Value;

use super::answer::Alarm;
use super::payload::Answer;
use crate::compose::{self, Outcome};
use crate::github::GitHubError;
use crate::ids::SlackUserId;
use crate::metrics::AnswerOutcome;
use crate::pagerduty::PagerDutyError;
use crate::state::answer::Claim;

const DEFAULT_YES: &str = "Thanks! The alarm was marked as expected and its issue closed.";
const DEFAULT_NO: &str = "The alarm was escalated to the on-call team.";

/// What an answer did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answered {
    /// Acknowledged (the issue closed), escalated, or found already escalated.
    pub outcome: Outcome,
    /// When, as the replaced prompt shows it.
    pub when: String,
    /// The issue's page.
    pub issue_url: String,
}

/// Why a click did nothing.
#[derive(Debug, thiserror::Error)]
pub enum ClickError {
    /// The prompt was posted to a conversation, and the click came from elsewhere.
    #[error("clicked outside the alarm's conversation {conversation}")]
    OutsideConversation {
        /// The conversation the prompt was posted to.
        conversation: SlackUserId,
    },
    /// The prompt was sent to someone else.
    #[error("clicked by someone other than {intended}")]
    NotTheIntendedUser {
        /// Who may answer.
        intended: SlackUserId,
    },
    /// An earlier click's answer stands.
    #[error("already answered {} by {}", .0.answer, .0.user)]
    AlreadyAnswered(Claim),
    /// The source resolved the alarm: there is nothing to answer.
    #[error("already resolved at the source")]
    AlreadyResolved,
    /// GitHub failed: reading the issue, claiming the answer, or closing the issue.
    #[error(transparent)]
    GitHub(GitHubError),
    /// PagerDuty failed to open the incident.
    #[error(transparent)]
    PagerDuty(PagerDutyError),
}

impl ClickError {
    /// Whether a service failed (the user may click again), rather than the click being refused.
    pub fn is_failure(&self) -> bool {
        matches!(self, Self::GitHub(_) | Self::PagerDuty(_))
    }

    /// The outcome counted in the metrics.
    pub fn outcome(&self) -> AnswerOutcome {
        match self {
            Self::OutsideConversation { .. } | Self::NotTheIntendedUser { .. } => AnswerOutcome::Refused,
            Self::AlreadyAnswered(_) => AnswerOutcome::AlreadyAnswered,
            Self::AlreadyResolved => AnswerOutcome::AlreadyResolved,
            Self::GitHub(_) | Self::PagerDuty(_) => AnswerOutcome::Failed,
        }
    }

    /// The sentence the clicker sees: what their answer failed to do, and why.
    fn sentence(&self, alarm: &Alarm, answer: Answer) -> String {
        let id = &alarm.request_id;
        match self {
            Self::OutsideConversation { conversation } => format!(
                "Only members of <#{}> can answer this alarm (dispatch {id}), from the message posted there. Nothing was changed.",
                conversation.as_str()
            ),
            Self::NotTheIntendedUser { intended } => {
                format!("Only <@{}> can answer this alarm (dispatch {id}). Nothing was changed.", intended.as_str())
            }
            Self::AlreadyAnswered(previous) => format!(
                "This alarm (dispatch {id}) was already answered {} by <@{}>. Nothing was changed.",
                previous.answer, previous.user
            ),
            Self::AlreadyResolved => format!("Dispatch {id}: {}", compose::ALREADY_RESOLVED),
            Self::GitHub(e) if answer == Answer::Yes => format!(
                "Error: dispatch {id} failed to close GitHub issue {}/{}, {}",
                alarm.repo,
                alarm.number,
                github_reason(e)
            ),
            Self::GitHub(e) => {
                format!("Error: dispatch {id} failed to create PagerDuty incident, {}", github_reason(e))
            }
            Self::PagerDuty(e) => {
                format!("Error: dispatch {id} failed to create PagerDuty incident, {}", pagerduty_reason(e))
            }
        }
    }
}

/// What a click's `response_url` is sent, and the outcome counted.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The outcome counted in the metrics.
    pub outcome: AnswerOutcome,
    /// The message posted to `response_url`.
    pub body: Value,
}

impl Reply {
    /// The reply to `user`'s `answer` on `alarm`, from what the answer did.
    pub fn of(result: &Result<Answered, ClickError>, alarm: &Alarm, answer: Answer, user: &str) -> Self {
        match result {
            Ok(answered) => {
                let (outcome, response, default) = match answered.outcome {
                    Outcome::Acknowledged => (AnswerOutcome::Acknowledged, &alarm.yes_response, DEFAULT_YES),
                    Outcome::Escalated => (AnswerOutcome::Escalated, &alarm.no_response, DEFAULT_NO),
                    Outcome::AlreadyEscalated => (AnswerOutcome::AlreadyEscalated, &alarm.no_response, DEFAULT_NO),
                };
                let response = response.as_deref().unwrap_or(default);
                let body = compose::answered(answered.outcome, response, user, &answered.when, &answered.issue_url);
                Self { outcome, body }
            }
            Err(e) => Self { outcome: e.outcome(), body: compose::ephemeral(&e.sentence(alarm, answer)) },
        }
    }
}

fn github_reason(error: &GitHubError) -> &'static str {
    match error {
        GitHubError::NotFound(_) => "the issue was not found",
        GitHubError::Unauthorized(_) | GitHubError::Setup(_) => "Dispatch's GitHub credentials were refused",
        GitHubError::RateLimited { .. } | GitHubError::Transient(_) => {
            "GitHub is not responding; please click again in a minute"
        }
        GitHubError::Rejected { .. } => "GitHub refused the change",
    }
}

fn pagerduty_reason(error: &PagerDutyError) -> &'static str {
    match error {
        PagerDutyError::RateLimited(_) | PagerDutyError::Transient(_) => {
            "PagerDuty is not responding; please click again in a minute"
        }
        PagerDutyError::Unauthorized { .. } => "Dispatch's PagerDuty credentials were refused",
        PagerDutyError::Rejected { .. } => "PagerDuty refused the incident",
    }
}

#[cfg(test)]
mod tests;
