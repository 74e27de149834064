//! A clean message, as senders should write it: plain serde structs, the source of the published
//! JSON Schema. The parser (`message::parse`) reads the same fields from a `serde_json::Value`,
//! more leniently than these types: it coerces, defaults or ignores what a type does not need, with
//! a warning, and rejects only what cannot be routed. A message that deserializes into these types
//! and meets the schema's per-type requirements is taken as written, except for the character rules
//! of ids and logins and the length of each label.

use schemars::JsonSchema;
use serde::Deserialize;

/// A Dispatch message, as published to the SNS topic.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "a message object")]
#[schemars(
    title = "Dispatch message",
    description = "A JSON document published to the Dispatch SNS topic. See MESSAGE-SPEC.md.",
    transform = crate::message::schema::require_per_type
)]
pub struct WireMessage {
    /// Routing type: `self-service`, `broadcast`, `nag`, `low-priority`, `high-priority`; any
    /// other value opens a PagerDuty incident so that the alarm still pages someone.
    #[serde(rename = "type")]
    pub kind: String,
    /// Id used in logs, incident keys and callbacks. Generated (12 lowercase hex characters) when
    /// absent or not a valid id.
    #[schemars(length(min = 1, max = 128))]
    pub request_id: Option<String>,
    /// Repository for the issue instead of the default: `name` (under the default owner) or
    /// `owner/name`. The spelling `gitHubRepo` is accepted too.
    #[serde(alias = "gitHubRepo")]
    pub github_repo: Option<String>,
    /// PagerDuty service id used instead of the default, for high-priority, fallback and a later
    /// escalation of a self-service alarm.
    pub pager_duty_service_id: Option<String>,
    /// Dedup rule. `true` (default): only an open issue with the same title suppresses the alarm.
    /// `false`: an open or closed issue with the same title suppresses it.
    pub retrigger: Option<bool>,
    /// `firing` (default): the alarm fires. `resolved`: the problem is gone at the source; the
    /// alarm named the way dedup names it (the same title in the same repository; for
    /// `high-priority` and other types, the same incident title) is closed, its Slack prompts
    /// updated and its PagerDuty incident resolved. Any other value is rejected.
    pub status: Option<WireStatus>,
    /// Self-service: minutes after the message was published when the user is reminded if they
    /// have not answered, instead of the `SelfServiceRemindAfter` setting. `0`: never.
    #[schemars(range(min = 0, max = 10080))]
    pub remind_after_minutes: Option<u32>,
    /// Self-service: minutes after the message was published when an unanswered alarm is
    /// escalated to PagerDuty, instead of the `SelfServiceEscalateAfter` setting. `0`: never.
    #[schemars(range(min = 0, max = 10080))]
    pub escalate_after_minutes: Option<u32>,
    /// Recipients. Required for `broadcast` and `nag`; the first one is used by `self-service`
    /// and `low-priority`.
    pub users: Option<Vec<WireUser>>,
    /// Per-type content.
    pub body: Option<WireBody>,
}

/// `status` of a message.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum WireStatus {
    /// The alarm fires.
    Firing,
    /// The problem is gone at the source.
    Resolved,
}

/// One recipient. Unknown keys (for example `google`) are ignored.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "a user object with slackId, email, slack and github")]
pub struct WireUser {
    /// Slack user or channel id, e.g. `U012ABCDEF`. Missing or not a valid id: the user is found
    /// by `email`, else the message goes to the default channel.
    pub slack_id: Option<String>,
    /// Email address of the user's Slack account, used when there is no `slackId` (a `slackId`
    /// always wins): Dispatch looks the user up in Slack. Not found, deactivated or a bot: the
    /// message goes to the default channel with a notice naming the address.
    #[schemars(length(min = 3, max = 254), regex(pattern = r"^\S+@\S+$"))]
    pub email: Option<String>,
    /// Readable Slack handle, used only for display and logs.
    pub slack: Option<String>,
    /// GitHub login without `@`. Missing or not a valid login: the default user is tagged.
    pub github: Option<String>,
}

/// Per-type content of a message.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(expecting = "an object with github, slack and pagerduty")]
pub struct WireBody {
    /// The GitHub issue (the audit log).
    pub github: Option<WireGitHub>,
    /// The Slack message.
    pub slack: Option<WireSlack>,
    /// The PagerDuty incident.
    pub pagerduty: Option<WirePagerDuty>,
}

/// `body.github`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(expecting = "an object with title, body and labels")]
pub struct WireGitHub {
    /// Issue title; also the dedup key. Leading and trailing whitespace is dropped.
    #[schemars(length(min = 1, max = 256))]
    pub title: Option<String>,
    /// Issue body (Markdown). Missing: the issue body is empty.
    #[schemars(length(max = 60000))]
    pub body: Option<String>,
    /// Label names to put on the issue.
    pub labels: Option<Vec<String>>,
    /// A single label name (accepted for compatibility; merged with `labels`).
    #[schemars(length(min = 1, max = 50))]
    pub label: Option<String>,
}

/// `body.slack`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(expecting = "an object with message, prompt and actions")]
pub struct WireSlack {
    /// The message shown to each recipient (Slack mrkdwn). Missing: the issue title.
    #[schemars(length(min = 1, max = 12000))]
    pub message: Option<String>,
    /// Self-service: the question under the message. Missing: `Was this you?`.
    #[schemars(length(min = 1, max = 12000))]
    pub prompt: Option<String>,
    /// Self-service: the button texts and what the user is told after clicking.
    pub actions: Option<WireActions>,
}

/// `body.slack.actions`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(expecting = "an object with yes, no, yes_response and no_response")]
pub struct WireActions {
    /// Text of the Yes button (closes the issue). Missing: `Yes`.
    #[schemars(length(min = 1, max = 75))]
    pub yes: Option<String>,
    /// Text of the No button (escalates to PagerDuty). Missing: `No`.
    #[schemars(length(min = 1, max = 75))]
    pub no: Option<String>,
    /// Told to the user after Yes.
    #[schemars(length(max = 500))]
    pub yes_response: Option<String>,
    /// Told to the user after No.
    #[schemars(length(max = 500))]
    pub no_response: Option<String>,
}

/// `body.pagerduty`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(expecting = "an object with title, body and service")]
pub struct WirePagerDuty {
    /// Incident title.
    pub title: Option<String>,
    /// Incident details.
    pub body: Option<String>,
    /// PagerDuty service id; wins over `pagerDutyServiceId`.
    pub service: Option<String>,
    /// Severity of the alert when Dispatch sends it to PagerDuty's Events API v2 (deployments with
    /// `PagerDutyRoutingKey`). Missing: `critical`.
    pub severity: Option<crate::pagerduty::Severity>,
}
