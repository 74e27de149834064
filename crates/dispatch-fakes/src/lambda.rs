//! A Lambda Runtime API emulator: the real `incoming` and `triage` binaries poll it for events as
//! they poll AWS Lambda, so end-to-end tests run them exactly as deployed.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tokio::sync::{Notify, oneshot};

use crate::server::{Incoming, Recorded, lock, serve, unexpected};

/// The result of one invocation.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    /// The request id the runtime was given.
    pub request_id: String,
    /// `Ok(response)` or `Err(error payload)` as the function reported it.
    pub result: Result<Value, Value>,
}

#[derive(Debug, Default)]
struct State {
    queue: VecDeque<(String, Value, u64)>,
    waiting: HashMap<String, oneshot::Sender<Result<Value, Value>>>,
    init_error: Option<Value>,
    next_id: u64,
}

/// The emulator.
#[derive(Debug, Clone)]
pub struct LambdaRuntime {
    api: String,
    state: Arc<Mutex<State>>,
    ready: Arc<Notify>,
    init_failed: Arc<Notify>,
}

impl LambdaRuntime {
    /// Starts it on a loopback port.
    pub async fn start() -> std::io::Result<Self> {
        let state = Arc::new(Mutex::new(State::default()));
        let ready = Arc::new(Notify::new());
        let init_failed = Arc::new(Notify::new());
        let (s, r, f) = (state.clone(), ready.clone(), init_failed.clone());
        let log: Arc<Mutex<Vec<Recorded>>> = Arc::default();
        let addr = serve(log, move |request| {
            let (state, ready, init_failed) = (s.clone(), r.clone(), f.clone());
            async move { handle(&state, &ready, &init_failed, request).await }
        })
        .await?;
        Ok(Self { api: addr.to_string(), state, ready, init_failed })
    }

    /// The value for `AWS_LAMBDA_RUNTIME_API` (`127.0.0.1:PORT`).
    pub fn api(&self) -> String {
        self.api.clone()
    }

    /// Queues `event` for the function, with `function_timeout` as its time budget, and waits up
    /// to `wait` for the function's answer. `None` when the function did not answer in time or
    /// reported an initialisation error.
    pub async fn invoke(&self, event: Value, function_timeout: Duration, wait: Duration) -> Option<Invocation> {
        let (tx, rx) = oneshot::channel();
        let request_id = {
            let mut state = lock(&self.state);
            state.next_id += 1;
            let id = format!("00000000-0000-4000-8000-{:012}", state.next_id);
            let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
            state.queue.push_back((id.clone(), event, now + function_timeout.as_millis() as u64));
            state.waiting.insert(id.clone(), tx);
            id
        };
        self.ready.notify_waiters();
        self.ready.notify_one();
        tokio::select! {
            result = tokio::time::timeout(wait, rx) => match result {
                Ok(Ok(result)) => Some(Invocation { request_id, result }),
                _ => None,
            },
            () = self.init_failed.notified() => None,
        }
    }

    /// The initialisation error the function reported, if any.
    pub fn init_error(&self) -> Option<Value> {
        lock(&self.state).init_error.clone()
    }

    /// Waits up to `wait` for an initialisation error.
    pub async fn wait_init_error(&self, wait: Duration) -> Option<Value> {
        if let Some(error) = self.init_error() {
            return Some(error);
        }
        let _ = tokio::time::timeout(wait, self.init_failed.notified()).await;
        self.init_error()
    }
}

async fn handle(state: &Mutex<State>, ready: &Notify, init_failed: &Notify, request: Incoming) -> Response {
    let s: Vec<&str> = request.segments.iter().map(String::as_str).collect();
    match (&request.method, s.as_slice()) {
        (&Method::GET, ["2018-06-01", "runtime", "invocation", "next"]) => loop {
            let notified = ready.notified();
            if let Some((id, event, deadline)) = lock(state).queue.pop_front() {
                let mut response = axum::Json(event).into_response();
                let headers = response.headers_mut();
                for (name, value) in [
                    ("lambda-runtime-aws-request-id", id),
                    ("lambda-runtime-deadline-ms", deadline.to_string()),
                    (
                        "lambda-runtime-invoked-function-arn",
                        "arn:aws:lambda:us-east-1:111122223333:function:dispatch".to_owned(),
                    ),
                    ("lambda-runtime-trace-id", "Root=1-00000000-000000000000000000000000;Sampled=0".to_owned()),
                ] {
                    if let Ok(value) = value.parse() {
                        headers.insert(name, value);
                    }
                }
                return response;
            }
            notified.await;
        },
        (&Method::POST, ["2018-06-01", "runtime", "invocation", id, outcome @ ("response" | "error")]) => {
            let body = request.recorded.json();
            let body = if body.is_null() {
                Value::String(String::from_utf8_lossy(&request.recorded.body).into_owned())
            } else {
                body
            };
            if let Some(tx) = lock(state).waiting.remove(*id) {
                let _ = tx.send(if *outcome == "response" { Ok(body) } else { Err(body) });
            }
            (StatusCode::ACCEPTED, "").into_response()
        }
        (&Method::POST, ["2018-06-01", "runtime", "init", "error"]) => {
            lock(state).init_error = Some(request.recorded.json());
            init_failed.notify_waiters();
            (StatusCode::ACCEPTED, "").into_response()
        }
        _ => unexpected(&request),
    }
}
