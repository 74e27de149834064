//! The `incoming` handler (DESIGN.md §1-5): one SNS record → parse → plan → issue, Slack messages
//! and incident, with the retry semantics of §5: a retried event finishes what its first attempt
//! left, a new alarm with the same title is suppressed by the dedup rule, and anything not
//! delivered fails the invocation so Lambda retries it and finally parks it in the failure queue.

use std::collections::{BTreeSet, HashMap};

use aws_lambda_events::sns::SnsEvent;
use futures::StreamExt;
use tracing::{error, info, warn};

use crate::config::IncomingConfig;
use crate::deadline::{Deadline, RetryPolicy};
use crate::github::{GitHub, GitHubError, Issue, NewIssue, OwnIssue, Twin};
use crate::ids::{Email, Repo, SlackChannel};
use crate::message::{InvalidMessage, Message, parse_event};
use crate::pagerduty::{
    Enqueued, Event, EventPayload, IncidentOutcome, NewIncident, PagerDuty, PagerDutyError, PagerDutyEvents,
};
use crate::routing::{
    IssuePlan, LookedUp, OnDuplicate, Plan, RoutingDefaults, SlackContent, SlackDelivery, Unreachable, plan,
};
use crate::slack::{Slack, SlackError, SlackMessage, SlackUser, blocks};
use crate::state::button::Callback;
use crate::state::delivery::{self as record, RecordLine};
use crate::state::{Writers, event};

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
}

/// The clients could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// GitHub client.
    #[error(transparent)]
    GitHub(#[from] GitHubError),
    /// HTTP client.
    #[error("HTTP client: {0}")]
    Http(String),
}

impl Incoming {
    /// Builds every client from the configuration.
    pub fn from_config(config: &IncomingConfig, policy: RetryPolicy) -> Result<Self, SetupError> {
        let http = crate::http::client(policy.request_timeout).map_err(|e| SetupError::Http(e.to_string()))?;
        Ok(Self {
            github: GitHub::new(&config.github.api_url, &config.github.auth, policy)?,
            slack: Slack::new(http.clone(), &config.slack_api_url, Some(config.slack_bot_token.clone()), policy),
            pagerduty_events: config.pagerduty_events.as_ref().map(|events| {
                PagerDutyEvents::new(http.clone(), &events.events_url, events.routing_key.clone(), policy)
            }),
            pagerduty: PagerDuty::new(
                http,
                &config.pagerduty.api_url,
                config.pagerduty.api_key.clone(),
                config.pagerduty.from.clone(),
                policy,
            ),
            defaults: config.defaults.clone(),
        })
    }
}

/// One delivery of a message: an SNS record.
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    /// The SNS `MessageId`: the same on every retry of the event.
    pub event_id: &'a str,
    /// When SNS accepted it (ISO 8601), if known: bounds the search for delivery records.
    pub published: Option<&'a str>,
    /// The message body.
    pub body: &'a str,
}

/// Age of a delivery past which it may be a retry: Lambda retries a failed event a minute later at
/// the earliest, while SNS hands a new message over within seconds.
pub const RETRY_AGE: std::time::Duration = std::time::Duration::from_secs(30);

impl Delivery<'_> {
    /// Whether this may be a retry or a replay of an event already handled once: published more
    /// than [`RETRY_AGE`] ago, or published at an unknown time. Its own issue may then be closed
    /// and old, so the dedup lookup looks for it among closed issues too.
    pub fn may_be_a_retry(&self, now: chrono::DateTime<chrono::Utc>) -> bool {
        let published = self.published.and_then(|p| chrono::DateTime::parse_from_rfc3339(p).ok());
        published.is_none_or(|p| now.signed_duration_since(p).to_std().is_ok_and(|age| age > RETRY_AGE))
    }
}

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
            Self::GitHub(_) | Self::PagerDuty(_) => "Refused",
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

impl Incoming {
    /// Handles an SNS event: every record, each on its own; fails if any failed.
    pub async fn handle_sns(&self, event: &SnsEvent, deadline: Deadline) -> Result<Vec<Report>, InvocationError> {
        let mut reports = Vec::new();
        let mut failures = Vec::new();
        for record in &event.records {
            let published = record.sns.timestamp.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let delivery =
                Delivery { event_id: &record.sns.message_id, published: Some(&published), body: &record.sns.message };
            let result = self.handle(delivery, deadline).await;
            crate::metrics::emit(&crate::metrics::alarm(&result, delivery.body, chrono::Utc::now()));
            match result {
                Ok(report) => reports.push(report),
                Err(error) => failures.push((record.sns.message_id.clone(), error)),
            }
        }
        if failures.is_empty() { Ok(reports) } else { Err(InvocationError { total: event.records.len(), failures }) }
    }

    /// Handles one message.
    pub async fn handle(&self, delivery: Delivery<'_>, deadline: Deadline) -> Result<Report, AlarmError> {
        let message = parse_event(delivery.body.as_bytes(), delivery.event_id).map_err(|e| {
            error!(sns_message_id = delivery.event_id, path = %e.path, reason = %e.reason, outcome = "rejected", "message rejected");
            AlarmError::Invalid(e)
        })?;
        let plan = plan(&message, &self.defaults);
        let (request_id, kind) = (plan.request_id.as_str(), plan.kind.as_str());
        info!(sns_message_id = delivery.event_id, request_id, r#type = kind, "alarm received");
        for warning in &message.warnings {
            warn!(sns_message_id = delivery.event_id, request_id, r#type = kind, path = %warning.path, reason = %warning.reason, "message field not taken as written");
        }
        if plan.users_missing {
            error!(
                sns_message_id = delivery.event_id,
                request_id,
                r#type = kind,
                "message has no users; using the default Slack channel and GitHub user"
            );
        }
        let mut report = Report {
            event_id: delivery.event_id.to_owned(),
            plan: plan.clone(),
            issue: None,
            slack: Vec::new(),
            incident: None,
            event: None,
        };
        if let Some(issue_plan) = &plan.issue {
            let issue = self.issue(issue_plan, &plan, delivery, deadline).await?;
            let suppressed = issue.action == IssueAction::Suppressed;
            report.issue = Some(issue);
            if suppressed {
                return Ok(report);
            }
            if !plan.slack.is_empty() {
                self.deliver(&message, delivery, &mut report, deadline).await?;
            }
        }
        if let (Some(incident), Some(events)) = (&plan.incident, &self.pagerduty_events) {
            let event = Event::Trigger {
                dedup_key: incident.incident_key.clone(),
                payload: EventPayload {
                    summary: crate::pagerduty::summary(&incident.title),
                    source: crate::pagerduty::SOURCE.to_owned(),
                    severity: incident.severity,
                    custom_details: crate::pagerduty::custom_details(incident.details.as_deref()),
                },
                links: incident.links.clone(),
            };
            let dedup_key = event.dedup_key();
            let severity = incident.severity.as_str();
            let enqueued = events.enqueue(&event, deadline).await.inspect_err(|e| {
                error!(request_id, r#type = kind, api = "events", dedup_key, severity, error = %e, retryable = e.is_retryable(), outcome = "alert failed", "PagerDuty alert not triggered");
            })?;
            info!(
                request_id,
                r#type = kind,
                api = "events",
                dedup_key,
                severity,
                outcome = "alert triggered",
                "PagerDuty alert triggered (deduplicated by PagerDuty if one with this key is open)"
            );
            report.event = Some(EventReport { event, enqueued });
        } else if let Some(incident) = &plan.incident {
            let new = NewIncident {
                title: incident.title.clone(),
                details: incident.details.clone(),
                incident_key: incident.incident_key.clone(),
                service: incident.service.clone(),
            };
            let outcome = self.pagerduty.create_incident(&new, deadline).await.inspect_err(|e| {
                error!(request_id, r#type = kind, service = %new.service, error = %e, retryable = e.is_retryable(), outcome = "incident failed", "PagerDuty incident not created");
            })?;
            match &outcome {
                IncidentOutcome::Created { id, .. } => {
                    info!(request_id, r#type = kind, service = %new.service, incident = %id, outcome = "incident created", "PagerDuty incident created")
                }
                IncidentOutcome::AlreadyOpen => {
                    info!(request_id, r#type = kind, service = %new.service, outcome = "incident already open", "PagerDuty incident already open for this key")
                }
            }
            report.incident = Some(IncidentReport { incident: new, outcome });
        }
        Ok(report)
    }

    /// Looks the title up and creates, resumes, reuses or suppresses.
    async fn issue(
        &self,
        issue: &IssuePlan,
        plan: &Plan,
        delivery: Delivery<'_>,
        deadline: Deadline,
    ) -> Result<IssueReport, AlarmError> {
        let (request_id, kind) = (plan.request_id.as_str(), plan.kind.as_str());
        let own = event::own_prefix(delivery.event_id);
        let own_issue = OwnIssue { marker: &own, maybe_closed: delivery.may_be_a_retry(chrono::Utc::now()) };
        let lookup = self.github.find_duplicate(&issue.repo, &issue.title, issue.dedup, Some(own_issue), deadline).await.inspect_err(|e| {
            error!(request_id, r#type = kind, repo = %issue.repo, error = %e, retryable = e.is_retryable(), "issue lookup failed");
        })?;
        if !lookup.complete {
            warn!(request_id, repo = %issue.repo, "dedup lookup was incomplete (search unavailable); older duplicates may be missed");
        }
        let (found, action) = match lookup.found {
            // An earlier attempt of this event created the issue (more than one, if GitHub applied
            // a create late): the earliest is kept and the others step aside as its duplicates. If
            // it lost a race with the same alarm and failed before stepping aside, step aside now.
            Some(found) if lookup.ours => {
                for later in lookup.also_ours.iter().filter(|i| i.is_open()) {
                    self.close_as_duplicate(issue, later.number, &found, Why::AppliedLate, plan, deadline).await?;
                }
                match self.step_aside(issue, &found, &own, true, plan, deadline).await? {
                    Stepped::Kept(kept) => (kept, IssueAction::Resumed),
                    Stepped::Aside(earlier) => self.yield_to(issue, earlier),
                }
            }
            Some(found) if issue.on_duplicate == OnDuplicate::Reuse => (found, IssueAction::Reused),
            Some(found) => (found, IssueAction::Suppressed),
            None => {
                let new = NewIssue {
                    title: issue.title.clone(),
                    body: event::body_with_marker(&issue.body, delivery.event_id, &plan.request_id),
                    labels: issue.labels.clone(),
                };
                let created = self.github.create_issue(&issue.repo, &new, deadline).await.inspect_err(|e| {
                    error!(request_id, r#type = kind, repo = %issue.repo, error = %e, retryable = e.is_retryable(), "issue not created");
                })?;
                // Others were created between the lookup and this create: maybe the same alarm,
                // or this event's own earlier create, applied late by GitHub.
                let crowded = created.number > lookup.newest.unwrap_or(0) + 1;
                match self.step_aside(issue, &created, &own, crowded, plan, deadline).await? {
                    Stepped::Kept(kept) if kept.number == created.number => (kept, IssueAction::Created),
                    Stepped::Kept(kept) => (kept, IssueAction::Resumed),
                    Stepped::Aside(earlier) => self.yield_to(issue, earlier),
                }
            }
        };
        let outcome = match action {
            IssueAction::Created => "issue created",
            IssueAction::Resumed => "issue resumed",
            IssueAction::Reused => "issue reused",
            IssueAction::Suppressed => "duplicate suppressed",
        };
        info!(request_id, r#type = kind, repo = %issue.repo, issue = found.number, state = %found.state, outcome, "audit issue");
        Ok(IssueReport { repo: issue.repo.clone(), issue: found, action })
    }

    /// Another event's issue won: a nag reuses it, anything else is suppressed by it.
    fn yield_to(&self, issue: &IssuePlan, earlier: Issue) -> (Issue, IssueAction) {
        if issue.on_duplicate == OnDuplicate::Reuse {
            (earlier, IssueAction::Reused)
        } else {
            (earlier, IssueAction::Suppressed)
        }
    }

    /// Settles which issue this event goes on when the same title was created more than once.
    /// GitHub cannot create an issue only if absent, so identical alarms arriving together may each
    /// create one, and a create answered with an error may still be applied, late. Called with
    /// `check` only when the issue numbers show that others were created meanwhile (or on a
    /// retry), so the usual alarm pays no extra request. The earliest issue wins: if it is this
    /// event's own, this one is closed as its duplicate and the event carries on there
    /// ([`Stepped::Kept`]); if it is another event's, this one is closed and the event yields to it.
    async fn step_aside(
        &self,
        issue: &IssuePlan,
        created: &Issue,
        own: &str,
        check: bool,
        plan: &Plan,
        deadline: Deadline,
    ) -> Result<Stepped, AlarmError> {
        if !check {
            return Ok(Stepped::Kept(created.clone()));
        }
        let twin = self
            .github
            .earlier_twin(&issue.repo, &issue.title, issue.dedup, Some(own), created.number, deadline)
            .await?;
        match twin {
            None => Ok(Stepped::Kept(created.clone())),
            Some(Twin::Ours(earliest)) => {
                self.close_as_duplicate(issue, created.number, &earliest, Why::AppliedLate, plan, deadline).await?;
                Ok(Stepped::Kept(earliest))
            }
            Some(Twin::Other(earlier)) => {
                if created.is_open() {
                    self.close_as_duplicate(issue, created.number, &earlier, Why::Concurrent, plan, deadline).await?;
                }
                info!(request_id = %plan.request_id, repo = %issue.repo, issue = created.number, earlier = earlier.number, outcome = "concurrent duplicate closed", "the same alarm was created concurrently; the earlier issue wins");
                Ok(Stepped::Aside(earlier))
            }
        }
    }

    /// Comments on issue `number` that it duplicates `kept`, and closes it as not planned.
    async fn close_as_duplicate(
        &self,
        issue: &IssuePlan,
        number: u64,
        kept: &Issue,
        why: Why,
        plan: &Plan,
        deadline: Deadline,
    ) -> Result<(), AlarmError> {
        let reason = match why {
            Why::Concurrent => "the same alarm arrived more than once at the same time",
            Why::AppliedLate => "GitHub applied a create of this alarm that had failed, after it was sent again",
        };
        let note = format!("Duplicate of #{}: {reason} (request `{}`).", kept.number, plan.request_id);
        self.github.comment(&issue.repo, number, &note, deadline).await?;
        self.github.close_issue_as(&issue.repo, number, "not_planned", deadline).await?;
        if why == Why::AppliedLate {
            warn!(request_id = %plan.request_id, repo = %issue.repo, issue = number, kept = kept.number, outcome = "late create closed", "GitHub applied a failed create late; the earliest issue of this event is kept");
        }
        Ok(())
    }

    /// Sends the plan's Slack messages not yet sent for this event, records what went out on the
    /// issue, and reports failures after telling the default channel.
    async fn deliver(
        &self,
        message: &Message,
        delivery: Delivery<'_>,
        report: &mut Report,
        deadline: Deadline,
    ) -> Result<(), AlarmError> {
        let Some(issue) = report.issue.clone() else { return Ok(()) };
        let plan = &report.plan;
        let request_id = &plan.request_id;
        let already: BTreeSet<usize> = if issue.action == IssueAction::Created {
            BTreeSet::new()
        } else {
            let comments = self.github.comments(&issue.repo, issue.issue.number, delivery.published, deadline).await?;
            record::delivered(delivery.event_id, &comments, &Writers::of(&issue.issue)).into_iter().collect()
        };
        // Slack's rate-limit waits must leave time to record what went out: a delivery without its
        // record would be sent again by the retry.
        let sending = deadline.reserving(RECORD_RESERVE);

        // Every address still needed is looked up once, before anything is sent; then each entry
        // is resolved to where it goes.
        let lookups = self.look_up(plan, &already, request_id, sending).await;
        let mut results: Vec<(usize, SlackDelivery, SlackResult)> = Vec::new();
        let mut to_post: Vec<(usize, SlackDelivery)> = Vec::new();
        for (i, d) in plan.slack.iter().enumerate() {
            if already.contains(&i) {
                results.push((i, d.clone(), SlackResult::AlreadySent));
                continue;
            }
            match d.email().map(|email| lookups.get(&email.key())) {
                Some(Some(Err(e))) => results.push((i, d.clone(), SlackResult::Failed(e.clone()))),
                Some(None) => {
                    results.push((i, d.clone(), SlackResult::Failed(SlackError::Transient("not looked up".into()))))
                }
                found => match d.resolve(found.flatten().and_then(|f| f.as_ref().ok())) {
                    Some(resolved) => to_post.push((i, resolved)),
                    None => results.push((i, d.clone(), SlackResult::NotNeeded)),
                },
            }
        }

        // One sequential lane per conversation, lanes in parallel.
        let mut lanes: Vec<(SlackChannel, Vec<(usize, SlackDelivery)>)> = Vec::new();
        for (i, d) in to_post {
            let channel = d.channel().cloned().unwrap_or_else(|| self.defaults.slack_channel.clone());
            match lanes.iter_mut().find(|(c, _)| *c == channel) {
                Some((_, lane)) => lane.push((i, d)),
                None => lanes.push((channel, vec![(i, d)])),
            }
        }
        let posted: Vec<(usize, SlackDelivery, SlackResult)> = futures::stream::iter(lanes)
            .map(|(channel, lane)| {
                let issue = &issue;
                let lookups = &lookups;
                async move {
                    let mut out = Vec::new();
                    for (i, d) in lane {
                        let content = self.render(message, &d.content, issue, lookups);
                        let result = match self.slack.post_message(&channel, &content, sending).await {
                            Ok(_) => SlackResult::Sent(content),
                            Err(e) => SlackResult::Failed(e),
                        };
                        out.push((i, d, result));
                    }
                    out
                }
            })
            .buffer_unordered(SLACK_CONCURRENCY)
            .flat_map(futures::stream::iter)
            .collect()
            .await;
        results.extend(posted);
        results.sort_by_key(|(i, _, _)| *i);

        let mut sent = Vec::new();
        let mut lines = Vec::new();
        let mut failed = Vec::new();
        for (i, d, result) in &results {
            let what = content_kind(&d.content);
            let channel = d.channel().map_or_else(|| "users.lookupByEmail".to_owned(), ToString::to_string);
            // The delivery record names the address a user was found by.
            let recipient = match plan.slack[*i].email() {
                Some(email) if d.recipient != email.as_str() => format!("{} ({email})", d.recipient),
                _ => d.recipient.clone(),
            };
            match result {
                SlackResult::Sent(_) => {
                    info!(request_id = %request_id, recipient = %d.recipient, channel = %channel, message = what, outcome = "sent", "slack message sent");
                    sent.push(*i);
                    lines.push(RecordLine { recipient, channel, what, failure: None });
                }
                SlackResult::AlreadySent => {
                    info!(request_id = %request_id, recipient = %d.recipient, message = what, outcome = "already sent", "slack message sent by an earlier attempt");
                }
                SlackResult::NotNeeded => {
                    // Settled: a retry does not look the address up again for it.
                    sent.push(*i);
                }
                SlackResult::Failed(e) => {
                    error!(request_id = %request_id, recipient = %d.recipient, channel = %channel, message = what, code = e.code(), error = %e, outcome = "failed", "slack message not delivered");
                    lines.push(RecordLine { recipient, channel, what, failure: Some(e.code().to_owned()) });
                    failed.push((*i, d.clone(), e.clone()));
                }
            }
        }
        report.slack = results.into_iter().map(|(_, delivery, result)| SlackReport { delivery, result }).collect();

        if !lines.is_empty() {
            let comment = record::delivery_comment(delivery.event_id, request_id, &sent, &lines);
            if let Err(e) = self.github.comment(&issue.repo, issue.issue.number, &comment, deadline).await {
                // Every alarm that could be delivered was; only the audit line is missing.
                warn!(request_id = %request_id, issue = issue.issue.number, error = %e, "delivery record not written");
            }
        }
        if failed.is_empty() {
            return Ok(());
        }
        for (_, d, e) in &failed {
            if d.channel() != Some(&self.defaults.slack_channel) {
                let notice = blocks::delivery_error_notice(request_id, &d.recipient, e.code());
                if let Err(notice_error) =
                    self.slack.post_message(&self.defaults.slack_channel, &notice, deadline).await
                {
                    error!(request_id = %request_id, error = %notice_error, "error notice to the default channel not delivered");
                }
            }
        }
        let failed = failed.iter().map(|(_, d, e)| format!("{}: {}", d.recipient, e.code())).collect();
        Err(AlarmError::Undelivered { failed, report: Box::new(report.clone()) })
    }

    /// Looks up, once each, the addresses of the entries not yet sent; `LOOKUP_CONCURRENCY` at a
    /// time. Keyed by [`Email::key`]. A lookup that failed transiently (or past `deadline`) is an
    /// error, which fails the entries waiting on it as a failed post would; Slack refusing it for
    /// good (a missing scope) counts as [`Unreachable::Refused`], so the message still reaches
    /// the default channel.
    async fn look_up(
        &self,
        plan: &Plan,
        already: &BTreeSet<usize>,
        request_id: &crate::ids::RequestId,
        deadline: Deadline,
    ) -> HashMap<String, Result<LookedUp, SlackError>> {
        let mut wanted: Vec<Email> = Vec::new();
        for (_, d) in plan.slack.iter().enumerate().filter(|(i, _)| !already.contains(i)) {
            if let Some(email) = d.email()
                && !wanted.iter().any(|w| w.key() == email.key())
            {
                wanted.push(email.clone());
            }
        }
        futures::stream::iter(wanted)
            .map(|email| async move {
                let found = looked_up(self.slack.lookup_by_email(&email, deadline).await);
                match &found {
                    Ok(LookedUp::User(id)) => {
                        info!(request_id = %request_id, email = %email, user = %id, outcome = "found", "slack user found by email")
                    }
                    Ok(LookedUp::Unreachable(why)) => {
                        warn!(request_id = %request_id, email = %email, reason = %why.describe(), outcome = "not found", "no slack user to message for this address; the default channel stands in")
                    }
                    Err(e) => {
                        error!(request_id = %request_id, email = %email, code = e.code(), error = %e, retryable = e.is_retryable(), outcome = "lookup failed", "slack lookup by email failed")
                    }
                }
                (email.key(), found)
            })
            .buffer_unordered(LOOKUP_CONCURRENCY)
            .collect()
            .await
    }

    /// The Slack message for one delivery, now that the issue is known and its address, if any,
    /// looked up (`lookups`, for the reason a notice gives).
    fn render(
        &self,
        message: &Message,
        content: &SlackContent,
        issue: &IssueReport,
        lookups: &HashMap<String, Result<LookedUp, SlackError>>,
    ) -> SlackMessage {
        let (url, number) = (issue.issue.html_url.as_str(), issue.issue.number);
        match content {
            SlackContent::Prompt { prompt, intended_user } => {
                let callback = Callback {
                    repo: issue.repo.clone(),
                    issue: number,
                    request_id: message.request_id.clone(),
                    user: intended_user.clone(),
                    service: message.pagerduty_service.clone(),
                    yes_response: prompt.yes_response.clone(),
                    no_response: prompt.no_response.clone(),
                };
                blocks::self_service_prompt(prompt, url, number, &callback.encode())
            }
            // Resolved to one of the two above before it is rendered; without a user, no buttons.
            SlackContent::PromptWithoutButtons(prompt) | SlackContent::PromptByEmail(prompt) => {
                blocks::prompt_without_buttons(prompt, url, number)
            }
            SlackContent::Text(text) => blocks::text_message(text),
            SlackContent::MissingSlackId { user } => {
                blocks::missing_slack_id_notice(&message.request_id, user.as_deref())
            }
            SlackContent::EmailNotFound { email } => {
                let why = match lookups.get(&email.key()) {
                    Some(Ok(LookedUp::Unreachable(why))) => why.describe(),
                    _ => Unreachable::NotFound.describe(),
                };
                blocks::email_not_found_notice(&message.request_id, email.as_str(), &why)
            }
        }
    }
}

/// Where an event carries on after [`Incoming::step_aside`].
#[derive(Debug)]
enum Stepped {
    /// On this issue: the one just created, or this event's own earlier one.
    Kept(Issue),
    /// Nowhere: another event's earlier issue won.
    Aside(Issue),
}

/// Why an issue is closed as a duplicate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Why {
    /// Another event with the same alarm created it at the same time.
    Concurrent,
    /// This event created it twice: GitHub applied a failed create late.
    AppliedLate,
}

/// What a lookup by email means for routing: an active person, or why nobody Dispatch may message.
/// Transient failures, and failures a post would have too, stay errors.
fn looked_up(found: Result<Option<SlackUser>, SlackError>) -> Result<LookedUp, SlackError> {
    match found {
        Ok(Some(user)) if user.deleted => Ok(LookedUp::Unreachable(Unreachable::Deactivated)),
        Ok(Some(user)) if user.is_bot => Ok(LookedUp::Unreachable(Unreachable::Bot)),
        Ok(Some(user)) => Ok(LookedUp::User(user.id)),
        Ok(None) => Ok(LookedUp::Unreachable(Unreachable::NotFound)),
        Err(SlackError::Unauthorized(code) | SlackError::Api(code)) => {
            Ok(LookedUp::Unreachable(Unreachable::Refused(code)))
        }
        Err(e) => Err(e),
    }
}

/// A word for the kind of Slack message, for logs and the delivery record.
fn content_kind(content: &SlackContent) -> &'static str {
    match content {
        SlackContent::Prompt { .. } | SlackContent::PromptByEmail(_) => "self-service prompt",
        SlackContent::PromptWithoutButtons(_) => "self-service alarm (no buttons)",
        SlackContent::Text(_) => "message",
        SlackContent::MissingSlackId { .. } => "missing Slack ID notice",
        SlackContent::EmailNotFound { .. } => "email not found notice",
    }
}
