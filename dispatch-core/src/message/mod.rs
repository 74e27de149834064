//! The message spec (DESIGN.md §2) as domain types, and the parser that turns an SNS message body
//! into them. `wire` describes a clean message (the published JSON Schema); the parser rejects only
//! what cannot be routed (DESIGN.md §5), and coerces, defaults or ignores the rest, recording a
//! [`MessageWarning`] naming each field it did not take as written.

mod error;
mod parse;
pub mod schema;
mod warning;
pub mod wire;

pub use error::{InvalidMessage, ROOT};
pub use parse::{parse, parse_event};
pub use warning::MessageWarning;

use crate::ids::{Email, GitHubMention, RepoOverride, RequestId, ServiceId, SlackUserId};

/// Longest issue title GitHub accepts; a longer `body.github.title` is cut.
pub const TITLE_MAX: usize = 256;
/// Longest label name; a longer one is dropped.
pub const LABEL_MAX: usize = 50;
/// Longest button text Slack accepts.
pub const BUTTON_TEXT_MAX: usize = 75;
/// Longest `body.slack.message` and `body.slack.prompt` (Slack shows up to 40,000; each block holds 3,000).
pub const SLACK_TEXT_MAX: usize = 12_000;
/// Longest `body.github.body`, leaving room under GitHub's 65,536 for the tag or recipients.
pub const ISSUE_BODY_MAX: usize = 60_000;
/// Longest `yes_response` / `no_response`, so that the triage callback fits in a button value.
pub const RESPONSE_TEXT_MAX: usize = 500;
/// The self-service question when `body.slack.prompt` is missing.
pub const DEFAULT_PROMPT: &str = "Was this you?";
/// The Yes button's text when `body.slack.actions.yes` is missing.
pub const DEFAULT_YES: &str = "Yes";
/// The No button's text when `body.slack.actions.no` is missing.
pub const DEFAULT_NO: &str = "No";

/// A parsed message that can be routed.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The sender's `requestId`, or a generated one.
    pub request_id: RequestId,
    /// Whether `request_id` was generated because the message had none, or none usable.
    pub request_id_generated: bool,
    /// `githubRepo` (or `gitHubRepo`): where the issue goes instead of the default repository.
    pub github_repo: Option<RepoOverride>,
    /// `pagerDutyServiceId`: the service instead of the default one.
    pub pagerduty_service: Option<ServiceId>,
    /// `retrigger`, default `true`.
    pub retrigger: bool,
    /// `status`: a firing alarm (the default) or the source's word that it is resolved.
    pub status: Status,
    /// `remindAfterMinutes` and `escalateAfterMinutes`: a self-service alarm's own follow-up times,
    /// instead of the `SelfServiceRemindAfter` and `SelfServiceEscalateAfter` settings.
    pub follow_up: FollowUpTimes,
    /// What the message asks for, by type.
    pub alarm: Alarm,
    /// Every field that was coerced, defaulted, cut or ignored, in the order read; empty for a
    /// clean message. `incoming` logs them, `dispatch validate` prints them.
    pub warnings: Vec<MessageWarning>,
}

impl Message {
    /// The message's `type`, as the sender wrote it.
    pub fn kind(&self) -> &str {
        match &self.alarm {
            Alarm::SelfService(_) => "self-service",
            Alarm::Broadcast(_) => "broadcast",
            Alarm::Nag(_) => "nag",
            Alarm::LowPriority(_) => "low-priority",
            Alarm::HighPriority(_) => "high-priority",
            Alarm::Unrouted(u) => &u.type_name,
        }
    }
}

/// `status`: whether the source says the alarm fires or is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Status {
    /// The alarm fires (the default): open, tell, page.
    #[default]
    Firing,
    /// The problem is gone at the source: close the alarm's issue, update its prompts, resolve
    /// its incident.
    Resolved,
}

impl Status {
    /// As written in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Firing => "firing",
            Self::Resolved => "resolved",
        }
    }
}

/// Longest follow-up time a message may ask for: a week, in minutes.
pub const FOLLOW_UP_MAX_MINUTES: u32 = 7 * 24 * 60;

/// A self-service alarm's own follow-up times, in minutes; `None` uses the setting, `Some(0)`
/// means never.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FollowUpTimes {
    /// `remindAfterMinutes`.
    pub remind_after_minutes: Option<u32>,
    /// `escalateAfterMinutes`.
    pub escalate_after_minutes: Option<u32>,
}

/// The routing type and its content.
#[derive(Debug, Clone, PartialEq)]
pub enum Alarm {
    /// Ask the first user whether the alarm was expected.
    SelfService(SelfService),
    /// Tell every user, once per alarm.
    Broadcast(FanOut),
    /// Tell every user, every time (the issue is reused).
    Nag(FanOut),
    /// Only an issue, tagging the first user or the default user.
    LowPriority(LowPriority),
    /// Only a PagerDuty incident.
    HighPriority(IncidentContent),
    /// Any other type: a PagerDuty incident, so an unknown alarm still pages someone.
    Unrouted(Unrouted),
}

/// A recipient from `users[]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct User {
    /// Where the DM goes; `None` means: found by `email`, else the default channel.
    pub slack_id: Option<SlackUserId>,
    /// The address the user is found by in Slack when there is no `slack_id` (read only then: a
    /// `slackId` always wins). `None` with no `slack_id` means the default channel.
    pub email: Option<Email>,
    /// Readable handle, for display only.
    pub slack: Option<String>,
    /// Login tagged on the issue; `None` means the default user.
    pub github: Option<GitHubMention>,
}

impl User {
    /// How the user is named in issue bodies, notices and logs: handle, else Slack id, else email.
    pub fn display(&self) -> Option<&str> {
        self.slack
            .as_deref()
            .or(self.slack_id.as_ref().map(SlackUserId::as_str))
            .or(self.email.as_ref().map(Email::as_str))
    }
}

/// `body.github`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueContent {
    /// Title, and the dedup key.
    pub title: String,
    /// Body as the sender wrote it.
    pub body: String,
    /// `labels` followed by `label`, without duplicates.
    pub labels: Vec<String>,
}

/// `body.pagerduty`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentContent {
    /// Incident title.
    pub title: String,
    /// Incident details.
    pub details: Option<String>,
    /// `body.pagerduty.service`, which wins over `pagerDutyServiceId`.
    pub service: Option<ServiceId>,
    /// `body.pagerduty.severity`, `critical` when absent (sent with Events API v2 triggers).
    pub severity: crate::pagerduty::Severity,
}

/// A self-service alarm.
#[derive(Debug, Clone, PartialEq)]
pub struct SelfService {
    /// The first of `users`; `None` when `users` was missing or empty, or its first element not
    /// a user object.
    pub user: Option<User>,
    /// The audit issue.
    pub issue: IssueContent,
    /// The question and its buttons.
    pub prompt: Prompt,
}

/// `body.slack` of a self-service alarm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    /// The message.
    pub message: String,
    /// The question.
    pub prompt: String,
    /// Yes button text.
    pub yes: String,
    /// No button text.
    pub no: String,
    /// Told after Yes.
    pub yes_response: Option<String>,
    /// Told after No.
    pub no_response: Option<String>,
}

/// A broadcast or nag alarm.
#[derive(Debug, Clone, PartialEq)]
pub struct FanOut {
    /// Every recipient that is a user object; never empty for a firing alarm (a resolve sends
    /// nothing, and needs none).
    pub users: Vec<User>,
    /// The audit issue.
    pub issue: IssueContent,
    /// The Slack message.
    pub message: String,
}

/// A low-priority alarm.
#[derive(Debug, Clone, PartialEq)]
pub struct LowPriority {
    /// The first of `users`, if any (its `slackId` is not read: low-priority sends no DM).
    pub user: Option<User>,
    /// The audit issue.
    pub issue: IssueContent,
}

/// A message of a type Dispatch does not know. Read leniently: whatever can be used is used.
#[derive(Debug, Clone, PartialEq)]
pub struct Unrouted {
    /// The `type` the sender wrote.
    pub type_name: String,
    /// `body.pagerduty`, when it has a usable title.
    pub incident: Option<IncidentContent>,
    /// `body.github.title`, when it was a non-blank string (or a number).
    pub github_title: Option<String>,
    /// The whole message as compact JSON, for the incident details.
    pub raw: String,
}
