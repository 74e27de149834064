//! `secure:` values (DESIGN.md §6): base64 KMS ciphertext decrypted once at cold start with
//! aws-sdk-kms. The SDK's standard environment (`AWS_REGION`, credentials, `AWS_ENDPOINT_URL` /
//! `AWS_ENDPOINT_URL_KMS`) configures the client, so tests can point it at a local KMS.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_kms::error::DisplayErrorContext;
use aws_sdk_kms::primitives::Blob;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::SecretString;

/// The prefix that marks an encrypted value.
pub const SECURE_PREFIX: &str = "secure:";

/// Decrypts `secure:` values.
#[derive(Debug, Clone)]
pub struct Kms {
    client: aws_sdk_kms::Client,
}

impl Kms {
    /// Wraps a configured KMS client.
    pub fn new(client: aws_sdk_kms::Client) -> Self {
        Self { client }
    }

    /// A client configured the standard AWS way, from the process environment and the Lambda's
    /// role, with a 10-second bound on each decrypt.
    pub async fn from_aws_environment() -> Self {
        let timeouts = TimeoutConfig::builder().operation_timeout(Duration::from_secs(10)).build();
        let config = aws_config::defaults(BehaviorVersion::latest()).timeout_config(timeouts).load().await;
        Self::new(aws_sdk_kms::Client::new(&config))
    }

    /// Decrypts the base64 ciphertext after `secure:`. The error never contains the ciphertext or
    /// the plaintext.
    pub async fn decrypt(&self, ciphertext: &str) -> Result<SecretString, String> {
        let blob =
            STANDARD.decode(ciphertext.trim()).map_err(|_| "the value after secure: is not base64".to_owned())?;
        let output = self
            .client
            .decrypt()
            .ciphertext_blob(Blob::new(blob))
            .send()
            .await
            .map_err(|e| format!("KMS Decrypt failed: {}", DisplayErrorContext(&e)))?;
        let plaintext = output.plaintext.ok_or_else(|| "KMS returned no plaintext".to_owned())?.into_inner();
        // `echo token | aws kms encrypt` leaves a line break that would break an HTTP header.
        let text = String::from_utf8(plaintext).map_err(|_| "the decrypted value is not UTF-8".to_owned())?;
        Ok(SecretString::from(text.trim().to_owned()))
    }
}
