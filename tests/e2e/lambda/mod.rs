//! The built `incoming` and `triage` binaries, run as Lambda runs them: under a Lambda Runtime API
//! emulator, against the fakes on loopback.

mod incoming;
mod triage;

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dispatch_fakes::LambdaRuntime;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// One of the binaries, started under its own Runtime API emulator, its output kept line by line.
struct Function {
    runtime: LambdaRuntime,
    child: Child,
    logs: Arc<Mutex<Vec<String>>>,
}

impl Function {
    /// Starts the binary `name` (`incoming`, `triage`) as the function `dispatch-<name>`, with only
    /// `vars` and Lambda's own variables in its environment.
    async fn start(name: &str, vars: Vec<(&'static str, String)>) -> Self {
        let runtime = LambdaRuntime::start().await.unwrap();
        let mut child = Command::new(crate::support::binary::path(name))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", runtime.api())
            .env("AWS_LAMBDA_FUNCTION_NAME", format!("dispatch-{name}"))
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .envs(vars)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let logs = Arc::new(Mutex::new(Vec::new()));
        for stream in [
            child.stdout.take().map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
            child.stderr.take().map(|s| Box::new(s) as _),
        ]
        .into_iter()
        .flatten()
        {
            let logs = logs.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stream).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    logs.lock().unwrap().push(line);
                }
            });
        }
        Self { runtime, child, logs }
    }

    /// Invokes the function with `event` and `budget` as its time budget, waiting up to 30 s for
    /// its answer: `Ok` with its result, `Err` with the error it reported.
    async fn invoke(&self, event: Value, budget: Duration) -> Result<Value, Value> {
        self.runtime.invoke(event, budget, Duration::from_secs(30)).await.expect("the function answered").result
    }

    /// Every line the function wrote so far.
    fn logs(&self) -> Vec<String> {
        self.logs.lock().unwrap().clone()
    }
}
