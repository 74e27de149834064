//! The `triage` handler (DESIGN.md §4): a verified Slack button click closes the alarm's issue (Yes)
//! or opens a PagerDuty incident (No), records the answer on the issue, and replaces the prompt.

pub mod event;
pub mod payload;
pub mod verify;

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use tracing::{error, info, warn};

use crate::config::{SlackVerification, TriageConfig};
use crate::deadline::{Deadline, RetryPolicy};
use crate::github::{GitHub, GitHubError, Issue};
use crate::ids::{Repo, RequestId, ServiceId, SlackUserId};
use crate::incoming::SetupError;
use crate::metrics::{self, AnswerOutcome};
use crate::pagerduty::{IncidentOutcome, NewIncident, PagerDuty, PagerDutyError};
use crate::slack::Slack;
use crate::slack::blocks::{self, Outcome};
use crate::state::{Writers, answer};
use event::{HttpRequest, HttpResponse, Shape};
use payload::{AlarmRef, Answer, Click};
use verify::Unverified;

/// Slack waits 3 seconds for the HTTP answer; everything a click does fits before it, in three
/// stages measured from the request's arrival. Acting (reading the issue, claiming, closing or
/// paging) ends by [`WORK_BUDGET`].
pub const WORK_BUDGET: Duration = Duration::from_millis(1900);
/// Recording what was done, or withdrawing a claim whose action failed, ends by this.
pub const RECORD_BUDGET: Duration = Duration::from_millis(2400);
/// Replacing the prompt through `response_url` ends by this, leaving time to answer Slack.
pub const RESPOND_BUDGET: Duration = Duration::from_millis(2850);

const DEFAULT_YES: &str = "Thanks! The alarm was marked as expected and its issue closed.";
const DEFAULT_NO: &str = "The alarm was escalated to the on-call team.";

/// The clients and settings `triage` works with. Built once per process.
#[derive(Debug, Clone)]
pub struct Triage {
    /// GitHub.
    pub github: GitHub,
    /// PagerDuty.
    pub pagerduty: PagerDuty,
    /// Slack, for `response_url`.
    pub slack: Slack,
    /// Signing secret or legacy token.
    pub verification: SlackVerification,
    /// Where legacy buttons' issues are.
    pub repo: Repo,
    /// Where legacy buttons' incidents go, and the default for new ones.
    pub service: ServiceId,
}

/// The retry policy for triage: short, to answer Slack in time.
pub fn policy() -> RetryPolicy {
    RetryPolicy { attempts: 2, backoff: Duration::from_millis(100), request_timeout: Duration::from_millis(1500) }
}

impl Triage {
    /// Builds the clients from the configuration.
    pub fn from_config(config: &TriageConfig, policy: RetryPolicy) -> Result<Self, SetupError> {
        let http = crate::http::client(policy.request_timeout).map_err(|e| SetupError::Http(e.to_string()))?;
        if matches!(config.verification, SlackVerification::LegacyToken(_)) {
            warn!(
                "SlackSigningSecret is not set: accepting Slack's legacy verification token. Set the signing secret."
            );
        }
        Ok(Self {
            github: GitHub::new(&config.github.api_url, &config.github.auth, policy)?,
            pagerduty: PagerDuty::new(
                http.clone(),
                &config.pagerduty.api_url,
                config.pagerduty.api_key.clone(),
                config.pagerduty.from.clone(),
                policy,
            ),
            slack: Slack::new(http, &config.slack_api_url, config.slack_bot_token.clone(), policy),
            verification: config.verification.clone(),
            repo: config.github.repo.clone(),
            service: config.pagerduty.service.clone(),
        })
    }

    /// Handles a Lambda event (API Gateway, Function URL or the original's `postBody`).
    pub async fn handle_event(&self, event: &Value, now: DateTime<Utc>) -> Result<Value, String> {
        let request = match event::from_event(event) {
            Ok(request) => request,
            Err(e) => {
                warn!(error = %e, "not an HTTP request");
                return Err(e.to_string());
            }
        };
        let response = self.handle(&request, now).await;
        event::to_event(request.shape, &response)
    }

    /// Handles one HTTP request: 401 unless verified, 400 for a malformed payload, else 200.
    pub async fn handle(&self, request: &HttpRequest, now: DateTime<Utc>) -> HttpResponse {
        let started = tokio::time::Instant::now();
        if let SlackVerification::SigningSecret(secret) = &self.verification {
            if request.shape == Shape::LegacyPostBody {
                return unverified(Unverified::Unverifiable(
                    "a postBody request carries no signature; use a proxy integration",
                ));
            }
            let timestamp = request.header("x-slack-request-timestamp");
            let signature = request.header("x-slack-signature");
            let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
                return unverified(Unverified::MissingHeader(if timestamp.is_none() {
                    "X-Slack-Request-Timestamp"
                } else {
                    "X-Slack-Signature"
                }));
            };
            if let Err(e) = verify::verify_signature(secret, timestamp, &request.body, signature, now.timestamp()) {
                return unverified(e);
            }
        }
        let payload = payload::payload_json(&request.body);
        let click = payload.as_ref().map_err(Clone::clone).and_then(payload::parse_click);
        if let SlackVerification::LegacyToken(token) = &self.verification {
            let given = payload.as_ref().ok().and_then(|p| p.get("token")).and_then(Value::as_str);
            if let Err(e) = verify::verify_token(token, given) {
                return unverified(e);
            }
        }
        let click = match click {
            Ok(click) => click,
            Err(e) => {
                warn!(error = %e, "malformed interaction payload");
                return HttpResponse::new(400, format!("Bad request: {e}"));
            }
        };
        if !self.slack.accepts_response_url(click.response_url.url()) {
            warn!(response_url = ?click.response_url, user = %click.user.id, "click refused: its response_url is not Slack's");
            return HttpResponse::new(400, "Bad request: response_url is not on hooks.slack.com");
        }
        let budget =
            Budget { work: Deadline::at(started + WORK_BUDGET), record: Deadline::at(started + RECORD_BUDGET) };
        let (Ok(reply) | Err(reply)) = self.answer(&click, now, budget).await;
        metrics::emit(&metrics::answer(click.answer, reply.outcome, click.message_ts.as_deref(), now));
        if let Err(e) =
            self.slack.respond(click.response_url.url(), &reply.body, Deadline::at(started + RESPOND_BUDGET)).await
        {
            error!(error = %e, user = %click.user.id, "could not answer through response_url");
        }
        HttpResponse::new(200, "")
    }

    /// Acts on a verified click; returns what to post to its `response_url`: the outcome, or
    /// (as `Err`) why nothing was done.
    async fn answer(&self, click: &Click, now: DateTime<Utc>, budget: Budget) -> Result<Reply, Reply> {
        let alarm = self.alarm(click);
        self.check_answerer(&alarm, click).map_err(|body| Reply { outcome: AnswerOutcome::Refused, body })?;
        let deadline = budget.work;
        let (issue, comments) = tokio::join!(
            self.github.issue(&alarm.repo, alarm.number, deadline),
            self.github.comments(&alarm.repo, alarm.number, None, deadline)
        );
        let issue = issue.map_err(|e| self.failed(&alarm, click.answer, &Failure::GitHub(e)))?;
        let writers = Writers::of(&issue);
        let closed = !issue.is_open();
        if let Some(previous) = comments
            .ok()
            .and_then(|c| answer::standing_claim(&c, &writers, &alarm.request_id, closed, now.timestamp(), None))
        {
            info!(request_id = %alarm.request_id, user = %click.user.id, outcome = "already answered", "second click ignored");
            return Err(already_answered(&alarm, &previous));
        }
        let when = now.format("%Y-%m-%d %H:%M:%S UTC").to_string();
        // Claim the answer before acting, so that of two clicks racing (a double click, two
        // Lambda instances) exactly one acts: the earliest standing claim on the issue wins.
        let claim = match self.claim(&alarm, click, &issue, &when, now, budget).await {
            Ok(Claimed::Won(id)) => id,
            Ok(Claimed::Lost(previous)) => {
                info!(request_id = %alarm.request_id, user = %click.user.id, outcome = "already answered", "concurrent second click ignored");
                return Err(already_answered(&alarm, &previous));
            }
            Err(e) => return Err(self.failed(&alarm, click.answer, &Failure::GitHub(e))),
        };
        match click.answer {
            Answer::Yes => {
                if let Err(e) = self.github.close_issue(&alarm.repo, alarm.number, deadline).await {
                    self.withdraw(&alarm, claim, budget.record).await;
                    return Err(self.failed(&alarm, Answer::Yes, &Failure::GitHub(e)));
                }
                info!(request_id = %alarm.request_id, repo = %alarm.repo, issue = alarm.number, user = %click.user.id, outcome = "acknowledged", "issue closed");
                let response = alarm.yes_response.as_deref().unwrap_or(DEFAULT_YES);
                let body = blocks::answered(Outcome::Acknowledged, response, &click.user.id, &when, &issue.html_url);
                Ok(Reply { outcome: AnswerOutcome::Acknowledged, body })
            }
            Answer::No => {
                let incident = self.incident(&alarm, click, &issue);
                let outcome = match self.pagerduty.create_incident(&incident, deadline).await {
                    Ok(outcome) => outcome,
                    Err(e) => {
                        self.withdraw(&alarm, claim, budget.record).await;
                        return Err(self.failed(&alarm, Answer::No, &Failure::PagerDuty(e)));
                    }
                };
                let (note, shown) = match &outcome {
                    IncidentOutcome::Created { id, html_url } => (
                        answer::escalation_note(&alarm.request_id, Some((id, html_url.as_deref()))),
                        Outcome::Escalated,
                    ),
                    IncidentOutcome::AlreadyOpen => {
                        (answer::escalation_note(&alarm.request_id, None), Outcome::AlreadyEscalated)
                    }
                };
                if let Err(e) = self.github.comment(&alarm.repo, alarm.number, &note, budget.record).await {
                    error!(request_id = %alarm.request_id, issue = alarm.number, error = %e, "incident opened but not recorded on the issue");
                }
                info!(request_id = %alarm.request_id, repo = %alarm.repo, issue = alarm.number, user = %click.user.id, service = %incident.service, outcome = "escalated", "incident opened");
                let response = alarm.no_response.as_deref().unwrap_or(DEFAULT_NO);
                let outcome = if shown == Outcome::Escalated {
                    AnswerOutcome::Escalated
                } else {
                    AnswerOutcome::AlreadyEscalated
                };
                Ok(Reply { outcome, body: blocks::answered(shown, response, &click.user.id, &when, &issue.html_url) })
            }
        }
    }

    /// Only the intended user may answer; a prompt posted to a conversation (a channel id in
    /// `users[0].slackId`) may be answered by anyone in it, as in the Node version, and the
    /// answer records who. Node-era buttons named nobody: anyone who sees them may answer.
    fn check_answerer(&self, alarm: &Alarm, click: &Click) -> Result<(), Value> {
        let Some(intended) = &alarm.intended else { return Ok(()) };
        if intended.is_conversation() {
            if click.channel.as_deref() == Some(intended.as_str()) {
                return Ok(());
            }
            warn!(request_id = %alarm.request_id, user = %click.user.id, channel = ?click.channel, intended = %intended, "click from outside the alarm's conversation refused");
            return Err(blocks::ephemeral(&format!(
                "Only members of <#{}> can answer this alarm (dispatch {}), from the message posted there. Nothing was changed.",
                intended.as_str(),
                alarm.request_id
            )));
        }
        if intended.as_str() == click.user.id {
            return Ok(());
        }
        warn!(request_id = %alarm.request_id, user = %click.user.id, intended = %intended, "click by another user refused");
        Err(blocks::ephemeral(&format!(
            "Only <@{}> can answer this alarm (dispatch {}). Nothing was changed.",
            intended.as_str(),
            alarm.request_id
        )))
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
                warn!(request_id = %alarm.request_id, error = %e, "could not check for a concurrent click");
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
            error!(request_id = %alarm.request_id, issue = alarm.number, comment, error = %e, "answer comment could not be withdrawn; it expires in a minute");
        }
    }

    /// The alarm a click refers to, with the defaults for legacy buttons.
    fn alarm(&self, click: &Click) -> Alarm {
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

    /// The incident of a No (DESIGN.md §4.5).
    fn incident(&self, alarm: &Alarm, click: &Click, issue: &Issue) -> NewIncident {
        NewIncident {
            title: format!(
                "dispatch {}: user {} responded 'no' for self-service issue {}/{}",
                alarm.request_id, click.user.name, alarm.repo, alarm.number
            ),
            details: Some(format!("{}\n\n {}", issue.title, issue.html_url)),
            incident_key: alarm.request_id.to_string(),
            service: alarm.service.clone(),
        }
    }

    /// Logs a failure and returns the plain sentence the user sees (DESIGN.md §4.6): what their
    /// answer failed to do (close the issue, or page), and why.
    fn failed(&self, alarm: &Alarm, answer: Answer, failure: &Failure) -> Reply {
        error!(request_id = %alarm.request_id, repo = %alarm.repo, issue = alarm.number, answer = answer.as_str(), error = %failure, outcome = "failed", "click not acted on");
        let text = match (answer, failure) {
            (Answer::No, Failure::GitHub(e)) => format!(
                "Error: dispatch {} failed to create PagerDuty incident, {}",
                alarm.request_id,
                github_reason(e)
            ),
            (Answer::Yes, Failure::GitHub(e)) => format!(
                "Error: dispatch {} failed to close GitHub issue {}/{}, {}",
                alarm.request_id,
                alarm.repo,
                alarm.number,
                github_reason(e)
            ),
            (_, Failure::PagerDuty(e)) => {
                format!(
                    "Error: dispatch {} failed to create PagerDuty incident, {}",
                    alarm.request_id,
                    pagerduty_reason(e)
                )
            }
        };
        Reply { outcome: AnswerOutcome::Failed, body: blocks::ephemeral(&text) }
    }
}

/// What a click did, and what its `response_url` is sent.
#[derive(Debug)]
struct Reply {
    outcome: AnswerOutcome,
    body: Value,
}

/// Whether this click's answer is the one that counts.
#[derive(Debug)]
enum Claimed {
    /// It is: the id of its comment.
    Won(u64),
    /// Another click's claim stands before it.
    Lost(answer::Claim),
}

/// The deadlines of one click's stages.
#[derive(Debug, Clone, Copy)]
struct Budget {
    /// Acting: reads, the claim, closing or paging.
    work: Deadline,
    /// Recording an action taken, or withdrawing a claim.
    record: Deadline,
}

/// What the user is told when an earlier answer stands.
fn already_answered(alarm: &Alarm, previous: &answer::Claim) -> Reply {
    let body = blocks::ephemeral(&format!(
        "This alarm (dispatch {}) was already answered {} by <@{}>. Nothing was changed.",
        alarm.request_id, previous.answer, previous.user
    ));
    Reply { outcome: AnswerOutcome::AlreadyAnswered, body }
}

/// What a click acts on.
#[derive(Debug, Clone)]
struct Alarm {
    repo: Repo,
    number: u64,
    request_id: RequestId,
    /// Who may answer: a Slack user, or anyone in a conversation; `None` for Node-era buttons.
    intended: Option<SlackUserId>,
    service: ServiceId,
    yes_response: Option<String>,
    no_response: Option<String>,
}

#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error(transparent)]
    GitHub(GitHubError),
    #[error(transparent)]
    PagerDuty(PagerDutyError),
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

fn unverified(reason: Unverified) -> HttpResponse {
    warn!(reason = %reason, outcome = "unverified", "request refused: not verified as Slack's");
    HttpResponse::new(401, "Unauthorized")
}
