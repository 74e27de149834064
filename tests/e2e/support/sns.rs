//! SNS events as Lambda delivers them to incoming.

use aws_lambda_events::sns::SnsEvent;
use serde_json::{Value, json};

/// An SNS event with one record per (MessageId, message), shaped as AWS sends it (the records of
/// `tests/fixtures/sns-event.json`).
pub fn event(messages: &[(&str, &str)]) -> Value {
    let template: Value = serde_json::from_str(include_str!("../../fixtures/sns-event.json")).unwrap();
    let record = &template["Records"][0];
    let records: Vec<Value> = messages
        .iter()
        .map(|(id, message)| {
            let mut record = record.clone();
            record["Sns"]["MessageId"] = json!(id);
            record["Sns"]["Message"] = json!(message);
            record
        })
        .collect();
    json!({ "Records": records })
}

/// [`event`] as the handler takes it.
pub fn sns_event(messages: &[(&str, &str)]) -> SnsEvent {
    serde_json::from_value(event(messages)).unwrap()
}

/// [`sns_event`] with every record published at `published` (SNS's `Timestamp`, to the
/// millisecond): what orders a resolve and a trigger of the same alarm, and when follow-ups fall due.
pub fn sns_event_at(messages: &[(&str, &str)], published: chrono::DateTime<chrono::Utc>) -> SnsEvent {
    let mut event = event(messages);
    let timestamp = published.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    for record in event["Records"].as_array_mut().into_iter().flatten() {
        record["Sns"]["Timestamp"] = json!(timestamp);
    }
    serde_json::from_value(event).unwrap()
}
