//! The `incoming` Lambda: SNS events in, GitHub issues, Slack messages and PagerDuty incidents out.
//! All behaviour lives in `dispatch_core::incoming`; this only wires configuration to the runtime.

use std::time::{Duration, SystemTime};

use dispatch_core::config::{Env, IncomingConfig};
use dispatch_core::deadline::{Deadline, RetryPolicy};
use dispatch_core::incoming::{Incoming, Invocation};
use dispatch_core::kms::Kms;
use lambda_runtime::{Diagnostic, Error, LambdaEvent, service_fn};
use serde_json::Value;

/// Time kept back from the Lambda timeout to log and return the result.
const MARGIN: Duration = Duration::from_millis(500);
/// Budget when the runtime gives no usable deadline (local emulators).
const FALLBACK: Duration = Duration::from_secs(30);

// One thread: Lambda gives a process one event at a time, and the Slack messages of a broadcast
// go out concurrently on it all the same (their work is waiting). Worker threads would only add
// start-up time and a wake-up of another thread in every HTTP exchange.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    dispatch_core::telemetry::init(std::env::var("RUST_LOG").ok().as_deref());
    let env = Env::new(std::env::vars());
    let kms = if env.needs_kms() { Some(Kms::from_aws_environment().await) } else { None };
    let config = IncomingConfig::load(&env, kms.as_ref()).await.inspect_err(|e| {
        tracing::error!(error = %e, "configuration error: incoming cannot start");
    })?;
    let incoming = Incoming::from_config(&config, RetryPolicy::default())?;
    tracing::info!(repo = %config.github.repo, "incoming ready");
    lambda_runtime::run(service_fn(|event: LambdaEvent<Invocation>| handle(event, &incoming))).await
}

/// A failure reaches Lambda (and the failure queue) with `errorType` naming what happened; every
/// log line of an alarm names the invocation (`lambda_request_id`).
async fn handle(event: LambdaEvent<Invocation>, incoming: &Incoming) -> Result<Value, Diagnostic> {
    let deadline = Deadline::from_lambda(event.context.deadline, SystemTime::now(), MARGIN, FALLBACK);
    let (id, arn) = (&event.context.request_id, &event.context.invoked_function_arn);
    incoming
        .invoke(&event.payload, id, arn, deadline)
        .await
        .map_err(|e| Diagnostic { error_type: e.kind.to_owned(), error_message: e.message })
}
