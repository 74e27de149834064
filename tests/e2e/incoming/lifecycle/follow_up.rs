//! Follow-ups as Scheduler delivers them (at least once): a reminder in the prompt's thread, an
//! escalation to PagerDuty when nobody answers, each recorded so a duplicate does nothing, and
//! nothing at all once the alarm is answered, resolved or closed.

use super::*;
use crate::incoming::harness::{REPO, has_buttons};

/// A life whose alarm (`e-fire`) went out with a reminder after 30 minutes and an escalation after 60.
async fn fired() -> Life {
    let life = life_with(&[("SelfServiceEscalateAfter", "60")]).await;
    life.fire().await.unwrap();
    life
}

/// What a delivered follow-up did, as incoming answered Lambda.
fn done(answer: &Value) -> &str {
    answer["done"].as_str().unwrap()
}

const ESCALATION_TITLE: &str =
    "dispatch ss-2fa-disabled-0001: user alice did not respond for self-service issue acme/dispatch-alarms/1";

#[tokio::test]
async fn a_reminder_is_one_reply_in_the_prompts_thread_mentioning_alice_and_is_recorded() {
    let life = fired().await;
    let prompt = life.prompt();

    let answer = life.deliver(&life.schedule("remind")).await.unwrap();

    assert_eq!(answer["followUp"], "remind");
    assert_eq!(done(&answer), "Reminded { prompts: 1 }");
    let [reply] = life.fakes.slack.replies(&prompt.channel, &prompt.ts).try_into().expect("one reply");
    assert!(reply.text.starts_with("Reminder: <@U012ABCDEF>, this alarm has waited 30 minutes"), "{}", reply.text);
    assert_eq!(life.fakes.slack.messages().len(), 2, "the prompt and its reply");
    assert!(has_buttons(&life.prompt()), "the prompt can still be answered");
    let record = life.comments(1).pop().unwrap();
    let marker = record.lines().last().unwrap();
    assert!(marker.starts_with(&format!("<!-- dispatch:reminded request={REQUEST}")), "{record}");
    assert!(record.contains("alice") && record.contains("30 minutes"), "who, and when: {record}");
}

#[tokio::test]
async fn an_escalation_opens_the_incident_replaces_the_prompt_and_records_the_note() {
    let life = fired().await;

    let answer = life.deliver(&life.schedule("escalate")).await.unwrap();

    assert_eq!(done(&answer), r#"Escalated { incident: Some("Q00001") }"#);
    let [incident] = life.fakes.pagerduty.incidents().try_into().expect("one incident");
    assert_eq!(incident.title, ESCALATION_TITLE);
    assert_eq!((incident.incident_key.as_str(), incident.service.as_str()), (REQUEST, "PDEFAULT"));
    assert_eq!(
        incident.details.as_deref(),
        Some(format!("{TITLE}\n\n {}/{REPO}/issues/1", life.fakes.github.url()).as_str())
    );
    let prompt = life.prompt();
    assert!(!has_buttons(&prompt), "{prompt:?}");
    assert!(
        prompt.text.contains("nobody answered within 60 minutes") && prompt.text.contains("Q00001"),
        "{}",
        prompt.text
    );
    let note = life.comments(1).pop().unwrap();
    assert!(note.starts_with("Nobody answered the Slack prompt within 60 minutes: escalated."), "{note}");
    assert!(note.ends_with(&format!("<!-- dispatch:escalated request={REQUEST} incident=Q00001 cause=no_answer -->")));
    assert_eq!(life.issues()[0].state, "open", "the security team takes it from here");
}

#[tokio::test]
async fn a_duplicate_delivery_of_either_step_does_nothing() {
    for (step, reason) in [("remind", "already reminded"), ("escalate", "already escalated")] {
        let life = fired().await;
        let schedule = life.schedule(step);
        life.deliver(&schedule).await.unwrap();
        let effects = || {
            let slack = &life.fakes.slack;
            (life.issues(), slack.messages(), slack.updates().len(), life.fakes.pagerduty.incidents())
        };
        let before = effects();

        let again = life.deliver(&schedule).await.unwrap();

        assert_eq!(done(&again), format!("Nothing({reason:?})"), "{step}");
        assert!(effects() == before, "{step}: nothing written, sent, replaced or paged");
    }
}

#[tokio::test]
async fn a_no_after_the_escalation_is_answered_already_escalated_and_pages_nobody_twice() {
    let life = fired().await;
    life.deliver(&life.schedule("escalate")).await.unwrap();

    let told = life.click("dispatch_no").await;

    assert!(told["text"].as_str().unwrap().starts_with("Dispatch alert already escalated"), "{told}");
    assert_eq!(life.fakes.pagerduty.incidents().len(), 1);
}

#[tokio::test]
async fn a_reminder_after_a_reminder_then_an_escalation_after_the_reminder_both_act_once() {
    let life = fired().await;
    life.deliver(&life.schedule("remind")).await.unwrap();
    life.deliver(&life.schedule("escalate")).await.unwrap();
    let late = life.deliver(&life.schedule("remind")).await.unwrap();
    assert_eq!(done(&late), r#"Nothing("already escalated")"#);
    assert_eq!(life.fakes.pagerduty.incidents().len(), 1);
    assert_eq!(life.fakes.slack.messages().len(), 2, "the prompt and one reminder");
}

#[tokio::test]
async fn follow_ups_after_alice_answered_no_do_nothing() {
    let life = fired().await;
    life.click("dispatch_no").await;
    let comments = life.comments(1);

    for step in ["remind", "escalate"] {
        let answer = life.deliver(&life.schedule(step)).await.unwrap();
        assert_eq!(done(&answer), r#"Nothing("answered")"#, "{step}");
    }
    assert_eq!(life.fakes.pagerduty.incidents().len(), 1, "her No's incident only");
    assert_eq!(life.fakes.slack.messages().len(), 1);
    assert_eq!(life.comments(1), comments);
}

#[tokio::test]
async fn follow_ups_after_a_yes_closed_the_issue_do_nothing() {
    let life = fired().await;
    life.click("dispatch_yes").await;

    for step in ["remind", "escalate"] {
        let answer = life.deliver(&life.schedule(step)).await.unwrap();
        assert_eq!(done(&answer), r#"Nothing("the issue is closed")"#, "{step}");
    }
    assert!(life.fakes.pagerduty.incidents().is_empty());
    assert_eq!(life.fakes.slack.messages().len(), 1);
}

#[tokio::test]
async fn follow_ups_after_the_source_resolved_the_alarm_do_nothing() {
    let life = fired().await;
    life.resolve().await.unwrap();
    let comments = life.comments(1);

    for step in ["remind", "escalate"] {
        let answer = life.deliver(&life.schedule(step)).await.unwrap();
        assert_eq!(done(&answer), r#"Nothing("the issue is closed")"#, "{step}");
    }
    assert!(life.fakes.pagerduty.incidents().is_empty());
    assert_eq!(life.fakes.slack.messages().len(), 1);
    assert_eq!(life.comments(1), comments);
}

#[tokio::test]
async fn two_deliveries_of_a_follow_up_at_the_same_time_remind_once_and_page_once() {
    let life = fired().await;
    let (remind, escalate) = (life.schedule("remind"), life.schedule("escalate"));
    let prompt = life.prompt();

    let (a, b) = tokio::join!(life.deliver(&remind), life.deliver(&remind));
    a.unwrap();
    b.unwrap();
    assert_eq!(life.fakes.slack.replies(&prompt.channel, &prompt.ts).len(), 1, "one reminder");

    let (a, b) = tokio::join!(life.deliver(&escalate), life.deliver(&escalate));
    a.unwrap();
    b.unwrap();
    assert_eq!(life.fakes.pagerduty.incidents().len(), 1, "one incident");
}

#[tokio::test]
async fn two_escalations_at_the_same_time_leave_one_note_naming_the_incident() {
    let life = fired().await;
    let escalate = life.schedule("escalate");

    let (a, b) = tokio::join!(life.deliver(&escalate), life.deliver(&escalate));
    a.unwrap();
    b.unwrap();

    let notes: Vec<String> = life.comments(1).into_iter().filter(|c| c.contains("cause=no_answer")).collect();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(life.fakes.slack.updates().len(), 1);
    assert!(life.prompt().text.contains("Q00001"), "{}", life.prompt().text);
}
