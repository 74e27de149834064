//! Acting on a verified click (DESIGN.md §4): check who clicked, claim the answer on the issue so
//! that of two racing clicks exactly one acts, then close the issue (Yes) or page (No).

use chrono::{DateTime, Utc};
use tracing::{error, info, warn};

use super::Triage;
use super::payload::{AlarmRef, Answer, Click};
use super::reply::{Answered, ClickError};
use crate::compose::Outcome;
use crate::deadline::Deadline;
use crate::github::{GitHubError, Issue};
use crate::ids::{Repo, RequestId, ServiceId, SlackUserId};
use crate::pagerduty::{IncidentOutcome, NewIncident};
use crate::state::{Writers, answer, lifecycle};

/// What a click acts on: its button's alarm, with the defaults for Node-era buttons.
#[derive(Debug, Clone)]
pub struct Alarm {
    /// Where its issue is.
    pub repo: Repo,
    /// Its issue.
    pub number: u64,
    /// Dispatch's id for the alarm.
    pub request_id: RequestId,
    /// Who may answer: a Slack user, or anyone in a conversation; `None` for Node-era buttons.
    pub intended: Option<SlackUserId>,
    /// Where a No's incident goes.
    pub service: ServiceId,
    /// The alarm's own text for a Yes.
    pub yes_response: Option<String>,
    /// The alarm's own text for a No.
    pub no_response: Option<String>,
}

/// The deadlines of one click's stages.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Acting: reads, the claim, closing or paging.
    pub work: Deadline,
    /// Recording an action taken, or withdrawing a claim.
    pub record: Deadline,
}

/// Whether this click's answer is the one that counts.
#[derive(Debug)]
enum Claimed {
    /// It is: the id of its comment.
    Won(u64),
    /// Another click's claim stands before it.
    Lost(answer::Claim),
}

impl Triage {
    /// The alarm a click refers to, with the defaults for legacy buttons.
    pub(super) fn alarm(&self, click: &Click) -> Alarm {
        match &click.alarm {
            AlarmRef::Current(c) => Alarm {
                repo: c.repo.clone(),
                number: c.issue,
                request_id: c.request_id.clone(),
                intended: Some(c.user.clone()),
                service: c.service.clone().unwrap_or_else(|| self.service.clone()),
                yes_response: c.yes_response.clone(),
                no_response: c.no_response.clone(),
            },
            AlarmRef::Legacy(l) => Alarm {
                repo: self.repo.clone(),
                number: l.issue,
                request_id: l.request_id.clone(),
                intended: None,
                service: self.service.clone(),
                yes_response: None,
                no_response: None,
            },
        }
    }

    /// Acts on a verified click: what it did, or why it did nothing.
    pub(super) async fn answer(
        &self,
        alarm: &Alarm,
        click: &Click,
        now: DateTime<Utc>,
        budget: Budget,
    ) -> Result<Answered, ClickError> {
        check_answerer(alarm, click)?;
        let (issue, comments) = tokio::join!(
            self.github.issue(&alarm.repo, alarm.number, budget.work),
            self.github.comments(&alarm.repo, alarm.number, None, budget.work)
        );
        let issue = issue.map_err(ClickError::GitHub)?;
        let writers = Writers::of(&issue);
        let closed = !issue.is_open();
        let comments = comments.ok();
        if comments.as_deref().is_some_and(|c| lifecycle::resolution(c, &writers).is_some()) {
            info!(outcome = "already resolved", "click on an alarm resolved at the source ignored");
            return Err(ClickError::AlreadyResolved);
        }
        if let Some(previous) = comments
            .as_deref()
            .and_then(|c| answer::standing_claim(c, &writers, &alarm.request_id, closed, now.timestamp(), None))
        {
            info!(outcome = "already answered", "second click ignored");
            return Err(ClickError::AlreadyAnswered(previous));
        }
        let when = now.format("%Y-%m-%d %H:%M:%S UTC").to_string();
        // Claim the answer before acting, so that of two clicks racing (a double click, two
        // Lambda instances) exactly one acts: the earliest standing claim on the issue wins.
        let claim = match self.claim(alarm, click, &issue, &when, now, budget).await.map_err(ClickError::GitHub)? {
            Claimed::Won(id) => id,
            Claimed::Lost(previous) => {
                info!(outcome = "already answered", "concurrent second click ignored");
                return Err(ClickError::AlreadyAnswered(previous));
            }
        };
        let acted = match click.answer {
            Answer::Yes => self.close(alarm, budget).await,
            Answer::No => self.escalate(alarm, click, &issue, budget).await,
        };
        match acted {
            Ok(outcome) => Ok(Answered { outcome, when, issue_url: issue.html_url }),
            Err(e) => {
                self.withdraw(alarm, claim, budget.record).await;
                Err(e)
            }
        }
    }

    /// Yes: closes the issue.
    async fn close(&self, alarm: &Alarm, budget: Budget) -> Result<Outcome, ClickError> {
        self.github.close_issue(&alarm.repo, alarm.number, budget.work).await.map_err(ClickError::GitHub)?;
        info!(outcome = "acknowledged", "issue closed");
        Ok(Outcome::Acknowledged)
    }

    /// No: opens the incident (DESIGN.md §4.5) and notes it on the issue.
    async fn escalate(
        &self,
        alarm: &Alarm,
        click: &Click,
        issue: &Issue,
        budget: Budget,
    ) -> Result<Outcome, ClickError> {
        let incident = NewIncident {
            title: format!(
                "dispatch {}: user {} responded 'no' for self-service issue {}/{}",
                alarm.request_id, click.user.name, alarm.repo, alarm.number
            ),
            details: Some(format!("{}\n\n {}", issue.title, issue.html_url)),
            incident_key: alarm.request_id.to_string(),
            service: alarm.service.clone(),
        };
        let opened = self.pagerduty.create_incident(&incident, budget.work).await.map_err(ClickError::PagerDuty)?;
        let (note, outcome) = match &opened {
            IncidentOutcome::Created { id, html_url } => {
                (answer::escalation_note(&alarm.request_id, Some((id, html_url.as_deref()))), Outcome::Escalated)
            }
            IncidentOutcome::AlreadyOpen => {
                (answer::escalation_note(&alarm.request_id, None), Outcome::AlreadyEscalated)
            }
        };
        if let Err(e) = self.github.comment(&alarm.repo, alarm.number, &note, budget.record).await {
            error!(error = %e, "incident opened but not recorded on the issue");
        }
        info!(service = %incident.service, outcome = "escalated", "incident opened");
        Ok(outcome)
    }

    /// Records the answer on the issue (who, when, what, and a marker), then checks that no other
    /// click's claim stands before it; a losing claim is withdrawn.
    async fn claim(
        &self,
        alarm: &Alarm,
        click: &Click,
        issue: &Issue,
        when: &str,
        now: DateTime<Utc>,
        budget: Budget,
    ) -> Result<Claimed, GitHubError> {
        let action = match click.answer {
            Answer::Yes => "Closing the issue: the alarm was expected.",
            Answer::No => "Escalating to PagerDuty.",
        };
        let text = answer::claim_comment(
            &click.user.name,
            &click.user.id,
            click.answer.as_str(),
            action,
            when,
            &alarm.request_id,
            now.timestamp(),
        );
        let mine = self.github.comment(&alarm.repo, alarm.number, &text, budget.work).await?;
        let comments = match self.github.comments(&alarm.repo, alarm.number, None, budget.work).await {
            Ok(comments) => comments,
            // Cannot tell whether another click came first: act, as a lone click would.
            Err(e) => {
                warn!(error = %e, "could not check for a concurrent click");
                return Ok(Claimed::Won(mine.id));
            }
        };
        // Dispatch's own identity is the author of the comment it just wrote.
        let writers = Writers::of(issue).and(mine.author());
        let closed = !issue.is_open();
        let first =
            answer::standing_claim(&comments, &writers, &alarm.request_id, closed, now.timestamp(), Some(mine.id));
        match first {
            Some(previous) if previous.comment < mine.id => {
                self.withdraw(alarm, mine.id, budget.record).await;
                Ok(Claimed::Lost(previous))
            }
            _ => Ok(Claimed::Won(mine.id)),
        }
    }

    /// Removes a claim whose action failed or lost, so that the alarm can still be answered. If
    /// this fails too, the claim expires on its own ([`answer::CLAIM_TTL_SECS`]).
    async fn withdraw(&self, alarm: &Alarm, comment: u64, deadline: Deadline) {
        if let Err(e) = self.github.delete_comment(&alarm.repo, comment, deadline).await {
            error!(comment, error = %e, "answer comment could not be withdrawn; it expires in a minute");
        }
    }
}

/// Only the intended user may answer; a prompt posted to a conversation (a channel id in
/// `users[0].slackId`) may be answered by anyone in it, as in the Node version, and the answer
/// records who. Node-era buttons named nobody: anyone who sees them may answer.
fn check_answerer(alarm: &Alarm, click: &Click) -> Result<(), ClickError> {
    let Some(intended) = &alarm.intended else { return Ok(()) };
    if intended.is_conversation() {
        if click.channel.as_deref() == Some(intended.as_str()) {
            return Ok(());
        }
        warn!(channel = ?click.channel, intended = %intended, "click from outside the alarm's conversation refused");
        return Err(ClickError::OutsideConversation { conversation: intended.clone() });
    }
    if intended.as_str() == click.user.id {
        return Ok(());
    }
    warn!(intended = %intended, "click by another user refused");
    Err(ClickError::NotTheIntendedUser { intended: intended.clone() })
}
