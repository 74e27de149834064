//! EventBridge Scheduler (DESIGN.md §7k): one-time schedules that invoke `incoming` again later with
//! a small follow-up event (a reminder, an escalation). The SDK client is built on first use, not at
//! cold start, from the standard AWS environment (`AWS_REGION`, the Lambda's credentials,
//! `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_SCHEDULER`, which tests point at a local endpoint).
//!
//! A schedule's name is derived from what it follows up ([`schedule_name`]), so a retried invocation
//! that creates it again gets `ConflictException` and counts it as done ([`Created::AlreadyExisted`]).

mod error;
mod expression;

use std::sync::Arc;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_sdk_scheduler::config::retry::RetryConfig;
use aws_sdk_scheduler::config::timeout::TimeoutConfig;
use aws_sdk_scheduler::types::{ActionAfterCompletion, FlexibleTimeWindow, FlexibleTimeWindowMode, Target};
use chrono::{DateTime, Utc};
use tokio::sync::OnceCell;

use crate::config::SchedulerTarget;
use crate::deadline::Deadline;
use error::Failure;
pub use error::SchedulerError;
pub use expression::{EARLIEST_FROM_NOW, at_expression, effective_time, schedule_name};

/// The description every schedule Dispatch creates carries.
pub const DESCRIPTION: &str = "Dispatch: follow-up of a self-service prompt (runs once, then is deleted)";

/// A one-time schedule to create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OneTimeSchedule<'a> {
    /// Its name in the group ([`schedule_name`]).
    pub name: &'a str,
    /// When it runs (see [`effective_time`] for rounding and times already past).
    pub at: DateTime<Utc>,
    /// What it invokes: `incoming`'s own ARN, from its Lambda context.
    pub target_arn: &'a str,
    /// The event the target receives.
    pub input: &'a str,
}

/// What [`Scheduler::create_once`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    /// The schedule was created now.
    New,
    /// A schedule of that name was already in the group (409 `ConflictException`): an earlier
    /// attempt created it, so it counts as done.
    AlreadyExisted,
}

/// The EventBridge Scheduler client: cheap to clone (clones share one SDK client).
#[derive(Clone)]
pub struct Scheduler {
    inner: Arc<Inner>,
}

struct Inner {
    group: String,
    role_arn: String,
    /// The SDK client, built on first use.
    client: OnceCell<aws_sdk_scheduler::Client>,
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler")
            .field("group", &self.inner.group)
            .field("role_arn", &self.inner.role_arn)
            .field("client_built", &self.inner.client.initialized())
            .finish()
    }
}

/// Attempts of one request (the SDK's standard retries: throttling, 5xx, connection failures).
const ATTEMPTS: u32 = 3;
/// First back-off of the SDK's retries (jittered, doubled each time, at most [`MAX_BACKOFF`]).
const INITIAL_BACKOFF: Duration = Duration::from_millis(100);
/// Longest back-off of the SDK's retries.
const MAX_BACKOFF: Duration = Duration::from_secs(1);

fn retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(ATTEMPTS)
        .with_initial_backoff(INITIAL_BACKOFF)
        .with_max_backoff(MAX_BACKOFF)
}

fn timeout_config() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .operation_attempt_timeout(Duration::from_secs(5))
        .operation_timeout(Duration::from_secs(10))
        .build()
}

impl Scheduler {
    /// A client for schedules in `group`, invoked with `role_arn`. Nothing is loaded or connected
    /// until the first [`create_once`](Self::create_once): the AWS environment is read then.
    pub fn new(group: String, role_arn: String) -> Self {
        Self { inner: Arc::new(Inner { group, role_arn, client: OnceCell::new() }) }
    }

    /// [`new`](Self::new) with the settings `SchedulerGroupName` and `SchedulerRoleArn`.
    pub fn from_config(target: &SchedulerTarget) -> Self {
        Self::new(target.group.clone(), target.role_arn.clone())
    }

    /// A client built now from an SDK configuration (a test's endpoint, region and credentials);
    /// the retries and timeouts are Dispatch's own, as in [`new`](Self::new).
    pub fn with_sdk_config(group: String, role_arn: String, config: &aws_sdk_scheduler::Config) -> Self {
        let config = config.to_builder().retry_config(retry_config()).timeout_config(timeout_config()).build();
        let client = OnceCell::new_with(Some(aws_sdk_scheduler::Client::from_conf(config)));
        Self { inner: Arc::new(Inner { group, role_arn, client }) }
    }

    /// The schedule group.
    pub fn group(&self) -> &str {
        &self.inner.group
    }

    /// The role Scheduler assumes to invoke the target.
    pub fn role_arn(&self) -> &str {
        &self.inner.role_arn
    }

    async fn client(&self) -> &aws_sdk_scheduler::Client {
        self.inner
            .client
            .get_or_init(|| async {
                let config = aws_config::defaults(BehaviorVersion::latest())
                    .retry_config(retry_config())
                    .timeout_config(timeout_config())
                    .load()
                    .await;
                aws_sdk_scheduler::Client::new(&config)
            })
            .await
    }

    /// Creates `schedule` in the group, to run once at its time (rounded up to a whole second, and
    /// no earlier than [`EARLIEST_FROM_NOW`]) and be deleted after. A schedule of the same name
    /// already in the group is [`Created::AlreadyExisted`]. Gives up at `deadline`.
    pub async fn create_once(
        &self,
        schedule: &OneTimeSchedule<'_>,
        deadline: Deadline,
    ) -> Result<Created, SchedulerError> {
        let at = effective_time(schedule.at, Utc::now());
        let remaining = deadline.remaining();
        if remaining.is_zero() {
            return Err(SchedulerError::TimedOut);
        }
        let request = async {
            let target = Target::builder()
                .arn(schedule.target_arn)
                .role_arn(&self.inner.role_arn)
                .input(schedule.input)
                .build()
                .map_err(|e| Failure::Error(SchedulerError::Invalid(e.to_string())))?;
            let window = FlexibleTimeWindow::builder()
                .mode(FlexibleTimeWindowMode::Off)
                .build()
                .map_err(|e| Failure::Error(SchedulerError::Invalid(e.to_string())))?;
            self.client()
                .await
                .create_schedule()
                .name(schedule.name)
                .group_name(&self.inner.group)
                .schedule_expression(at_expression(at))
                .schedule_expression_timezone("UTC")
                .flexible_time_window(window)
                .target(target)
                .action_after_completion(ActionAfterCompletion::Delete)
                .description(DESCRIPTION)
                .send()
                .await
                .map_err(Failure::from)
        };
        let outcome = match tokio::time::timeout(remaining, request).await {
            Err(_) => Err(SchedulerError::TimedOut),
            Ok(Ok(_)) => Ok(Created::New),
            Ok(Err(Failure::Conflict)) => Ok(Created::AlreadyExisted),
            Ok(Err(Failure::Error(error))) => Err(error),
        };
        match &outcome {
            Ok(created) => tracing::debug!(schedule = schedule.name, %at, ?created, "follow-up scheduled"),
            Err(error) => tracing::debug!(schedule = schedule.name, %at, %error, "follow-up not scheduled"),
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_scheduler_builds_no_client_and_its_debug_shows_group_and_role_only() {
        let scheduler = Scheduler::new("dispatch".into(), "arn:aws:iam::123456789012:role/r".into());
        assert!(!scheduler.inner.client.initialized(), "no AWS environment is read before the first call");
        assert_eq!(
            format!("{scheduler:?}"),
            r#"Scheduler { group: "dispatch", role_arn: "arn:aws:iam::123456789012:role/r", client_built: false }"#
        );
        let clone = scheduler.clone();
        assert!(Arc::ptr_eq(&clone.inner, &scheduler.inner), "clones share one client");
    }

    #[tokio::test]
    async fn a_deadline_already_past_fails_without_building_a_client() {
        let scheduler = Scheduler::new("dispatch".into(), "arn:aws:iam::123456789012:role/r".into());
        let schedule = OneTimeSchedule { name: "n", at: Utc::now(), target_arn: "arn:aws:lambda:x", input: "{}" };
        let error = scheduler.create_once(&schedule, Deadline::after(Duration::ZERO)).await.unwrap_err();
        assert_eq!(error, SchedulerError::TimedOut);
        assert!(error.is_retryable());
        assert!(!scheduler.inner.client.initialized());
    }

    #[test]
    fn throttling_outages_timeouts_and_lost_connections_are_retryable_and_refusals_are_not() {
        let retryable = [
            SchedulerError::Throttled { message: "slow down".into() },
            SchedulerError::Unavailable { status: 503, message: "InternalServerException: oops".into() },
            SchedulerError::TimedOut,
            SchedulerError::Unreachable("connection refused".into()),
        ];
        let final_ = [
            SchedulerError::Refused { code: "ValidationException".into(), message: "bad".into() },
            SchedulerError::Refused { code: "AccessDeniedException".into(), message: "no".into() },
            SchedulerError::Refused { code: "ResourceNotFoundException".into(), message: "no group".into() },
            SchedulerError::Invalid("Target.Arn missing".into()),
        ];
        assert!(retryable.iter().all(SchedulerError::is_retryable));
        assert!(!final_.iter().any(SchedulerError::is_retryable));
        assert_eq!(final_[0].to_string(), "EventBridge Scheduler refused CreateSchedule: ValidationException: bad");
    }
}
