//! The one HTTP client the Slack and PagerDuty clients share: built once per process, with a
//! User-Agent and timeouts.

use std::time::Duration;

/// User-Agent sent to every service.
pub const USER_AGENT: &str = concat!("dispatch/", env!("CARGO_PKG_VERSION"), " (+https://github.com/mapbox/dispatch)");

/// Builds the shared HTTP client; `request_timeout` bounds each request.
pub fn client(request_timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(request_timeout.min(Duration::from_secs(5)))
        .timeout(request_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
}
