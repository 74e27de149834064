//! Fan-out: a broadcast to many recipients while every Slack `chat.postMessage` takes 50 ms, and
//! the same with one HTTP 429 `Retry-After: 1` in the way.

use std::time::{Duration, Instant};

use dispatch_core::incoming::{SLACK_CONCURRENCY, SlackResult};
use dispatch_fakes::{Fault, SlackRoute};
use tokio::runtime::Handle;

use crate::stack::{self, Stack};

/// Simulated Slack latency.
pub const LATENCY: Duration = Duration::from_millis(50);

/// One broadcast.
#[derive(Debug, Clone)]
pub struct FanOutRow {
    /// Recipients.
    pub recipients: usize,
    /// Seconds of `Retry-After` answered to the first post, if any.
    pub rate_limited: Option<u64>,
    /// Wall time of the whole alarm (lookup, issue, DMs, delivery record).
    pub wall: Duration,
    /// `chat.postMessage` requests Slack received.
    pub slack_requests: usize,
    /// DMs delivered.
    pub delivered: usize,
}

/// The fan-out measurements.
#[derive(Debug, Clone)]
pub struct FanOut {
    /// Per broadcast.
    pub rows: Vec<FanOutRow>,
    /// `SLACK_CONCURRENCY`.
    pub concurrency: usize,
    /// Simulated latency.
    pub latency: Duration,
}

/// Broadcasts to 10, 100 and 1,000 recipients, then to 100 with a rate limit.
pub async fn measure(fakes_runtime: &Handle) -> FanOut {
    let mut rows = Vec::new();
    for (recipients, rate_limited) in [(10, None), (100, None), (1_000, None), (100, Some(1))] {
        let stack = Stack::start(fakes_runtime).await;
        rows.push(broadcast(&stack, recipients, rate_limited).await);
        eprintln!("fan-out: {recipients} recipients{}", if rate_limited.is_some() { ", rate limited" } else { "" });
    }
    FanOut { rows, concurrency: SLACK_CONCURRENCY, latency: LATENCY }
}

async fn broadcast(stack: &Stack, recipients: usize, rate_limited: Option<u64>) -> FanOutRow {
    // A first alarm opens the connections, as an instance that has run before would have them.
    stack.alarm("fan-out-warmup", &stack::broadcast_to(2, "fan-out-warmup")).await.expect("warm-up broadcast");
    if let Some(retry_after) = rate_limited {
        stack.fakes.slack.fail(SlackRoute::PostMessage, Fault::slack_rate_limited(retry_after), 1);
    }
    stack.fakes.slack.fail(SlackRoute::PostMessage, Fault::AppliedThenHang(LATENCY), recipients + 1);
    let before = stack.requests();
    let message = stack::broadcast_to(recipients, "fan-out");
    let started = Instant::now();
    let report = stack.alarm(&format!("fan-out-{recipients}"), &message).await.expect("the broadcast was delivered");
    let wall = started.elapsed();
    stack.fakes.slack.heal();
    let delivered = report.slack.iter().filter(|r| matches!(r.result, SlackResult::Sent(_))).count();
    assert_eq!(delivered, recipients, "every recipient messaged");
    FanOutRow { recipients, rate_limited, wall, slack_requests: stack.requests().since(&before).slack.len(), delivered }
}
