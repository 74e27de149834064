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

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::incoming::{AlarmError, IssueAction, Report, SlackResult};
use crate::pagerduty::IncidentOutcome;
use crate::triage::payload::Answer;

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

/// What became of one SNS record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlarmOutcome {
    /// An issue was created.
    Created,
    /// An earlier attempt's issue was found and its work finished.
    Resumed,
    /// A nag's existing issue was reused.
    Reused,
    /// An existing issue suppressed the alarm.
    Suppressed,
    /// A PagerDuty incident was opened.
    Paged,
    /// PagerDuty already had an open incident for the alarm.
    AlreadyOpen,
    /// The message breaks the spec.
    Rejected,
    /// GitHub, Slack or PagerDuty failed; Lambda retries the event.
    Failed,
}

impl AlarmOutcome {
    /// Every outcome.
    pub const ALL: [Self; 8] = [
        Self::Created,
        Self::Resumed,
        Self::Reused,
        Self::Suppressed,
        Self::Paged,
        Self::AlreadyOpen,
        Self::Rejected,
        Self::Failed,
    ];

    /// The dimension value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Resumed => "resumed",
            Self::Reused => "reused",
            Self::Suppressed => "suppressed",
            Self::Paged => "paged",
            Self::AlreadyOpen => "already_open",
            Self::Rejected => "rejected",
            Self::Failed => "failed",
        }
    }

    /// The outcome of a handled alarm: a suppressed alarm did nothing else; a page, when there is
    /// one, says more than the issue. An Events API alert is `paged`: PagerDuty deduplicates it
    /// without saying so.
    pub fn of(report: &Report) -> Self {
        let issue = report.issue.as_ref().map(|i| i.action);
        match (issue, &report.incident) {
            (Some(IssueAction::Suppressed), _) => Self::Suppressed,
            (_, Some(incident)) => match incident.outcome {
                IncidentOutcome::Created { .. } => Self::Paged,
                IncidentOutcome::AlreadyOpen => Self::AlreadyOpen,
            },
            _ if report.event.is_some() => Self::Paged,
            (Some(IssueAction::Created), None) => Self::Created,
            (Some(IssueAction::Resumed), None) => Self::Resumed,
            (Some(IssueAction::Reused), None) => Self::Reused,
            // Every plan has an issue or a page; one with neither had nothing left to do.
            (None, None) => Self::Created,
        }
    }
}

/// What became of one Slack message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlackOutcome {
    /// Posted.
    Delivered,
    /// Not posted.
    Failed,
}

impl SlackOutcome {
    /// The dimension value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }
}

/// Why an alarm was escalated to PagerDuty after its prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// The user answered No.
    No,
    /// Nobody answered in time (reserved: emitted once unanswered prompts escalate).
    NoAnswer,
}

impl Cause {
    /// The dimension value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::No => "no",
            Self::NoAnswer => "no_answer",
        }
    }
}

/// What a click did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerOutcome {
    /// Yes: the issue was closed.
    Acknowledged,
    /// No: an incident was opened.
    Escalated,
    /// No: PagerDuty already had the alarm's incident open.
    AlreadyEscalated,
    /// An earlier answer stands; nothing was done.
    AlreadyAnswered,
    /// The clicker may not answer this alarm.
    Refused,
    /// GitHub or PagerDuty failed; the user may click again.
    Failed,
}

impl AnswerOutcome {
    /// The dimension value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Acknowledged => "acknowledged",
            Self::Escalated => "escalated",
            Self::AlreadyEscalated => "already_escalated",
            Self::AlreadyAnswered => "already_answered",
            Self::Refused => "refused",
            Self::Failed => "failed",
        }
    }

    /// Whether the click is the alarm's answer (it acted), so its time counts.
    pub const fn answered(self) -> bool {
        matches!(self, Self::Acknowledged | Self::Escalated | Self::AlreadyEscalated)
    }
}

/// One EMF document: one metric with its dimension values, written as one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    at: DateTime<Utc>,
    metric: Metric,
    /// Values of `metric.dimensions()`, in order.
    values: Vec<&'static str>,
    value: u64,
}

impl Document {
    /// `metric` = `value` with the values of its dimensions, in the order of
    /// [`Metric::dimensions`].
    ///
    /// # Panics
    /// If the number of dimension values is not the metric's number of dimensions.
    pub fn new(at: DateTime<Utc>, metric: Metric, values: &[&'static str], value: u64) -> Self {
        assert_eq!(values.len(), metric.dimensions().len(), "dimension values of {}", metric.name());
        Self { at, metric, values: values.to_vec(), value }
    }

    /// The metric.
    pub fn metric(&self) -> Metric {
        self.metric
    }

    /// The JSON line, without its newline.
    pub fn to_line(&self) -> String {
        let mut members = BTreeMap::new();
        for (name, value) in self.metric.dimensions().iter().zip(&self.values) {
            members.insert(*name, Member::Text(value));
        }
        members.insert(self.metric.name(), Member::Number(self.value));
        let emf = Emf {
            aws: Aws {
                timestamp: self.at.timestamp_millis(),
                cloud_watch_metrics: [Directive {
                    namespace: NAMESPACE,
                    dimensions: [self.metric.dimensions()],
                    metrics: [MetricDefinition { name: self.metric.name(), unit: self.metric.unit().as_str() }],
                }],
            },
            members,
        };
        serde_json::to_string(&emf).expect("an EMF document serializes")
    }
}

/// The EMF root: the metadata, then the dimension and metric values as top-level members.
#[derive(Serialize)]
struct Emf<'a> {
    #[serde(rename = "_aws")]
    aws: Aws<'a>,
    #[serde(flatten)]
    members: BTreeMap<&'a str, Member<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Aws<'a> {
    timestamp: i64,
    cloud_watch_metrics: [Directive<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Directive<'a> {
    namespace: &'a str,
    dimensions: [&'a [&'a str]; 1],
    metrics: [MetricDefinition<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct MetricDefinition<'a> {
    name: &'a str,
    unit: &'a str,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Member<'a> {
    Text(&'a str),
    Number(u64),
}

/// The documents for one SNS record `incoming` handled (with `body`, the record's message, read
/// for its type only when the handler failed before planning): one [`Metric::Alarms`], and the
/// [`Metric::SlackMessages`] delivered and failed, when there were any.
pub fn alarm(result: &Result<Report, AlarmError>, body: &str, at: DateTime<Utc>) -> Vec<Document> {
    let (outcome, report) = match result {
        Ok(report) => (AlarmOutcome::of(report), Some(report)),
        Err(AlarmError::Invalid(_)) => (AlarmOutcome::Rejected, None),
        Err(AlarmError::Undelivered { report, .. }) => (AlarmOutcome::Failed, Some(report.as_ref())),
        Err(AlarmError::GitHub(_) | AlarmError::PagerDuty(_)) => (AlarmOutcome::Failed, None),
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

tokio::task_local! {
    /// Lines captured by [`capture`] instead of written to stdout.
    static CAPTURED: RefCell<Vec<String>>;
}

/// Whether [`emit`] writes to stdout: set once by the binaries, through [`crate::telemetry::init`].
static TO_STDOUT: AtomicBool = AtomicBool::new(false);

/// From now on, [`emit`] writes to stdout. The binaries' set-up ([`crate::telemetry::init`])
/// calls it; until then lines are dropped (outside [`capture`]), so that tests and benchmarks
/// calling the handlers in-process print nothing.
pub fn write_to_stdout() {
    TO_STDOUT.store(true, Ordering::Relaxed);
}

/// Writes the documents, one line each, to stdout (or, inside [`capture`], to its lines).
pub fn emit(documents: &[Document]) {
    let captured = CAPTURED.try_with(|lines| lines.borrow_mut().extend(documents.iter().map(Document::to_line)));
    if captured.is_err() && TO_STDOUT.load(Ordering::Relaxed) {
        // Metrics are best effort: a closed stdout must not fail an alarm.
        let _ = write(documents, &mut std::io::stdout().lock());
    }
}

/// Writes the documents to `out`, one line each, each in a single write so that lines from
/// concurrent writers never interleave.
pub fn write(documents: &[Document], out: &mut impl Write) -> std::io::Result<()> {
    for document in documents {
        let mut line = document.to_line();
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    out.flush()
}

/// Runs `future`, collecting the lines [`emit`] writes during it instead of writing them to
/// stdout: for tests.
pub async fn capture<F: Future>(future: F) -> (F::Output, Vec<String>) {
    CAPTURED
        .scope(RefCell::new(Vec::new()), async {
            let output = future.await;
            (output, CAPTURED.with(|lines| lines.take()))
        })
        .await
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::{Value, json};

    use super::*;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 14, 30, 0).unwrap()
    }

    fn parsed(document: &Document) -> Value {
        serde_json::from_str(&document.to_line()).expect("a metric line is JSON")
    }

    #[test]
    fn a_document_is_one_line_of_emf_json_naming_its_namespace_dimensions_and_unit() {
        let line = Document::new(at(), Metric::Alarms, &["self-service", "created"], 1).to_line();
        assert!(!line.contains('\n'));
        let value: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(
            value,
            json!({
                "_aws": {
                    "Timestamp": at().timestamp_millis(),
                    "CloudWatchMetrics": [{
                        "Namespace": "Dispatch",
                        "Dimensions": [["Type", "Outcome"]],
                        "Metrics": [{ "Name": "Alarms", "Unit": "Count" }],
                    }],
                },
                "Type": "self-service",
                "Outcome": "created",
                "Alarms": 1,
            })
        );
    }

    #[test]
    fn every_metric_declares_exactly_the_members_its_document_holds() {
        for metric in Metric::ALL {
            let values = vec!["x"; metric.dimensions().len()];
            let value = parsed(&Document::new(at(), metric, &values, 7));
            let directive = &value["_aws"]["CloudWatchMetrics"][0];
            assert_eq!(directive["Namespace"], NAMESPACE);
            let names: Vec<&str> =
                directive["Metrics"].as_array().unwrap().iter().map(|m| m["Name"].as_str().unwrap()).collect();
            assert_eq!(names, [metric.name()]);
            assert_eq!(directive["Metrics"][0]["Unit"], metric.unit().as_str());
            let sets = directive["Dimensions"].as_array().unwrap();
            assert_eq!(sets.len(), 1, "{}: one dimension set", metric.name());
            let mut declared: Vec<&str> = sets[0].as_array().unwrap().iter().map(|d| d.as_str().unwrap()).collect();
            assert!(declared.len() <= 30, "CloudWatch allows 30 dimensions");
            declared.push(metric.name());
            declared.push("_aws");
            declared.sort_unstable();
            let mut present: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
            present.sort_unstable();
            assert_eq!(present, declared, "{}", metric.name());
            for dimension in metric.dimensions() {
                assert!(value[dimension].is_string(), "{}: dimension {dimension} is a string", metric.name());
            }
            assert_eq!(value[metric.name()], 7);
        }
    }

    #[test]
    fn time_to_answer_is_in_milliseconds_and_counts_are_counts() {
        assert_eq!(Metric::TimeToAnswer.unit(), Unit::Milliseconds);
        for metric in [Metric::Alarms, Metric::SlackMessages, Metric::Escalations, Metric::Answers] {
            assert_eq!(metric.unit(), Unit::Count, "{}", metric.name());
        }
    }

    #[test]
    #[should_panic(expected = "dimension values of Answers")]
    fn a_document_with_the_wrong_number_of_dimension_values_is_a_bug() {
        let _ = Document::new(at(), Metric::Answers, &["yes"], 1);
    }

    #[test]
    fn a_made_up_type_is_counted_as_fallback() {
        assert_eq!(alarm_type("self-service"), "self-service");
        assert_eq!(alarm_type("high-priority"), "high-priority");
        assert_eq!(alarm_type("my-own-type-42"), "fallback");
        assert_eq!(alarm_type(""), "fallback");
    }

    #[test]
    fn an_unparsable_body_has_no_type() {
        assert_eq!(type_of(r#"{"type":"nag","body":{}}"#).as_deref(), Some("nag"));
        assert_eq!(type_of(r#"{"type":7}"#), None);
        assert_eq!(type_of("not json"), None);
        assert_eq!(type_of("[]"), None);
    }

    #[test]
    fn a_slack_timestamp_is_read_to_the_millisecond() {
        assert_eq!(slack_ts_millis("1764200000.000001"), Some(1_764_200_000_000));
        assert_eq!(slack_ts_millis("1764200000.123456"), Some(1_764_200_000_123));
        assert_eq!(slack_ts_millis("1764200000.5"), Some(1_764_200_000_500));
        assert_eq!(slack_ts_millis("1764200000"), Some(1_764_200_000_000));
        for bad in ["", ".5", "abc.000001", "1764200000.x", "-1.000000", "99999999999999999999.0"] {
            assert_eq!(slack_ts_millis(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_no_that_paged_is_an_escalation_and_its_time_to_answer_counts() {
        let posted = at() - chrono::Duration::milliseconds(90_250);
        let ts = format!("{}.{:06}", posted.timestamp(), posted.timestamp_subsec_micros());
        let documents = answer(Answer::No, AnswerOutcome::Escalated, Some(&ts), at());
        let lines: Vec<Value> = documents.iter().map(parsed).collect();
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert_eq!(
            (&lines[0]["Answer"], &lines[0]["Outcome"], &lines[0]["Answers"]),
            (&json!("no"), &json!("escalated"), &json!(1))
        );
        assert_eq!((&lines[1]["Cause"], &lines[1]["Escalations"]), (&json!("no"), &json!(1)));
        assert_eq!((&lines[2]["Answer"], &lines[2]["TimeToAnswer"]), (&json!("no"), &json!(90_250)));
    }

    #[test]
    fn a_click_that_did_not_answer_has_no_time_to_answer() {
        for outcome in [AnswerOutcome::AlreadyAnswered, AnswerOutcome::Refused, AnswerOutcome::Failed] {
            let documents = answer(Answer::Yes, outcome, Some("1764200000.000001"), at());
            let metrics: Vec<Metric> = documents.iter().map(Document::metric).collect();
            assert_eq!(metrics, [Metric::Answers], "{outcome:?}");
        }
    }

    #[test]
    fn a_prompt_timestamp_after_the_click_or_unreadable_gives_no_time_to_answer() {
        let later = format!("{}.000000", at().timestamp() + 5);
        for ts in [Some(later.as_str()), Some("garbage"), None] {
            let documents = answer(Answer::Yes, AnswerOutcome::Acknowledged, ts, at());
            let metrics: Vec<Metric> = documents.iter().map(Document::metric).collect();
            assert_eq!(metrics, [Metric::Answers], "{ts:?}");
        }
    }

    #[test]
    fn written_documents_are_one_line_each() {
        let documents = answer(Answer::No, AnswerOutcome::Escalated, None, at());
        let mut out = Vec::new();
        write(&documents, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), documents.len());
        assert!(text.ends_with('\n'));
        for (line, document) in lines.iter().zip(&documents) {
            assert_eq!(*line, document.to_line());
        }
    }

    #[tokio::test]
    async fn capture_collects_what_is_emitted_inside_it_only() {
        let documents = answer(Answer::Yes, AnswerOutcome::Refused, None, at());
        let ((), lines) = capture(async { emit(&documents) }).await;
        assert_eq!(lines, [documents[0].to_line()]);
        let ((), nothing) = capture(async {}).await;
        assert!(nothing.is_empty());
    }
}
