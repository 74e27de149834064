use dispatch_core::ids::RepoOverride;
use dispatch_core::message::{Alarm, parse};
use serde_json::json;

use super::helpers::*;

#[test]
fn every_example_parses_as_its_type() {
    for (name, text) in EXAMPLES {
        let message = parse(text.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected = if name == "fallback" { "high" } else { name };
        assert_eq!(message.kind(), expected);
    }
}

#[test]
fn retrigger_defaults_to_true_and_can_be_turned_off() {
    let message = without(json(SELF_SERVICE), "/retrigger");
    assert!(ok(&message).retrigger);
    assert!(!ok(&with(message, "/retrigger", json!(false))).retrigger);
}

#[test]
fn a_missing_request_id_is_generated_as_twelve_lowercase_hex_characters() {
    let message = ok(&without(json(BROADCAST), "/requestId"));
    assert!(message.request_id_generated);
    let id = message.request_id.as_str();
    assert_eq!(id.len(), 12);
    assert!(id.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()), "{id}");
}

#[test]
fn a_given_request_id_is_kept() {
    let message = ok(&json(SELF_SERVICE));
    assert!(!message.request_id_generated);
    assert_eq!(message.request_id.as_str(), "ss-2fa-disabled-0001");
}

#[test]
fn github_repo_is_read_in_both_spellings() {
    for key in ["githubRepo", "gitHubRepo"] {
        let message = ok(&with(json(SELF_SERVICE), &format!("/{key}"), json!("audit")));
        assert_eq!(message.github_repo, Some(RepoOverride::parse("audit").unwrap()), "{key}");
    }
}

#[test]
fn github_repo_may_name_another_owner() {
    let message = ok(&with(json(LOW_PRIORITY), "/githubRepo", json!("security/alarms")));
    let repo = message.github_repo.unwrap().resolve(&defaults().repo.owner);
    assert_eq!(repo.to_string(), "security/alarms");
}

#[test]
fn the_singular_label_is_accepted_and_merged_with_labels() {
    let message = with(json(SELF_SERVICE), "/body/github/label", json!("urgent"));
    let Alarm::SelfService(alarm) = ok(&message).alarm else { panic!("not self-service") };
    assert_eq!(alarm.issue.labels, ["2fa", "self-service", "urgent"]);

    let Alarm::Nag(nag) = ok(&json(NAG)).alarm else { panic!("not nag") };
    assert_eq!(nag.issue.labels, ["nag"]);

    let repeated = with(json(SELF_SERVICE), "/body/github/label", json!("2fa"));
    let Alarm::SelfService(alarm) = ok(&repeated).alarm else { panic!("not self-service") };
    assert_eq!(alarm.issue.labels, ["2fa", "self-service"]);
}

#[test]
fn unknown_keys_are_ignored_anywhere() {
    let message = with(json(BROADCAST), "/users/0/google", json!({ "nested": [1, 2] }));
    let message = with(message, "/source", json!("guardduty"));
    let message = with(message, "/body/slack/colour", json!("red"));
    let Alarm::Broadcast(alarm) = ok(&message).alarm else { panic!("not broadcast") };
    assert_eq!(alarm.users.len(), 3);
}

#[test]
fn null_optional_fields_count_as_absent() {
    let message = with(json(SELF_SERVICE), "/retrigger", json!(null));
    let message = with(message, "/requestId", json!(null));
    let message = with(message, "/users/0/github", json!(null));
    let parsed = ok(&message);
    assert!(parsed.retrigger);
    assert!(parsed.request_id_generated);
    let Alarm::SelfService(alarm) = parsed.alarm else { panic!("not self-service") };
    assert_eq!(alarm.user.unwrap().github, None);
}

#[test]
fn a_leading_at_on_a_github_login_is_dropped() {
    let message = with(json(LOW_PRIORITY), "/users/0/github", json!("@bob"));
    let Alarm::LowPriority(alarm) = ok(&message).alarm else { panic!("not low-priority") };
    assert_eq!(alarm.user.unwrap().github.unwrap().as_str(), "bob");
}

#[test]
fn self_service_without_users_is_accepted_for_defaulting() {
    for users in [json!([]), json!(null)] {
        let Alarm::SelfService(alarm) = ok(&with(json(SELF_SERVICE), "/users", users)).alarm else {
            panic!("not self-service")
        };
        assert_eq!(alarm.user, None);
    }
}

#[test]
fn low_priority_does_not_need_users() {
    let Alarm::LowPriority(alarm) = ok(&without(json(LOW_PRIORITY), "/users")).alarm else {
        panic!("not low-priority")
    };
    assert_eq!(alarm.user, None);
}

#[test]
fn response_texts_are_optional() {
    let message =
        without(without(json(SELF_SERVICE), "/body/slack/actions/yes_response"), "/body/slack/actions/no_response");
    let Alarm::SelfService(alarm) = ok(&message).alarm else { panic!("not self-service") };
    assert_eq!(alarm.prompt.yes_response, None);
    assert_eq!(alarm.prompt.no_response, None);
    assert_eq!(alarm.prompt.yes, "Yes, it was me");
}

#[test]
fn an_unknown_type_keeps_its_type_string_and_the_raw_message() {
    let message = ok(&json(FALLBACK));
    let Alarm::Unrouted(unrouted) = &message.alarm else { panic!("not unrouted") };
    assert_eq!(unrouted.type_name, "high");
    assert_eq!(unrouted.incident, None);
    assert_eq!(unrouted.github_title.as_deref(), Some("GuardDuty finding: UnauthorizedAccess:EC2/SSHBruteForce"));
    assert_eq!(serde_json::from_str::<serde_json::Value>(&unrouted.raw).unwrap(), json(FALLBACK));
}

#[test]
fn an_unknown_type_is_read_leniently_so_it_still_pages() {
    let message = json!({
        "type": "critical",
        "requestId": "has spaces so it is replaced",
        "users": "not an array",
        "body": { "github": { "title": 42 }, "pagerduty": { "title": "Disk full", "service": "PDISK", "body": 7 } }
    });
    let parsed = ok(&message);
    assert!(parsed.request_id_generated);
    let paths: Vec<&str> = parsed.warnings.iter().map(|w| w.path.as_str()).collect();
    assert_eq!(paths, ["requestId", "body.github.title", "body.pagerduty.body"]);
    let Alarm::Unrouted(unrouted) = parsed.alarm else { panic!("not unrouted") };
    let incident = unrouted.incident.unwrap();
    assert_eq!(incident.title, "Disk full");
    assert_eq!(incident.service.unwrap().as_str(), "PDISK");
    // Numbers are taken as their strings, as in the known types.
    assert_eq!(incident.details.as_deref(), Some("7"));
    assert_eq!(unrouted.github_title.as_deref(), Some("42"));
}

#[test]
fn an_unknown_type_with_unusable_fields_still_pages_and_warns_about_them() {
    let message = json!({
        "type": "critical",
        "pagerDutyServiceId": "P 1",
        "body": { "github": { "title": ["x"] }, "pagerduty": { "title": { "t": 1 } } }
    });
    let parsed = ok(&message);
    let warnings: Vec<String> = parsed.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [
            "pagerDutyServiceId: may contain only letters and digits, found ' '; ignored",
            "body.pagerduty.title: expected a string, found an object; ignored",
            "body.github.title: expected a string, found an array; ignored",
        ]
    );
    let Alarm::Unrouted(unrouted) = parsed.alarm else { panic!("not unrouted") };
    assert_eq!((unrouted.incident, unrouted.github_title), (None, None));
    assert!(plan_of(&message).incident.is_some());
}

#[test]
fn an_empty_type_string_still_pages() {
    let Alarm::Unrouted(unrouted) = ok(&json!({ "type": "" })).alarm else { panic!("not unrouted") };
    assert_eq!(unrouted.type_name, "");
}

#[test]
fn empty_slack_ids_and_logins_from_a_directory_feed_count_as_absent() {
    let message = with(with(json(BROADCAST), "/users/1/slackId", json!("")), "/users/1/github", json!(" "));
    let Alarm::Broadcast(alarm) = ok(&message).alarm else { panic!("not broadcast") };
    assert_eq!((alarm.users[1].slack_id.as_ref(), alarm.users[1].github.as_ref()), (None, None));
    assert_eq!(alarm.users[1].slack.as_deref(), Some("bob"));
}

#[test]
fn titles_are_trimmed_as_github_stores_them() {
    let message = with(json(LOW_PRIORITY), "/body/github/title", json!("  Bucket made public \n"));
    let Alarm::LowPriority(alarm) = ok(&message).alarm else { panic!("not low-priority") };
    assert_eq!(alarm.issue.title, "Bucket made public");
}

#[test]
fn a_missing_request_id_is_derived_from_the_event_so_retries_agree() {
    use dispatch_core::message::parse_event;
    let text = without(json(HIGH_PRIORITY), "/requestId").to_string();
    let first = parse_event(text.as_bytes(), "95df01b4-ee98-5cb9-9903-4c221d41eb5e").unwrap();
    let retry = parse_event(text.as_bytes(), "95df01b4-ee98-5cb9-9903-4c221d41eb5e").unwrap();
    let other = parse_event(text.as_bytes(), "0b3e-other-event").unwrap();
    assert_eq!(first.request_id, retry.request_id);
    assert_ne!(first.request_id, other.request_id);
    assert!(first.request_id_generated);
    let id = first.request_id.as_str();
    assert!(id.len() == 12 && id.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')), "{id}");
    let given = parse_event(SELF_SERVICE.as_bytes(), "95df01b4").unwrap();
    assert_eq!(given.request_id.as_str(), "ss-2fa-disabled-0001");
}

#[test]
fn every_file_in_examples_is_a_valid_message() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read(&path).unwrap();
            parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            count += 1;
        }
    }
    assert!(count >= 7, "{count} examples");
}
