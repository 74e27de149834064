//! Whatever the bytes, the parser returns a message or an error: never a panic.

use dispatch_core::message::parse;
use dispatch_core::routing::plan;
use proptest::prelude::*;
use serde_json::{Map, Value};

use super::helpers::{BROADCAST, EXAMPLES, HIGH_PRIORITY, LOW_PRIORITY, NAG, SELF_SERVICE, defaults, with};

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[a-zA-Z0-9 @#/._-]{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("self-service"),
            Just("broadcast"),
            Just("nag"),
            Just("low-priority"),
            Just("high-priority"),
            Just("high")
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    let key = prop_oneof![
        Just("type"),
        Just("requestId"),
        Just("githubRepo"),
        Just("gitHubRepo"),
        Just("pagerDutyServiceId"),
        Just("retrigger"),
        Just("users"),
        Just("body"),
        Just("github"),
        Just("slack"),
        Just("pagerduty"),
        Just("title"),
        Just("labels"),
        Just("label"),
        Just("message"),
        Just("prompt"),
        Just("actions"),
        Just("yes"),
        Just("no"),
        Just("slackId"),
        Just("service"),
        Just("x"),
    ];
    leaf.prop_recursive(6, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..8).prop_map(|pairs| Value::Object(
                pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect::<Map<_, _>>()
            )),
        ]
    })
}

/// An example with one field replaced by arbitrary JSON, to reach deep into the strict paths.
fn mutated_example() -> impl Strategy<Value = Value> {
    (0..EXAMPLES.len(), arbitrary_json(), 0usize..64).prop_map(|(i, replacement, pick)| {
        let mut value: Value = serde_json::from_str(EXAMPLES[i].1).unwrap();
        let mut pointers = Vec::new();
        collect_pointers(&value, String::new(), &mut pointers);
        let pointer = &pointers[pick % pointers.len()];
        if let Some(target) = value.pointer_mut(pointer) {
            *target = replacement;
        }
        value
    })
}

/// The fields each known type does not use (MESSAGE-SPEC.md §9): whatever they hold, the message is
/// taken as it is, without a warning.
const UNUSED: [(&str, &[&str]); 5] = [
    (HIGH_PRIORITY, &["/users", "/githubRepo", "/gitHubRepo", "/body/github", "/body/slack"]),
    (LOW_PRIORITY, &["/body/slack", "/body/pagerduty", "/users/1", "/users/0/slackId"]),
    (SELF_SERVICE, &["/users/1", "/body/pagerduty"]),
    (BROADCAST, &["/body/pagerduty"]),
    (NAG, &["/body/pagerduty"]),
];

/// An example with a field its type does not use replaced by arbitrary JSON.
fn example_with_an_unused_field() -> impl Strategy<Value = (Value, String)> {
    (0..UNUSED.len(), 0usize..8, arbitrary_json()).prop_map(|(i, pick, replacement)| {
        let (example, unused) = UNUSED[i];
        let pointer = unused[pick % unused.len()];
        (with(serde_json::from_str(example).unwrap(), pointer, replacement), pointer.to_owned())
    })
}

fn collect_pointers(value: &Value, here: String, out: &mut Vec<String>) {
    out.push(here.clone());
    match value {
        Value::Object(map) => map.iter().for_each(|(k, v)| collect_pointers(v, format!("{here}/{k}"), out)),
        Value::Array(items) => {
            items.iter().enumerate().for_each(|(i, v)| collect_pointers(v, format!("{here}/{i}"), out))
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse(&bytes);
    }

    #[test]
    fn arbitrary_json_never_panics_and_every_accepted_message_can_be_planned(value in arbitrary_json()) {
        if let Ok(message) = parse(value.to_string().as_bytes()) {
            let _ = plan(&message, &defaults());
        }
    }

    #[test]
    fn mutated_examples_are_accepted_or_rejected_with_a_path(value in mutated_example()) {
        match parse(value.to_string().as_bytes()) {
            Ok(message) => { let _ = plan(&message, &defaults()); }
            Err(e) => prop_assert!(!e.path.is_empty() && !e.reason.is_empty(), "{e:?}"),
        }
    }

    #[test]
    fn every_warning_names_a_path_and_a_reason(value in mutated_example()) {
        if let Ok(message) = parse(value.to_string().as_bytes()) {
            for w in &message.warnings {
                prop_assert!(!w.path.is_empty() && !w.reason.is_empty(), "{w:?}");
            }
        }
    }

    #[test]
    fn a_field_its_type_does_not_use_never_blocks_a_message((value, pointer) in example_with_an_unused_field()) {
        match parse(value.to_string().as_bytes()) {
            Ok(message) => prop_assert!(message.warnings.is_empty(), "{pointer}: {:?}", message.warnings),
            Err(e) => prop_assert!(false, "{pointer} blocked the message: {e}"),
        }
    }
}

#[test]
fn deeply_nested_json_is_rejected_without_overflowing_the_stack() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(parse(deep.as_bytes()).unwrap_err().path, "$");
    let deep_object = format!(r#"{{"type":"broadcast","body":{}1{}}}"#, r#"{"a":"#.repeat(10_000), "}".repeat(10_000));
    assert!(parse(deep_object.as_bytes()).is_err());
}
