//! The alarm span: every log line of an alarm carries its ids, and no log call repeats them. The
//! services are unreachable here, so an alarm fails at its first request: the flows themselves are
//! tested end to end in `tests/`.

use std::time::Duration;

use serde_json::Value;

use super::{AlarmError, Envelope, Incoming};
use crate::config::IncomingConfig;
use crate::deadline::{Deadline, RetryPolicy};

const HIGH_PRIORITY: &str = include_str!("../../../examples/high-priority.json");
const LOW_PRIORITY: &str = include_str!("../../../examples/low-priority.json");

async fn unreachable_services() -> Incoming {
    let closed = "http://127.0.0.1:9";
    let env = crate::config::tests::incoming_env(&[
        ("GitHubApiUrl", closed),
        ("SlackApiUrl", closed),
        ("PagerDutyApiUrl", closed),
    ]);
    let config = IncomingConfig::load(&env, None).await.unwrap();
    let policy =
        RetryPolicy { attempts: 1, backoff: Duration::from_millis(1), request_timeout: Duration::from_secs(1) };
    Incoming::from_config(&config, policy).unwrap()
}

/// The log lines the binaries' subscriber writes on this thread while `f` runs.
async fn logged<T>(f: impl Future<Output = T>) -> (Vec<Value>, T) {
    let written = crate::telemetry::Written::default();
    let output = {
        let _default = tracing::subscriber::set_default(written.subscriber("info"));
        f.await
    };
    (written.lines(), output)
}

fn deadline() -> Deadline {
    Deadline::after(Duration::from_secs(5))
}

fn line<'a>(lines: &'a [Value], message: &str) -> &'a Value {
    let found = lines.iter().find(|l| l["fields"]["message"] == message);
    &found.unwrap_or_else(|| panic!("no line {message:?} in {lines:?}"))["fields"]
}

/// An SNS event of one record, `message`, as Lambda hands it over.
fn sns_event(message_id: &str, message: &str) -> aws_lambda_events::sns::SnsEvent {
    serde_json::from_value(serde_json::json!({ "Records": [{
        "EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": "arn:aws:sns:us-east-1:1:d:s",
        "Sns": { "Type": "Notification", "MessageId": message_id, "TopicArn": "arn:aws:sns:us-east-1:1:d",
            "Message": message, "Timestamp": "2026-11-27T14:02:11.120Z", "SignatureVersion": "1",
            "Signature": "x", "SigningCertUrl": "https://x", "UnsubscribeUrl": "https://x", "MessageAttributes": {} }
    }]}))
    .unwrap()
}

#[tokio::test]
async fn an_invocation_names_itself_in_the_span_of_each_of_its_alarms() {
    let incoming = unreachable_services().await;
    let event = sns_event("e-sns", HIGH_PRIORITY);
    let (lines, failed) = logged(incoming.handle_invocation(&event, Some("lambda-1"), deadline())).await;
    assert_eq!(failed.unwrap_err().failures.len(), 1);
    let received = line(&lines, "alarm received");
    assert_eq!((&received["lambda_request_id"], &received["sns_message_id"]), (&"lambda-1".into(), &"e-sns".into()));
}

#[tokio::test]
async fn every_line_of_an_alarm_carries_the_ids_of_its_span() {
    let incoming = unreachable_services().await;
    let messages = [("e-bad", r#"{"type":"broadcast","body":{}}"#), ("e-hp", HIGH_PRIORITY), ("e-lp", LOW_PRIORITY)];
    let (lines, results) = logged(async {
        let mut results = Vec::new();
        for (event_id, body) in messages {
            results.push(incoming.handle(Envelope { event_id, published: None, body }, deadline()).await.map(|_| ()));
        }
        results
    })
    .await;
    assert!(matches!(results[0], Err(AlarmError::Invalid(_))), "{:?}", results[0]);
    assert!(matches!(results[1], Err(AlarmError::PagerDuty(_))), "{:?}", results[1]);
    assert!(matches!(results[2], Err(AlarmError::GitHub(_))), "{:?}", results[2]);

    let rejected = line(&lines, "message rejected");
    assert_eq!((&rejected["sns_message_id"], &rejected["path"]), (&"e-bad".into(), &"users".into()));
    assert!(rejected.get("request_id").is_none(), "not read yet: {rejected}");

    for message in ["alarm received", "PagerDuty incident not created"] {
        let fields = line(&lines, message);
        assert_eq!(fields["sns_message_id"], "e-hp", "{message}");
        assert_eq!(fields["request_id"], "hp-root-login-0001", "{message}");
        assert_eq!(fields["type"], "high-priority", "{message}");
        assert_eq!(fields["service"], "PSECOPS", "{message}");
    }
    let lookup = line(&lines, "issue lookup failed");
    assert_eq!((&lookup["sns_message_id"], &lookup["type"]), (&"e-lp".into(), &"low-priority".into()));
    assert_eq!(lookup["repo"], "acme/dispatch-alarms");
    assert!(lookup.get("service").is_none(), "a low-priority alarm pages nobody: {lookup}");
}
