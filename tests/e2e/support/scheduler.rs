//! EventBridge Scheduler for the suites: the real aws-sdk-scheduler client pointed at the fake
//! Scheduler, and an incoming handler that schedules its follow-ups there, as the deployed function
//! does once Lambda has told it its ARN.

use dispatch_core::incoming::Incoming;
use dispatch_core::scheduler::Scheduler;
use dispatch_fakes::FakeScheduler;

/// The schedule group follow-ups are created in (`SchedulerGroupName`).
pub const GROUP: &str = "dispatch-follow-ups";
/// The role Scheduler assumes to invoke incoming (`SchedulerRoleArn`).
pub const ROLE: &str = "arn:aws:iam::123456789012:role/dispatch-scheduler";
/// The ARN of incoming, which its follow-up schedules invoke.
pub const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:dispatch-incoming";

/// The real client for [`GROUP`] and [`ROLE`], pointed at `fake` with static test credentials.
pub fn client(fake: &FakeScheduler) -> Scheduler {
    use aws_sdk_scheduler::config::{BehaviorVersion, Credentials, Region};
    let config = aws_sdk_scheduler::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKIDTEST", "test-secret-access-key", None, None, "test"))
        .endpoint_url(fake.url())
        .build();
    Scheduler::with_sdk_config(GROUP.to_owned(), ROLE.to_owned(), &config)
}

/// `incoming` scheduling its follow-ups on `fake`, as the function [`FUNCTION_ARN`].
pub fn schedule_on(mut incoming: Incoming, fake: &FakeScheduler) -> Incoming {
    incoming.scheduler = Some(client(fake));
    incoming.set_function_arn(FUNCTION_ARN);
    incoming
}
