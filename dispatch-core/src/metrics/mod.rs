//! CloudWatch metrics in the Embedded Metric Format (EMF): one JSON document per line on stdout,
//! which CloudWatch Logs turns into metrics of the `Dispatch` namespace. No request is made, so a
//! metric costs nothing in latency and cannot fail an alarm. Lines are written to stdout directly,
//! not through `tracing`, so that no log filter drops them (once the binaries' set-up has called
//! [`write_to_stdout`]; tests read them with [`capture`]).
//!
//! Each handler emits at one place: `incoming` per SNS record after handling it ([`alarm`]),
//! `triage` per click after answering it ([`answer`]). Every dimension value is one of a fixed set
//! of `&'static str`, so no message text, secret or sender-chosen value reaches a metric line and
//! the number of series stays bounded.

mod emf;
mod outcome;
mod output;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};

use crate::incoming::{AlarmError, Report, SlackResult};
use crate::triage::payload::Answer;

pub use emf::Document;
pub use outcome::{AlarmOutcome, AnswerOutcome, Cause, SlackOutcome};
pub use output::{capture, emit, write, write_to_stdout};

/// The CloudWatch namespace of every Dispatch metric.
pub const NAMESPACE: &str = "Dispatch";

/// The dimension names.
pub mod dimension {
    /// The message's type: one of the routed types, or `fallback`.
    pub const TYPE: &str = "Type";
    /// What became of an alarm, a Slack message or an answer.
    pub const OUTCOME: &str = "Outcome";
    /// Why an alarm was escalated.
    pub const CAUSE: &str = "Cause";
    /// `yes` or `no`.
    pub const ANSWER: &str = "Answer";
}

/// A metric's unit, as CloudWatch names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A number of things.
    Count,
    /// A duration.
    Milliseconds,
}

impl Unit {
    /// CloudWatch's name for the unit.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Count => "Count",
            Self::Milliseconds => "Milliseconds",
        }
    }
}

/// Every metric Dispatch emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// One per SNS record, by [`dimension::TYPE`] and [`dimension::OUTCOME`] ([`AlarmOutcome`]).
    Alarms,
    /// Slack messages posted for an alarm, by [`dimension::OUTCOME`] ([`SlackOutcome`]).
    SlackMessages,
    /// Alarms escalated to PagerDuty from Slack, by [`dimension::CAUSE`] ([`Cause`]).
    Escalations,
    /// One per click acted on or refused, by [`dimension::ANSWER`] and [`dimension::OUTCOME`]
    /// ([`AnswerOutcome`]).
    Answers,
    /// From the prompt's post to the click that answered it, by [`dimension::ANSWER`].
    TimeToAnswer,
}

impl Metric {
    /// Every metric.
    pub const ALL: [Self; 5] =
        [Self::Alarms, Self::SlackMessages, Self::Escalations, Self::Answers, Self::TimeToAnswer];

    /// The metric's name in CloudWatch.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Alarms => "Alarms",
            Self::SlackMessages => "SlackMessages",
            Self::Escalations => "Escalations",
            Self::Answers => "Answers",
            Self::TimeToAnswer => "TimeToAnswer",
        }
    }

    /// Its unit.
    pub const fn unit(self) -> Unit {
        match self {
            Self::TimeToAnswer => Unit::Milliseconds,
            _ => Unit::Count,
        }
    }

    /// The one set of dimensions it is published with, in order.
    pub const fn dimensions(self) -> &'static [&'static str] {
        use dimension::{ANSWER, CAUSE, OUTCOME, TYPE};
        match self {
            Self::Alarms => &[TYPE, OUTCOME],
            Self::SlackMessages => &[OUTCOME],
            Self::Escalations => &[CAUSE],
            Self::Answers => &[ANSWER, OUTCOME],
            Self::TimeToAnswer => &[ANSWER],
        }
    }
}

/// The [`dimension::TYPE`] values: the routed types; any other type is `fallback`.
pub const TYPES: [&str; 6] = ["self-service", "broadcast", "nag", "low-priority", "high-priority", "fallback"];

/// The [`dimension::TYPE`] value of a message type: itself if routed, else `fallback`, so that a
/// sender's made-up types cannot create series.
pub fn alarm_type(kind: &str) -> &'static str {
    TYPES.iter().copied().find(|t| *t == kind).unwrap_or("fallback")
}

/// The documents for one SNS record `incoming` handled (with `body`, the record's message, read
/// for its type only when the handler failed before planning): one [`Metric::Alarms`], and the
/// [`Metric::SlackMessages`] delivered and failed, when there were any.
pub fn alarm(result: &Result<Report, AlarmError>, body: &str, at: DateTime<Utc>) -> Vec<Document> {
    let (outcome, report) = match result {
        Ok(report) => (AlarmOutcome::of(report), Some(report)),
        Err(AlarmError::Invalid(_)) => (AlarmOutcome::Rejected, None),
        Err(AlarmError::Undelivered { report, .. }) => (AlarmOutcome::Failed, Some(report.as_ref())),
        Err(AlarmError::GitHub(_) | AlarmError::PagerDuty(_) | AlarmError::Slack(_)) => (AlarmOutcome::Failed, None),
    };
    let kind = match report {
        Some(report) => alarm_type(&report.plan.kind),
        None => alarm_type(&type_of(body).unwrap_or_default()),
    };
    let mut documents = vec![Document::new(at, Metric::Alarms, &[kind, outcome.as_str()], 1)];
    let slack = report.map(|r| r.slack.as_slice()).unwrap_or_default();
    let delivered = slack.iter().filter(|s| matches!(s.result, SlackResult::Sent(_))).count();
    let failed = slack.iter().filter(|s| matches!(s.result, SlackResult::Failed(_))).count();
    for (outcome, count) in [(SlackOutcome::Delivered, delivered), (SlackOutcome::Failed, failed)] {
        if count > 0 {
            documents.push(Document::new(at, Metric::SlackMessages, &[outcome.as_str()], count as u64));
        }
    }
    documents
}

/// The `type` of a message body, if it is a JSON object with a string `type`.
fn type_of(body: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Typed {
        #[serde(rename = "type")]
        kind: Option<String>,
    }
    serde_json::from_str::<Typed>(body).ok()?.kind
}

/// The documents for one click `triage` acted on or refused, at `now`: one [`Metric::Answers`];
/// an [`Metric::Escalations`] for a No that paged; and, for the click that answered, the
/// [`Metric::TimeToAnswer`] since `prompt_ts`, the prompt's Slack timestamp, when known.
pub fn answer(answer: Answer, outcome: AnswerOutcome, prompt_ts: Option<&str>, now: DateTime<Utc>) -> Vec<Document> {
    let mut documents = vec![Document::new(now, Metric::Answers, &[answer.as_str(), outcome.as_str()], 1)];
    if outcome == AnswerOutcome::Escalated {
        documents.push(Document::new(now, Metric::Escalations, &[Cause::No.as_str()], 1));
    }
    let posted = prompt_ts.and_then(slack_ts_millis);
    let waited = posted.and_then(|posted| u64::try_from(now.timestamp_millis() - posted).ok());
    if let (true, Some(waited)) = (outcome.answered(), waited) {
        documents.push(Document::new(now, Metric::TimeToAnswer, &[answer.as_str()], waited));
    }
    documents
}

/// The document for an alarm escalated because nobody answered its prompt in time.
pub fn unanswered_escalation(now: DateTime<Utc>) -> Vec<Document> {
    vec![Document::new(now, Metric::Escalations, &[Cause::NoAnswer.as_str()], 1)]
}

/// Milliseconds since the epoch of a Slack message timestamp (`seconds.microseconds`).
pub fn slack_ts_millis(ts: &str) -> Option<i64> {
    let (seconds, fraction) = ts.split_once('.').unwrap_or((ts, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(seconds) || !(fraction.is_empty() || digits(fraction)) {
        return None;
    }
    let millis: i64 = format!("{fraction:0<3}")[..3].parse().ok()?;
    seconds.parse::<i64>().ok()?.checked_mul(1000)?.checked_add(millis)
}
