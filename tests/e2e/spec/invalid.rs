//! What cannot be routed is rejected, naming the field's path and the reason. What can be routed
//! with a coercion or a default is accepted with a warning instead: see `warnings.rs`.

use dispatch_core::message::{InvalidMessage, parse};
use serde_json::{Value, json};

use super::helpers::*;

fn rejected(value: &Value) -> InvalidMessage {
    match parse_value(value) {
        Ok(message) => panic!("expected a rejection, got {message:?}"),
        Err(e) => e,
    }
}

fn assert_rejected(value: Value, path: &str, reason_contains: &str) {
    let error = rejected(&value);
    assert_eq!(error.path, path, "{error}");
    assert!(error.reason.contains(reason_contains), "{error} does not contain {reason_contains:?}");
}

#[test]
fn bytes_that_are_not_json_are_rejected_at_the_root() {
    let error = parse(b"{\"type\": \"self-service\"").unwrap_err();
    assert_eq!(error.path, "$");
    assert!(error.reason.starts_with("not valid JSON"), "{error}");
    let error = parse(&[0xff, 0xfe, 0x00]).unwrap_err();
    assert_eq!(error.path, "$");
}

#[test]
fn json_that_is_not_an_object_is_rejected_at_the_root() {
    assert_rejected(json!(["self-service"]), "$", "expected a JSON object, found an array");
    assert_rejected(json!("self-service"), "$", "found a string");
    assert_rejected(json!(null), "$", "found null");
}

#[test]
fn a_missing_type_is_rejected() {
    assert_rejected(without(json(SELF_SERVICE), "/type"), "type", "required");
    assert_rejected(with(json(SELF_SERVICE), "/type", json!(null)), "type", "required");
}

#[test]
fn a_type_that_is_not_a_string_is_rejected() {
    assert_rejected(with(json(SELF_SERVICE), "/type", json!(7)), "type", "expected a string, found a number");
}

#[test]
fn self_service_without_a_github_title_is_rejected() {
    assert_rejected(
        without(json(SELF_SERVICE), "/body/github/title"),
        "body.github.title",
        "required for self-service",
    );
}

#[test]
fn a_github_title_that_is_not_text_is_rejected() {
    assert_rejected(
        with(json(BROADCAST), "/body/github/title", json!(["t"])),
        "body.github.title",
        "expected a string, found an array",
    );
    assert_rejected(with(json(NAG), "/body/github", json!("t")), "body.github", "expected an object, found a string");
    assert_rejected(without(json(LOW_PRIORITY), "/body/github"), "body.github", "required for low-priority");
}

#[test]
fn an_empty_title_is_rejected() {
    assert_rejected(
        with(json(LOW_PRIORITY), "/body/github/title", json!("  ")),
        "body.github.title",
        "must not be empty",
    );
}

#[test]
fn a_message_without_body_is_rejected() {
    assert_rejected(without(json(NAG), "/body"), "body", "required for nag");
}

#[test]
fn broadcast_with_no_users_is_rejected() {
    assert_rejected(
        with(json(BROADCAST), "/users", json!([])),
        "users",
        "at least one recipient is required for broadcast",
    );
    assert_rejected(without(json(NAG), "/users"), "users", "at least one recipient is required for nag");
}

#[test]
fn broadcast_with_no_user_object_at_all_is_still_rejected() {
    assert_rejected(
        with(json(BROADCAST), "/users", json!(["alice", null, 7])),
        "users",
        "at least one recipient is required for broadcast (no element of users is a user object)",
    );
    assert_rejected(
        with(json(NAG), "/users", json!("alice")),
        "users",
        "at least one recipient is required for nag (expected an array of user objects, found a string)",
    );
}

#[test]
fn a_repository_that_could_escape_its_url_path_is_rejected() {
    assert_rejected(with(json(SELF_SERVICE), "/githubRepo", json!("../../orgs")), "githubRepo", "");
    assert_rejected(with(json(SELF_SERVICE), "/gitHubRepo", json!("a/b/c")), "gitHubRepo", "repository name");
    assert_rejected(with(json(LOW_PRIORITY), "/githubRepo", json!("")), "githubRepo", "must not be empty");
}

#[test]
fn a_repository_of_the_wrong_type_is_rejected_for_types_that_open_an_issue() {
    assert_rejected(
        with(json(BROADCAST), "/githubRepo", json!(["audit"])),
        "githubRepo",
        "expected a string, found an array",
    );
    // A number is its string, then checked like any other name.
    let message = ok(&with(json(NAG), "/githubRepo", json!(2024)));
    assert_eq!(message.github_repo.unwrap().resolve(&defaults().repo.owner).to_string(), "acme/2024");
}

#[test]
fn high_priority_without_a_pagerduty_title_is_rejected() {
    assert_rejected(without(json(HIGH_PRIORITY), "/body/pagerduty"), "body.pagerduty", "required for high-priority");
    assert_rejected(
        without(json(HIGH_PRIORITY), "/body/pagerduty/title"),
        "body.pagerduty.title",
        "required for high-priority",
    );
    assert_rejected(
        with(json(HIGH_PRIORITY), "/body/pagerduty/title", json!(" \n")),
        "body.pagerduty.title",
        "must not be empty",
    );
    assert_rejected(
        with(json(HIGH_PRIORITY), "/body/pagerduty/title", json!({ "text": "t" })),
        "body.pagerduty.title",
        "expected a string, found an object",
    );
    assert_rejected(
        with(json(HIGH_PRIORITY), "/body/pagerduty", json!("page me")),
        "body.pagerduty",
        "expected an object, found a string",
    );
}

#[test]
fn a_body_that_is_not_an_object_is_rejected() {
    assert_rejected(with(json(HIGH_PRIORITY), "/body", json!("page me")), "body", "expected an object, found a string");
}

#[test]
fn both_repo_spellings_with_different_values_are_rejected_rather_than_guessed() {
    let message = with(with(json(SELF_SERVICE), "/githubRepo", json!("a")), "/gitHubRepo", json!("b"));
    assert_rejected(message, "githubRepo", "given twice, as githubRepo and gitHubRepo, with different values");
}

#[test]
fn the_error_displays_as_path_then_reason() {
    let error = rejected(&without(json(SELF_SERVICE), "/body/github/title"));
    assert_eq!(error.to_string(), "body.github.title: required for self-service");
}
