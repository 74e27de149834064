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
use crate::pagerduty::{IncidentOutcome, NewIncident, PagerDuty, PagerDutyError};
use crate::slack::Slack;
use crate::slack::blocks::{self, Outcome};
use event::{HttpRequest, HttpResponse, Shape};
use payload::{AlarmRef, Answer, Click};
use verify::Unverified;

/// Time for GitHub and PagerDuty, so that Slack hears back within its 3 seconds.
pub const WORK_BUDGET: Duration = Duration::from_millis(2200);
/// Time for replacing the prompt through `response_url`.
pub const RESPOND_BUDGET: Duration = Duration::from_millis(2500);

const DEFAULT_YES: &str = "Thanks! The alarm was marked as expected and its issue closed.";
const DEFAULT_NO: &str = "The alarm was escalated to the on-call team.";
const ANSWER_MARKER: &str = "<!-- dispatch:answer ";

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
        let outcome = self.answer(&click, now, Deadline::at(started + WORK_BUDGET)).await;
        if let Err(e) = self.slack.respond(&click.response_url, &outcome, Deadline::at(started + RESPOND_BUDGET)).await
        {
            error!(error = %e, user = %click.user.id, "could not answer through response_url");
        }
        HttpResponse::new(200, "")
    }

    /// Acts on a verified click; returns what to post to its `response_url`.
    async fn answer(&self, click: &Click, now: DateTime<Utc>, deadline: Deadline) -> Value {
        let alarm = self.alarm(click);
        if let Some(intended) = &alarm.intended_user
            && intended.as_str() != click.user.id
        {
            warn!(request_id = %alarm.request_id, user = %click.user.id, intended = %intended, "click by another user refused");
            return blocks::ephemeral(&format!(
                "Only <@{}> can answer this alarm (dispatch {}). Nothing was changed.",
                intended.as_str(),
                alarm.request_id
            ));
        }
        let (issue, comments) = tokio::join!(
            self.github.issue(&alarm.repo, alarm.number, deadline),
            self.github.comments(&alarm.repo, alarm.number, None, deadline)
        );
        let issue = match issue {
            Ok(issue) => issue,
            Err(e) => return self.failed(&alarm, click.answer, &Failure::GitHub(e)),
        };
        if let Some(previous) =
            comments.ok().into_iter().flatten().find_map(|c| previous_answer(c.body.as_deref()?, &alarm.request_id))
        {
            info!(request_id = %alarm.request_id, user = %click.user.id, outcome = "already answered", "second click ignored");
            return blocks::ephemeral(&format!(
                "This alarm (dispatch {}) was already answered {} by <@{}>. Nothing was changed.",
                alarm.request_id, previous.0, previous.1
            ));
        }
        let when = now.format("%Y-%m-%d %H:%M:%S UTC").to_string();
        // Claim the answer before acting, so that of two clicks racing (a double click, two
        // Lambda instances) exactly one acts: the earliest claim on the issue wins.
        let claim = match self.claim(&alarm, click, &when, deadline).await {
            Ok(Claim::Won(id)) => id,
            Ok(Claim::Lost { answer, user }) => {
                info!(request_id = %alarm.request_id, user = %click.user.id, outcome = "already answered", "concurrent second click ignored");
                return blocks::ephemeral(&format!(
                    "This alarm (dispatch {}) was already answered {answer} by <@{user}>. Nothing was changed.",
                    alarm.request_id
                ));
            }
            Err(e) => return self.failed(&alarm, click.answer, &Failure::GitHub(e)),
        };
        match click.answer {
            Answer::Yes => {
                if let Err(e) = self.github.close_issue(&alarm.repo, alarm.number, deadline).await {
                    self.withdraw(&alarm, claim, deadline).await;
                    return self.failed(&alarm, Answer::Yes, &Failure::GitHub(e));
                }
                info!(request_id = %alarm.request_id, repo = %alarm.repo, issue = alarm.number, user = %click.user.id, outcome = "acknowledged", "issue closed");
                let response = alarm.yes_response.as_deref().unwrap_or(DEFAULT_YES);
                blocks::answered(Outcome::Acknowledged, response, &click.user.id, &when, &issue.html_url)
            }
            Answer::No => {
                let incident = self.incident(&alarm, click, &issue);
                let outcome = match self.pagerduty.create_incident(&incident, deadline).await {
                    Ok(outcome) => outcome,
                    Err(e) => {
                        self.withdraw(&alarm, claim, deadline).await;
                        return self.failed(&alarm, Answer::No, &Failure::PagerDuty(e));
                    }
                };
                let (note, shown) = match &outcome {
                    IncidentOutcome::Created { id, html_url } => (
                        format!(
                            "PagerDuty incident {id} opened{}.",
                            html_url.as_deref().map(|u| format!(": {u}")).unwrap_or_default()
                        ),
                        Outcome::Escalated,
                    ),
                    IncidentOutcome::AlreadyOpen => (
                        "An open PagerDuty incident for this alarm already existed.".to_owned(),
                        Outcome::AlreadyEscalated,
                    ),
                };
                if let Err(e) = self.github.comment(&alarm.repo, alarm.number, &note, grace(deadline)).await {
                    error!(request_id = %alarm.request_id, issue = alarm.number, error = %e, "incident opened but not recorded on the issue");
                }
                info!(request_id = %alarm.request_id, repo = %alarm.repo, issue = alarm.number, user = %click.user.id, service = %incident.service, outcome = "escalated", "incident opened");
                let response = alarm.no_response.as_deref().unwrap_or(DEFAULT_NO);
                blocks::answered(shown, response, &click.user.id, &when, &issue.html_url)
            }
        }
    }

    /// Records the answer on the issue (who, when, what, and a marker), then checks that no other
    /// click claimed this alarm first; a losing claim is withdrawn.
    async fn claim(&self, alarm: &Alarm, click: &Click, when: &str, deadline: Deadline) -> Result<Claim, GitHubError> {
        let action = match click.answer {
            Answer::Yes => "Closing the issue: the alarm was expected.",
            Answer::No => "Escalating to PagerDuty.",
        };
        let text = format!(
            "Slack user **{}** (`{}`) answered **{}** at {when}. {action}\n\n{ANSWER_MARKER}request={} answer={} user={} -->",
            click.user.name.replace(['*', '`', '<', '>', '@', '\\'], ""),
            click.user.id.replace(['`', '<', '>'], ""),
            click.answer.as_str(),
            alarm.request_id,
            click.answer.as_str(),
            click.user.id.chars().filter(char::is_ascii_alphanumeric).collect::<String>(),
        );
        let mine = self.github.comment(&alarm.repo, alarm.number, &text, deadline).await?;
        let comments = match self.github.comments(&alarm.repo, alarm.number, None, deadline).await {
            Ok(comments) => comments,
            // Cannot tell whether another click came first: act, as a lone click would.
            Err(e) => {
                warn!(request_id = %alarm.request_id, error = %e, "could not check for a concurrent click");
                return Ok(Claim::Won(mine.id));
            }
        };
        let first = comments
            .iter()
            .filter_map(|c| previous_answer(c.body.as_deref()?, &alarm.request_id).map(|answer| (c.id, answer)))
            .min_by_key(|(id, _)| *id);
        match first {
            Some((id, (answer, user))) if id < mine.id => {
                self.withdraw(alarm, mine.id, deadline).await;
                Ok(Claim::Lost { answer, user })
            }
            _ => Ok(Claim::Won(mine.id)),
        }
    }

    /// Removes a claim whose action failed or lost, so that the alarm can still be answered.
    async fn withdraw(&self, alarm: &Alarm, comment: u64, deadline: Deadline) {
        if let Err(e) = self.github.delete_comment(&alarm.repo, comment, grace(deadline)).await {
            error!(request_id = %alarm.request_id, issue = alarm.number, comment, error = %e, "answer comment could not be withdrawn");
        }
    }

    /// The alarm a click refers to, with the defaults for legacy buttons.
    fn alarm(&self, click: &Click) -> Alarm {
        match &click.alarm {
            AlarmRef::Current(c) => Alarm {
                repo: c.repo.clone(),
                number: c.issue,
                request_id: c.request_id.clone(),
                intended_user: Some(c.user.clone()),
                service: c.service.clone().unwrap_or_else(|| self.service.clone()),
                yes_response: c.yes_response.clone(),
                no_response: c.no_response.clone(),
            },
            AlarmRef::Legacy(l) => Alarm {
                repo: self.repo.clone(),
                number: l.issue,
                request_id: l.request_id.clone(),
                intended_user: None,
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

    /// Logs a failure and returns the plain sentence the user sees (DESIGN.md §4.6).
    fn failed(&self, alarm: &Alarm, answer: Answer, failure: &Failure) -> Value {
        error!(request_id = %alarm.request_id, repo = %alarm.repo, issue = alarm.number, answer = answer.as_str(), error = %failure, outcome = "failed", "click not acted on");
        let text = match failure {
            Failure::GitHub(e) => format!(
                "Error: dispatch {} failed to close GitHub issue {}/{}, {}",
                alarm.request_id,
                alarm.repo,
                alarm.number,
                github_reason(e)
            ),
            Failure::PagerDuty(e) => {
                format!(
                    "Error: dispatch {} failed to create PagerDuty incident, {}",
                    alarm.request_id,
                    pagerduty_reason(e)
                )
            }
        };
        blocks::ephemeral(&text)
    }
}

/// Whether this click's answer is the one that counts.
#[derive(Debug)]
enum Claim {
    /// It is: the id of its comment.
    Won(u64),
    /// Another click answered first.
    Lost {
        /// Its answer.
        answer: String,
        /// Its Slack user id.
        user: String,
    },
}

/// At least half a second, so that recording an action already taken is not skipped for lack of time.
fn grace(deadline: Deadline) -> Deadline {
    Deadline::after(deadline.remaining().max(Duration::from_millis(500)))
}

/// What a click acts on.
#[derive(Debug, Clone)]
struct Alarm {
    repo: Repo,
    number: u64,
    request_id: RequestId,
    intended_user: Option<SlackUserId>,
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

/// `(answer, user)` of an earlier answer to `request_id`, from a comment's marker.
fn previous_answer(comment: &str, request_id: &RequestId) -> Option<(String, String)> {
    let at = comment.find(ANSWER_MARKER)?;
    let fields: Vec<(&str, &str)> =
        comment[at + ANSWER_MARKER.len()..].split_whitespace().filter_map(|f| f.split_once('=')).collect();
    let get = |key: &str| fields.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
    (get("request")? == request_id.as_str())
        .then(|| (get("answer").unwrap_or("?").to_owned(), get("user").unwrap_or("?").to_owned()))
}

fn unverified(reason: Unverified) -> HttpResponse {
    warn!(reason = %reason, outcome = "unverified", "request refused: not verified as Slack's");
    HttpResponse::new(401, "Unauthorized")
}
