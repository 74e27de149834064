//! The `triage` Lambda: Slack button clicks in (API Gateway, Function URL, or the original's
//! `postBody` mapping), issue closed or incident opened. All behaviour lives in
//! `dispatch_core::triage`; this only wires configuration to the runtime.

use dispatch_core::config::{Env, TriageConfig};
use dispatch_core::kms::Kms;
use dispatch_core::triage::{self, Triage};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

// One thread: Lambda gives a process one event at a time. Worker threads would only add
// start-up time and a wake-up of another thread in every HTTP exchange.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    dispatch_core::telemetry::init(std::env::var("RUST_LOG").ok().as_deref());
    let env = Env::new(std::env::vars());
    let kms = if env.needs_kms() { Some(Kms::from_aws_environment().await) } else { None };
    let config = TriageConfig::load(&env, kms.as_ref()).await.inspect_err(|e| {
        tracing::error!(error = %e, "configuration error: triage cannot start");
    })?;
    let triage = Triage::from_config(&config, triage::policy())?;
    tracing::info!(repo = %config.github.repo, "triage ready");
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| handle(event, &triage))).await
}

async fn handle(event: LambdaEvent<Value>, triage: &Triage) -> Result<Value, Error> {
    let request_id = Some(event.context.request_id.as_str());
    Ok(triage.handle_invocation(event.payload, request_id, chrono::Utc::now()).await?)
}
