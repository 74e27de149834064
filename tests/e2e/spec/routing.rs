//! The routing plan: one test per row of DESIGN.md §1's table, then defaults, dedup, precedence and
//! the issue bodies byte for byte.

use dispatch_core::ids::{GitHubMention, ServiceId, SlackChannel};
use dispatch_core::message::Prompt;
use dispatch_core::routing::{
    Dedup, OnDuplicate, SlackContent, SlackDelivery, SlackTarget, broadcast_body, tagged_body,
};
use serde_json::json;

use super::helpers::*;

fn channel(id: &str) -> SlackChannel {
    SlackChannel::parse(id).unwrap()
}

#[test]
fn self_service_opens_one_issue_tagging_the_user_and_sends_one_prompt_dm() {
    let plan = plan_of(&json(SELF_SERVICE));
    let issue = plan.issue.unwrap();
    assert_eq!(issue.repo.to_string(), "acme/dispatch-alarms");
    assert_eq!(issue.title, "Two-factor authentication disabled for alice");
    assert_eq!(issue.labels, ["2fa", "self-service"]);
    assert_eq!(issue.on_duplicate, OnDuplicate::Stop);
    assert_eq!(plan.slack.len(), 1);
    assert_eq!(plan.slack[0].channel().unwrap().clone(), channel("U012ABCDEF"));
    assert_eq!(plan.slack[0].recipient, "alice");
    let SlackContent::Prompt { prompt, intended_user } = &plan.slack[0].content else { panic!("no prompt") };
    assert_eq!(intended_user.as_str(), "U012ABCDEF");
    assert_eq!(
        prompt,
        &Prompt {
            message: "Two-factor authentication was just disabled on your GitHub account.".into(),
            prompt: "Did you disable it yourself?".into(),
            yes: "Yes, it was me".into(),
            no: "No, escalate".into(),
            yes_response: Some("Thanks! The alarm is closed. Please turn 2FA back on.".into()),
            no_response: Some("The security team has been paged and will contact you.".into()),
        }
    );
    assert_eq!(plan.incident, None);
    assert!(!plan.users_missing);
}

#[test]
fn broadcast_opens_one_issue_listing_recipients_and_dms_every_user_the_message_only() {
    let plan = plan_of(&json(BROADCAST));
    let issue = plan.issue.unwrap();
    assert!(issue.body.ends_with(" \n\n ```\nalice,bob,carol@example.com\n```"), "{:?}", issue.body);
    assert_eq!(issue.on_duplicate, OnDuplicate::Stop);
    let text = "Heads up: phishing emails impersonating the IT helpdesk are going around. Do not enter your password; report them to #security.";
    assert_eq!(
        plan.slack,
        vec![
            SlackDelivery {
                to: SlackTarget::Channel(channel("U012ABCDEF")),
                recipient: "alice".into(),
                content: SlackContent::Text(text.into())
            },
            SlackDelivery {
                to: SlackTarget::Channel(channel("U034GHIJKL")),
                recipient: "bob".into(),
                content: SlackContent::Text(text.into())
            },
            SlackDelivery {
                to: SlackTarget::Email {
                    email: dispatch_core::ids::Email::parse("carol@example.com").unwrap(),
                    fallback: channel("#security-alerts"),
                },
                recipient: "carol@example.com".into(),
                content: SlackContent::Text(text.into())
            },
            SlackDelivery {
                to: SlackTarget::Channel(channel("#security-alerts")),
                recipient: "carol@example.com".into(),
                content: SlackContent::EmailNotFound {
                    email: dispatch_core::ids::Email::parse("carol@example.com").unwrap()
                },
            },
        ]
    );
    assert_eq!(plan.incident, None);
}

#[test]
fn nag_reuses_an_existing_issue_and_dms_every_user() {
    let plan = plan_of(&json(NAG));
    let issue = plan.issue.unwrap();
    assert_eq!(issue.on_duplicate, OnDuplicate::Reuse);
    assert_eq!(issue.body, "These laptops are more than 14 days behind on operating system updates.");
    assert_eq!(issue.labels, ["nag"]);
    assert_eq!(plan.slack.len(), 1);
    assert!(matches!(plan.slack[0].content, SlackContent::Text(_)));
    assert_eq!(plan.incident, None);
}

#[test]
fn low_priority_opens_only_an_issue_tagging_the_first_user() {
    let plan = plan_of(&json(LOW_PRIORITY));
    let issue = plan.issue.unwrap();
    assert_eq!(issue.body, "The bucket example-assets was made public. Review whether this is intended. \n\n @bob");
    assert!(plan.slack.is_empty());
    assert_eq!(plan.incident, None);
}

#[test]
fn low_priority_without_users_tags_the_default_user() {
    let plan = plan_of(&without(json(LOW_PRIORITY), "/users"));
    assert!(plan.issue.unwrap().body.ends_with(" \n\n @acme/security"));
    assert!(plan.slack.is_empty());
}

#[test]
fn high_priority_opens_only_an_incident_keyed_by_its_title_as_node_did() {
    let plan = plan_of(&json(HIGH_PRIORITY));
    assert_eq!(plan.issue, None);
    assert!(plan.slack.is_empty());
    let incident = plan.incident.unwrap();
    assert_eq!(incident.title, "AWS root account login");
    assert_eq!(incident.details.as_deref(), Some("The AWS root account of production signed in from 203.0.113.7."));
    assert_eq!(incident.incident_key, "AWS root account login");
    assert_eq!(incident.service.as_str(), "PSECOPS");
}

#[test]
fn an_unknown_type_opens_an_incident_titled_from_its_github_title() {
    let plan = plan_of(&json(FALLBACK));
    assert_eq!(plan.kind, "high");
    assert_eq!(plan.issue, None);
    assert!(plan.slack.is_empty());
    let incident = plan.incident.unwrap();
    assert_eq!(incident.title, "GuardDuty finding: UnauthorizedAccess:EC2/SSHBruteForce");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(incident.details.as_deref().unwrap()).unwrap(),
        json(FALLBACK)
    );
    assert_eq!(incident.service.as_str(), "PDEFAULT");
    assert_eq!(incident.incident_key, "GuardDuty finding: UnauthorizedAccess:EC2/SSHBruteForce");
}

#[test]
fn an_unknown_type_with_nothing_usable_still_opens_an_incident() {
    let plan = plan_of(&json!({ "type": "hihg-priority" }));
    let incident = plan.incident.unwrap();
    assert_eq!(incident.title, "dispatch: unroutable message of type 'hihg-priority'");
    assert_eq!(incident.details.as_deref(), Some(r#"{"type":"hihg-priority"}"#));
    assert_eq!(incident.service.as_str(), "PDEFAULT");
    assert_eq!(incident.incident_key, "dispatch: unroutable message of type 'hihg-priority'");
}

#[test]
fn distinct_pages_that_share_a_request_id_get_distinct_incident_keys() {
    let first = plan_of(&with(json(HIGH_PRIORITY), "/requestId", json!("constant")));
    let second = plan_of(&with(
        with(json(HIGH_PRIORITY), "/requestId", json!("constant")),
        "/body/pagerduty/title",
        json!("Root login from a new country"),
    ));
    assert_ne!(first.incident.unwrap().incident_key, second.incident.unwrap().incident_key);
}

#[test]
fn an_incident_key_is_cut_to_pagerdutys_limit() {
    let title = "é".repeat(300);
    let plan = plan_of(&with(json(HIGH_PRIORITY), "/body/pagerduty/title", json!(title)));
    let incident = plan.incident.unwrap();
    assert_eq!(incident.title, title);
    assert_eq!(incident.incident_key, "é".repeat(255));
}

#[test]
fn an_unknown_type_with_a_pagerduty_body_uses_it() {
    let message = json!({ "type": "high", "body": { "pagerduty": { "title": "t", "body": "b", "service": "PX" } } });
    let incident = plan_of(&message).incident.unwrap();
    assert_eq!(
        (incident.title.as_str(), incident.details.as_deref(), incident.service.as_str()),
        ("t", Some("b"), "PX")
    );
}

#[test]
fn the_pagerduty_service_is_body_then_message_then_default() {
    let both = with(json(HIGH_PRIORITY), "/body/pagerduty/service", json!("PBODY"));
    assert_eq!(plan_of(&both).incident.unwrap().service.as_str(), "PBODY");
    assert_eq!(plan_of(&json(HIGH_PRIORITY)).incident.unwrap().service.as_str(), "PSECOPS");
    let neither = without(json(HIGH_PRIORITY), "/pagerDutyServiceId");
    assert_eq!(plan_of(&neither).incident.unwrap().service, ServiceId::parse("PDEFAULT").unwrap());
    let fallback = with(json(FALLBACK), "/pagerDutyServiceId", json!("PFALL"));
    assert_eq!(plan_of(&fallback).incident.unwrap().service.as_str(), "PFALL");
}

#[test]
fn retrigger_true_counts_only_open_issues_and_false_counts_closed_ones_too() {
    assert_eq!(plan_of(&json(SELF_SERVICE)).issue.unwrap().dedup, Dedup::OpenOnly);
    let once = with(json(SELF_SERVICE), "/retrigger", json!(false));
    assert_eq!(plan_of(&once).issue.unwrap().dedup, Dedup::OpenAndClosed);
    let nag = with(json(NAG), "/retrigger", json!(false));
    let issue = plan_of(&nag).issue.unwrap();
    assert_eq!((issue.dedup, issue.on_duplicate), (Dedup::OpenAndClosed, OnDuplicate::Reuse));
}

#[test]
fn the_per_message_repository_is_used_for_the_issue() {
    for (key, value, expected) in [
        ("githubRepo", "audit", "acme/audit"),
        ("gitHubRepo", "audit", "acme/audit"),
        ("githubRepo", "sec/log", "sec/log"),
    ] {
        let message = with(json(BROADCAST), &format!("/{key}"), json!(value));
        assert_eq!(plan_of(&message).issue.unwrap().repo.to_string(), expected);
    }
}

#[test]
fn self_service_without_slack_id_falls_back_to_default_channel_without_buttons() {
    let message = without(json(SELF_SERVICE), "/users/0/slackId");
    let plan = plan_of(&message);
    assert_eq!(plan.slack.len(), 2);
    assert!(plan.slack.iter().all(|d| d.channel().unwrap() == &channel("#security-alerts")));
    assert!(matches!(plan.slack[0].content, SlackContent::PromptWithoutButtons(_)));
    assert_eq!(plan.slack[1].content, SlackContent::MissingSlackId { user: Some("alice".into()) });
    assert!(plan.issue.unwrap().body.ends_with(" \n\n @alice"));
}

#[test]
fn broadcast_user_without_slack_id_gets_the_default_channel_and_a_notice_while_others_get_dms() {
    let message = without(json(BROADCAST), "/users/1/slackId");
    let plan = plan_of(&message);
    let channels: Vec<&str> = plan.slack.iter().take(3).map(|d| d.channel().unwrap().as_str()).collect();
    assert_eq!(channels, ["U012ABCDEF", "#security-alerts", "#security-alerts"]);
    assert!(matches!(plan.slack[1].content, SlackContent::Text(_)));
    assert_eq!(plan.slack[2].content, SlackContent::MissingSlackId { user: Some("bob".into()) });
    assert_eq!(plan.slack[2].recipient, "bob");
}

#[test]
fn a_user_without_any_name_is_called_by_their_position() {
    let message = with(json(BROADCAST), "/users/1", json!({}));
    let plan = plan_of(&message);
    assert_eq!(plan.slack[2].content, SlackContent::MissingSlackId { user: None });
    assert_eq!(plan.slack[2].recipient, "users[1]");
    assert!(plan.issue.unwrap().body.ends_with("```\nalice,(no Slack id),carol@example.com\n```"));
}

#[test]
fn self_service_without_github_login_tags_the_default_user() {
    let plan = plan_of(&without(json(SELF_SERVICE), "/users/0/github"));
    assert!(plan.issue.unwrap().body.ends_with(" \n\n @acme/security"));
    assert_eq!(plan.slack[0].channel().unwrap().clone(), channel("U012ABCDEF"));
}

#[test]
fn self_service_without_users_uses_both_defaults_and_flags_it() {
    let plan = plan_of(&with(json(SELF_SERVICE), "/users", json!([])));
    assert!(plan.users_missing);
    assert!(plan.issue.unwrap().body.ends_with(" \n\n @acme/security"));
    assert_eq!(plan.slack.len(), 2);
    assert!(matches!(plan.slack[0].content, SlackContent::PromptWithoutButtons(_)));
    assert_eq!(plan.slack[0].channel().unwrap().clone(), channel("#security-alerts"));
    assert_eq!(plan.slack[1].content, SlackContent::MissingSlackId { user: None });
}

#[test]
fn self_service_uses_only_the_first_user() {
    let message = with(json(SELF_SERVICE), "/users/1", json!({ "slackId": "U999", "github": "mallory" }));
    let plan = plan_of(&message);
    assert_eq!(plan.slack.len(), 1);
    assert_eq!(plan.slack[0].channel().unwrap().clone(), channel("U012ABCDEF"));
    assert!(plan.issue.unwrap().body.ends_with("@alice"));
}

#[test]
fn the_self_service_and_low_priority_body_is_byte_for_byte_the_original_format() {
    let mention = GitHubMention::parse("alice").unwrap();
    assert_eq!(tagged_body("Body text", &mention), "Body text \n\n @alice");
    assert_eq!(tagged_body("", &mention).as_bytes(), b" \n\n @alice");
    let plan = plan_of(&json(SELF_SERVICE));
    assert_eq!(
        plan.issue.unwrap().body,
        "Two-factor authentication was disabled on alice's GitHub account at 2026-11-27T09:14:00Z. \n\n @alice"
    );
}

#[test]
fn the_broadcast_body_is_byte_for_byte_the_original_format() {
    let message = json!({ "type": "broadcast",
        "users": [{ "slack": "alice", "slackId": "U1" }, { "slackId": "U2" }, { "slack": "carol" }],
        "body": { "github": { "title": "t", "body": "Body\ntext" }, "slack": { "message": "m" } } });
    let expected = "Body\ntext \n\n ```\nalice,U2,carol\n```";
    assert_eq!(plan_of(&message).issue.unwrap().body, expected);
    let dispatch_core::message::Alarm::Broadcast(alarm) = ok(&message).alarm else { panic!("not broadcast") };
    assert_eq!(broadcast_body("Body\ntext", &alarm.users).as_bytes(), expected.as_bytes());
}

#[test]
fn the_nag_body_is_unchanged() {
    let message = with(json(NAG), "/body/github/body", json!("  exact\n\nbody  "));
    assert_eq!(plan_of(&message).issue.unwrap().body, "  exact\n\nbody  ");
}
