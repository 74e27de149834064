//! The routing plan (DESIGN.md §1-3): a pure function from a message and the configured defaults to
//! what should happen — which issue to look up and create, which Slack messages go where, which
//! PagerDuty incident to open. Effects are carried out elsewhere; tests assert on the plan.
//!
//! A user known only by email stays an address in the plan ([`SlackTarget::Email`]): `incoming`
//! looks it up when it delivers, and [`SlackDelivery::resolve`] turns the entry into where it goes
//! once the lookup has answered.

use crate::ids::{Email, GitHubMention, Repo, RequestId, ServiceId, SlackChannel, SlackUserId};
use crate::message::{Alarm, IncidentContent, IssueContent, Message, Prompt, User};
use crate::pagerduty::{EventLink, Severity};

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
    /// True when the type needs a user and `users` was missing or empty, so defaults were used
    /// (DESIGN.md §2: logged as an error).
    pub users_missing: bool,
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

/// One Slack message to post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlackDelivery {
    /// Where it goes.
    pub to: SlackTarget,
    /// Who it is for, for logs and the delivery record: the Slack handle, id or email, else
    /// `users[i]`.
    pub recipient: String,
    /// What is posted.
    pub content: SlackContent,
}

/// Where a Slack message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlackTarget {
    /// Known when the plan is made: a user's id (their DM), a channel, or the default channel.
    Channel(SlackChannel),
    /// A user known only by email, looked up when the message is delivered: their DM when an
    /// active person (not deactivated, not a bot) has the address, else `fallback` (the default
    /// channel), where the [`SlackContent::EmailNotFound`] notice follows it.
    Email {
        /// The address to look up.
        email: Email,
        /// The default channel, if the lookup finds nobody Dispatch may message.
        fallback: SlackChannel,
    },
}

/// What the lookup of an address found, as far as routing is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookedUp {
    /// An active person: the message goes to their DM.
    User(SlackUserId),
    /// Nobody Dispatch may message: the default channel, and the notice.
    Unreachable(Unreachable),
}

/// Why an address did not give a user to message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreachable {
    /// Slack knows no user with the address (`users_not_found`).
    NotFound,
    /// The account is deactivated (`deleted: true`).
    Deactivated,
    /// The address is a bot's.
    Bot,
    /// Slack refused the lookup for good (for example `missing_scope` without `users:read.email`):
    /// Slack's code.
    Refused(String),
}

impl Unreachable {
    /// A short phrase for notices and logs.
    pub fn describe(&self) -> String {
        match self {
            Self::NotFound => "no Slack user has this address".to_owned(),
            Self::Deactivated => "its Slack account is deactivated".to_owned(),
            Self::Bot => "it belongs to a bot".to_owned(),
            Self::Refused(code) => format!("Slack refused the lookup: {code}"),
        }
    }
}

impl SlackDelivery {
    /// The address this entry waits on: its target's, or that of the notice for it.
    pub fn email(&self) -> Option<&Email> {
        match (&self.to, &self.content) {
            (SlackTarget::Email { email, .. }, _) | (_, SlackContent::EmailNotFound { email }) => Some(email),
            _ => None,
        }
    }

    /// This entry once its address is looked up (`found`; ignored for an entry without one):
    /// addressed to a [`SlackTarget::Channel`], a prompt to a user found by email with its buttons
    /// for that user, and `None` when it is not to be posted (the notice for an address that was
    /// found).
    pub fn resolve(&self, found: Option<&LookedUp>) -> Option<SlackDelivery> {
        let user = match found {
            Some(LookedUp::User(id)) => Some(id),
            Some(LookedUp::Unreachable(_)) | None => None,
        };
        let (to, content) = match (&self.to, user) {
            (_, Some(_)) if matches!(self.content, SlackContent::EmailNotFound { .. }) => return None,
            (SlackTarget::Channel(channel), _) => (channel.clone(), self.content.clone()),
            (SlackTarget::Email { .. }, Some(id)) => {
                let content = match &self.content {
                    SlackContent::PromptByEmail(prompt) => {
                        SlackContent::Prompt { prompt: prompt.clone(), intended_user: id.clone() }
                    }
                    other => other.clone(),
                };
                (id.clone().into(), content)
            }
            (SlackTarget::Email { fallback, .. }, None) => {
                let content = match &self.content {
                    SlackContent::PromptByEmail(prompt) => SlackContent::PromptWithoutButtons(prompt.clone()),
                    other => other.clone(),
                };
                (fallback.clone(), content)
            }
        };
        Some(SlackDelivery { to: SlackTarget::Channel(to), recipient: self.recipient.clone(), content })
    }

    /// The channel, once known: `None` for a user still to be looked up by email.
    pub fn channel(&self) -> Option<&SlackChannel> {
        match &self.to {
            SlackTarget::Channel(channel) => Some(channel),
            SlackTarget::Email { .. } => None,
        }
    }
}

/// The content of a Slack message; the issue link is added when the issue is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlackContent {
    /// Self-service DM: message, issue link, prompt, Yes and No buttons for this user.
    Prompt {
        /// Texts from the message.
        prompt: Prompt,
        /// Only this Slack user may answer.
        intended_user: crate::ids::SlackUserId,
    },
    /// Self-service for a user without a Slack id, in the shared default channel: message, issue
    /// link and prompt, but no buttons.
    PromptWithoutButtons(Prompt),
    /// Self-service for a user known by email ([`SlackTarget::Email`]): once found, a
    /// [`SlackContent::Prompt`] whose buttons are for the id found; else a
    /// [`SlackContent::PromptWithoutButtons`] in the default channel.
    PromptByEmail(Prompt),
    /// Broadcast or nag: the message only.
    Text(String),
    /// The notice in the default channel that a user's Slack id was missing.
    MissingSlackId {
        /// The user's handle or GitHub login, when known.
        user: Option<String>,
    },
    /// The notice in the default channel, after the message meant for them, that no Slack user
    /// Dispatch may message has a user's address. Posted only when the lookup of `email` finds
    /// nobody; not needed when it finds the user.
    EmailNotFound {
        /// The address.
        email: Email,
    },
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
        users_missing: false,
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

fn recipient(user: &User, index: usize) -> String {
    user.display().map_or_else(|| format!("users[{index}]"), str::to_owned)
}

/// A user without a Slack id: the content goes to the default channel, followed by the notice.
fn defaulted(user: &User, index: usize, content: SlackContent, defaults: &RoutingDefaults) -> Vec<SlackDelivery> {
    let notice = SlackContent::MissingSlackId {
        user: user.slack.clone().or_else(|| user.github.as_ref().map(ToString::to_string)),
    };
    [content, notice]
        .into_iter()
        .map(|content| SlackDelivery {
            to: SlackTarget::Channel(defaults.slack_channel.clone()),
            recipient: recipient(user, index),
            content,
        })
        .collect()
}

/// A user known by email: the content to the address, then the notice in the default channel that
/// [`SlackDelivery::resolve`] keeps only if the lookup finds nobody. Two entries, so that the
/// delivery record settles each on its own.
fn by_email(
    user: &User,
    index: usize,
    email: &Email,
    content: SlackContent,
    defaults: &RoutingDefaults,
) -> Vec<SlackDelivery> {
    vec![
        SlackDelivery {
            to: SlackTarget::Email { email: email.clone(), fallback: defaults.slack_channel.clone() },
            recipient: recipient(user, index),
            content,
        },
        SlackDelivery {
            to: SlackTarget::Channel(defaults.slack_channel.clone()),
            recipient: recipient(user, index),
            content: SlackContent::EmailNotFound { email: email.clone() },
        },
    ]
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
