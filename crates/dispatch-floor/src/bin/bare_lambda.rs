//! The floor of the cold-start measurement: a bare Rust Lambda, `lambda_runtime` and a handler
//! that returns its event, nothing else, with a bare Lambda's dependencies only (its own package).
//! Built by the benchmark in the same run and with the same profile as `incoming` and `triage`,
//! and started the same way, so the benchmark can say how much of their cold start any Rust
//! function would need.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move { Ok::<Value, Error>(event.payload) })).await
}
