//! The time budget of one invocation. Every retry and every wait is bounded by it, so a Lambda
//! never hangs past its own timeout (DESIGN.md §5).

use std::time::Duration;

use tokio::time::Instant;

/// When the work must be finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Deadline(Instant);

impl Deadline {
    /// A deadline `budget` from now.
    pub fn after(budget: Duration) -> Self {
        Self(Instant::now() + budget)
    }

    /// The deadline at `instant`.
    pub fn at(instant: Instant) -> Self {
        Self(instant)
    }

    /// The deadline of a Lambda invocation (`Context::deadline`, milliseconds since the epoch),
    /// less `margin` to log and answer before Lambda stops the function.
    ///
    /// A deadline already past when the invocation starts is not a real one (some local emulators
    /// send none): `fallback` is used instead, and a warning logged.
    pub fn from_lambda(deadline_ms: u64, now: std::time::SystemTime, margin: Duration, fallback: Duration) -> Self {
        let now_ms = now.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
        if deadline_ms <= now_ms {
            tracing::warn!(
                deadline_ms,
                now_ms,
                fallback_ms = fallback.as_millis() as u64,
                "the invocation's deadline is already past; using the fallback budget"
            );
            return Self::after(fallback);
        }
        Self::after(Duration::from_millis(deadline_ms - now_ms).saturating_sub(margin))
    }

    /// A deadline `reserve` earlier, so that work after it still has `reserve` left.
    pub fn reserving(&self, reserve: Duration) -> Self {
        Self(self.0.checked_sub(reserve).unwrap_or(self.0))
    }

    /// Time left; zero once passed.
    pub fn remaining(&self) -> Duration {
        self.0.saturating_duration_since(Instant::now())
    }

    /// Whether waiting `wait` and then doing at least `then` more still fits.
    pub fn allows(&self, wait: Duration, then: Duration) -> bool {
        wait + then <= self.remaining()
    }

    /// Runs `future` for at most `limit` or until the deadline, whichever comes first.
    pub async fn run<F: std::future::Future>(&self, limit: Duration, future: F) -> Option<F::Output> {
        tokio::time::timeout(limit.min(self.remaining()), future).await.ok()
    }
}

/// How many attempts a call gets and how long to wait between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// Wait before the second attempt; doubled for each further one.
    pub backoff: Duration,
    /// Longest a single request may take.
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { attempts: 3, backoff: Duration::from_millis(250), request_timeout: Duration::from_secs(10) }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt` (1-based; attempt 1 has no wait).
    pub fn backoff_before(&self, attempt: u32) -> Duration {
        self.backoff * 2u32.saturating_pow(attempt.saturating_sub(2))
    }
}

/// Most rate-limit waits one call accepts (each also bounded by the deadline).
pub const RATE_LIMIT_WAITS: u32 = 10;
/// Wait after a rate limit that did not say how long.
pub const DEFAULT_RATE_LIMIT_WAIT: Duration = Duration::from_secs(1);

/// What a failed attempt allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The service asked to slow down: wait (as long as it said) and try again.
    RateLimited(Option<Duration>),
    /// May succeed later: back off and try again, up to the policy's attempts.
    Transient,
    /// Will not succeed by trying again now.
    Final,
}

/// Runs `attempt` until it succeeds, its error is final, the policy's attempts (for transient
/// failures) or [`RATE_LIMIT_WAITS`] (for rate limits) are used up, or the next wait would not
/// leave time before the deadline. Returns the last error.
pub async fn with_retries<T, E, F, Fut>(
    policy: &RetryPolicy,
    deadline: Deadline,
    what: &str,
    verdict: impl Fn(&E) -> Verdict,
    mut attempt: F,
) -> Result<T, E>
where
    E: std::fmt::Display,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let (mut failures, mut waits) = (1, 0);
    loop {
        let error = match attempt().await {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        let wait = match verdict(&error) {
            Verdict::RateLimited(after) if waits < RATE_LIMIT_WAITS => {
                waits += 1;
                after.unwrap_or(DEFAULT_RATE_LIMIT_WAIT)
            }
            Verdict::Transient if failures < policy.attempts => {
                failures += 1;
                policy.backoff_before(failures)
            }
            _ => return Err(error),
        };
        if !deadline.allows(wait, Duration::from_millis(100)) {
            return Err(error);
        }
        tracing::debug!(call = what, wait_ms = wait.as_millis() as u64, error = %error, "retrying");
        tokio::time::sleep(wait).await;
    }
}

/// Reads a `Retry-After` header given in seconds.
pub fn retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    headers.get(http::header::RETRY_AFTER)?.to_str().ok()?.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_second_attempt() {
        let policy = RetryPolicy { attempts: 4, backoff: Duration::from_millis(100), ..RetryPolicy::default() };
        assert_eq!(policy.backoff_before(2), Duration::from_millis(100));
        assert_eq!(policy.backoff_before(3), Duration::from_millis(200));
        assert_eq!(policy.backoff_before(4), Duration::from_millis(400));
    }

    #[test]
    fn retry_after_is_read_in_seconds_and_garbage_is_ignored() {
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(http::header::RETRY_AFTER, "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap());
        assert_eq!(retry_after(&headers), None);
    }

    #[tokio::test(start_paused = true)]
    async fn transient_failures_get_the_policys_attempts_and_rate_limits_their_own_waits() {
        let policy = RetryPolicy { attempts: 3, backoff: Duration::from_millis(10), ..RetryPolicy::default() };
        let deadline = Deadline::after(Duration::from_secs(3600));
        let calls = std::cell::Cell::new(0);
        let result: Result<(), String> = with_retries(
            &policy,
            deadline,
            "t",
            |_| Verdict::Transient,
            || {
                calls.set(calls.get() + 1);
                async { Err("down".to_owned()) }
            },
        )
        .await;
        assert_eq!((result, calls.get()), (Err("down".to_owned()), 3));

        calls.set(0);
        let result: Result<(), String> = with_retries(
            &policy,
            deadline,
            "t",
            |_| Verdict::RateLimited(None),
            || {
                calls.set(calls.get() + 1);
                async { Err("slow down".to_owned()) }
            },
        )
        .await;
        assert_eq!((result, calls.get()), (Err("slow down".to_owned()), RATE_LIMIT_WAITS + 1));

        calls.set(0);
        let result: Result<u8, String> = with_retries(
            &policy,
            deadline,
            "t",
            |_| Verdict::Final,
            || {
                calls.set(calls.get() + 1);
                async { if calls.get() == 1 { Err("no".to_owned()) } else { Ok(1) } }
            },
        )
        .await;
        assert_eq!((result, calls.get()), (Err("no".to_owned()), 1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_longer_than_the_deadline_allows_is_not_started() {
        let policy = RetryPolicy::default();
        let deadline = Deadline::after(Duration::from_secs(5));
        let calls = std::cell::Cell::new(0);
        let result: Result<(), String> = with_retries(
            &policy,
            deadline,
            "t",
            |_| Verdict::RateLimited(Some(Duration::from_secs(30))),
            || {
                calls.set(calls.get() + 1);
                async { Err("wait 30s".to_owned()) }
            },
        )
        .await;
        assert_eq!((result.is_err(), calls.get()), (true, 1));
        assert!(deadline.remaining() > Duration::from_secs(4), "no time was spent waiting");
    }

    #[tokio::test(start_paused = true)]
    async fn a_lambda_deadline_keeps_a_margin_and_a_missing_one_gets_the_fallback() {
        let now = std::time::UNIX_EPOCH + Duration::from_secs(1_000);
        let deadline = Deadline::from_lambda(1_000_000 + 30_000, now, Duration::from_secs(1), Duration::from_secs(5));
        assert_eq!(deadline.remaining(), Duration::from_secs(29));
        let near = Deadline::from_lambda(1_000_000 + 300, now, Duration::from_secs(1), Duration::from_secs(5));
        assert_eq!(near.remaining(), Duration::ZERO);
        let bogus = Deadline::from_lambda(0, now, Duration::from_secs(1), Duration::from_secs(5));
        assert_eq!(bogus.remaining(), Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn a_passed_deadline_leaves_no_time_and_allows_nothing() {
        let deadline = Deadline::after(Duration::from_secs(1));
        assert!(deadline.allows(Duration::from_millis(500), Duration::from_millis(400)));
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(deadline.remaining(), Duration::ZERO);
        assert!(!deadline.allows(Duration::ZERO, Duration::from_millis(1)));
        assert_eq!(deadline.run(Duration::from_secs(5), std::future::pending::<()>()).await, None);
    }
}
