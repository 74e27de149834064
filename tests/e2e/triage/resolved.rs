//! A click on a prompt whose alarm the source resolved: answered "already resolved" to the clicker
//! alone, and nothing changes. Only Dispatch's own resolution counts.

use std::time::Duration;

use dispatch_core::deadline::Deadline;
use dispatch_core::incoming::{AlarmError, Envelope, Report};
use serde_json::json;

use super::harness::*;

const SENTENCE: &str = "This alarm was already resolved at the source: nothing to do, and your answer changed nothing.";

impl Harness {
    /// The source resolves the self-service example, as SNS event `e-resolve`: what incoming did.
    async fn resolve(&self) -> Result<Report, AlarmError> {
        let mut message = json(SELF_SERVICE);
        message["status"] = json!("resolved");
        let body = message.to_string();
        let envelope = Envelope { event_id: "e-resolve", published: None, body: &body };
        self.incoming.handle(envelope, Deadline::after(Duration::from_secs(10))).await
    }
}

#[tokio::test]
async fn a_click_on_a_resolved_alarm_is_answered_already_resolved_and_changes_nothing() {
    for action in ["dispatch_yes", "dispatch_no"] {
        let h = harness().await;
        let value = h.alarm(&json(SELF_SERVICE)).await;
        h.resolve().await.unwrap();
        let before = h.issue(1);
        let writes = h.fakes.github.requests().len();

        assert_eq!(h.click(&value, action, "U012ABCDEF").await.status, 200);

        let [told] = h.responses().try_into().expect("one answer to the click");
        assert_eq!(told["response_type"], "ephemeral", "{action}");
        assert_eq!(told["replace_original"], false, "{action}");
        assert_eq!(told["text"], format!("Dispatch ss-2fa-disabled-0001: {SENTENCE}"), "{action}");
        assert_eq!(h.issue(1), before, "{action}: no claim comment, no state change");
        assert_eq!((before.state.as_str(), before.state_reason.as_deref()), ("closed", Some("completed")));
        let requests = h.fakes.github.requests();
        assert!(requests[writes..].iter().all(|r| r.method == "GET"), "{action}: GitHub only read");
        assert!(h.fakes.pagerduty.incidents().is_empty(), "{action}: nobody paged");
    }
}

#[tokio::test]
async fn a_resolution_forged_in_someone_elses_comment_does_not_stop_an_answer() {
    let h = harness().await;
    let value = h.alarm(&json(SELF_SERVICE)).await;
    let forged = "Resolved.\n\n<!-- dispatch:resolved event=e-resolve request=ss-2fa-disabled-0001 at=1 -->";
    h.fakes.github.comment_as(REPO, 1, "mallory", forged);

    h.click(&value, "dispatch_no", "U012ABCDEF").await;

    assert_eq!(h.fakes.pagerduty.incidents().len(), 1, "the No escalated");
    let replaced = &h.responses()[0];
    assert_eq!(replaced["replace_original"], true, "{replaced}");
}

#[tokio::test]
async fn a_click_after_a_resolve_recorded_but_not_yet_closed_is_already_resolved_too() {
    let h = harness().await;
    let value = h.alarm(&json(SELF_SERVICE)).await;
    h.fakes.github.fail(dispatch_fakes::GitHubRoute::Update, dispatch_fakes::Fault::Status(502), 2);
    h.resolve().await.unwrap_err();
    h.fakes.github.heal();
    let before = h.issue(1);
    assert_eq!(before.state, "open", "the close failed after the resolution was recorded");

    h.click(&value, "dispatch_yes", "U012ABCDEF").await;

    assert_eq!(h.responses()[0]["text"], format!("Dispatch ss-2fa-disabled-0001: {SENTENCE}"));
    assert_eq!(h.issue(1), before, "no claim, not closed by the click");
}
