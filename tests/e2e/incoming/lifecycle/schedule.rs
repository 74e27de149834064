//! Delivery of a firing self-service alarm with EventBridge Scheduler configured: one one-time
//! schedule per follow-up step, at the alarm's publication time plus the step's minutes, invoking
//! incoming with the follow-up event; the message's own minutes override the settings, 0 = none.

use chrono::Duration;
use dispatch_core::scheduler::schedule_name;
use serde_json::json;

use super::*;
use crate::incoming::harness::{BROADCAST, SELF_SERVICE, json};
use crate::support::scheduler::{GROUP, ROLE};

/// When a step `minutes` after `published` runs: Scheduler's expressions have whole seconds, and
/// Dispatch rounds up, never earlier than asked.
fn due(published: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
    let at = published + Duration::minutes(minutes);
    let down = at.duration_trunc(Duration::seconds(1)).unwrap();
    if down == at { at } else { down + Duration::seconds(1) }
}

/// The follow-up event the schedule of `step` hands incoming for the alarm sent as `e-fire`.
fn follow_up(step: &str, minutes: u32) -> Value {
    json!({
        "dispatchFollowUp": step, "repo": "acme/dispatch-alarms", "issue": 1, "requestId": REQUEST,
        "eventId": "e-fire", "user": ALICE, "name": "alice", "afterMinutes": minutes
    })
}

#[tokio::test]
async fn a_firing_self_service_alarm_schedules_a_reminder_and_an_escalation_that_invoke_incoming_at_their_times() {
    let life = life_with(&[("SelfServiceEscalateAfter", "60")]).await;

    let report = life.publish("e-fire", &json(SELF_SERVICE)).await.unwrap();

    assert_eq!(report.scheduled, ["remind", "escalate"]);
    let prompt = life.prompt();
    let schedules = life.scheduler.schedules();
    assert_eq!(schedules.len(), 2, "{schedules:?}");
    for (step, minutes) in [("remind", 30), ("escalate", 60)] {
        let schedule = life.schedule(step);
        assert_eq!(schedule.name, schedule_name(step, "e-fire"));
        assert_eq!(schedule.at, due(life.t0, minutes), "{step}: the SNS Timestamp plus {minutes} minutes");
        assert_eq!(schedule.expression, format!("at({})", schedule.at.format("%Y-%m-%dT%H:%M:%S")));
        assert_eq!((schedule.group.as_str(), schedule.role_arn.as_str()), (GROUP, ROLE));
        assert_eq!(schedule.target_arn, FUNCTION_ARN);
        assert_eq!(schedule.action_after_completion, "DELETE");
        let mut input: Value = serde_json::from_str(schedule.input.as_deref().unwrap()).unwrap();
        // The prompt, when the event names it, is the one Alice was sent.
        if let Some(named) = input.as_object_mut().unwrap().remove("prompt") {
            assert_eq!(named, json!({ "channel": prompt.conversation(), "ts": prompt.ts }), "{step}");
        }
        assert_eq!(input, follow_up(step, minutes as u32));
    }
    let record = &life.comments(1)[0];
    assert!(record.contains(" scheduled=remind,escalate -->"), "the delivery record names them: {record}");
}

#[tokio::test]
async fn the_settings_alone_schedule_only_a_reminder_after_thirty_minutes() {
    let life = life().await;
    let report = life.publish("e-fire", &json(SELF_SERVICE)).await.unwrap();
    assert_eq!(report.scheduled, ["remind"]);
    let [schedule] = life.scheduler.schedules().try_into().expect("one schedule");
    assert_eq!(schedule.at, due(life.t0, 30));
}

#[tokio::test]
async fn the_messages_own_minutes_override_the_settings() {
    let life = life_with(&[("SelfServiceRemindAfter", "20"), ("SelfServiceEscalateAfter", "90")]).await;
    let mut message = json(SELF_SERVICE);
    message["remindAfterMinutes"] = json!(10);
    message["escalateAfterMinutes"] = json!(45);

    life.publish("e-fire", &message).await.unwrap();

    for (step, minutes) in [("remind", 10), ("escalate", 45)] {
        let schedule = life.schedule(step);
        assert_eq!(schedule.at, due(life.t0, minutes), "{step}");
        let input: Value = serde_json::from_str(schedule.input.as_deref().unwrap()).unwrap();
        assert_eq!(input["afterMinutes"], minutes, "{step}");
    }
}

#[tokio::test]
async fn zero_minutes_in_the_message_means_no_such_follow_up() {
    let life = life_with(&[("SelfServiceEscalateAfter", "60")]).await;
    let mut message = json(SELF_SERVICE);
    message["remindAfterMinutes"] = json!(0);
    let report = life.publish("e-fire", &message).await.unwrap();
    assert_eq!(report.scheduled, ["escalate"]);
    assert_eq!(life.scheduler.schedules().len(), 1);

    message["escalateAfterMinutes"] = json!(0);
    let mut other = message.clone();
    other["body"]["github"]["title"] = json!("Another alarm");
    let report = life.publish("e-none", &other).await.unwrap();
    assert!(report.scheduled.is_empty());
    assert_eq!(life.scheduler.schedules().len(), 1, "nothing more");
    assert_eq!(life.dms(ALICE).len(), 2, "both prompts went out");
}

#[tokio::test]
async fn an_alarm_without_buttons_schedules_nothing() {
    let life = life_with(&[("SelfServiceEscalateAfter", "60")]).await;
    let report = life.publish("e-fire", &json(BROADCAST)).await.unwrap();
    assert!(report.scheduled.is_empty());
    assert!(life.scheduler.requests().is_empty());
}

#[tokio::test]
async fn minutes_written_as_a_string_are_taken_and_unreadable_minutes_leave_the_setting() {
    let life = life_with(&[("SelfServiceEscalateAfter", "60")]).await;
    let mut message = json(SELF_SERVICE);
    message["remindAfterMinutes"] = json!(" 15 ");
    message["escalateAfterMinutes"] = json!("soon");

    life.publish("e-fire", &message).await.unwrap();

    assert_eq!(life.schedule("remind").at, due(life.t0, 15));
    assert_eq!(life.schedule("escalate").at, due(life.t0, 60), "the setting applies");
}

#[tokio::test]
async fn the_escalation_of_an_alarm_naming_its_service_pages_that_service() {
    let life = life_with(&[("SelfServiceEscalateAfter", "60")]).await;
    let mut message = json(SELF_SERVICE);
    message["pagerDutyServiceId"] = json!("PTEAM");
    life.publish("e-fire", &message).await.unwrap();

    let schedule = life.schedule("escalate");
    let input: Value = serde_json::from_str(schedule.input.as_deref().unwrap()).unwrap();
    assert_eq!(input["service"], "PTEAM");
    life.deliver(&schedule).await.unwrap();

    let [incident] = life.fakes.pagerduty.incidents().try_into().expect("one incident");
    assert_eq!(incident.service, "PTEAM");
}

#[tokio::test]
async fn a_reminder_due_at_or_after_the_escalation_is_not_scheduled() {
    let life = life_with(&[("SelfServiceRemindAfter", "60"), ("SelfServiceEscalateAfter", "30")]).await;
    let report = life.publish("e-fire", &json(SELF_SERVICE)).await.unwrap();
    assert_eq!(report.scheduled, ["escalate"]);
    assert_eq!(life.schedule("escalate").at, due(life.t0, 30));
}

#[tokio::test]
async fn an_event_retried_after_its_steps_fell_due_schedules_them_a_minute_ahead_rather_than_in_the_past() {
    let life = life_with(&[("SelfServiceEscalateAfter", "60")]).await;
    let published = life.t0 - Duration::hours(2);

    let report = life.publish_at("e-fire", &json(SELF_SERVICE), published).await.unwrap();

    assert_eq!(report.scheduled, ["remind", "escalate"]);
    for step in ["remind", "escalate"] {
        let at = life.schedule(step).at;
        let ahead = at - life.t0;
        assert!(ahead >= Duration::seconds(59) && ahead <= Duration::seconds(90), "{step} at {at}, now {}", life.t0);
    }
}

#[tokio::test]
async fn a_prompt_to_a_user_known_by_email_is_followed_up_in_their_conversation() {
    let life = life_with(&[("SelfServiceEscalateAfter", "60")]).await;
    let mut message = json(SELF_SERVICE);
    message["users"] = json!([{ "email": "carol@example.com", "github": "carol" }]);
    life.publish("e-fire", &message).await.unwrap();
    let carol = crate::incoming::harness::CAROL;
    let [prompt] = life.dms(carol).try_into().expect("one prompt to carol");

    let input: Value = serde_json::from_str(life.schedule("remind").input.as_deref().unwrap()).unwrap();
    assert_eq!(input["user"], carol);
    life.deliver(&life.schedule("remind")).await.unwrap();
    let [reply] = life.fakes.slack.replies(&prompt.channel, &prompt.ts).try_into().expect("one reply");
    assert!(reply.text.contains(&format!("<@{carol}>")), "{}", reply.text);

    life.publish("e-resolve", &resolved(&message)).await.unwrap();
    let now = life.fakes.slack.message(&prompt.channel, &prompt.ts).unwrap();
    assert!(!crate::incoming::harness::has_buttons(&now), "{now:?}");
}
