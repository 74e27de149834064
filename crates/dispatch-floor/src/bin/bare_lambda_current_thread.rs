//! An experiment beside the cold-start floor: the same bare Rust Lambda as `bare_lambda.rs`
//! (`lambda_runtime` and a handler that returns its event), on tokio's single-threaded runtime,
//! as `incoming` and `triage` run. It shows how much of the floor is the worker threads of the
//! usual `#[tokio::main]`.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move { Ok::<Value, Error>(event.payload) })).await
}
