//! The HTTP client every service client runs on (Slack and PagerDuty share one; GitHub's octocrab
//! runs on another built here): a User-Agent, timeouts, no redirects, and the process's TLS trust
//! (`crate::tls`), so the root certificates are set up once for all of them.

use std::time::Duration;

use crate::tls::Trust;

/// User-Agent sent to every service.
pub const USER_AGENT: &str = concat!("dispatch/", env!("CARGO_PKG_VERSION"), " (+https://github.com/mapbox/dispatch)");

/// Builds the shared HTTP client with the process's trust ([`crate::tls::process_trust`]);
/// `request_timeout` bounds each request.
pub fn client(request_timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    client_trusting(request_timeout, &crate::tls::process_trust())
}

/// Builds an HTTP client that trusts the certificate authorities of `trust`.
pub fn client_trusting(request_timeout: Duration, trust: &Trust) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .tls_backend_preconfigured(trust.client_config())
        .user_agent(USER_AGENT)
        .connect_timeout(request_timeout.min(Duration::from_secs(5)))
        .timeout(request_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
}

/// A complete HTTP reply.
#[derive(Debug)]
pub struct Reply {
    /// Status.
    pub status: reqwest::StatusCode,
    /// Headers.
    pub headers: reqwest::header::HeaderMap,
    /// Body.
    pub body: bytes::Bytes,
}

/// Why no reply came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoReply {
    /// The request could not be built (for example a header value with a line break): final.
    Invalid(String),
    /// No answer within the time allowed, or the connection failed: worth retrying.
    Unavailable(String),
}

/// Sends `request` and reads the whole reply, for at most `limit` and never past `deadline`.
/// Errors never carry the URL (which, for a `response_url`, is a credential of sorts).
pub async fn exchange(
    request: reqwest::RequestBuilder,
    deadline: crate::deadline::Deadline,
    limit: Duration,
) -> Result<Reply, NoReply> {
    let exchange = async {
        let response = request.send().await?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await?;
        Ok::<_, reqwest::Error>(Reply { status, headers, body })
    };
    match deadline.run(limit, exchange).await {
        None => Err(NoReply::Unavailable("request timed out".to_owned())),
        Some(Err(e)) if e.is_builder() => Err(NoReply::Invalid(e.without_url().to_string())),
        Some(Err(e)) => Err(NoReply::Unavailable(e.without_url().to_string())),
        Some(Ok(reply)) => Ok(reply),
    }
}
