//! Reject only what cannot be routed (DESIGN.md §5): what a type does not use is ignored, what is
//! loose is coerced, and each change is a warning naming the field (the defaults and limits are in
//! `defaults`).

use dispatch_core::message::{Alarm, MessageWarning, parse, parse_event};
use dispatch_core::routing::SlackContent;
use serde_json::json;

use super::helpers::*;

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
