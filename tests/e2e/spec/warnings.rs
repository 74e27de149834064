//! Reject only what cannot be routed (DESIGN.md §5): what a type does not use is ignored, what is
//! loose is coerced, what is missing is defaulted, and each change is a warning naming the field.

use dispatch_core::message::{
    Alarm, DEFAULT_PROMPT, FanOut, IncidentContent, Message, MessageWarning, Prompt, SelfService, parse, parse_event,
};
use dispatch_core::routing::SlackContent;
use serde_json::{Value, json};

use super::helpers::*;

/// The reason of the one warning at `path`.
fn warning(message: &Message, path: &str) -> String {
    let at: Vec<&MessageWarning> = message.warnings.iter().filter(|w| w.path == path).collect();
    match at.as_slice() {
        [one] => one.reason.clone(),
        _ => panic!("expected one warning at {path}, got {:#?}", message.warnings),
    }
}

fn assert_warns(message: &Message, path: &str, reason_contains: &str) {
    let reason = warning(message, path);
    assert!(reason.contains(reason_contains), "{path}: {reason} does not contain {reason_contains:?}");
}

fn paths(message: &Message) -> Vec<&str> {
    message.warnings.iter().map(|w| w.path.as_str()).collect()
}

fn self_service(message: &Message) -> &SelfService {
    let Alarm::SelfService(alarm) = &message.alarm else { panic!("not self-service: {message:?}") };
    alarm
}

fn fan_out(message: &Message) -> &FanOut {
    let (Alarm::Broadcast(alarm) | Alarm::Nag(alarm)) = &message.alarm else { panic!("not a fan-out: {message:?}") };
    alarm
}

fn incident(message: &Message) -> &IncidentContent {
    match &message.alarm {
        Alarm::HighPriority(incident) => incident,
        Alarm::Unrouted(unrouted) => unrouted.incident.as_ref().expect("an incident"),
        _ => panic!("does not page: {message:?}"),
    }
}

#[test]
fn every_example_parses_without_warnings() {
    for (name, text) in EXAMPLES {
        let message = parse(text.as_bytes()).unwrap();
        assert_eq!(message.warnings, [], "{name}");
    }
}

#[test]
fn a_warning_displays_as_path_then_reason() {
    let message = ok(&with(json(HIGH_PRIORITY), "/requestId", json!(42)));
    assert_eq!(message.warnings[0].to_string(), "requestId: a number, taken as its decimal string");
}

// requestId

#[test]
fn a_number_request_id_on_a_high_priority_alarm_becomes_its_string_with_a_warning() {
    let message = ok(&with(json(HIGH_PRIORITY), "/requestId", json!(42)));
    assert_eq!(message.request_id.as_str(), "42");
    assert!(!message.request_id_generated);
    assert_warns(&message, "requestId", "a number, taken as its decimal string");
    assert_eq!(plan_of(&with(json(HIGH_PRIORITY), "/requestId", json!(42))).request_id.as_str(), "42");
}

#[test]
fn an_invalid_request_id_is_replaced_by_a_generated_one_with_a_warning() {
    for (id, reason) in [
        (json!("a b"), "may contain only letters, digits and . _ - : / @ + =, found ' '; replaced by a generated id"),
        (json!("x".repeat(129)), "must be at most 128 characters, got 129; replaced by a generated id"),
        (json!(""), "must not be empty; replaced by a generated id"),
        (json!(true), "expected a string, found a boolean; replaced by a generated id"),
        (json!({ "id": 1 }), "expected a string, found an object; replaced by a generated id"),
    ] {
        let message = ok(&with(json(SELF_SERVICE), "/requestId", id.clone()));
        assert!(message.request_id_generated, "{id}");
        assert_eq!(message.request_id.as_str().len(), 12, "{id}");
        assert_eq!(warning(&message, "requestId"), reason, "{id}");
    }
}

#[test]
fn a_replaced_request_id_is_derived_from_the_event_so_retries_agree() {
    let text = with(json(HIGH_PRIORITY), "/requestId", json!([1])).to_string();
    let first = parse_event(text.as_bytes(), "95df01b4").unwrap();
    let retry = parse_event(text.as_bytes(), "95df01b4").unwrap();
    assert!(first.request_id_generated);
    assert_eq!(first, retry);
    let fresh = parse(text.as_bytes()).unwrap();
    assert_eq!(first.warnings, fresh.warnings, "parse and parse_event warn alike");
}

#[test]
fn a_number_request_id_in_a_message_of_unknown_type_becomes_its_string() {
    let message = ok(&with(json(FALLBACK), "/requestId", json!(7)));
    assert_eq!(message.request_id.as_str(), "7");
    assert_warns(&message, "requestId", "a number, taken as its decimal string");
}

#[test]
fn an_unusable_request_id_in_a_message_of_unknown_type_is_replaced_with_a_warning() {
    let message = ok(&with(json(FALLBACK), "/requestId", json!("has spaces")));
    assert!(message.request_id_generated);
    assert_warns(&message, "requestId", "replaced by a generated id");
}

// retrigger

#[test]
fn retrigger_as_the_string_true_or_false_is_taken_as_that_boolean() {
    let message = ok(&with(json(SELF_SERVICE), "/retrigger", json!("false")));
    assert!(!message.retrigger);
    assert_eq!(warning(&message, "retrigger"), "a string, taken as the boolean false");
    let message = ok(&with(json(SELF_SERVICE), "/retrigger", json!(" True ")));
    assert!(message.retrigger);
    assert_eq!(warning(&message, "retrigger"), "a string, taken as the boolean true");
}

#[test]
fn retrigger_of_any_other_shape_keeps_the_default_true() {
    for value in [json!(0), json!("no"), json!([false])] {
        let message = ok(&with(json(LOW_PRIORITY), "/retrigger", value.clone()));
        assert!(message.retrigger, "{value}");
        assert_warns(&message, "retrigger", "the default true is used");
    }
}

// Fields a type does not use

#[test]
fn an_unused_user_with_an_odd_slack_id_does_not_block_a_page() {
    let message = with(json(HIGH_PRIORITY), "/users", json!([{ "slackId": "@oncall", "github": "not a login" }]));
    let parsed = ok(&message);
    assert_eq!(incident(&parsed).title, "AWS root account login");
    assert_eq!(parsed.warnings, [], "unused fields are not even read");
    assert!(plan_of(&message).incident.is_some());
}

#[test]
fn a_high_priority_alarm_ignores_whatever_shape_its_unused_fields_have() {
    let message = with(json(HIGH_PRIORITY), "/users", json!("oncall"));
    let message = with(message, "/githubRepo", json!("../../orgs"));
    let message = with(message, "/body/github", json!(5));
    let message = with(message, "/body/slack", json!([{ "prompt": false }]));
    let parsed = ok(&message);
    assert_eq!(parsed.warnings, []);
    assert_eq!(parsed.github_repo, None);
    assert_eq!(incident(&parsed).service.as_ref().map(|s| s.as_str()), None);
    assert_eq!(plan_of(&message).incident.unwrap().service.as_str(), "PSECOPS");
}

#[test]
fn a_low_priority_alarm_ignores_slack_pagerduty_other_users_and_the_slack_id() {
    let message = with(json(LOW_PRIORITY), "/body/slack", json!(["x"]));
    let message = with(message, "/body/pagerduty", json!({ "title": 5, "service": "P 1" }));
    let message = with(message, "/users/0/slackId", json!("#not-an-id"));
    let message = with(message, "/users/1", json!("not a user"));
    let parsed = ok(&message);
    assert_eq!(parsed.warnings, []);
    let Alarm::LowPriority(alarm) = &parsed.alarm else { panic!("not low-priority") };
    let user = alarm.user.as_ref().unwrap();
    assert_eq!((user.slack_id.as_ref(), user.github.as_ref().map(|g| g.as_str())), (None, Some("bob")));
}

#[test]
fn a_self_service_alarm_ignores_other_users_and_pagerduty() {
    let message = with(json(SELF_SERVICE), "/users/1", json!({ "slackId": 42.5, "github": "a b" }));
    let message = with(message, "/users/2", json!(null));
    let message = with(message, "/body/pagerduty", json!("page me"));
    let parsed = ok(&message);
    assert_eq!(parsed.warnings, []);
    assert_eq!(self_service(&parsed).user.as_ref().unwrap().slack.as_deref(), Some("alice"));
}

#[test]
fn broadcast_and_nag_ignore_pagerduty() {
    for example in [BROADCAST, NAG] {
        let parsed = ok(&with(json(example), "/body/pagerduty", json!({ "title": 5, "body": [1] })));
        assert_eq!(parsed.warnings, []);
    }
}

// Users that are used

#[test]
fn an_invalid_slack_id_is_treated_as_absent_so_the_message_goes_to_the_default_channel() {
    let message = with(json(BROADCAST), "/users/0/slackId", json!("@alice"));
    let parsed = ok(&message);
    assert_eq!(
        warning(&parsed, "users[0].slackId"),
        "may contain only letters and digits (a Slack id such as U012ABCDEF), found '@'; \
         treated as absent: the message goes to the default channel"
    );
    assert_eq!(fan_out(&parsed).users[0].slack_id, None);
    let plan = plan_of(&message);
    assert_eq!(plan.slack[0].channel().unwrap().clone(), defaults().slack_channel);
    assert_eq!(plan.slack[1].content, SlackContent::MissingSlackId { user: Some("alice".into()) });
    assert_eq!(plan.slack[2].channel().unwrap().as_str(), "U034GHIJKL");
}

#[test]
fn a_self_service_user_with_an_invalid_slack_id_gets_the_prompt_in_the_default_channel_without_buttons() {
    let message = with(json(SELF_SERVICE), "/users/0/slackId", json!(["U012ABCDEF"]));
    assert_warns(&ok(&message), "users[0].slackId", "expected a string, found an array; treated as absent");
    let plan = plan_of(&message);
    assert!(matches!(plan.slack[0].content, SlackContent::PromptWithoutButtons(_)), "{plan:?}");
    assert_eq!(plan.slack[0].channel().unwrap().clone(), defaults().slack_channel);
}

#[test]
fn a_number_slack_id_is_taken_as_its_string_and_then_validated() {
    let parsed = ok(&with(json(BROADCAST), "/users/1/slackId", json!(12)));
    assert_eq!(parsed.warnings, [MessageWarning::new("users[1].slackId", "a number, taken as its decimal string")]);
    assert_eq!(fan_out(&parsed).users[1].slack_id.as_ref().unwrap().as_str(), "12");
    let parsed = ok(&with(json(BROADCAST), "/users/1/slackId", json!(-1.5)));
    assert_eq!(paths(&parsed), ["users[1].slackId", "users[1].slackId"]);
    assert_eq!(fan_out(&parsed).users[1].slack_id, None);
}

#[test]
fn an_invalid_github_login_is_treated_as_absent_so_the_default_user_is_tagged() {
    let message = with(json(SELF_SERVICE), "/users/0/github", json!("alice smith"));
    assert_warns(&ok(&message), "users[0].github", "found ' '; treated as absent: the default user is tagged");
    let issue = plan_of(&message).issue.unwrap();
    assert!(issue.body.ends_with(" \n\n @acme/security"), "{:?}", issue.body);

    let message = with(json(LOW_PRIORITY), "/users/0/github", json!("@"));
    assert_warns(&ok(&message), "users[0].github", "must not be empty; treated as absent");
    assert!(plan_of(&message).issue.unwrap().body.ends_with("@acme/security"));
}

#[test]
fn a_number_github_login_is_taken_as_its_string_and_then_validated() {
    let message = with(json(LOW_PRIORITY), "/users/0/github", json!(1234));
    assert_warns(&ok(&message), "users[0].github", "a number, taken as its decimal string");
    assert!(plan_of(&message).issue.unwrap().body.ends_with(" \n\n @1234"));
}

#[test]
fn a_user_that_is_not_an_object_is_skipped_with_a_warning() {
    let message = with(json(BROADCAST), "/users/0", json!("alice"));
    let parsed = ok(&message);
    assert_eq!(warning(&parsed, "users[0]"), "expected a user object, found a string; skipped");
    assert_eq!(fan_out(&parsed).users.len(), 2);
    assert_eq!(plan_of(&message).slack[0].channel().unwrap().as_str(), "U034GHIJKL");
}

#[test]
fn a_first_user_that_is_not_an_object_gives_self_service_both_defaults() {
    let parsed = ok(&with(json(SELF_SERVICE), "/users/0", json!(null)));
    assert_eq!(warning(&parsed, "users[0]"), "expected a user object, found null; the defaults are used");
    assert_eq!(self_service(&parsed).user, None);
    let parsed = ok(&with(json(LOW_PRIORITY), "/users", json!("bob")));
    assert_warns(&parsed, "users", "expected an array of user objects, found a string; the defaults are used");
}

#[test]
fn users_given_as_one_object_are_taken_as_a_list_of_one() {
    let message = with(json(NAG), "/users", json!({ "slackId": "U1X", "github": "@" }));
    let parsed = ok(&message);
    assert_eq!(paths(&parsed), ["users", "users.github"]);
    assert_eq!(fan_out(&parsed).users[0].slack_id.as_ref().unwrap().as_str(), "U1X");
}

// Services and repositories

#[test]
fn an_invalid_pagerduty_service_is_ignored_so_the_default_service_pages() {
    let message = with(json(HIGH_PRIORITY), "/pagerDutyServiceId", json!("P 1"));
    let parsed = ok(&message);
    assert_eq!(warning(&parsed, "pagerDutyServiceId"), "may contain only letters and digits, found ' '; ignored");
    assert_eq!(plan_of(&message).incident.unwrap().service.as_str(), "PDEFAULT");

    let message = with(json(HIGH_PRIORITY), "/body/pagerduty/service", json!(["P1"]));
    assert_warns(&ok(&message), "body.pagerduty.service", "expected a string, found an array; ignored");
    assert_eq!(plan_of(&message).incident.unwrap().service.as_str(), "PSECOPS");
}

#[test]
fn the_same_repository_under_both_spellings_is_accepted() {
    let message = with(with(json(SELF_SERVICE), "/githubRepo", json!("audit")), "/gitHubRepo", json!("audit"));
    let parsed = ok(&message);
    assert_eq!(parsed.github_repo.unwrap().resolve(&defaults().repo.owner).to_string(), "acme/audit");
    assert_eq!(parsed.warnings, []);
}

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
