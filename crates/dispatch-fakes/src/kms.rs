//! A fake AWS KMS speaking the JSON protocol of `TrentService.Decrypt`. Its "ciphertext" is base64
//! of `fake-kms:` followed by the plaintext ([`FakeKms::encrypt`] makes one); anything else is
//! refused with `InvalidCiphertextException`, as KMS refuses a blob it did not make.

use std::sync::{Arc, Mutex};

use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use crate::server::{Incoming, Recorded, serve};

const PREFIX: &str = "fake-kms:";

/// The fake KMS.
#[derive(Debug, Clone)]
pub struct FakeKms {
    url: String,
    log: Arc<Mutex<Vec<Recorded>>>,
}

impl FakeKms {
    /// Starts it on a loopback port.
    pub async fn start() -> std::io::Result<Self> {
        let log = Arc::new(Mutex::new(Vec::new()));
        let addr = serve(log.clone(), |request| async move { handle(&request) }).await?;
        Ok(Self { url: format!("http://{addr}"), log })
    }

    /// The endpoint, for `AWS_ENDPOINT_URL_KMS`.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The `secure:` value this fake decrypts to `plaintext`.
    pub fn encrypt(plaintext: &str) -> String {
        format!("secure:{}", STANDARD.encode(format!("{PREFIX}{plaintext}")))
    }

    /// Every request received.
    pub fn requests(&self) -> Vec<Recorded> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

fn reply(status: u16, body: serde_json::Value) -> Response {
    let status = axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::BAD_REQUEST);
    (status, [("content-type", "application/x-amz-json-1.1")], body.to_string()).into_response()
}

fn handle(request: &Incoming) -> Response {
    let recorded = &request.recorded;
    if recorded.header("x-amz-target") != Some("TrentService.Decrypt") {
        return reply(400, json!({ "__type": "UnknownOperationException" }));
    }
    if !recorded.header("authorization").is_some_and(|a| a.starts_with("AWS4-HMAC-SHA256")) {
        return reply(400, json!({ "__type": "MissingAuthenticationTokenException" }));
    }
    let blob = recorded.json()["CiphertextBlob"].as_str().and_then(|b| STANDARD.decode(b).ok()).unwrap_or_default();
    match String::from_utf8(blob).ok().and_then(|s| s.strip_prefix(PREFIX).map(str::to_owned)) {
        Some(plaintext) => reply(
            200,
            json!({
                "KeyId": "arn:aws:kms:us-east-1:111122223333:key/fake",
                "Plaintext": STANDARD.encode(plaintext),
                "EncryptionAlgorithm": "SYMMETRIC_DEFAULT",
            }),
        ),
        None => reply(400, json!({ "__type": "InvalidCiphertextException", "message": "The ciphertext is invalid." })),
    }
}
