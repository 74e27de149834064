//! Reject only what cannot be routed (DESIGN.md §5): what is missing is defaulted, what is too long
//! is cut, and each change is a warning naming the field; what warnings say.

use dispatch_core::message::{Alarm, DEFAULT_PROMPT, MessageWarning, Prompt};
use dispatch_core::routing::SlackContent;
use serde_json::{Value, json};

use super::helpers::*;

// Defaults for self-service, broadcast and nag texts

#[test]
fn a_self_service_alarm_without_a_prompt_is_delivered_with_the_default_prompt() {
    let message = without(json(SELF_SERVICE), "/body/slack/prompt");
    let parsed = ok(&message);
    assert_eq!(self_service(&parsed).prompt.prompt, "Was this you?");
    assert_eq!(DEFAULT_PROMPT, "Was this you?");
    assert_eq!(warning(&parsed, "body.slack.prompt"), "missing; \"Was this you?\" is used");
    let plan = plan_of(&message);
    assert!(matches!(&plan.slack[0].content, SlackContent::Prompt { prompt, .. } if prompt.prompt == "Was this you?"));
}

#[test]
fn a_self_service_alarm_without_buttons_gets_yes_and_no() {
    let parsed = ok(&without(json(SELF_SERVICE), "/body/slack/actions"));
    let prompt = &self_service(&parsed).prompt;
    assert_eq!((prompt.yes.as_str(), prompt.no.as_str()), ("Yes", "No"));
    assert_eq!((&prompt.yes_response, &prompt.no_response), (&None, &None));
    assert_eq!(warning(&parsed, "body.slack.actions"), "missing; the buttons \"Yes\" and \"No\" are used");

    let parsed = ok(&without(json(SELF_SERVICE), "/body/slack/actions/no"));
    let prompt = &self_service(&parsed).prompt;
    assert_eq!((prompt.yes.as_str(), prompt.no.as_str()), ("Yes, it was me", "No"));
    assert_eq!(warning(&parsed, "body.slack.actions.no"), "missing; \"No\" is used");
}

#[test]
fn a_blank_button_or_prompt_gets_its_default() {
    let message = with(json(SELF_SERVICE), "/body/slack/actions/yes", json!("   "));
    let message = with(message, "/body/slack/prompt", json!(""));
    let message = with(message, "/body/slack/actions/no", json!(format!("{}x", " ".repeat(80))));
    let parsed = ok(&message);
    let prompt = &self_service(&parsed).prompt;
    assert_eq!((prompt.prompt.as_str(), prompt.yes.as_str(), prompt.no.as_str()), ("Was this you?", "Yes", "No"));
    assert_eq!(warning(&parsed, "body.slack.actions.yes"), "blank; \"Yes\" is used");
    assert_eq!(warning(&parsed, "body.slack.prompt"), "blank; \"Was this you?\" is used");
}

#[test]
fn a_self_service_alarm_without_body_slack_sends_the_issue_title_with_the_default_prompt_and_buttons() {
    let message = without(json(SELF_SERVICE), "/body/slack");
    let parsed = ok(&message);
    assert_eq!(
        self_service(&parsed).prompt,
        Prompt {
            message: "Two-factor authentication disabled for alice".into(),
            prompt: "Was this you?".into(),
            yes: "Yes".into(),
            no: "No".into(),
            yes_response: None,
            no_response: None,
        }
    );
    assert_eq!(
        parsed.warnings,
        [MessageWarning::new(
            "body.slack",
            "missing; the issue title is the message, with the default prompt and buttons"
        )]
    );
    let parsed = ok(&with(json(SELF_SERVICE), "/body/slack", json!("hello")));
    assert_warns(&parsed, "body.slack", "expected an object, found a string; the issue title is the message");
}

#[test]
fn a_self_service_alarm_without_a_slack_message_sends_the_issue_title() {
    let parsed = ok(&without(json(SELF_SERVICE), "/body/slack/message"));
    assert_eq!(self_service(&parsed).prompt.message, "Two-factor authentication disabled for alice");
    assert_eq!(self_service(&parsed).prompt.prompt, "Did you disable it yourself?");
    assert_eq!(warning(&parsed, "body.slack.message"), "missing; the issue title is used");
}

#[test]
fn the_node_originals_test_message_shape_is_delivered() {
    // Node's own test messages had a message but no prompt, and no actions.
    let message = json!({
        "type": "self-service",
        "users": [{ "slack": "alice", "slackId": "U012ABCDEF", "github": "alice" }],
        "body": {
            "github": { "title": "self-service test", "body": "self-service test body" },
            "slack": { "message": "self-service test message" }
        }
    });
    let parsed = ok(&message);
    assert_eq!(paths(&parsed), ["body.slack.prompt", "body.slack.actions"]);
    let plan = plan_of(&message);
    assert_eq!(plan.slack.len(), 1);
    assert!(matches!(plan.slack[0].content, SlackContent::Prompt { .. }));
}

#[test]
fn a_broadcast_without_a_slack_message_sends_the_issue_title() {
    let parsed = ok(&without(json(BROADCAST), "/body/slack/message"));
    assert_eq!(fan_out(&parsed).message, "Phishing campaign targeting engineering");
    assert_eq!(warning(&parsed, "body.slack.message"), "missing; the issue title is used");
    let parsed = ok(&without(json(NAG), "/body/slack"));
    assert_eq!(fan_out(&parsed).message, "Laptop operating system updates overdue");
    assert_eq!(warning(&parsed, "body.slack"), "missing; the issue title is the message");
}

#[test]
fn a_missing_issue_body_becomes_an_empty_body_with_a_warning() {
    let message = without(json(LOW_PRIORITY), "/body/github/body");
    let parsed = ok(&message);
    assert_eq!(warning(&parsed, "body.github.body"), "missing; the issue body is empty");
    assert_eq!(plan_of(&message).issue.unwrap().body, " \n\n @bob");
    let parsed = ok(&with(json(NAG), "/body/github/body", json!({ "text": "x" })));
    assert_eq!(warning(&parsed, "body.github.body"), "expected a string, found an object; the issue body is empty");
}

// Lengths and labels

#[test]
fn a_title_longer_than_github_allows_is_cut_to_256_characters_and_trimmed() {
    let title = format!("{}  {}", "é".repeat(255), "tail");
    let parsed = ok(&with(json(LOW_PRIORITY), "/body/github/title", json!(title)));
    let Alarm::LowPriority(alarm) = &parsed.alarm else { panic!("not low-priority") };
    assert_eq!(alarm.issue.title, "é".repeat(255), "cut after 256 characters, then the trailing space trimmed");
    assert_eq!(warning(&parsed, "body.github.title"), "longer than 256 characters (261); cut to 256");
}

#[test]
fn a_button_text_longer_than_slack_allows_is_cut_to_75_characters() {
    let parsed = ok(&with(json(SELF_SERVICE), "/body/slack/actions/yes", json!("ÿ".repeat(76))));
    assert_eq!(self_service(&parsed).prompt.yes, "ÿ".repeat(75));
    assert_eq!(warning(&parsed, "body.slack.actions.yes"), "longer than 75 characters (76); cut to 75");
}

#[test]
fn a_response_text_too_long_for_the_button_value_is_cut() {
    let parsed = ok(&with(json(SELF_SERVICE), "/body/slack/actions/no_response", json!("n".repeat(501))));
    assert_eq!(self_service(&parsed).prompt.no_response.as_deref(), Some("n".repeat(500).as_str()));
    assert_warns(&parsed, "body.slack.actions.no_response", "cut to 500");
    let parsed = ok(&with(json(SELF_SERVICE), "/body/slack/actions/yes_response", json!(false)));
    assert_eq!(self_service(&parsed).prompt.yes_response, None);
    assert_warns(&parsed, "body.slack.actions.yes_response", "expected a string, found a boolean; ignored");
}

#[test]
fn slack_texts_and_issue_bodies_beyond_what_the_services_accept_are_cut_at_a_char_boundary() {
    let parsed = ok(&with(json(BROADCAST), "/body/slack/message", json!("🚨".repeat(12_001))));
    assert_eq!(fan_out(&parsed).message, "🚨".repeat(12_000));
    assert_eq!(warning(&parsed, "body.slack.message"), "longer than 12000 characters (12001); cut to 12000");

    let parsed = ok(&with(json(SELF_SERVICE), "/body/slack/prompt", json!("p".repeat(12_001))));
    assert_eq!(self_service(&parsed).prompt.prompt.chars().count(), 12_000);
    assert_warns(&parsed, "body.slack.prompt", "cut to 12000");

    let parsed = ok(&with(json(NAG), "/body/github/body", json!("ß".repeat(60_001))));
    assert_eq!(fan_out(&parsed).issue.body, "ß".repeat(60_000));
    assert_warns(&parsed, "body.github.body", "cut to 60000");
}

#[test]
fn a_label_that_is_not_a_string_is_dropped_with_a_warning() {
    let parsed = ok(&with(json(SELF_SERVICE), "/body/github/labels", json!(["ok", 3, null])));
    assert_eq!(self_service(&parsed).issue.labels, ["ok"]);
    assert_eq!(warning(&parsed, "body.github.labels[1]"), "expected a string, found a number; dropped");
    assert_eq!(warning(&parsed, "body.github.labels[2]"), "expected a string, found null; dropped");
    let parsed = ok(&with(json(NAG), "/body/github/label", json!(true)));
    assert_eq!(fan_out(&parsed).issue.labels, Vec::<String>::new());
    assert_warns(&parsed, "body.github.label", "expected a string, found a boolean; dropped");
}

#[test]
fn a_blank_or_too_long_label_is_dropped_with_a_warning() {
    let parsed = ok(&with(json(SELF_SERVICE), "/body/github/labels", json!([" ", "l".repeat(51), "kept"])));
    assert_eq!(self_service(&parsed).issue.labels, ["kept"]);
    assert_eq!(warning(&parsed, "body.github.labels[0]"), "blank; dropped");
    assert_eq!(warning(&parsed, "body.github.labels[1]"), "longer than 50 characters (51); dropped");
}

#[test]
fn labels_given_as_one_string_are_taken_as_one_label() {
    let parsed = ok(&with(json(SELF_SERVICE), "/body/github/labels", json!("2fa")));
    assert_eq!(self_service(&parsed).issue.labels, ["2fa"]);
    assert_eq!(warning(&parsed, "body.github.labels"), "a string, taken as a list of one label");
    let parsed = ok(&with(json(SELF_SERVICE), "/body/github/labels", json!({ "name": "2fa" })));
    assert_eq!(self_service(&parsed).issue.labels, Vec::<String>::new());
    assert_warns(&parsed, "body.github.labels", "expected an array of strings, found an object; ignored");
}

// PagerDuty texts

#[test]
fn a_pagerduty_title_or_body_given_as_a_number_is_taken_as_its_string() {
    let message =
        with(with(json(HIGH_PRIORITY), "/body/pagerduty/title", json!(503)), "/body/pagerduty/body", json!(7));
    let parsed = ok(&message);
    assert_eq!((incident(&parsed).title.as_str(), incident(&parsed).details.as_deref()), ("503", Some("7")));
    assert_eq!(paths(&parsed), ["body.pagerduty.title", "body.pagerduty.body"]);
}

#[test]
fn pagerduty_details_given_as_an_object_become_its_compact_json() {
    let details = json!({ "host": "db-1", "disk": [90, 95] });
    let parsed = ok(&with(json(HIGH_PRIORITY), "/body/pagerduty/body", details.clone()));
    let text = incident(&parsed).details.clone().unwrap();
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), details);
    assert!(!text.contains(' '), "compact: {text}");
    assert_eq!(warning(&parsed, "body.pagerduty.body"), "an object, taken as its JSON text");
    let parsed = ok(&with(json(FALLBACK), "/body/pagerduty", json!({ "title": "Disk", "body": [1] })));
    assert_eq!(incident(&parsed).details.as_deref(), Some("[1]"));
    assert_warns(&parsed, "body.pagerduty.body", "an array, taken as its JSON text");
}

// What warnings say

#[test]
fn warnings_never_quote_the_value() {
    let secret = "xoxb 123456 secret";
    let message = json!({
        "type": "self-service",
        "requestId": secret,
        "pagerDutyServiceId": secret,
        "retrigger": secret,
        "users": [{ "slackId": secret, "github": secret, "slack": [secret] }],
        "body": {
            "github": { "title": "t", "body": [secret], "labels": [secret.repeat(5), { "k": secret }] },
            "slack": { "message": [secret], "prompt": { "p": secret }, "actions": { "yes": [secret], "no_response": [secret] } }
        }
    });
    let parsed = ok(&message);
    assert!(parsed.warnings.len() >= 10, "{:#?}", parsed.warnings);
    for warning in &parsed.warnings {
        assert!(!warning.to_string().contains("secret") && !warning.to_string().contains("123456"), "{warning}");
    }
}
