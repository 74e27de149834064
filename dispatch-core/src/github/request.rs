//! One GitHub request: sent through octocrab within the invocation's deadline, retried as its
//! [`Retry`] allows, and every failed response classified into a typed [`GitHubError`].

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{GitHub, GitHubError};
use crate::deadline::{Deadline, Verdict, retry_after, with_retries};

/// Which retries a call may make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Retry {
    /// Reads and idempotent writes: retry transient failures and rate limits.
    Safe,
    /// Non-idempotent writes: retry only a rate limit (the request was refused, not applied).
    RateLimitOnly,
    /// Reads with a better plan than waiting out a rate limit (the GraphQL lookup falls back to the
    /// REST API): retry transient failures only.
    TransientOnly,
    /// One attempt: the caller has a better plan than waiting (the dedup search falls back to listing).
    Never,
}

/// A raw GitHub response.
pub(super) struct Reply {
    pub(super) headers: HeaderMap,
    pub(super) body: Bytes,
}

impl GitHub {
    /// One request with the retries `retry` allows, within `deadline`.
    pub(super) async fn call(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        deadline: Deadline,
        retry: Retry,
    ) -> Result<Reply, GitHubError> {
        let verdict = |error: &GitHubError| match (error, retry) {
            (_, Retry::Never) => Verdict::Final,
            (GitHubError::RateLimited { .. }, Retry::TransientOnly) => Verdict::Final,
            (GitHubError::RateLimited { retry_after }, _) => Verdict::RateLimited(*retry_after),
            (GitHubError::Transient(_), Retry::Safe | Retry::TransientOnly) => Verdict::Transient,
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

/// The JSON body of a successful response.
pub(super) fn parse<T: DeserializeOwned>(reply: &Reply) -> Result<T, GitHubError> {
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
