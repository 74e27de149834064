//! `users[].email`: read only for a user without a `slackId`, checked loosely (an invalid one is
//! absent, with a warning), and planned as an address to look up whose fallback applies only if
//! the lookup finds nobody.

use dispatch_core::ids::{Email, SlackChannel, SlackUserId};
use dispatch_core::message::{Alarm, MessageWarning};
use dispatch_core::routing::{LookedUp, SlackContent, SlackDelivery, SlackTarget, Unreachable};
use serde_json::{Value, json};

use super::helpers::*;

fn broadcast_to(users: Value) -> Value {
    with(json(BROADCAST), "/users", users)
}

fn self_service_for(user: Value) -> Value {
    with(json(SELF_SERVICE), "/users", json!([user]))
}

fn email(address: &str) -> Email {
    Email::parse(address).unwrap()
}

fn users_of(value: &Value) -> Vec<dispatch_core::message::User> {
    match ok(value).alarm {
        Alarm::Broadcast(fan_out) | Alarm::Nag(fan_out) => fan_out.users,
        Alarm::SelfService(alarm) => alarm.user.into_iter().collect(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_email_is_read_trimmed_for_a_user_without_a_slack_id() {
    let users = users_of(&broadcast_to(json!([{ "email": "  carol@example.com ", "github": "carol" }])));
    assert_eq!(users[0].email, Some(email("carol@example.com")));
    assert_eq!(users[0].display(), Some("carol@example.com"), "named by address when it has no handle");
    assert!(ok(&broadcast_to(json!([{ "email": "carol@example.com" }]))).warnings.is_empty());
}

#[test]
fn a_slack_id_wins_and_the_email_beside_it_is_not_read() {
    let message = ok(&broadcast_to(json!([{ "slackId": "U012ABCDEF", "email": 42 }])));
    assert!(message.warnings.is_empty(), "{:?}", message.warnings);
    let Alarm::Broadcast(fan_out) = message.alarm else { panic!() };
    assert_eq!(fan_out.users[0].email, None);
}

#[test]
fn an_invalid_email_or_a_number_is_treated_as_absent_with_a_warning() {
    const INSTEAD: &str = "treated as absent: the message goes to the default channel";
    for (given, reason) in [
        (json!("carol"), "must be an email address such as alice@example.com"),
        (
            json!("carol @example.com"),
            "may contain only characters other than spaces and control characters, found ' '",
        ),
        (json!(42), "expected a string, found a number"),
        (json!(["carol@example.com"]), "expected a string, found an array"),
    ] {
        let message = ok(&broadcast_to(json!([{ "email": given }])));
        assert_eq!(
            message.warnings,
            [MessageWarning::new("users[0].email", format!("{reason}; {INSTEAD}"))],
            "{given}"
        );
        assert_eq!(users_of(&broadcast_to(json!([{ "email": given }])))[0].email, None);
    }
    let blank = ok(&broadcast_to(json!([{ "email": "  " }])));
    assert!(blank.warnings.is_empty(), "a blank email is absent without a warning");
}

#[test]
fn low_priority_does_not_read_the_email() {
    let message = ok(&with(json(LOW_PRIORITY), "/users", json!([{ "email": 42, "github": "alice" }])));
    assert!(message.warnings.is_empty(), "{:?}", message.warnings);
}

#[test]
fn a_user_known_by_email_is_planned_as_an_address_then_a_notice_that_applies_only_if_the_lookup_fails() {
    let plan = plan_of(&broadcast_to(json!([{ "email": "carol@example.com", "slack": "carol" }])));
    let default = SlackChannel::parse("#security-alerts").unwrap();
    assert_eq!(
        plan.slack,
        [
            SlackDelivery {
                to: SlackTarget::Email { email: email("carol@example.com"), fallback: default.clone() },
                recipient: "carol".into(),
                content: SlackContent::Text(plan_text(&plan)),
            },
            SlackDelivery {
                to: SlackTarget::Channel(default.clone()),
                recipient: "carol".into(),
                content: SlackContent::EmailNotFound { email: email("carol@example.com") },
            },
        ]
    );

    let carol = LookedUp::User(SlackUserId::parse("U056MNOPQR").unwrap());
    let found = plan.slack[0].resolve(Some(&carol)).unwrap();
    assert_eq!(found.channel().unwrap().as_str(), "U056MNOPQR");
    assert_eq!(plan.slack[1].resolve(Some(&carol)), None, "no notice for a user found");

    let nobody = LookedUp::Unreachable(Unreachable::NotFound);
    assert_eq!(plan.slack[0].resolve(Some(&nobody)).unwrap().channel(), Some(&default));
    assert_eq!(plan.slack[1].resolve(Some(&nobody)).unwrap().channel(), Some(&default));
}

fn plan_text(plan: &dispatch_core::routing::Plan) -> String {
    match &plan.slack[0].content {
        SlackContent::Text(text) => text.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_self_service_prompt_by_email_gets_buttons_for_the_id_found_and_none_in_the_default_channel() {
    let plan = plan_of(&self_service_for(json!({ "email": "dave@example.com" })));
    assert!(matches!(plan.slack[0].content, SlackContent::PromptByEmail(_)), "{plan:?}");
    assert!(!plan.users_missing);

    let dave = SlackUserId::parse("U078STUVWX").unwrap();
    let found = plan.slack[0].resolve(Some(&LookedUp::User(dave.clone()))).unwrap();
    let SlackContent::Prompt { intended_user, .. } = &found.content else { panic!("{found:?}") };
    assert_eq!(intended_user, &dave);

    for why in [Unreachable::NotFound, Unreachable::Deactivated, Unreachable::Bot, Unreachable::Refused("x".into())] {
        let fallback = plan.slack[0].resolve(Some(&LookedUp::Unreachable(why))).unwrap();
        assert!(matches!(fallback.content, SlackContent::PromptWithoutButtons(_)), "{fallback:?}");
    }
}
