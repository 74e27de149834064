//! One span per click: every line logged while handling a click is inside it, and the ids are
//! the span's, recorded once, not the line's.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use base64::Engine;
use serde_json::json;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

use super::*;
use crate::config::Env;

/// Field names to values, as text.
#[derive(Debug, Clone, Default)]
struct Fields(BTreeMap<String, String>);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

/// A line logged: its own fields, and its span's name and fields.
#[derive(Debug, Clone)]
struct Line {
    fields: Fields,
    span: Option<(&'static str, Fields)>,
}

/// Keeps every line logged, with the span it was logged in.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Line>>>);

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attributes: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        attributes.record(&mut fields);
        ctx.span(id).expect("a new span").extensions_mut().insert(fields);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let span = ctx.span(id).expect("a recorded span");
        let mut extensions = span.extensions_mut();
        values.record(extensions.get_mut::<Fields>().expect("fields kept at creation"));
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let span =
            ctx.event_span(event).map(|s| (s.name(), s.extensions().get::<Fields>().cloned().unwrap_or_default()));
        self.0.lock().unwrap().push(Line { fields, span });
    }
}

impl Capture {
    /// The line whose message is `message`.
    fn line(&self, message: &str) -> Line {
        let lines = self.0.lock().unwrap();
        let found = lines.iter().find(|l| l.fields.0.get("message").map(String::as_str) == Some(message));
        found.cloned().unwrap_or_else(|| panic!("no line {message:?} in {lines:#?}"))
    }
}

/// Triage verifying with the legacy token, every service at a loopback port that refuses.
async fn triage() -> Triage {
    let closed = "http://127.0.0.1:1";
    let env = Env::new([
        ("GitHubOwner", "acme"),
        ("GitHubRepo", "dispatch-alarms"),
        ("GitHubToken", "ghp-test"),
        ("GitHubApiUrl", closed),
        ("SlackApiUrl", closed),
        ("SlackBotToken", "xoxb-test"),
        ("PagerDutyApiUrl", closed),
        ("PagerDutyApiKey", "pd-test"),
        ("PagerDutyFromAddress", "oncall@example.com"),
        ("PagerDutyServiceId", "PDEFAULT"),
        ("SlackVerificationToken", "legacy-token"),
    ]);
    let config = TriageConfig::load(&env, None).await.expect("a configuration");
    let policy =
        RetryPolicy { attempts: 1, backoff: Duration::from_millis(1), request_timeout: Duration::from_millis(500) };
    Triage::from_config(&config, policy).expect("clients")
}

/// A Node-era Yes click by U1 on issue 7 (alarm `abc123`), answered through `response_url`.
fn node_era_click(response_url: &str) -> String {
    let callback = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"github":7,"requestId":"abc123"}"#);
    let payload = json!({
        "type": "interactive_message",
        "callback_id": callback,
        "actions": [{ "name": "yes" }],
        "user": { "id": "U1", "name": "alice" },
        "token": "legacy-token",
        "response_url": response_url,
    });
    url::form_urlencoded::Serializer::new(String::new()).append_pair("payload", &payload.to_string()).finish()
}

fn captured() -> (Capture, tracing::subscriber::DefaultGuard) {
    let capture = Capture::default();
    let guard = tracing::subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));
    (capture, guard)
}

fn assert_fields(fields: &Fields, expected: &[(&str, &str)]) {
    for (name, value) in expected {
        assert_eq!(fields.0.get(*name).map(String::as_str), Some(*value), "{name} in {fields:?}");
    }
}

#[tokio::test]
async fn a_refused_click_is_logged_in_its_span_with_the_invocation_the_user_and_the_answer() {
    let triage = triage().await;
    let (capture, _guard) = captured();
    let event = json!({
        "version": "2.0",
        "headers": { "content-type": "application/x-www-form-urlencoded" },
        "requestContext": { "http": { "method": "POST" }, "requestId": "gateway-1" },
        "body": node_era_click("https://example.com/actions/T1/1/secret"),
        "isBase64Encoded": false,
    });
    let answer = triage.handle_invocation(event, Some("lambda-1"), Utc::now()).await.unwrap();
    assert_eq!(answer["statusCode"], 400);
    let line = capture.line("click refused: its response_url is not Slack's");
    let (name, span) = line.span.expect("logged inside a span");
    assert_eq!(name, "click");
    let ids =
        [("lambda_request_id", "lambda-1"), ("gateway_request_id", "gateway-1"), ("user", "U1"), ("answer", "yes")];
    assert_fields(&span, &ids);
    for (id, _) in ids {
        assert!(!line.fields.0.contains_key(id), "{id} repeated on the line: {:?}", line.fields);
    }
}

#[tokio::test]
async fn a_failed_answer_is_logged_in_its_span_with_the_alarms_ids_recorded_once() {
    let triage = triage().await;
    let (capture, _guard) = captured();
    let event = json!({ "postBody": node_era_click("http://127.0.0.1:1/actions/T1/1/x") });
    let answer = triage.handle_event(&event, Utc::now()).await.unwrap();
    assert_eq!(answer, json!({ "text": "" }), "Slack hears back through response_url");
    let line = capture.line("click not acted on");
    let (_, span) = line.span.expect("logged inside a span");
    let ids = [("request_id", "abc123"), ("repo", "acme/dispatch-alarms"), ("issue", "7"), ("user", "U1")];
    assert_fields(&span, &ids);
    assert!(!span.0.contains_key("lambda_request_id"), "no invocation id outside Lambda: {span:?}");
    for (id, _) in ids {
        assert!(!line.fields.0.contains_key(id), "{id} repeated on the line: {:?}", line.fields);
    }
    assert_eq!(line.fields.0.get("outcome").map(String::as_str), Some("failed"));
}
