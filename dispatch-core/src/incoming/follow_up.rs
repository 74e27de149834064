//! The follow-up of an unanswered self-service prompt: the small event an EventBridge Scheduler
//! schedule hands to `incoming` when a step falls due ([`FollowUp`]; see `schedule.rs`). The
//! schedule is the clock: a follow-up acts when it is delivered. It first reads the issue, and
//! does nothing when the alarm was answered, resolved, closed or escalated. Otherwise:
//! - **remind**: a record on the issue, then one reply in the prompt's thread mentioning the user,
//!   so a duplicate delivery (Scheduler delivers at least once) does not remind twice;
//! - **escalate**: a claim on the issue (of two deliveries racing, the earlier pages), an incident
//!   keyed by the alarm's `requestId` (so a later No cannot page twice), the prompt replaced with
//!   an escalated note, then the escalation note on the issue, which makes any later delivery do
//!   nothing. A retry before the note finds PagerDuty's open incident.

use serde::{Deserialize, Serialize};
use tracing::{Instrument, info, warn};

use super::{AlarmError, Incoming};
use crate::compose;
use crate::deadline::Deadline;
use crate::github::Issue;
use crate::ids::{Repo, RepoOverride, RequestId, ServiceId};
use crate::message::InvalidMessage;
use crate::pagerduty::{IncidentOutcome, NewIncident};
use crate::state::delivery::{self as delivery_record, PromptRef};
use crate::state::{Writers, answer, lifecycle};

/// A follow-up step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    /// Remind the user.
    Remind,
    /// Escalate to PagerDuty.
    Escalate,
}

impl Step {
    /// As written in events, records and schedule names.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Remind => "remind",
            Self::Escalate => "escalate",
        }
    }
}

/// The event a schedule invokes `incoming` with: which step of which alarm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FollowUp {
    /// The step; its key also tells a follow-up from an SNS event.
    #[serde(rename = "dispatchFollowUp")]
    pub step: Step,
    /// `owner/name` of the alarm's issue.
    pub repo: String,
    /// The alarm's issue.
    pub issue: u64,
    /// The alarm's `requestId`.
    pub request_id: String,
    /// The SNS message that delivered the prompt: its delivery record names the prompt.
    pub event_id: String,
    /// The Slack user the prompt asks, when it went to one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// How the user is named (handle, id or address).
    pub name: String,
    /// Minutes after the alarm the step was due.
    pub after_minutes: u32,
    /// `pagerDutyServiceId` of the alarm, for the escalation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The prompt, when the attempt that scheduled the follow-up posted it: the follow-up finds it
    /// even if the delivery record was not written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<PromptRef>,
}

/// What a follow-up did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FollowedUp {
    /// The user was reminded under each prompt.
    Reminded {
        /// Prompts replied under.
        prompts: usize,
    },
    /// An incident was opened (or one was open) and the prompt replaced.
    Escalated {
        /// The incident opened; `None` when one with the alarm's key was already open.
        incident: Option<String>,
    },
    /// Nothing to do, and why.
    Nothing(&'static str),
}

/// The alarm a follow-up acts on, as read when it came due.
#[derive(Clone, Copy)]
struct Due<'a> {
    f: &'a FollowUp,
    repo: &'a Repo,
    issue: &'a Issue,
    request_id: &'a RequestId,
    prompts: &'a [PromptRef],
}

impl Incoming {
    /// Handles one follow-up, inside its `follow_up` span.
    pub async fn handle_follow_up(
        &self,
        follow_up: &FollowUp,
        lambda_request_id: Option<&str>,
        deadline: Deadline,
    ) -> Result<FollowedUp, AlarmError> {
        let span = tracing::info_span!(
            "follow_up",
            lambda_request_id,
            step = follow_up.step.as_str(),
            request_id = %follow_up.request_id,
            repo = %follow_up.repo,
            issue = follow_up.issue,
        );
        let result = self.follow_up(follow_up, deadline).instrument(span.clone()).await;
        span.in_scope(|| match &result {
            Ok(done) => info!(outcome = ?done, "follow-up handled"),
            Err(e) => warn!(error = %e, kind = e.kind(), "follow-up failed"),
        });
        result
    }

    async fn follow_up(&self, f: &FollowUp, deadline: Deadline) -> Result<FollowedUp, AlarmError> {
        let invalid = |path: &str, reason: String| AlarmError::Invalid(InvalidMessage::new(path, reason));
        let repo = RepoOverride::parse(&f.repo).map_err(|r| invalid("repo", r))?.resolve(&self.defaults.repo.owner);
        let request_id = RequestId::parse(&f.request_id).map_err(|r| invalid("requestId", r))?;
        let (issue, comments) = tokio::join!(
            self.github.issue(&repo, f.issue, deadline),
            self.github.comments(&repo, f.issue, None, deadline)
        );
        let (issue, comments) = (issue?, comments?);
        let writers = Writers::of(&issue);
        let now = chrono::Utc::now().timestamp();
        if !issue.is_open() {
            return Ok(FollowedUp::Nothing("the issue is closed"));
        }
        if lifecycle::resolution(&comments, &writers).is_some() {
            return Ok(FollowedUp::Nothing("resolved at the source"));
        }
        if answer::standing_claim(&comments, &writers, &request_id, false, now, None).is_some() {
            return Ok(FollowedUp::Nothing("answered"));
        }
        if !answer::escalations(&comments, &writers, &request_id).is_empty() {
            return Ok(FollowedUp::Nothing("already escalated"));
        }
        let mut prompts = delivery_record::delivered(&f.event_id, &comments, &writers).prompts;
        if let Some(named) = f.prompt.as_ref().filter(|p| !prompts.contains(p)) {
            prompts.push(named.clone());
        }
        let due = Due { f, repo: &repo, issue: &issue, request_id: &request_id, prompts: &prompts };
        match f.step {
            Step::Remind if lifecycle::reminded(&comments, &writers, &request_id) => {
                Ok(FollowedUp::Nothing("already reminded"))
            }
            Step::Remind if prompts.is_empty() => Ok(FollowedUp::Nothing("no prompt recorded to remind under")),
            Step::Remind => self.remind(&due, deadline).await,
            Step::Escalate => self.escalate_unanswered(&due, deadline).await,
        }
    }

    /// Records the reminder, then posts it: a reminder is never sent twice (see [`Self::claim`]).
    /// A record whose reminder could not be posted is withdrawn, so a retry reminds (if the
    /// withdrawal fails too, that reminder is lost, and logged).
    async fn remind(&self, due: &Due<'_>, deadline: Deadline) -> Result<FollowedUp, AlarmError> {
        let Due { f, repo, request_id, prompts, .. } = *due;
        let attempt = RequestId::generate();
        let record = lifecycle::reminder_comment(request_id, &f.name, f.after_minutes, attempt.as_str());
        let Some(mine) = self.claim(Step::Remind, due, &record, attempt.as_str(), deadline).await? else {
            return Ok(FollowedUp::Nothing("already reminded"));
        };
        let user =
            f.user.as_deref().filter(|u| !crate::ids::SlackUserId::parse(u).is_ok_and(|id| id.is_conversation()));
        let reminder = compose::reminder(user, f.after_minutes);
        for prompt in prompts {
            if let Err(e) = self.slack.post_reply(&prompt.channel, &prompt.ts, &reminder, deadline).await {
                self.withdraw(repo, mine, deadline).await;
                return Err(e.into());
            }
        }
        Ok(FollowedUp::Reminded { prompts: prompts.len() })
    }

    /// Writes a step's claim (its `text`, naming `attempt`) and checks that no earlier one
    /// stands: the comment id of this delivery's claim when it goes ahead, `None` when another
    /// delivery's claim came first (this one is withdrawn). A claim whose comment failed may have
    /// landed all the same: it is looked for by its attempt, and then it counts.
    async fn claim(
        &self,
        step: Step,
        due: &Due<'_>,
        text: &str,
        attempt: &str,
        deadline: Deadline,
    ) -> Result<Option<u64>, AlarmError> {
        let Due { repo, issue, request_id, .. } = *due;
        let (mine, writers, comments) = match self.github.comment(repo, issue.number, text, deadline).await {
            Ok(mine) => {
                let writers = Writers::of(issue).and(mine.author());
                (mine.id, writers, self.github.comments(repo, issue.number, None, deadline).await?)
            }
            Err(e) => {
                let writers = Writers::of(issue);
                let comments = self.github.comments(repo, issue.number, None, deadline).await?;
                let landed = match step {
                    Step::Remind => lifecycle::reminder_of(&comments, &writers, request_id, attempt),
                    Step::Escalate => lifecycle::escalation_claim_of(&comments, &writers, request_id, attempt),
                };
                match landed {
                    Some(mine) => (mine, writers, comments),
                    None => return Err(e.into()),
                }
            }
        };
        let now = chrono::Utc::now().timestamp();
        let earlier = match step {
            Step::Remind => lifecycle::reminded_before(&comments, &writers, request_id, mine),
            Step::Escalate => lifecycle::escalating_before(&comments, &writers, request_id, mine, now),
        };
        if earlier {
            self.withdraw(repo, mine, deadline).await;
            return Ok(None);
        }
        Ok(Some(mine))
    }

    /// Removes a step's claim whose step was not carried out (or lost to an earlier claim).
    async fn withdraw(&self, repo: &Repo, comment: u64, deadline: Deadline) {
        if let Err(e) = self.github.delete_comment(repo, comment, deadline).await {
            warn!(comment, error = %e, "follow-up claim could not be withdrawn");
        }
    }

    /// Opens the incident, replaces the prompts, records the escalation: the incident's id, or
    /// `None` when one with the alarm's key was already open.
    async fn page_unanswered(
        &self,
        due: &Due<'_>,
        incident: &NewIncident,
        deadline: Deadline,
    ) -> Result<Option<String>, AlarmError> {
        let Due { f, repo, issue, request_id, prompts } = *due;
        let opened = self.pagerduty.create_incident(incident, deadline).await?;
        let id = match &opened {
            IncidentOutcome::Created { id, .. } => Some(id.clone()),
            IncidentOutcome::AlreadyOpen => None,
        };
        let note = compose::escalated_note(&issue.title, f.after_minutes, id.as_deref(), &issue.html_url);
        self.replace_prompts(prompts, &note, deadline).await?;
        let record = match &opened {
            IncidentOutcome::Created { id, html_url } => {
                answer::no_answer_note(request_id, Some((id, html_url.as_deref())), f.after_minutes)
            }
            IncidentOutcome::AlreadyOpen => answer::no_answer_note(request_id, None, f.after_minutes),
        };
        self.github.comment(repo, f.issue, &record, deadline).await?;
        Ok(id)
    }

    /// Escalates an alarm nobody answered: claims the escalation (of two deliveries racing, one
    /// pages), then pages; a claim whose escalation failed is withdrawn, so the retry escalates.
    async fn escalate_unanswered(&self, due: &Due<'_>, deadline: Deadline) -> Result<FollowedUp, AlarmError> {
        let Due { f, repo, issue, request_id, .. } = *due;
        let service = f
            .service
            .as_deref()
            .and_then(|s| ServiceId::parse(s).ok())
            .unwrap_or_else(|| self.defaults.pagerduty_service.clone());
        let incident = NewIncident {
            title: format!(
                "dispatch {request_id}: user {} did not respond for self-service issue {repo}/{}",
                f.name, f.issue
            ),
            details: Some(format!("{}\n\n {}", issue.title, issue.html_url)),
            incident_key: request_id.to_string(),
            service,
        };
        let attempt = RequestId::generate();
        let now = chrono::Utc::now().timestamp();
        let claim = lifecycle::escalation_claim(request_id, f.after_minutes, attempt.as_str(), now);
        let Some(mine) = self.claim(Step::Escalate, due, &claim, attempt.as_str(), deadline).await? else {
            return Ok(FollowedUp::Nothing("another delivery is escalating"));
        };
        let id = match self.page_unanswered(due, &incident, deadline).await {
            Ok(id) => id,
            Err(e) => {
                self.withdraw(repo, mine, deadline).await;
                return Err(e);
            }
        };
        crate::metrics::emit(&crate::metrics::unanswered_escalation(chrono::Utc::now()));
        info!(incident = ?id, outcome = "escalated", "nobody answered: escalated to PagerDuty");
        Ok(FollowedUp::Escalated { incident: id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_follow_up_event_round_trips_and_refuses_an_sns_event() {
        let event = FollowUp {
            step: Step::Escalate,
            repo: "acme/alarms".into(),
            issue: 7,
            request_id: "ss-1".into(),
            event_id: "e-1".into(),
            user: Some("U012".into()),
            name: "alice".into(),
            after_minutes: 60,
            service: None,
            prompt: Some(PromptRef { channel: "D012".into(), ts: "1764583200.000100".into() }),
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["dispatchFollowUp"], "escalate");
        assert_eq!(json["afterMinutes"], 60);
        assert!(json.get("service").is_none());
        assert_eq!(json["prompt"]["ts"], "1764583200.000100");
        assert_eq!(serde_json::from_value::<FollowUp>(json).unwrap(), event);
        let sns = serde_json::json!({ "Records": [] });
        assert!(serde_json::from_value::<FollowUp>(sns).is_err());
    }
}
