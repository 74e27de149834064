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
    async fn a_passed_deadline_leaves_no_time_and_allows_nothing() {
        let deadline = Deadline::after(Duration::from_secs(1));
        assert!(deadline.allows(Duration::from_millis(500), Duration::from_millis(400)));
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(deadline.remaining(), Duration::ZERO);
        assert!(!deadline.allows(Duration::ZERO, Duration::from_millis(1)));
        assert_eq!(deadline.run(Duration::from_secs(5), std::future::pending::<()>()).await, None);
    }
}
