//! The GitHub client (DESIGN.md §7e): issues are the audit log and the only state. Built once on
//! octocrab (token or GitHub App authentication, configurable base URL); every response is
//! classified into a typed [`GitHubError`] that decides retry or give up. A leaf: it takes plain
//! values (titles, a [`Counted`] state filter, markers) and knows nothing of the routing plan.
//!
//! - [`request`]: one request, its retries and deadline, and the error classes;
//! - [`issues`]: create (never twice), fetch, close, comment;
//! - [`lookup`]: the dedup lookup ([`GitHub::find_duplicate`], [`GitHub::earlier_twin`]);
//! - [`graphql`]: the lookup's single GraphQL query; [`listing`]: its REST fallback;
//! - [`repository`]: the read-only checks of `dispatch doctor`.

mod graphql;
mod issues;
mod listing;
mod lookup;
mod model;
mod repository;
mod request;

use std::time::Duration;

use octocrab::Octocrab;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::deadline::RetryPolicy;

pub use listing::LIST_PAGE_LIMIT;
pub use lookup::{Counted, Lookup, OwnIssue, Twin};
pub use model::{Account, Comment, Issue, NewIssue, RepoInfo, RepoPermissions};

/// How Dispatch authenticates to GitHub.
#[derive(Debug, Clone)]
pub enum GitHubAuth {
    /// A personal access or machine-account token (`GitHubToken`).
    Token(SecretString),
    /// A GitHub App installation (`GitHubAppId`, `GitHubAppPrivateKey`, `GitHubAppInstallationId`).
    App {
        /// The App's id.
        app_id: u64,
        /// The App's private key, PEM.
        private_key: SecretString,
        /// The installation on the organisation that owns the repositories.
        installation_id: u64,
    },
}

/// Why a GitHub call failed.
#[derive(Debug, thiserror::Error)]
pub enum GitHubError {
    /// The repository or issue does not exist, or the credentials cannot see it.
    #[error("GitHub: not found ({0})")]
    NotFound(String),
    /// The credentials were refused.
    #[error("GitHub: credentials refused (HTTP {0})")]
    Unauthorized(u16),
    /// Primary or secondary rate limit; `retry_after` when GitHub said how long to wait.
    #[error("GitHub: rate limited{}", .retry_after.map(|d| format!(", retry after {}s", d.as_secs())).unwrap_or_default())]
    RateLimited {
        /// How long GitHub asked to wait.
        retry_after: Option<Duration>,
    },
    /// A 5xx, a timeout or a connection failure: worth retrying later.
    #[error("GitHub: unavailable ({0})")]
    Transient(String),
    /// Any other refusal, with GitHub's message.
    #[error("GitHub: request refused (HTTP {status}: {message})")]
    Rejected {
        /// HTTP status.
        status: u16,
        /// GitHub's `message`.
        message: String,
    },
    /// The client could not be built from the configuration.
    #[error("GitHub: client set-up failed ({0})")]
    Setup(String),
}

impl GitHubError {
    /// Whether the same call may succeed later (so the invocation should fail and be retried).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::RateLimited { .. } | Self::Transient(_))
    }
}

/// The GitHub client. Build it once per process and share it.
#[derive(Debug, Clone)]
pub struct GitHub {
    crab: Octocrab,
    base: Url,
    policy: RetryPolicy,
    /// The account Dispatch acts as, once known ([`GitHub::own_login`]).
    login: std::sync::Arc<tokio::sync::OnceCell<String>>,
    /// With GitHub App authentication, the App itself (authenticated with its JWT): what may ask
    /// who the App's bot is where its installation may not.
    app: Option<Octocrab>,
}

impl GitHub {
    /// A client for the API at `base_url` (`https://api.github.com`, a GitHub Enterprise
    /// `https://HOST/api/v3`, or a local fake in tests).
    pub fn new(base_url: &Url, auth: &GitHubAuth, policy: RetryPolicy) -> Result<Self, GitHubError> {
        // octocrab on the shared HTTP client (`crate::http`): its timeouts, the process's TLS trust.
        let http = crate::http::client(policy.request_timeout).map_err(|e| GitHubError::Setup(e.to_string()))?;
        let builder = Octocrab::builder()
            .base_uri(base_url.as_str())
            .map_err(|e| GitHubError::Setup(format!("base URL {base_url}: {e}")))?;
        let (crab, app) = match auth {
            GitHubAuth::Token(token) => {
                let crab = builder.personal_token(token.expose_secret().to_owned()).build_with_reqwest(http);
                (crab.map_err(|e| GitHubError::Setup(e.to_string()))?, None)
            }
            GitHubAuth::App { app_id, private_key, installation_id } => {
                let key = octocrab::EncodingKey::from_rsa_pem(private_key.expose_secret().as_bytes())
                    .map_err(|_| GitHubError::Setup("GitHubAppPrivateKey is not an RSA private key in PEM".into()))?;
                let app = builder.app((*app_id).into(), key).build_with_reqwest(http);
                let app = app.map_err(|e| GitHubError::Setup(e.to_string()))?;
                let crab =
                    app.installation((*installation_id).into()).map_err(|e| GitHubError::Setup(e.to_string()))?;
                (crab, Some(app))
            }
        };
        let mut base = base_url.clone();
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        Ok(Self { crab, base, policy, login: std::sync::Arc::default(), app })
    }

    /// The request target of an API path such as `repos/o/r/issues`: relative, so that octocrab
    /// prefixes the configured base URL and attaches the credentials (it withholds them from
    /// absolute URLs to other hosts).
    fn target(path_and_query: &str) -> String {
        format!("/{path_and_query}")
    }

    /// The relative target of an absolute URL under the configured base (a `Link` header's `next`),
    /// or `None` for any other address, which must never receive the credentials.
    fn relative(&self, url: &Url) -> Option<String> {
        if url.origin() != self.base.origin() {
            return None;
        }
        let rest = url.path().strip_prefix(self.base.path())?;
        Some(match url.query() {
            Some(query) => format!("/{rest}?{query}"),
            None => format!("/{rest}"),
        })
    }
}
