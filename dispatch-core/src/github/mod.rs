//! The GitHub client (DESIGN.md §7e): issues are the audit log and the only state. Built once on
//! octocrab (token or GitHub App authentication, configurable base URL); every response is
//! classified here into a typed [`GitHubError`] that decides retry or give up.

mod dedup;

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use octocrab::Octocrab;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tracing::{debug, warn};
use url::Url;

use crate::deadline::{Deadline, RetryPolicy, Verdict, retry_after, with_retries};
use crate::ids::Repo;

pub use dedup::{LIST_PAGE_LIMIT, Lookup, OwnIssue, Twin};

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

/// An issue, as far as Dispatch needs it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Issue {
    /// Issue number.
    pub number: u64,
    /// Title.
    pub title: String,
    /// Web address.
    pub html_url: String,
    /// `open` or `closed`.
    pub state: String,
    /// Body, when it has one.
    #[serde(default)]
    pub body: Option<String>,
    /// Present on pull requests, which the issues API also lists.
    #[serde(default, skip_serializing)]
    pub pull_request: Option<Value>,
    /// Who opened it.
    #[serde(default)]
    pub user: Option<Account>,
}

impl Issue {
    /// Whether the issue is open.
    pub fn is_open(&self) -> bool {
        self.state == "open"
    }

    /// The login of who opened it.
    pub fn author(&self) -> Option<&str> {
        self.user.as_ref().map(|u| u.login.as_str())
    }
}

/// A GitHub account (user, machine account or App bot), as far as Dispatch needs it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Account {
    /// Login (`alice`, `dispatch-bot`, `my-app[bot]`).
    pub login: String,
}

/// An issue to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIssue {
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
    /// Label names.
    pub labels: Vec<String>,
}

/// A comment on an issue.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Comment {
    /// Comment id.
    pub id: u64,
    /// Web address.
    pub html_url: String,
    /// Text.
    #[serde(default)]
    pub body: Option<String>,
    /// Who wrote it.
    #[serde(default)]
    pub user: Option<Account>,
}

impl Comment {
    /// The login of who wrote it.
    pub fn author(&self) -> Option<&str> {
        self.user.as_ref().map(|u| u.login.as_str())
    }
}

/// Which retries a call may make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retry {
    /// Reads and idempotent writes: retry transient failures and rate limits.
    Safe,
    /// Non-idempotent writes: retry only a rate limit (the request was refused, not applied).
    RateLimitOnly,
    /// One attempt: the caller has a better plan than waiting (the dedup search falls back to listing).
    Never,
}

/// A raw GitHub response.
struct Reply {
    headers: HeaderMap,
    body: Bytes,
}

/// The GitHub client. Build it once per process and share it.
#[derive(Debug, Clone)]
pub struct GitHub {
    crab: Octocrab,
    base: Url,
    policy: RetryPolicy,
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
        let crab = match auth {
            GitHubAuth::Token(token) => builder
                .personal_token(token.expose_secret().to_owned())
                .build_with_reqwest(http)
                .map_err(|e| GitHubError::Setup(e.to_string()))?,
            GitHubAuth::App { app_id, private_key, installation_id } => {
                let key = octocrab::EncodingKey::from_rsa_pem(private_key.expose_secret().as_bytes())
                    .map_err(|_| GitHubError::Setup("GitHubAppPrivateKey is not an RSA private key in PEM".into()))?;
                builder
                    .app((*app_id).into(), key)
                    .build_with_reqwest(http)
                    .and_then(|app| app.installation((*installation_id).into()))
                    .map_err(|e| GitHubError::Setup(e.to_string()))?
            }
        };
        let mut base = base_url.clone();
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        Ok(Self { crab, base, policy })
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

    /// Creates an issue. The create is not idempotent: when it fails in a way that may have been
    /// applied (timeout, 5xx), the newest issues are searched for the exact title and body before
    /// it is sent again, so a retry never opens a second issue (DESIGN.md §5).
    pub async fn create_issue(&self, repo: &Repo, issue: &NewIssue, deadline: Deadline) -> Result<Issue, GitHubError> {
        let url = Self::target(&format!("repos/{}/{}/issues", repo.owner, repo.name));
        let body = json!({ "title": issue.title, "body": issue.body, "labels": issue.labels });
        let mut attempt = 1;
        loop {
            match self.call(Method::POST, &url, Some(&body), deadline, Retry::RateLimitOnly).await {
                Ok(reply) => return parse(&reply),
                Err(error @ GitHubError::Transient(_)) if attempt < self.policy.attempts => {
                    warn!(repo = %repo, error = %error, "issue create may not have been applied; looking it up before retrying");
                    let wait = self.policy.backoff_before(attempt + 1);
                    if !deadline.allows(wait, Duration::ZERO) {
                        return Err(error);
                    }
                    tokio::time::sleep(wait).await;
                    if let Some(existing) = self.find_created(repo, issue, deadline).await? {
                        debug!(repo = %repo, issue = existing.number, "the earlier create had been applied");
                        return Ok(existing);
                    }
                    attempt += 1;
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// The newest issue with exactly this title and body, if one of the latest 100 matches.
    async fn find_created(
        &self,
        repo: &Repo,
        issue: &NewIssue,
        deadline: Deadline,
    ) -> Result<Option<Issue>, GitHubError> {
        let recent = self.recent_issues(repo, "all", deadline).await?;
        Ok(recent.into_iter().find(|i| i.title == issue.title && i.body.as_deref() == Some(issue.body.as_str())))
    }

    /// The latest 100 issues of a repository (pull requests removed), newest first.
    pub(crate) async fn recent_issues(
        &self,
        repo: &Repo,
        state: &str,
        deadline: Deadline,
    ) -> Result<Vec<Issue>, GitHubError> {
        let url = Self::target(&format!(
            "repos/{}/{}/issues?state={state}&sort=created&direction=desc&per_page=100",
            repo.owner, repo.name
        ));
        let reply = self.call(Method::GET, &url, None, deadline, Retry::Safe).await?;
        let issues: Vec<Issue> = parse(&reply)?;
        Ok(issues.into_iter().filter(|i| i.pull_request.is_none()).collect())
    }

    /// Fetches one issue.
    pub async fn issue(&self, repo: &Repo, number: u64, deadline: Deadline) -> Result<Issue, GitHubError> {
        let url = Self::target(&format!("repos/{}/{}/issues/{number}", repo.owner, repo.name));
        parse(&self.call(Method::GET, &url, None, deadline, Retry::Safe).await?)
    }

    /// Closes an issue as completed. Idempotent, so retried like a read.
    pub async fn close_issue(&self, repo: &Repo, number: u64, deadline: Deadline) -> Result<Issue, GitHubError> {
        self.close_issue_as(repo, number, "completed", deadline).await
    }

    /// Closes an issue with a `state_reason` (`completed` or `not_planned`).
    pub async fn close_issue_as(
        &self,
        repo: &Repo,
        number: u64,
        reason: &str,
        deadline: Deadline,
    ) -> Result<Issue, GitHubError> {
        let url = Self::target(&format!("repos/{}/{}/issues/{number}", repo.owner, repo.name));
        let body = json!({ "state": "closed", "state_reason": reason });
        parse(&self.call(Method::PATCH, &url, Some(&body), deadline, Retry::Safe).await?)
    }

    /// Comments on an issue. Not idempotent: only a rate-limited attempt is repeated.
    pub async fn comment(
        &self,
        repo: &Repo,
        number: u64,
        text: &str,
        deadline: Deadline,
    ) -> Result<Comment, GitHubError> {
        let url = Self::target(&format!("repos/{}/{}/issues/{number}/comments", repo.owner, repo.name));
        let body = json!({ "body": text });
        parse(&self.call(Method::POST, &url, Some(&body), deadline, Retry::RateLimitOnly).await?)
    }

    /// Deletes a comment. Idempotent: a comment already gone counts as deleted.
    pub async fn delete_comment(&self, repo: &Repo, id: u64, deadline: Deadline) -> Result<(), GitHubError> {
        let url = Self::target(&format!("repos/{}/{}/issues/comments/{id}", repo.owner, repo.name));
        match self.call(Method::DELETE, &url, None, deadline, Retry::Safe).await {
            Ok(_) | Err(GitHubError::NotFound(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The comments of an issue, oldest first: the first 100, or the first 100 updated at or
    /// after `since` (ISO 8601).
    pub async fn comments(
        &self,
        repo: &Repo,
        number: u64,
        since: Option<&str>,
        deadline: Deadline,
    ) -> Result<Vec<Comment>, GitHubError> {
        // Built in a block: the serializer is not Send and must not live across an await.
        let query = {
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            query.append_pair("per_page", "100");
            if let Some(since) = since {
                query.append_pair("since", since);
            }
            query.finish()
        };
        let url = Self::target(&format!("repos/{}/{}/issues/{number}/comments?{query}", repo.owner, repo.name));
        parse(&self.call(Method::GET, &url, None, deadline, Retry::Safe).await?)
    }

    /// One request with the retries `retry` allows, within `deadline`.
    async fn call(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        deadline: Deadline,
        retry: Retry,
    ) -> Result<Reply, GitHubError> {
        let verdict = |error: &GitHubError| match (error, retry) {
            (_, Retry::Never) => Verdict::Final,
            (GitHubError::RateLimited { retry_after }, _) => Verdict::RateLimited(*retry_after),
            (GitHubError::Transient(_), Retry::Safe) => Verdict::Transient,
            _ => Verdict::Final,
        };
        with_retries(&self.policy, deadline, "github", verdict, || self.send(&method, url, body, deadline)).await
    }

    /// One HTTP request, classified.
    async fn send(
        &self,
        method: &Method,
        uri: &str,
        body: Option<&Value>,
        deadline: Deadline,
    ) -> Result<Reply, GitHubError> {
        let request = async {
            let response = match *method {
                Method::GET => self.crab._get(uri).await,
                Method::POST => self.crab._post(uri, body).await,
                Method::PATCH => self.crab._patch(uri, body).await,
                Method::DELETE => self.crab._delete(uri, body).await,
                _ => unreachable!("only GET, POST, PATCH and DELETE are used"),
            }
            .map_err(|e| GitHubError::Transient(transport_reason(&e)))?;
            let (parts, body) = response.into_parts();
            let body = http_body_util::BodyExt::collect(body)
                .await
                .map_err(|e| GitHubError::Transient(format!("reading the response: {}", transport_reason(&e))))?
                .to_bytes();
            Ok::<_, GitHubError>((parts.status, parts.headers, body))
        };
        let (status, headers, body) = deadline
            .run(self.policy.request_timeout, request)
            .await
            .ok_or_else(|| GitHubError::Transient(format!("{method} {} timed out", path_of(uri))))??;
        if status.is_success() {
            return Ok(Reply { headers, body });
        }
        Err(classify(status, &headers, &body, path_of(uri)))
    }
}

/// A repository, as far as `dispatch doctor` needs it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RepoInfo {
    /// `owner/name`.
    pub full_name: String,
    /// What the caller may do there; GitHub includes it for an authenticated user's token.
    #[serde(default)]
    pub permissions: Option<RepoPermissions>,
}

/// The caller's role on a repository (`permissions` of `GET /repos/{o}/{r}`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub struct RepoPermissions {
    /// Admin.
    #[serde(default)]
    pub admin: bool,
    /// Maintain.
    #[serde(default)]
    pub maintain: bool,
    /// Write.
    #[serde(default)]
    pub push: bool,
    /// Triage.
    #[serde(default)]
    pub triage: bool,
    /// Read.
    #[serde(default)]
    pub pull: bool,
}

impl RepoPermissions {
    /// Whether issues may be opened, labelled and closed: triage, write, maintain or admin.
    pub fn can_write_issues(&self) -> bool {
        self.push || self.triage || self.maintain || self.admin
    }
}

/// Read-only calls for checking a deployment (`dispatch doctor`).
impl GitHub {
    /// `GET /repos/{o}/{r}`: the repository and the caller's permissions on it.
    pub async fn repository(&self, repo: &Repo, deadline: Deadline) -> Result<RepoInfo, GitHubError> {
        let url = Self::target(&format!("repos/{}/{}", repo.owner, repo.name));
        parse(&self.call(Method::GET, &url, None, deadline, Retry::Safe).await?)
    }

    /// The permissions of a GitHub App installation (`GET /app/installations/{id}`, authenticated
    /// as the App with its JWT), such as `issues: write`; `None` for token authentication.
    pub async fn installation_permissions(
        base_url: &Url,
        auth: &GitHubAuth,
        policy: RetryPolicy,
        deadline: Deadline,
    ) -> Result<Option<std::collections::BTreeMap<String, String>>, GitHubError> {
        let GitHubAuth::App { app_id, private_key, installation_id } = auth else { return Ok(None) };
        let key = octocrab::EncodingKey::from_rsa_pem(private_key.expose_secret().as_bytes())
            .map_err(|_| GitHubError::Setup("GitHubAppPrivateKey is not an RSA private key in PEM".into()))?;
        let http = crate::http::client(policy.request_timeout).map_err(|e| GitHubError::Setup(e.to_string()))?;
        let crab = Octocrab::builder()
            .base_uri(base_url.as_str())
            .map_err(|e| GitHubError::Setup(format!("base URL {base_url}: {e}")))?
            .app((*app_id).into(), key)
            .build_with_reqwest(http)
            .map_err(|e| GitHubError::Setup(e.to_string()))?;
        let app = Self { crab, base: base_url.clone(), policy };
        #[derive(Deserialize)]
        struct Installation {
            #[serde(default)]
            permissions: std::collections::BTreeMap<String, String>,
        }
        let url = Self::target(&format!("app/installations/{installation_id}"));
        let installation: Installation = parse(&app.call(Method::GET, &url, None, deadline, Retry::Safe).await?)?;
        Ok(Some(installation.permissions))
    }
}

/// A target without its query, for logs and errors.
fn path_of(target: &str) -> &str {
    target.split('?').next().unwrap_or(target)
}

/// A short reason for a transport failure, without the request's headers.
fn transport_reason(error: &dyn std::error::Error) -> String {
    let mut reason = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        reason.push_str(": ");
        reason.push_str(&inner.to_string());
        source = inner.source();
    }
    reason
}

fn parse<T: DeserializeOwned>(reply: &Reply) -> Result<T, GitHubError> {
    serde_json::from_slice(&reply.body)
        .map_err(|e| GitHubError::Transient(format!("unexpected response body from GitHub: {e}")))
}

/// Maps a failed response to its meaning (DESIGN.md §7e: 403 and 429 both signal rate limits).
fn classify(status: StatusCode, headers: &HeaderMap, body: &[u8], path: &str) -> GitHubError {
    let message = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned());
    let exhausted = headers.get("x-ratelimit-remaining").is_some_and(|v| v == "0");
    let rate_limited = status == StatusCode::TOO_MANY_REQUESTS
        || (status == StatusCode::FORBIDDEN
            && (exhausted
                || headers.contains_key(http::header::RETRY_AFTER)
                || message.to_lowercase().contains("rate limit")));
    if rate_limited {
        let until_reset =
            headers.get("x-ratelimit-reset").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<i64>().ok()).map(
                |reset| Duration::from_secs(u64::try_from(reset - chrono::Utc::now().timestamp()).unwrap_or(0).max(1)),
            );
        return GitHubError::RateLimited {
            retry_after: retry_after(headers).or(if exhausted { until_reset } else { None }),
        };
    }
    match status {
        StatusCode::UNAUTHORIZED => GitHubError::Unauthorized(status.as_u16()),
        StatusCode::NOT_FOUND => GitHubError::NotFound(path.to_owned()),
        s if s.is_server_error() => GitHubError::Transient(format!("HTTP {}: {message}", s.as_u16())),
        s => GitHubError::Rejected { status: s.as_u16(), message },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (http::HeaderName::from_static(k), v.parse().unwrap())).collect()
    }

    #[test]
    fn a_403_with_no_remaining_quota_is_a_rate_limit_until_the_reset() {
        let reset = (chrono::Utc::now().timestamp() + 30).to_string();
        let error = classify(
            StatusCode::FORBIDDEN,
            &headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", &reset)]),
            br#"{"message":"API rate limit exceeded"}"#,
            "/x",
        );
        let GitHubError::RateLimited { retry_after: Some(wait) } = error else { panic!("{error:?}") };
        assert!((29..=31).contains(&wait.as_secs()), "{wait:?}");
    }

    #[test]
    fn a_secondary_rate_limit_honours_retry_after() {
        let error = classify(StatusCode::FORBIDDEN, &headers(&[("retry-after", "60")]), b"{}", "/x");
        assert!(matches!(error, GitHubError::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(60)));
    }

    #[test]
    fn a_plain_403_is_a_refusal_not_a_rate_limit() {
        let error = classify(
            StatusCode::FORBIDDEN,
            &HeaderMap::new(),
            br#"{"message":"Resource not accessible by integration"}"#,
            "/x",
        );
        assert!(
            matches!(error, GitHubError::Rejected { status: 403, ref message } if message == "Resource not accessible by integration")
        );
        assert!(!error.is_retryable());
    }

    #[test]
    fn server_errors_are_transient_and_client_errors_are_not() {
        assert!(classify(StatusCode::BAD_GATEWAY, &HeaderMap::new(), b"", "/x").is_retryable());
        assert!(matches!(classify(StatusCode::NOT_FOUND, &HeaderMap::new(), b"", "/x"), GitHubError::NotFound(_)));
        assert!(matches!(
            classify(StatusCode::UNAUTHORIZED, &HeaderMap::new(), b"", "/x"),
            GitHubError::Unauthorized(401)
        ));
        assert!(matches!(
            classify(StatusCode::UNPROCESSABLE_ENTITY, &HeaderMap::new(), b"{}", "/x"),
            GitHubError::Rejected { status: 422, .. }
        ));
    }
}
