//! The resolve step: a message with `"status": "resolved"` ends its alarm, named the way dedup
//! names it (the same title in the same repository; for alarms without an issue, the same
//! incident key). Every effect is recorded on the issue and safe to repeat, so a retry finishes
//! what an attempt left:
//! - the open issue Dispatch wrote gets the resolution comment, then is closed as completed (an
//!   issue already closed otherwise, by a Yes for example, is left alone);
//! - every prompt of the alarm still showing buttons is replaced ([`compose::resolved_note`]);
//! - every incident opened for it (a No, a no-answer escalation) is resolved.
//!
//! SNS does not keep order: a resolve that finds no issue of its alarm records itself as an issue
//! created closed, with its publication time in the marker ([`event::resolved_early_body`]); the
//! issue step then holds back a trigger published no later than it. Alarms without an issue
//! (high-priority, the fallback) resolve their incident by key, and a page is never held back on
//! GitHub's word: a resolve that finds no incident for its key resolves nothing.

use tracing::{info, warn};

use super::{AlarmError, Envelope, Incoming};
use crate::compose;
use crate::deadline::Deadline;
use crate::github::{Comment, Counted, GitHubError, Issue, NewIssue, OwnIssue, Twin};
use crate::ids::RequestId;
use crate::pagerduty::{PagerDutyError, ResolveOutcome};
use crate::routing::{IncidentPlan, IssuePlan, Plan};
use crate::slack::SlackError;
use crate::state::delivery::{self as delivery_record, PromptRef};
use crate::state::{Writers, answer, event, lifecycle};

/// What a resolve did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// The alarm's issue was closed (or had been by an earlier attempt of this resolve), its
    /// prompts updated and its incidents resolved.
    Closed {
        /// The issue.
        issue: u64,
        /// Prompts replaced with the resolved note.
        prompts_updated: usize,
        /// Incidents resolved (PagerDuty ids).
        incidents_resolved: Vec<String>,
    },
    /// The alarm's newest issue was already closed, not by a resolve: left alone.
    LeftAlone {
        /// The issue.
        issue: u64,
    },
    /// No issue of the alarm was open: the resolve is recorded as an issue created closed, and
    /// holds back a trigger published no later than it.
    RecordedEarly {
        /// The record.
        issue: u64,
    },
    /// An alarm without an issue: its incidents were resolved by key (through the Events API, an
    /// alert resolved by its dedup key).
    Incidents {
        /// The incident key.
        key: String,
        /// Incidents resolved (PagerDuty ids; empty when none was open, or through the Events API).
        resolved: Vec<String>,
    },
}

/// Which issue a resolve acts on, among those with its alarm's title: only issues Dispatch opened
/// (written by `dispatch`, their body ending with its marker) are alarms; the newest open one,
/// else the newest.
fn target<'a>(same_title: &'a [Issue], dispatch: &Writers) -> Option<&'a Issue> {
    let alarms = || {
        same_title
            .iter()
            .filter(|i| dispatch.wrote(i.author()) && i.body.as_deref().and_then(event::created_by).is_some())
    };
    alarms().filter(|i| i.is_open()).max_by_key(|i| i.number).or_else(|| alarms().max_by_key(|i| i.number))
}

impl Incoming {
    /// Ends the alarm the plan names.
    pub(super) async fn resolve(
        &self,
        plan: &Plan,
        envelope: Envelope<'_>,
        deadline: Deadline,
    ) -> Result<Resolution, AlarmError> {
        match (&plan.issue, &plan.incident) {
            (Some(issue), _) => self.resolve_issue(issue, &plan.request_id, envelope, deadline).await,
            (None, Some(incident)) => Ok(self.resolve_by_key(incident, deadline).await?),
            (None, None) => unreachable!("every plan has an issue or an incident"),
        }
    }

    async fn resolve_issue(
        &self,
        plan: &IssuePlan,
        request_id: &RequestId,
        envelope: Envelope<'_>,
        deadline: Deadline,
    ) -> Result<Resolution, AlarmError> {
        let own = event::own_prefix(envelope.event_id);
        let own_issue = OwnIssue { marker: &own, maybe_closed: true };
        let lookup = self
            .github
            .find_duplicate(&plan.repo, &plan.title, Counted::OpenAndClosed, Some(own_issue), deadline)
            .await?;
        if let Some(record) = lookup.found.as_ref().filter(|_| lookup.ours) {
            // An earlier attempt of this resolve recorded it; it may not have closed it, and GitHub
            // may have applied a failed create of it late: every one of them is closed.
            for open in std::iter::once(record).chain(&lookup.also_ours).filter(|i| i.is_open()) {
                self.github.close_issue(&plan.repo, open.number, deadline).await?;
            }
            return Ok(Resolution::RecordedEarly { issue: record.number });
        }
        // Dispatch's own account tells its issues and comments from copies by anyone else.
        let login = self.github.own_login(deadline).await?;
        let writers = Writers::default().and(Some(&login));
        let Some(issue) = target(&lookup.same_title, &writers).cloned() else {
            return Ok(self.record_early(plan, request_id, lookup.newest, envelope, deadline).await?);
        };
        let comments = self.github.comments(&plan.repo, issue.number, None, deadline).await?;
        let resolution = lifecycle::resolution(&comments, &writers);
        let ours = resolution.as_ref().is_some_and(|r| r.event == crate::state::clean(envelope.event_id));
        if !issue.is_open() && !ours {
            if resolution.is_some() {
                // Resolved before by another resolve: this one is for a firing still to arrive.
                return Ok(self.record_early(plan, request_id, lookup.newest, envelope, deadline).await?);
            }
            info!(issue = issue.number, outcome = "left alone", "the alarm's issue is already closed; left alone");
            return Ok(Resolution::LeftAlone { issue: issue.number });
        }
        self.end_alarm(plan, &issue, &comments, &writers, ours, envelope, deadline).await
    }

    /// Records the resolution, closes the issue, replaces the prompts, resolves the incidents.
    #[allow(clippy::too_many_arguments)]
    async fn end_alarm(
        &self,
        plan: &IssuePlan,
        issue: &Issue,
        comments: &[Comment],
        writers: &Writers,
        recorded: bool,
        envelope: Envelope<'_>,
        deadline: Deadline,
    ) -> Result<Resolution, AlarmError> {
        let alarm = issue
            .body
            .as_deref()
            .and_then(event::request_of)
            .and_then(|id| RequestId::parse(id).ok())
            .unwrap_or_else(|| RequestId::derive(envelope.event_id));
        let answered =
            answer::standing_claim(comments, writers, &alarm, !issue.is_open(), chrono::Utc::now().timestamp(), None)
                .is_some();
        let escalations = answer::escalations(comments, writers, &alarm);
        // A prompt answered, or replaced by an escalation, shows no buttons any more.
        let prompts: Vec<PromptRef> = if answered || escalations.iter().any(|e| e.no_answer) {
            Vec::new()
        } else {
            delivery_record::prompts(comments, writers)
        };
        let at = envelope.published_ms_or_now();
        if !recorded {
            let effects = effects_sentence(prompts.len(), escalations.len());
            let published = envelope.published.unwrap_or("an unknown time");
            let text = lifecycle::resolved_comment(envelope.event_id, &alarm, published, at, &effects);
            self.github.comment(&plan.repo, issue.number, &text, deadline).await?;
        }
        if issue.is_open() {
            // The body's marker gains the resolution, for the dedup lookup of a late trigger.
            match issue.body.as_deref().and_then(|b| event::with_resolution(b, at)) {
                Some(body) => self.github.close_with_body(&plan.repo, issue.number, &body, deadline).await?,
                None => self.github.close_issue(&plan.repo, issue.number, deadline).await?,
            };
        }
        info!(issue = issue.number, outcome = "resolved", "alarm resolved at the source; issue closed");
        let note = compose::resolved_note(&issue.title, &issue.html_url);
        let prompts_updated = self.replace_prompts(&prompts, &note, deadline).await?;
        // The incidents the notes name, and, for a note that found one already open, those open
        // under the alarm's key (asked once), each resolved once.
        let mut ids: Vec<String> = escalations.iter().filter_map(|e| e.incident.clone()).collect();
        if escalations.iter().any(|e| e.incident.is_none()) {
            ids.extend(self.pagerduty.open_incidents(alarm.as_str(), deadline).await?.into_iter().map(|i| i.id));
        }
        ids.sort_unstable();
        ids.dedup();
        let mut incidents_resolved = Vec::new();
        for id in ids {
            if self.resolve_incident(&id, deadline).await? {
                incidents_resolved.push(id);
            }
        }
        Ok(Resolution::Closed { issue: issue.number, prompts_updated, incidents_resolved })
    }

    /// Replaces each prompt with `note` (no buttons). A prompt Slack no longer has, or will not
    /// let Dispatch edit, is skipped with a warning: nobody can answer it either. Returns how many
    /// were replaced; a failure worth retrying fails the step.
    pub(super) async fn replace_prompts(
        &self,
        prompts: &[PromptRef],
        note: &crate::slack::SlackMessage,
        deadline: Deadline,
    ) -> Result<usize, AlarmError> {
        let mut replaced = 0;
        for prompt in prompts {
            match self.slack.update_message(&prompt.channel, &prompt.ts, note, deadline).await {
                Ok(()) => replaced += 1,
                Err(e @ SlackError::Api(_)) if !e.is_retryable() => {
                    warn!(channel = %prompt.channel, ts = %prompt.ts, code = e.code(), "prompt not replaced; Slack refused the update");
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(replaced)
    }

    /// Resolves one incident: `true` when it was open and is now resolved.
    async fn resolve_incident(&self, id: &str, deadline: Deadline) -> Result<bool, PagerDutyError> {
        let outcome = self.pagerduty.resolve_incident(id, deadline).await?;
        info!(incident = id, outcome = ?outcome, "PagerDuty incident resolved at the source");
        Ok(outcome == ResolveOutcome::Resolved)
    }

    /// No issue of the alarm is open: records the resolve as an issue created closed.
    async fn record_early(
        &self,
        plan: &IssuePlan,
        request_id: &RequestId,
        newest: Option<u64>,
        envelope: Envelope<'_>,
        deadline: Deadline,
    ) -> Result<Resolution, GitHubError> {
        let at = envelope.published_ms_or_now();
        let text = format!(
            "Resolved at the source at {} (SNS message `{}`) before any open alarm with this title was \
             found. Dispatch keeps this closed issue as the record: the alarm, if it arrives and was \
             published no later than this resolve, sends nothing.",
            envelope.published.unwrap_or("an unknown time"),
            crate::state::clean(envelope.event_id)
        );
        let new = NewIssue {
            title: plan.title.clone(),
            body: event::resolved_early_body(&text, envelope.event_id, request_id, at),
            labels: plan.labels.clone(),
        };
        let created = self.github.create_issue(&plan.repo, &new, deadline).await?;
        // Others created since the lookup: maybe this resolve's own earlier create, which GitHub
        // applied late. The earliest record is kept; a later one steps aside as its duplicate.
        let mut kept = created.clone();
        if created.number > newest.unwrap_or(0) + 1 {
            let own = event::own_prefix(envelope.event_id);
            let twin = self
                .github
                .earlier_twin(&plan.repo, &plan.title, Counted::OpenAndClosed, Some(&own), created.number, deadline)
                .await?;
            if let Some(Twin::Ours(earliest)) = twin {
                let note =
                    format!("Duplicate of #{}: GitHub applied a failed create of this record late.", earliest.number);
                self.github.comment(&plan.repo, created.number, &note, deadline).await?;
                self.github.close_issue_as(&plan.repo, created.number, "not_planned", deadline).await?;
                kept = earliest;
            }
        }
        if kept.is_open() {
            self.github.close_issue(&plan.repo, kept.number, deadline).await?;
        }
        let created = kept;
        info!(
            issue = created.number,
            outcome = "recorded early",
            "resolve arrived before its alarm; recorded as a closed issue"
        );
        Ok(Resolution::RecordedEarly { issue: created.number })
    }

    /// An alarm without an issue: resolves its incidents by key.
    async fn resolve_by_key(&self, incident: &IncidentPlan, deadline: Deadline) -> Result<Resolution, PagerDutyError> {
        let key = incident.incident_key.clone();
        if let Some(events) = &self.pagerduty_events {
            events.resolve(key.clone(), deadline).await?;
            info!(api = "events", dedup_key = %key, outcome = "alert resolved", "PagerDuty alert resolved at the source");
            return Ok(Resolution::Incidents { key, resolved: Vec::new() });
        }
        let mut resolved = Vec::new();
        for open in self.pagerduty.open_incidents(&key, deadline).await? {
            if self.resolve_incident(&open.id, deadline).await? {
                resolved.push(open.id);
            }
        }
        if resolved.is_empty() {
            info!(outcome = "nothing to resolve", "no open PagerDuty incident with this key");
        }
        Ok(Resolution::Incidents { key, resolved })
    }
}

/// What a resolution comment says will be done.
fn effects_sentence(prompts: usize, incidents: usize) -> String {
    let mut text = "Closing this issue".to_owned();
    if prompts > 0 {
        text.push_str(&format!("; replacing {prompts} Slack prompt{} with a resolved note", plural(prompts)));
    }
    if incidents > 0 {
        text.push_str(&format!("; resolving the PagerDuty incident{} of this alarm", plural(incidents)));
    }
    text.push('.');
    text
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issue(number: u64, state: &str, body: &str) -> Issue {
        Issue::sample(number, "t", state, body)
    }

    #[test]
    fn a_resolve_acts_on_the_newest_open_alarm_else_the_newest_and_never_on_other_issues() {
        let id = RequestId::parse("r").unwrap();
        let ours = |n| event::body_with_marker("b", &format!("e{n}"), &id);
        let by = |mut issue: Issue, login: &str| {
            issue.user = Some(crate::github::Account { login: login.into() });
            issue
        };
        let dispatch = Writers::default().and(Some("dispatch-bot"));
        let issues = [
            by(issue(10, "open", &ours(10)), "mallory"),
            by(issue(9, "open", "a person's issue"), "dispatch-bot"),
            by(issue(8, "closed", &ours(8)), "dispatch-bot"),
            by(issue(5, "open", &ours(5)), "dispatch-bot"),
        ];
        assert_eq!(target(&issues, &dispatch).map(|i| i.number), Some(5), "not a copied marker, not a person's text");
        assert_eq!(target(&issues[..3], &dispatch).map(|i| i.number), Some(8));
        assert_eq!(target(&issues[..2], &dispatch), None);
    }

    #[test]
    fn the_resolution_comment_says_what_will_be_done() {
        assert_eq!(effects_sentence(0, 0), "Closing this issue.");
        assert_eq!(
            effects_sentence(1, 2),
            "Closing this issue; replacing 1 Slack prompt with a resolved note; resolving the PagerDuty incidents of this alarm."
        );
    }
}
