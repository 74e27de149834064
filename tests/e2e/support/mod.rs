//! What the suites share: the example messages, the settings of a deployment on the fakes, Slack's
//! signing and click payloads, SNS events, log capture, a KMS client for the fake KMS, metric lines,
//! wiremock set-ups, and the real binaries. The servers themselves are the fakes crate's.

pub mod aws_child;
pub mod binary;
pub mod emf;
pub mod examples;
pub mod mocks;
pub mod scheduler;
pub mod settings;
pub mod slack;
pub mod sns;

/// Every log line written on this thread, at any level, as JSON, until the guard is dropped.
pub fn capture_logs() -> (dispatch_fakes::support::CapturedLogs, tracing::subscriber::DefaultGuard) {
    let captured = dispatch_fakes::support::CapturedLogs::default();
    let subscriber =
        tracing_subscriber::fmt().with_max_level(tracing::Level::TRACE).with_writer(captured.clone()).json().finish();
    (captured, tracing::subscriber::set_default(subscriber))
}

/// The real aws-sdk-kms client pointed at a fake KMS, with static test credentials.
pub fn kms_client(server: &dispatch_fakes::FakeKms) -> dispatch_core::kms::Kms {
    use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region};
    let config = aws_sdk_kms::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKIDTEST", "test-secret-access-key", None, None, "test"))
        .endpoint_url(server.url())
        .build();
    dispatch_core::kms::Kms::new(aws_sdk_kms::Client::from_conf(config))
}
