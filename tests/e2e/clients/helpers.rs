#![allow(dead_code)]

use std::time::Duration;

use dispatch_core::deadline::{Deadline, RetryPolicy};
use dispatch_core::github::{GitHub, GitHubAuth};
use dispatch_core::ids::{GitHubOwner, Repo, RepoName};
use secrecy::SecretString;
use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// Quick retries so failure tests run fast.
pub fn policy() -> RetryPolicy {
    RetryPolicy { attempts: 3, backoff: Duration::from_millis(10), request_timeout: Duration::from_millis(500) }
}

pub fn deadline() -> Deadline {
    Deadline::after(Duration::from_secs(10))
}

/// GitHub App authentication as the test App: its id, private key and installation.
pub fn app_auth() -> GitHubAuth {
    GitHubAuth::App {
        app_id: 17,
        private_key: SecretString::from(include_str!("../../fixtures/test-github-app-key.pem").to_owned()),
        installation_id: 4242,
    }
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

/// The `secure:` form of `plaintext` for the fake KMS.
pub fn secure(plaintext: &str) -> String {
    dispatch_fakes::FakeKms::encrypt(plaintext)
}

/// A fake KMS on loopback.
pub async fn fake_kms() -> dispatch_fakes::FakeKms {
    dispatch_fakes::FakeKms::start().await.unwrap()
}

pub use crate::support::kms_client;

/// The token the GitHub client under test sends.
pub const TOKEN: &str = "ghp-test-token-0123456789";

/// The repository the GitHub tests use.
pub fn repo() -> Repo {
    Repo::new(GitHubOwner::parse("acme").unwrap(), RepoName::parse("alarms").unwrap())
}

/// The GitHub client against `server`, with [`TOKEN`].
pub fn client(server: &MockServer) -> GitHub {
    GitHub::new(&url(server), &GitHubAuth::Token(SecretString::from(TOKEN.to_owned())), policy()).unwrap()
}

/// An issue as the GitHub API returns it.
pub fn issue_json(base: &str, number: u64, title: &str, state: &str) -> Value {
    json!({
        "number": number,
        "title": title,
        "state": state,
        "html_url": format!("{base}/acme/alarms/issues/{number}"),
        "body": format!("body {number}"),
    })
}

/// Every request `server` received.
pub async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap()
}
