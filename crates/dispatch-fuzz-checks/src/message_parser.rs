//! The SNS message parser and what `incoming` does right after it: any bytes → `parse` /
//! `parse_event` → the routing plan with fixed defaults → the Slack messages and button values
//! the plan would post.
//!
//! Invariants: no panic; `parse_event` is deterministic and agrees with `parse` (they differ only
//! in how a missing `requestId` is made); a plan has the parts its type promises (an issue with a
//! trimmed title of 1 to 256 characters, a non-empty incident title keyed by the request id, one
//! Slack delivery or two per recipient); blocks stay within Slack's limits; a button value fits in
//! 2,000 characters and decodes back to the same alarm.

use std::sync::OnceLock;

use dispatch_core::compose::{self, SECTION_MAX};
use dispatch_core::ids::{GitHubMention, GitHubOwner, Repo, RepoName, RequestId, ServiceId, SlackChannel};
use dispatch_core::message::{self, Alarm, BUTTON_TEXT_MAX, Message};
use dispatch_core::routing::{self, Plan, RoutingDefaults, SlackContent};
use dispatch_core::slack::SlackMessage;
use dispatch_core::state::button::{Callback, VALUE_MAX};

/// The SNS `MessageId` of every delivery.
const EVENT_ID: &str = "95df01b4-ee98-5cb9-9903-4c221d41eb5e";
/// Where the planned issue is pretended to be.
const ISSUE_URL: &str = "https://github.com/acme/dispatch-alarms/issues/42";
/// Most blocks Slack accepts in one message.
const BLOCKS_MAX: usize = 50;

fn defaults() -> &'static RoutingDefaults {
    static DEFAULTS: OnceLock<RoutingDefaults> = OnceLock::new();
    DEFAULTS.get_or_init(|| RoutingDefaults {
        repo: repo(),
        github_user: GitHubMention::parse("acme/security").unwrap(),
        slack_channel: SlackChannel::parse("#security-alerts").unwrap(),
        pagerduty_service: ServiceId::parse("PDEFAULT").unwrap(),
    })
}

fn repo() -> Repo {
    Repo::new(GitHubOwner::parse("acme").unwrap(), RepoName::parse("dispatch-alarms").unwrap())
}

/// Runs one input through the message parser, the plan and the Slack messages; panics when an
/// invariant breaks.
pub fn check(data: &[u8]) {
    let event = message::parse_event(data, EVENT_ID);
    assert_eq!(event, message::parse_event(data, EVENT_ID), "parse_event is not deterministic");
    match (&event, message::parse(data)) {
        (Ok(from_event), Ok(fresh)) => {
            assert_eq!(from_event.request_id_generated, fresh.request_id_generated);
            if from_event.request_id_generated {
                assert_eq!(from_event.request_id, RequestId::derive(EVENT_ID));
            }
            let same_id = Message { request_id: from_event.request_id.clone(), ..fresh };
            assert_eq!(*from_event, same_id, "parse and parse_event read different messages");
        }
        (Err(from_event), Err(fresh)) => assert_eq!(*from_event, fresh),
        (a, b) => panic!("parse_event gave {a:?} but parse gave {b:?}"),
    }
    let Ok(message) = event else { return };
    assert!(RequestId::parse(message.request_id.as_str()).is_ok(), "invalid request id {:?}", message.request_id);
    let plan = routing::plan(&message, defaults());
    check_plan(&message, &plan);
    for delivery in &plan.slack {
        check_slack(&render(&message, &delivery.content));
    }
}

fn check_plan(message: &Message, plan: &Plan) {
    assert_eq!(plan.request_id, message.request_id);
    assert_eq!(plan.kind, message.kind());
    let pages = matches!(message.alarm, Alarm::HighPriority(_) | Alarm::Unrouted(_));
    assert_eq!(plan.incident.is_some(), pages, "incident planned iff the type pages");
    assert_eq!(plan.issue.is_some(), !pages, "issue planned iff the type does not page");
    if let Some(incident) = &plan.incident {
        assert!(!incident.title.trim().is_empty(), "empty incident title");
        // Keyed by the title, as the Node version keyed it, cut to PagerDuty's limit.
        assert_eq!(incident.incident_key, routing::incident_key(&incident.title));
        assert!(incident.incident_key.chars().count() <= routing::INCIDENT_KEY_MAX);
        assert!(plan.slack.is_empty());
    }
    if let Some(issue) = &plan.issue {
        let n = issue.title.chars().count();
        assert!((1..=256).contains(&n) && issue.title.trim() == issue.title, "bad issue title {:?}", issue.title);
        for (i, label) in issue.labels.iter().enumerate() {
            assert!((1..=50).contains(&label.chars().count()), "bad label {label:?}");
            assert!(!issue.labels[..i].contains(label), "duplicate label {label:?}");
        }
    }
    match &message.alarm {
        Alarm::SelfService(alarm) => {
            let expected = if alarm.user.as_ref().is_some_and(|u| u.slack_id.is_some()) { 1 } else { 2 };
            assert_eq!(plan.slack.len(), expected);
            for text in [&alarm.prompt.yes, &alarm.prompt.no] {
                assert!((1..=BUTTON_TEXT_MAX).contains(&text.chars().count()), "bad button text {text:?}");
            }
        }
        Alarm::Broadcast(alarm) | Alarm::Nag(alarm) => {
            assert!(!alarm.users.is_empty());
            let expected: usize = alarm.users.iter().map(|u| if u.slack_id.is_some() { 1 } else { 2 }).sum();
            assert_eq!(plan.slack.len(), expected);
        }
        Alarm::LowPriority(_) | Alarm::HighPriority(_) | Alarm::Unrouted(_) => assert!(plan.slack.is_empty()),
    }
}

/// The Slack message `incoming` would post for one delivery, with a button value for a prompt.
fn render(message: &Message, content: &SlackContent) -> SlackMessage {
    match content {
        SlackContent::Prompt { prompt, intended_user } => {
            let callback = Callback {
                repo: repo(),
                issue: 42,
                request_id: message.request_id.clone(),
                user: intended_user.clone(),
                service: message.pagerduty_service.clone(),
                yes_response: prompt.yes_response.clone(),
                no_response: prompt.no_response.clone(),
            };
            let value = callback.encode();
            assert!(value.chars().count() <= VALUE_MAX, "button value too long: {value}");
            let decoded = Callback::decode(&value).unwrap_or_else(|e| panic!("button value refused ({e}): {value}"));
            assert_eq!(
                Callback { yes_response: None, no_response: None, ..decoded.clone() },
                Callback { yes_response: None, no_response: None, ..callback.clone() },
                "button value names another alarm"
            );
            compose::self_service_prompt(prompt, ISSUE_URL, 42, &value)
        }
        SlackContent::PromptWithoutButtons(prompt) | SlackContent::PromptByEmail(prompt) => {
            compose::prompt_without_buttons(prompt, ISSUE_URL, 42)
        }
        SlackContent::Text(text) => compose::text_message(text),
        SlackContent::MissingSlackId { user } => compose::missing_slack_id_notice(&message.request_id, user.as_deref()),
        SlackContent::EmailNotFound { email } => {
            compose::email_not_found_notice(&message.request_id, email.as_str(), "no Slack user has this address")
        }
    }
}

fn check_slack(message: &SlackMessage) {
    assert!(message.blocks.len() <= BLOCKS_MAX, "{} blocks", message.blocks.len());
    for block in &message.blocks {
        if block["type"] == "section" {
            let text = block["text"]["text"].as_str().unwrap_or_default();
            assert!(text.chars().count() <= SECTION_MAX, "section of {} characters", text.chars().count());
        }
    }
}
