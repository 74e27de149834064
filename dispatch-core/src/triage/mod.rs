//! The `triage` handler (DESIGN.md §4): a verified Slack button click closes the alarm's issue (Yes)
//! or opens a PagerDuty incident (No), records the answer on the issue, and replaces the prompt.

mod answer;
pub mod event;
pub mod payload;
mod reply;
pub mod request;
pub mod verify;

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use tracing::field::Empty;
use tracing::{Instrument, Span, error, info_span, warn};

use crate::clients::{Clients, SetupError};
use crate::config::{SlackVerification, TriageConfig};
use crate::deadline::{Deadline, RetryPolicy};
use crate::github::GitHub;
use crate::ids::{Repo, ServiceId};
use crate::metrics;
use crate::pagerduty::PagerDuty;
use crate::slack::Slack;
use answer::Budget;
use event::{HttpRequest, HttpResponse, TriageEvent};
use reply::Reply;
use request::Refusal;

/// Slack waits 3 seconds for the HTTP answer; everything a click does fits before it, in three
/// stages measured from the request's arrival. Acting (reading the issue, claiming, closing or
/// paging) ends by [`WORK_BUDGET`].
pub const WORK_BUDGET: Duration = Duration::from_millis(1900);
/// Recording what was done, or withdrawing a claim whose action failed, ends by this.
pub const RECORD_BUDGET: Duration = Duration::from_millis(2400);
/// Replacing the prompt through `response_url` ends by this, leaving time to answer Slack.
pub const RESPOND_BUDGET: Duration = Duration::from_millis(2850);

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
        let Clients { github, slack, pagerduty, .. } = Clients::from_config(config, policy)?;
        if matches!(config.verification, SlackVerification::LegacyToken(_)) {
            warn!(
                "SlackSigningSecret is not set: accepting Slack's legacy verification token. Set the signing secret."
            );
        }
        Ok(Self {
            github,
            pagerduty,
            slack,
            verification: config.verification.clone(),
            repo: config.github.repo.clone(),
            service: config.pagerduty.service.clone(),
        })
    }

    /// Handles a Lambda event (API Gateway, Function URL or the original's `postBody`).
    pub async fn handle_event(&self, event: &Value, now: DateTime<Utc>) -> Result<Value, String> {
        self.handle_invocation(event.clone(), None, now).await
    }

    /// Handles one invocation: the Lambda event and, when the runtime gives it, its request id.
    /// Everything logged while handling it carries the click's ids ([`click_span`]).
    pub async fn handle_invocation(
        &self,
        event: Value,
        lambda_request_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Value, String> {
        let span = click_span(lambda_request_id);
        async {
            let event = TriageEvent::try_from(event).inspect_err(|e| warn!(error = %e, "not an HTTP request"));
            if let Ok(id) = event.as_ref().map(TriageEvent::gateway_request_id) {
                Span::current().record("gateway_request_id", id);
            }
            let request = event.and_then(TriageEvent::into_request).map_err(|e| e.to_string())?;
            let response = self.respond(&request, now).await;
            event::to_event(request.shape, &response)
        }
        .instrument(span)
        .await
    }

    /// Handles one HTTP request: 401 unless verified, 400 for a malformed payload, else 200.
    pub async fn handle(&self, request: &HttpRequest, now: DateTime<Utc>) -> HttpResponse {
        self.respond(request, now).instrument(click_span(None)).await
    }

    /// Verifies and answers a click, inside its span: the click's ids go on the span as they
    /// become known. Slack hears back through `response_url`; the HTTP answer is empty.
    async fn respond(&self, request: &HttpRequest, now: DateTime<Utc>) -> HttpResponse {
        let started = tokio::time::Instant::now();
        let span = Span::current();
        let click = match request::click(&self.verification, request, now) {
            Ok(click) => click,
            Err(refusal) => return refused(&refusal),
        };
        span.record("user", click.user.id.as_str()).record("answer", click.answer.as_str());
        if let Err(refusal) = request::answerable(&self.slack, &click) {
            return refused(&refusal);
        }
        let alarm = self.alarm(&click);
        span.record("request_id", alarm.request_id.as_str())
            .record("repo", tracing::field::display(&alarm.repo))
            .record("issue", alarm.number);
        let budget =
            Budget { work: Deadline::at(started + WORK_BUDGET), record: Deadline::at(started + RECORD_BUDGET) };
        let answered = self.answer(&alarm, &click, now, budget).await;
        if let Err(e) = &answered
            && e.is_failure()
        {
            error!(error = %e, outcome = "failed", "click not acted on");
        }
        let reply = Reply::of(&answered, &alarm, click.answer, &click.user.id);
        metrics::emit(&metrics::answer(click.answer, reply.outcome, click.message_ts.as_deref(), now));
        if let Err(e) =
            self.slack.respond(click.response_url.url(), &reply.body, Deadline::at(started + RESPOND_BUDGET)).await
        {
            error!(error = %e, "could not answer through response_url");
        }
        HttpResponse::new(200, "")
    }
}

/// The span of one click, entered for its whole handling. It names the Lambda invocation when
/// known; API Gateway's request id, the Slack user, the answer, and the alarm's Dispatch id,
/// repository and issue are recorded once read, so that no log line inside repeats them.
pub fn click_span(lambda_request_id: Option<&str>) -> Span {
    info_span!(
        "click",
        lambda_request_id,
        gateway_request_id = Empty,
        user = Empty,
        answer = Empty,
        request_id = Empty,
        repo = Empty,
        issue = Empty
    )
}

/// Logs why a request was refused, and the HTTP answer.
fn refused(refusal: &Refusal) -> HttpResponse {
    match refusal {
        Refusal::Unverified(reason) => {
            warn!(reason = %reason, outcome = "unverified", "request refused: not verified as Slack's");
        }
        Refusal::Malformed(e) => warn!(error = %e, "malformed interaction payload"),
        Refusal::ForeignResponseUrl(url) => {
            warn!(response_url = ?url, "click refused: its response_url is not Slack's")
        }
    }
    HttpResponse::from(refusal)
}

#[cfg(test)]
mod tests;
