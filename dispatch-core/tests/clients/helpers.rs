#![allow(dead_code)]

use std::time::Duration;

use dispatch_core::deadline::{Deadline, RetryPolicy};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Quick retries so failure tests run fast.
pub fn policy() -> RetryPolicy {
    RetryPolicy { attempts: 3, backoff: Duration::from_millis(10), request_timeout: Duration::from_millis(500) }
}

pub fn deadline() -> Deadline {
    Deadline::after(Duration::from_secs(10))
}

pub fn url(server: &MockServer) -> url::Url {
    url::Url::parse(&server.uri()).unwrap()
}

/// Answers anything no other mock matched with a loud 500, lowest priority.
pub async fn catch_all(server: &MockServer) {
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500).set_body_string("unexpected request: no mock matched"))
        .with_priority(u8::MAX)
        .mount(server)
        .await;
}

/// A KMS double speaking the AWS JSON protocol: `TrentService.Decrypt` of a ciphertext that is
/// base64 of `fake-kms:` + plaintext. Any other ciphertext gets `InvalidCiphertextException`.
pub struct FakeKms;

pub const FAKE_KMS_PREFIX: &str = "fake-kms:";

/// The `secure:` form of `plaintext` for [`FakeKms`].
pub fn secure(plaintext: &str) -> String {
    use base64::Engine;
    format!("secure:{}", base64::engine::general_purpose::STANDARD.encode(format!("{FAKE_KMS_PREFIX}{plaintext}")))
}

impl wiremock::Respond for FakeKms {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        use base64::Engine;
        let engine = base64::engine::general_purpose::STANDARD;
        let target = request.headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or_default();
        if target != "TrentService.Decrypt" {
            return ResponseTemplate::new(400)
                .set_body_raw(r#"{"__type":"UnknownOperationException"}"#, "application/x-amz-json-1.1");
        }
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap_or_default();
        let blob = body["CiphertextBlob"].as_str().and_then(|b| engine.decode(b).ok()).unwrap_or_default();
        match String::from_utf8(blob).ok().and_then(|s| s.strip_prefix(FAKE_KMS_PREFIX).map(str::to_owned)) {
            Some(plaintext) => ResponseTemplate::new(200).set_body_raw(
                serde_json::json!({
                    "KeyId": "arn:aws:kms:us-east-1:111122223333:key/test",
                    "Plaintext": engine.encode(plaintext),
                    "EncryptionAlgorithm": "SYMMETRIC_DEFAULT",
                })
                .to_string(),
                "application/x-amz-json-1.1",
            ),
            None => ResponseTemplate::new(400).set_body_raw(
                r#"{"__type":"InvalidCiphertextException","message":"The ciphertext is invalid."}"#,
                "application/x-amz-json-1.1",
            ),
        }
    }
}

/// Mounts [`FakeKms`] on a new server.
pub async fn fake_kms() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::method("POST")).respond_with(FakeKms).mount(&server).await;
    server
}

/// The real aws-sdk-kms client pointed at `server`, with static test credentials.
pub fn kms_client(server: &MockServer) -> dispatch_core::kms::Kms {
    use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region};
    let config = aws_sdk_kms::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKIDTEST", "test-secret-access-key", None, None, "test"))
        .endpoint_url(server.uri())
        .build();
    dispatch_core::kms::Kms::new(aws_sdk_kms::Client::from_conf(config))
}
