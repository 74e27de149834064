//! `secure:` values through the real aws-sdk-kms client against a local KMS double.

use secrecy::ExposeSecret;

use super::helpers::{fake_kms, kms_client, secure};
use crate::support::aws_child::{run_child, signed_by_child};

#[tokio::test]
async fn a_secure_value_is_decrypted_by_the_kms_client() {
    let server = fake_kms().await;
    let ciphertext = secure("xoxb-decrypted-token");
    let plaintext = kms_client(&server).decrypt(ciphertext.strip_prefix("secure:").unwrap()).await.unwrap();
    assert_eq!(plaintext.expose_secret(), "xoxb-decrypted-token");
    let request = &server.requests()[0];
    assert_eq!(request.header("x-amz-target"), Some("TrentService.Decrypt"));
    assert!(request.header("authorization").unwrap().starts_with("AWS4-HMAC-SHA256"));
}

#[tokio::test]
async fn a_kms_refusal_is_an_error_without_the_ciphertext() {
    let server = fake_kms().await;
    let error = kms_client(&server).decrypt("bm90LWEta21zLWJsb2I=").await.unwrap_err();
    assert!(error.contains("InvalidCiphertextException"), "{error}");
    assert!(!error.contains("bm90LWEta21zLWJsb2I"), "{error}");
}

#[tokio::test]
async fn a_value_that_is_not_base64_is_refused_before_calling_kms() {
    let server = fake_kms().await;
    let error = kms_client(&server).decrypt("not base64!").await.unwrap_err();
    assert_eq!(error, "the value after secure: is not base64");
    assert!(server.requests().is_empty());
}

/// The child half of the next test: runs in a separate process whose environment holds only the
/// standard AWS variables, so it proves they reach the client. Ignored when run on its own.
#[tokio::test]
#[ignore = "run by kms_endpoint_and_credentials_come_from_the_standard_aws_environment in a child process"]
async fn child_decrypts_through_the_standard_aws_environment() {
    let ciphertext = std::env::var("DISPATCH_TEST_CIPHERTEXT").expect("run by the parent test");
    let kms = dispatch_core::kms::Kms::from_aws_environment().await;
    let plaintext = kms.decrypt(ciphertext.strip_prefix("secure:").unwrap()).await.unwrap();
    assert_eq!(plaintext.expose_secret(), "from-the-environment");
}

#[tokio::test]
async fn kms_endpoint_and_credentials_come_from_the_standard_aws_environment() {
    let server = fake_kms().await;
    // The child's name as the test harness knows it: this module's path without the crate's name.
    let (_, module) = module_path!().split_once("::").expect("a module of the test crate");
    let child = format!("{module}::child_decrypts_through_the_standard_aws_environment");
    let ciphertext = secure("from-the-environment");
    run_child(&child, "AWS_ENDPOINT_URL_KMS", &server.url(), &[("DISPATCH_TEST_CIPHERTEXT", ciphertext)]).await;
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let auth = requests[0].header("authorization").unwrap();
    assert!(signed_by_child(auth, "kms"), "{auth}");
}
