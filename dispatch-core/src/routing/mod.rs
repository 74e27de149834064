//! The routing plan (DESIGN.md §1-3): a pure function from a message and the configured defaults to
//! what should happen — which issue to look up and create, which Slack messages go where, which
//! PagerDuty incident to open. Effects are carried out elsewhere; tests assert on the plan.
//!
//! The plan holds everything the effects need: the Slack messages are composed
//! ([`crate::compose::render`]) from the plan and what delivery learns (the issue, the lookups),
//! never from the message. A user known only by email stays an address in the plan
//! ([`SlackTarget::Email`]): `incoming` looks it up when it delivers, and
//! [`SlackDelivery::resolve`] turns the entry into where it goes once the lookup has answered.

mod slack;

pub use slack::{LookedUp, SlackContent, SlackDelivery, SlackTarget, Unreachable};

use crate::ids::{GitHubMention, Repo, RequestId, ServiceId, SlackChannel};
use crate::message::{Alarm, FollowUpTimes, IncidentContent, IssueContent, Message, Status, User};
use crate::pagerduty::{EventLink, Severity};
use slack::{by_email, defaulted, recipient};

/// The settings routing falls back on (DESIGN.md §6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingDefaults {
    /// `GitHubOwner` / `GitHubRepo`.
    pub repo: Repo,
    /// `GitHubDefaultUser`.
    pub github_user: GitHubMention,
    /// `SlackDefaultChannel`.
    pub slack_channel: SlackChannel,
    /// `PagerDutyServiceId`.
    pub pagerduty_service: ServiceId,
}

/// Everything one message should cause.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The alarm's id.
    pub request_id: RequestId,
    /// The message's `type`.
    pub kind: String,
    /// The audit issue, if the type has one.
    pub issue: Option<IssuePlan>,
    /// Slack messages, in the order they are posted.
    pub slack: Vec<SlackDelivery>,
    /// The PagerDuty incident, if the type pages.
    pub incident: Option<IncidentPlan>,
    /// `pagerDutyServiceId`: the service a No on a self-service prompt pages, carried in the
    /// prompt's buttons (triage falls back on its own default when there is none).
    pub escalation_service: Option<ServiceId>,
    /// True when the type needs a user and `users` was missing or empty, so defaults were used
    /// (DESIGN.md §2: logged as an error).
    pub users_missing: bool,
    /// `status`: a firing alarm is carried out as planned; a resolve finds the alarm named by
    /// [`Self::issue`] (its repository and title) or [`Self::incident`] (its key) and ends it.
    pub status: Status,
    /// The message's own follow-up times, for a self-service prompt with buttons; see
    /// [`Plan::follow_ups`].
    pub follow_up: FollowUpTimes,
}

/// When an unanswered self-service prompt is followed up, in minutes after it was published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowUps {
    /// The reminder, if any.
    pub remind_after_minutes: Option<u32>,
    /// The escalation, if any.
    pub escalate_after_minutes: Option<u32>,
}

impl FollowUps {
    /// Whether there is nothing to follow up.
    pub fn is_empty(&self) -> bool {
        self.remind_after_minutes.is_none() && self.escalate_after_minutes.is_none()
    }
}

impl Plan {
    /// The follow-ups of a firing self-service prompt with buttons: the message's own times, else
    /// `settings` (`SelfServiceRemindAfter`, `SelfServiceEscalateAfter`); 0 means never. A
    /// reminder due at or after the escalation is left out: the escalation replaces the prompt.
    pub fn follow_ups(&self, settings: FollowUpTimes) -> FollowUps {
        let prompts = self.slack.iter().any(|s| s.content.has_buttons());
        if self.status != Status::Firing || !prompts {
            return FollowUps { remind_after_minutes: None, escalate_after_minutes: None };
        }
        let pick = |own: Option<u32>, setting: Option<u32>| own.or(setting).filter(|m| *m > 0);
        let escalate = pick(self.follow_up.escalate_after_minutes, settings.escalate_after_minutes);
        let remind = pick(self.follow_up.remind_after_minutes, settings.remind_after_minutes)
            .filter(|r| escalate.is_none_or(|e| *r < e));
        FollowUps { remind_after_minutes: remind, escalate_after_minutes: escalate }
    }
}

/// Which existing issues with the same title count as duplicates (DESIGN.md §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dedup {
    /// `retrigger: true`: only an open issue suppresses the alarm.
    OpenOnly,
    /// `retrigger: false`: an open or closed issue suppresses the alarm.
    OpenAndClosed,
}

/// What a duplicate found by the lookup means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDuplicate {
    /// The alarm is already being handled: no issue, no DM.
    Stop,
    /// `nag`: reuse the issue and send the DMs anyway.
    Reuse,
}

/// The audit issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuePlan {
    /// Where it goes.
    pub repo: Repo,
    /// Title (the dedup key).
    pub title: String,
    /// Body, exactly as the original wrote it (DESIGN.md §2 "Issue bodies").
    pub body: String,
    /// Label names.
    pub labels: Vec<String>,
    /// Which existing issues count.
    pub dedup: Dedup,
    /// What a duplicate means.
    pub on_duplicate: OnDuplicate,
}

/// The PagerDuty incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentPlan {
    /// Incident title.
    pub title: String,
    /// Incident details.
    pub details: Option<String>,
    /// Dedup key: the title, as the Node version keyed it (DESIGN.md §5b).
    pub incident_key: String,
    /// `body.pagerduty.service` > `pagerDutyServiceId` > `PagerDutyServiceId`.
    pub service: ServiceId,
    /// `body.pagerduty.severity` (Events API v2 only).
    pub severity: Severity,
    /// Links shown on the alert (Events API v2 only): the GitHub issue, for an alarm that has one.
    /// High-priority and fallback alarms open no issue, so this is empty for them today.
    pub links: Vec<EventLink>,
}

/// Issue body of self-service and low-priority alarms: `{body} \n\n @{login}`.
pub fn tagged_body(body: &str, mention: &GitHubMention) -> String {
    format!("{body} \n\n @{mention}")
}

/// Issue body of a broadcast: the body, then the recipients in a code block.
pub fn broadcast_body(body: &str, users: &[User]) -> String {
    let recipients: Vec<&str> = users.iter().map(|u| u.display().unwrap_or("(no Slack id)")).collect();
    format!("{body} \n\n ```\n{}\n```", recipients.join(","))
}

/// The plan for one message.
pub fn plan(message: &Message, defaults: &RoutingDefaults) -> Plan {
    let repo = message.github_repo.as_ref().map_or_else(|| defaults.repo.clone(), |r| r.resolve(&defaults.repo.owner));
    let dedup = if message.retrigger { Dedup::OpenOnly } else { Dedup::OpenAndClosed };
    let issue = |content: &IssueContent, body: String, on_duplicate| IssuePlan {
        repo: repo.clone(),
        title: content.title.clone(),
        body,
        labels: content.labels.clone(),
        dedup,
        on_duplicate,
    };
    let mention =
        |user: Option<&User>| user.and_then(|u| u.github.clone()).unwrap_or_else(|| defaults.github_user.clone());
    let mut plan = Plan {
        request_id: message.request_id.clone(),
        kind: message.kind().to_owned(),
        issue: None,
        slack: Vec::new(),
        incident: None,
        escalation_service: message.pagerduty_service.clone(),
        users_missing: false,
        status: message.status,
        follow_up: message.follow_up,
    };
    match &message.alarm {
        Alarm::SelfService(alarm) => {
            plan.users_missing = alarm.user.is_none();
            let user = alarm.user.clone().unwrap_or_default();
            plan.issue =
                Some(issue(&alarm.issue, tagged_body(&alarm.issue.body, &mention(Some(&user))), OnDuplicate::Stop));
            let prompt = alarm.prompt.clone();
            plan.slack = match (&user.slack_id, &user.email) {
                (Some(id), _) => vec![SlackDelivery {
                    to: SlackTarget::Channel(id.clone().into()),
                    recipient: recipient(&user, 0),
                    content: SlackContent::Prompt { prompt, intended_user: id.clone() },
                }],
                (None, Some(email)) => by_email(&user, 0, email, SlackContent::PromptByEmail(prompt), defaults),
                (None, None) => defaulted(&user, 0, SlackContent::PromptWithoutButtons(prompt), defaults),
            };
        }
        Alarm::Broadcast(alarm) | Alarm::Nag(alarm) => {
            let (body, on_duplicate) = match &message.alarm {
                Alarm::Nag(_) => (alarm.issue.body.clone(), OnDuplicate::Reuse),
                _ => (broadcast_body(&alarm.issue.body, &alarm.users), OnDuplicate::Stop),
            };
            plan.issue = Some(issue(&alarm.issue, body, on_duplicate));
            for (i, user) in alarm.users.iter().enumerate() {
                let text = SlackContent::Text(alarm.message.clone());
                match (&user.slack_id, &user.email) {
                    (Some(id), _) => plan.slack.push(SlackDelivery {
                        to: SlackTarget::Channel(id.clone().into()),
                        recipient: recipient(user, i),
                        content: text,
                    }),
                    (None, Some(email)) => plan.slack.extend(by_email(user, i, email, text, defaults)),
                    (None, None) => plan.slack.extend(defaulted(user, i, text, defaults)),
                }
            }
        }
        Alarm::LowPriority(alarm) => {
            plan.issue = Some(issue(
                &alarm.issue,
                tagged_body(&alarm.issue.body, &mention(alarm.user.as_ref())),
                OnDuplicate::Stop,
            ));
        }
        Alarm::HighPriority(content) => plan.incident = Some(incident(message, content, defaults)),
        Alarm::Unrouted(unrouted) => {
            let content = unrouted.incident.clone().unwrap_or_else(|| IncidentContent {
                title: unrouted
                    .github_title
                    .clone()
                    .unwrap_or_else(|| format!("dispatch: unroutable message of type '{}'", unrouted.type_name)),
                details: Some(unrouted.raw.clone()),
                service: None,
                severity: Severity::default(),
            });
            plan.incident = Some(incident(message, &content, defaults));
        }
    }
    plan
}

/// Longest incident key: PagerDuty's limit for `incident_key` and `dedup_key`.
pub const INCIDENT_KEY_MAX: usize = 255;

/// The incident key of a high-priority or fallback alarm: its title, as the Node version keyed it,
/// cut to [`INCIDENT_KEY_MAX`] characters. So a flapping alarm pages once while its incident is
/// open, a Lambda retry never pages twice, and distinct alarms that share a `requestId` (an "ID for
/// logging" to the original spec; some senders send a constant one) each page. Triage's No keys its
/// incident by the request id instead.
pub fn incident_key(title: &str) -> String {
    title.chars().take(INCIDENT_KEY_MAX).collect()
}

fn incident(message: &Message, content: &IncidentContent, defaults: &RoutingDefaults) -> IncidentPlan {
    IncidentPlan {
        title: content.title.clone(),
        details: content.details.clone(),
        incident_key: incident_key(&content.title),
        service: content
            .service
            .clone()
            .or_else(|| message.pagerduty_service.clone())
            .unwrap_or_else(|| defaults.pagerduty_service.clone()),
        severity: content.severity,
        links: Vec::new(),
    }
}
