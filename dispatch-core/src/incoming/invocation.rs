//! What `incoming` is invoked with, and what it answers Lambda: SNS records, or a follow-up that
//! one of its own EventBridge Scheduler schedules hands it.

use aws_lambda_events::sns::SnsEvent;
use serde_json::{Value, json};

use super::{FollowUp, Incoming};
use crate::deadline::Deadline;

/// An invocation's event.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(untagged)]
pub enum Invocation {
    /// A follow-up ([`FollowUp`]; its `dispatchFollowUp` key tells it apart).
    FollowUp(FollowUp),
    /// SNS records.
    Sns(SnsEvent),
}

/// A failed invocation, as Lambda records it (and the failure queue shows it): `kind` is the
/// `errorType` ([`super::AlarmError::kind`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What happened, in one word.
    pub kind: &'static str,
    /// What failed.
    pub message: String,
}

impl Incoming {
    /// Handles one invocation as Lambda's `lambda_request_id` of the function `function_arn`
    /// (which follow-up schedules invoke): what it did, or why it failed.
    pub async fn invoke(
        &self,
        invocation: &Invocation,
        lambda_request_id: &str,
        function_arn: &str,
        deadline: Deadline,
    ) -> Result<Value, Failure> {
        self.set_function_arn(function_arn);
        // Boxed: the handlers' futures are deep, and a caller's async block holds them.
        match invocation {
            Invocation::Sns(event) => Box::pin(self.handle_invocation(event, Some(lambda_request_id), deadline))
                .await
                .map(|reports| json!({ "handled": reports.len() }))
                .map_err(|e| Failure { kind: e.kind(), message: e.to_string() }),
            Invocation::FollowUp(follow_up) => {
                Box::pin(self.handle_follow_up(follow_up, Some(lambda_request_id), deadline))
                    .await
                    .map(|done| json!({ "followUp": follow_up.step.as_str(), "done": format!("{done:?}") }))
                    .map_err(|e| Failure { kind: e.kind(), message: e.to_string() })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_sns_event_and_a_follow_up_are_told_apart() {
        let sns = json!({ "Records": [] });
        assert!(matches!(serde_json::from_value::<Invocation>(sns).unwrap(), Invocation::Sns(_)));
        let follow_up = json!({
            "dispatchFollowUp": "remind", "repo": "acme/alarms", "issue": 3, "requestId": "r",
            "eventId": "e", "name": "alice", "afterMinutes": 30
        });
        assert!(matches!(serde_json::from_value::<Invocation>(follow_up).unwrap(), Invocation::FollowUp(_)));
    }
}
