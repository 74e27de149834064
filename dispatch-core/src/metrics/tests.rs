//! Tests of the metric documents, the handlers' metrics and where lines go.

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
