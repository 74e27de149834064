//! Property tests of every entry point that reads outside input: whatever arrives, no panic, and
//! nothing unverified reaches GitHub or PagerDuty.

use std::sync::OnceLock;

use dispatch_core::state::button::{Callback, LegacyCallback};
use dispatch_core::triage::event::{self, HttpRequest, Shape};
use dispatch_core::triage::payload;
use proptest::prelude::*;
use serde_json::{Value, json};

use super::setup::{Stack, stack};

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap())
}

fn shared_stack() -> &'static Stack {
    static STACK: OnceLock<Stack> = OnceLock::new();
    STACK.get_or_init(|| runtime().block_on(stack()))
}

fn header_value() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "[0-9]{1,12}", "v0=[0-9a-f]{0,64}", ".{0,40}"]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        "payload=[ -~]{0,200}".prop_map(String::into_bytes),
        Just(b"payload=%7B%22type%22%3A%22block_actions%22%2C%22actions%22%3A%5B%5D%7D".to_vec()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn unsigned_or_badly_signed_requests_never_reach_github_or_pagerduty(
        body in body(),
        timestamp in proptest::option::of(header_value()),
        signature in proptest::option::of(header_value()),
        shape in prop_oneof![Just(Shape::RestProxy), Just(Shape::Http), Just(Shape::LegacyPostBody)],
    ) {
        let stack = shared_stack();
        let mut headers = std::collections::HashMap::new();
        if let Some(t) = timestamp { headers.insert("x-slack-request-timestamp".to_owned(), t); }
        if let Some(s) = signature { headers.insert("x-slack-signature".to_owned(), s); }
        let request = HttpRequest { shape, headers, body };
        let before = (stack.fakes.github.requests().len(), stack.fakes.pagerduty.requests().len());
        let response = runtime().block_on(stack.triage.handle(&request, chrono::Utc::now()));
        prop_assert_eq!(response.status, 401);
        prop_assert_eq!((stack.fakes.github.requests().len(), stack.fakes.pagerduty.requests().len()), before);
    }

    #[test]
    fn arbitrary_button_values_and_callback_ids_never_panic(text in ".{0,300}", bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = Callback::decode(&text);
        let _ = LegacyCallback::decode(&text);
        let as_text = String::from_utf8_lossy(&bytes).into_owned();
        let _ = Callback::decode(&as_text);
        let _ = LegacyCallback::decode(&as_text);
    }

    #[test]
    fn decoded_button_values_round_trip(issue in 1u64.., id in "[a-z0-9-]{1,40}", yes in proptest::option::of(".{0,500}")) {
        let callback = Callback {
            repo: dispatch_core::ids::Repo::new(
                dispatch_core::ids::GitHubOwner::parse("acme").unwrap(),
                dispatch_core::ids::RepoName::parse("alarms").unwrap(),
            ),
            issue,
            request_id: dispatch_core::ids::RequestId::parse(&id).unwrap(),
            user: dispatch_core::ids::SlackUserId::parse("U012ABCDEF").unwrap(),
            service: None,
            yes_response: yes,
            no_response: None,
        };
        let value = callback.encode();
        prop_assert!(value.chars().count() <= 2000);
        let decoded = Callback::decode(&value).unwrap();
        prop_assert_eq!(decoded.issue, callback.issue);
        prop_assert_eq!(decoded.request_id, callback.request_id);
    }

    #[test]
    fn arbitrary_payloads_are_parsed_or_refused_without_panic(payload in arbitrary_payload()) {
        let _ = payload::parse_click(&payload);
        let form = url::form_urlencoded::Serializer::new(String::new()).append_pair("payload", &payload.to_string()).finish();
        if let Ok(value) = payload::payload_json(form.as_bytes()) {
            let _ = payload::parse_click(&value);
        }
    }

    #[test]
    fn arbitrary_lambda_events_are_read_or_refused_without_panic(event in arbitrary_event()) {
        let _ = event::from_event(&event);
    }
}

fn arbitrary_payload() -> impl Strategy<Value = Value> {
    let action = (
        prop_oneof![Just("dispatch_yes".to_owned()), Just("dispatch_no".to_owned()), Just("other".to_owned())],
        prop_oneof![Just(r#"{"v":1,"o":"acme","r":"alarms","n":1,"id":"x","u":"U1"}"#.to_owned()), ".{0,60}"],
    )
        .prop_map(|(id, value)| json!({ "action_id": id, "value": value, "name": "yes" }));
    (
        prop_oneof![
            Just("block_actions".to_owned()),
            Just("interactive_message".to_owned()),
            Just("view_submission".to_owned()),
            ".{0,10}"
        ],
        prop::collection::vec(action, 0..3),
        proptest::option::of(".{0,40}"),
        proptest::option::of(prop_oneof![Just("https://hooks.slack.com/actions/T/1/x".to_owned()), ".{0,40}"]),
    )
        .prop_map(|(kind, actions, callback_id, response_url)| {
            json!({ "type": kind, "actions": actions, "callback_id": callback_id, "user": { "id": "U1", "username": "u" }, "response_url": response_url })
        })
}

fn arbitrary_event() -> impl Strategy<Value = Value> {
    (
        prop_oneof![Just(Value::Null), Just(json!("2.0")), Just(json!(2))],
        proptest::option::of(prop_oneof![Just(json!("POST")), Just(json!(null))]),
        prop_oneof![Just(Value::Null), ".{0,40}".prop_map(Value::String), Just(json!({ "a": 1 }))],
        proptest::option::of(any::<bool>()),
        proptest::option::of(prop_oneof![".{0,20}".prop_map(Value::String), Just(json!(5))]),
        prop_oneof![
            Just(Value::Null),
            Just(json!({ "X-Slack-Signature": "v0=1" })),
            Just(json!({ "h": 3 })),
            Just(json!([1]))
        ],
    )
        .prop_map(|(version, method, body, b64, post_body, headers)| {
            let mut event = json!({ "version": version, "body": body, "headers": headers });
            if let Some(m) = method {
                event["httpMethod"] = m;
            }
            if let Some(b) = b64 {
                event["isBase64Encoded"] = json!(b);
            }
            if let Some(p) = post_body {
                event["postBody"] = p;
            }
            event
        })
}
