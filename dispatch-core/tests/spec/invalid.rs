//! Rejected messages name the field's path and the reason.

use dispatch_core::message::{InvalidMessage, parse};
use serde_json::{Value, json};

use crate::helpers::*;

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
fn self_service_without_a_prompt_is_rejected() {
    assert_rejected(
        without(json(SELF_SERVICE), "/body/slack/prompt"),
        "body.slack.prompt",
        "required for self-service",
    );
}

#[test]
fn self_service_without_buttons_is_rejected() {
    assert_rejected(without(json(SELF_SERVICE), "/body/slack/actions"), "body.slack.actions", "required");
    assert_rejected(without(json(SELF_SERVICE), "/body/slack/actions/no"), "body.slack.actions.no", "required");
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
fn an_empty_title_is_rejected() {
    assert_rejected(
        with(json(LOW_PRIORITY), "/body/github/title", json!("  ")),
        "body.github.title",
        "must not be empty",
    );
}

#[test]
fn a_missing_issue_body_is_rejected() {
    assert_rejected(without(json(LOW_PRIORITY), "/body/github/body"), "body.github.body", "required for low-priority");
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
fn broadcast_without_a_slack_message_is_rejected() {
    assert_rejected(without(json(BROADCAST), "/body/slack/message"), "body.slack.message", "required for broadcast");
    assert_rejected(without(json(NAG), "/body/slack"), "body.slack", "required for nag");
}

#[test]
fn a_label_that_is_not_a_string_is_rejected() {
    assert_rejected(
        with(json(SELF_SERVICE), "/body/github/labels", json!(["ok", 3])),
        "body.github.labels[1]",
        "expected a string",
    );
    assert_rejected(with(json(NAG), "/body/github/label", json!(true)), "body.github.label", "expected a string");
}

#[test]
fn labels_that_are_not_an_array_are_rejected() {
    assert_rejected(
        with(json(SELF_SERVICE), "/body/github/labels", json!("2fa")),
        "body.github.labels",
        "expected a sequence",
    );
}

#[test]
fn retrigger_that_is_not_a_boolean_is_rejected() {
    assert_rejected(with(json(SELF_SERVICE), "/retrigger", json!("false")), "retrigger", "expected a boolean");
}

#[test]
fn users_that_are_not_an_array_of_objects_are_rejected() {
    assert_rejected(with(json(BROADCAST), "/users", json!({ "slackId": "U1" })), "users", "expected a sequence");
    assert_rejected(with(json(BROADCAST), "/users/1", json!("bob")), "users[1]", "expected a user object");
}

#[test]
fn a_slack_id_of_the_wrong_type_or_shape_is_rejected() {
    assert_rejected(with(json(BROADCAST), "/users/1/slackId", json!(12)), "users[1].slackId", "expected a string");
    assert_rejected(
        with(json(BROADCAST), "/users/0/slackId", json!("@alice")),
        "users[0].slackId",
        "letters and digits",
    );
}

#[test]
fn a_github_login_with_spaces_is_rejected() {
    assert_rejected(
        with(json(SELF_SERVICE), "/users/0/github", json!("alice smith")),
        "users[0].github",
        "may contain only",
    );
}

#[test]
fn a_repository_that_could_escape_its_url_path_is_rejected() {
    assert_rejected(with(json(SELF_SERVICE), "/githubRepo", json!("../../orgs")), "githubRepo", "");
    assert_rejected(with(json(SELF_SERVICE), "/gitHubRepo", json!("a/b/c")), "githubRepo", "repository name");
}

#[test]
fn a_request_id_with_spaces_or_too_long_is_rejected() {
    assert_rejected(with(json(SELF_SERVICE), "/requestId", json!("a b")), "requestId", "may contain only");
    assert_rejected(with(json(SELF_SERVICE), "/requestId", json!("x".repeat(129))), "requestId", "at most 128");
    assert_rejected(with(json(SELF_SERVICE), "/requestId", json!(17)), "requestId", "expected a string");
}

#[test]
fn a_button_text_longer_than_slack_allows_is_rejected() {
    assert_rejected(
        with(json(SELF_SERVICE), "/body/slack/actions/yes", json!("y".repeat(76))),
        "body.slack.actions.yes",
        "at most 75 characters, got 76",
    );
}

#[test]
fn a_response_text_too_long_for_the_button_value_is_rejected() {
    assert_rejected(
        with(json(SELF_SERVICE), "/body/slack/actions/no_response", json!("n".repeat(501))),
        "body.slack.actions.no_response",
        "at most 500",
    );
}

#[test]
fn high_priority_without_a_pagerduty_title_is_rejected() {
    assert_rejected(without(json(HIGH_PRIORITY), "/body/pagerduty"), "body.pagerduty", "required for high-priority");
    assert_rejected(
        without(json(HIGH_PRIORITY), "/body/pagerduty/title"),
        "body.pagerduty.title",
        "required for high-priority",
    );
}

#[test]
fn a_pagerduty_service_of_the_wrong_shape_is_rejected() {
    assert_rejected(
        with(json(HIGH_PRIORITY), "/pagerDutyServiceId", json!("P 1")),
        "pagerDutyServiceId",
        "letters and digits",
    );
    assert_rejected(
        with(json(HIGH_PRIORITY), "/body/pagerduty/service", json!(["P1"])),
        "body.pagerduty.service",
        "expected a string",
    );
}

#[test]
fn a_body_that_is_not_an_object_is_rejected() {
    assert_rejected(
        with(json(HIGH_PRIORITY), "/body", json!("page me")),
        "body",
        "expected an object with github, slack and pagerduty",
    );
}

#[test]
fn both_repo_spellings_at_once_are_rejected_rather_than_guessed() {
    let message = with(with(json(SELF_SERVICE), "/githubRepo", json!("a")), "/gitHubRepo", json!("b"));
    assert_rejected(message, "$", "duplicate field");
}

#[test]
fn the_error_displays_as_path_then_reason() {
    let error = rejected(&without(json(SELF_SERVICE), "/body/github/title"));
    assert_eq!(error.to_string(), "body.github.title: required for self-service");
}

#[test]
fn slack_texts_and_issue_bodies_beyond_what_the_services_accept_are_rejected() {
    assert_rejected(
        with(json(BROADCAST), "/body/slack/message", json!("m".repeat(12_001))),
        "body.slack.message",
        "at most 12000",
    );
    assert_rejected(
        with(json(SELF_SERVICE), "/body/slack/prompt", json!("p".repeat(12_001))),
        "body.slack.prompt",
        "at most 12000",
    );
    assert_rejected(
        with(json(NAG), "/body/github/body", json!("b".repeat(60_001))),
        "body.github.body",
        "at most 60000",
    );
}
