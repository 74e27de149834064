//! An alarm's whole life (issue 14), end to end against the fakes over real HTTP: resolved at the
//! source, reminded and escalated by its own EventBridge Scheduler schedules, a resolve that
//! overtakes its trigger, and the retry of every step. Follow-ups are delivered as the function
//! receives them: a schedule's `Input`, read as an invocation and handed to `Incoming::invoke`.

mod faults;
mod follow_up;
mod order;
mod resolve;
mod retry;
mod schedule;

use std::ops::Deref;

use chrono::{DateTime, DurationRound, Utc};
use dispatch_core::incoming::{AlarmError, Failure, Invocation, Report};
use dispatch_core::triage::Triage;
use dispatch_core::triage::event::Shape;
use dispatch_fakes::{FakeScheduler, Posted, RecordedSchedule};
use serde_json::{Value, json};

use super::harness::{Harness, SELF_SERVICE, deadline, harness_with, json as json_text, policy};
use crate::support::scheduler::{FUNCTION_ARN, schedule_on};
use crate::support::settings::Settings;
use crate::support::slack::{block_actions, button_value, form_body, signed_request};
use crate::support::sns::sns_event_at;

/// The user `examples/self-service.json` asks.
pub const ALICE: &str = "U012ABCDEF";
/// Its `requestId`.
pub const REQUEST: &str = "ss-2fa-disabled-0001";
/// Its issue's title.
pub const TITLE: &str = "Two-factor authentication disabled for alice";

const SIGNING_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";

/// The incoming harness with follow-ups scheduled on a fake Scheduler, a triage handler on the
/// same fakes, and the moment its SNS events are published at unless told otherwise.
pub struct Life {
    harness: Harness,
    /// The fake EventBridge Scheduler.
    pub scheduler: FakeScheduler,
    triage: Triage,
    /// When SNS published the events of [`Life::publish`]: now, to the millisecond.
    pub t0: DateTime<Utc>,
}

impl Deref for Life {
    type Target = Harness;

    fn deref(&self) -> &Harness {
        &self.harness
    }
}

/// [`life_with`] the usual settings.
pub async fn life() -> Life {
    life_with(&[]).await
}

/// A [`Life`] with settings added to the harness's (`SelfServiceEscalateAfter`, say), for both
/// functions, as one deployment sets them.
pub async fn life_with(extra: &[(&'static str, &str)]) -> Life {
    let Harness { fakes, incoming } = harness_with(extra).await;
    let scheduler = FakeScheduler::start().await.unwrap();
    let settings = Settings::on(&fakes).set("SlackSigningSecret", SIGNING_SECRET);
    let triage = extra.iter().fold(settings, |settings, (name, value)| settings.set(name, *value));
    let triage = triage.triage(policy()).await;
    let t0 = Utc::now().duration_trunc(chrono::Duration::milliseconds(1)).unwrap();
    Life { harness: Harness { incoming: schedule_on(incoming, &scheduler), fakes }, scheduler, triage, t0 }
}

/// `message` with `"status": "resolved"`.
pub fn resolved(message: &Value) -> Value {
    let mut message = message.clone();
    message["status"] = json!("resolved");
    message
}

impl Life {
    /// The self-service example, as SNS event `e-fire` published at [`Life::t0`].
    pub async fn fire(&self) -> Result<Report, AlarmError> {
        self.publish("e-fire", &json_text(SELF_SERVICE)).await
    }

    /// Its resolve, as SNS event `e-resolve` published at [`Life::t0`].
    pub async fn resolve(&self) -> Result<Report, AlarmError> {
        self.publish("e-resolve", &resolved(&json_text(SELF_SERVICE))).await
    }

    /// `message` as SNS event `event_id` published at [`Life::t0`], delivered as Lambda delivers it.
    pub async fn publish(&self, event_id: &str, message: &Value) -> Result<Report, AlarmError> {
        self.publish_at(event_id, message, self.t0).await
    }

    /// `message` as SNS event `event_id` published at `published`: its report, or why it failed.
    pub async fn publish_at(
        &self,
        event_id: &str,
        message: &Value,
        published: DateTime<Utc>,
    ) -> Result<Report, AlarmError> {
        let event = sns_event_at(&[(event_id, &message.to_string())], published);
        match self.incoming.handle_sns(&event, deadline()).await {
            Ok(mut reports) => Ok(reports.remove(0)),
            Err(mut error) => Err(error.failures.remove(0).1),
        }
    }

    /// The schedule of follow-up `step` (`remind`, `escalate`) that Scheduler holds.
    pub fn schedule(&self, step: &str) -> RecordedSchedule {
        let input = |s: &RecordedSchedule| serde_json::from_str::<Value>(s.input.as_deref().unwrap_or("null")).unwrap();
        let found = self.scheduler.schedules().into_iter().find(|s| input(s)["dispatchFollowUp"] == step);
        found.unwrap_or_else(|| panic!("no {step} schedule in {:?}", self.scheduler.schedules()))
    }

    /// What Scheduler does when `schedule` falls due: invokes incoming with its `Input`, which the
    /// function reads as an invocation. What incoming answered Lambda.
    pub async fn deliver(&self, schedule: &RecordedSchedule) -> Result<Value, Failure> {
        let invocation: Invocation = serde_json::from_str(schedule.input.as_deref().unwrap()).unwrap();
        self.incoming.invoke(&invocation, "lambda-follow-up", &schedule.target_arn, deadline()).await
    }

    /// The first prompt sent to Alice, as Slack holds it now.
    pub fn prompt(&self) -> Posted {
        let first = self.dms(ALICE).into_iter().next().expect("a prompt was sent to alice");
        self.fakes.slack.message(&first.channel, &first.ts).unwrap()
    }

    /// Alice clicks `action_id` (`dispatch_yes`, `dispatch_no`) on her prompt's buttons as they
    /// were first sent; what triage sent to the click's `response_url`.
    pub async fn click(&self, action_id: &str) -> Value {
        let first = self.dms(ALICE).into_iter().next().expect("a prompt was sent to alice");
        // The buttons as sent: a resolve or an escalation may have replaced them since.
        let mut original = first.clone();
        if let Some(sent) = first.revisions.first() {
            original.blocks = sent.blocks.clone();
        }
        let value = button_value(&original);
        let payload = block_actions(&value, action_id, ALICE, &self.fakes.slack.response_url("click"));
        let now = Utc::now();
        let request = signed_request(SIGNING_SECRET, Shape::Http, &form_body(&payload), now.timestamp());
        assert_eq!(self.triage.handle(&request, now).await.status, 200);
        self.fakes.slack.responses().pop().expect("triage answered the click").1
    }

    /// Every comment on issue `number`.
    pub fn comments(&self, number: u64) -> Vec<String> {
        self.issues().into_iter().find(|i| i.number == number).expect("the issue exists").comments
    }
}
