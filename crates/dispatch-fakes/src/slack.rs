//! A fake Slack Web API (`chat.postMessage`) and the `response_url`s of interactions.

use std::sync::{Arc, Mutex};

use axum::http::Method;
use axum::response::Response;
use serde_json::{Value, json};

use crate::server::{Fault, Faults, Incoming, Recorded, json, late, serve, short_circuit, unexpected};

/// A Slack route, for fault injection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlackRoute {
    /// `chat.postMessage` to any channel.
    PostMessage,
    /// `chat.postMessage` to this channel.
    PostMessageTo(String),
    /// A `response_url`.
    Respond,
}

/// A message the fake accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct Posted {
    /// `channel` as sent (a user id for a DM).
    pub channel: String,
    /// `text`.
    pub text: String,
    /// `blocks`.
    pub blocks: Value,
    /// Assigned timestamp id.
    pub ts: String,
}

#[derive(Debug, Default)]
struct State {
    messages: Vec<Posted>,
    responses: Vec<(String, Value)>,
    unknown_channels: Vec<String>,
    faults: Faults<SlackRoute>,
}

/// The fake Slack.
#[derive(Debug, Clone)]
pub struct FakeSlack {
    url: String,
    state: Arc<Mutex<State>>,
    log: Arc<Mutex<Vec<Recorded>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl FakeSlack {
    /// Starts it on a loopback port.
    pub async fn start() -> std::io::Result<Self> {
        let state = Arc::new(Mutex::new(State::default()));
        let log = Arc::new(Mutex::new(Vec::new()));
        let s = state.clone();
        let addr = serve(log.clone(), move |request| {
            let state = s.clone();
            async move { handle(&state, request).await }
        })
        .await?;
        Ok(Self { url: format!("http://{addr}/api"), state, log })
    }

    /// The Web API base URL (`…/api`).
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// A `response_url` for interaction `id`, answered by this fake.
    pub fn response_url(&self, id: &str) -> String {
        format!("{}/response/{id}", self.url.trim_end_matches("/api"))
    }

    /// Messages accepted so far.
    pub fn messages(&self) -> Vec<Posted> {
        lock(&self.state).messages.clone()
    }

    /// Messages accepted for `channel`.
    pub fn messages_to(&self, channel: &str) -> Vec<Posted> {
        self.messages().into_iter().filter(|m| m.channel == channel).collect()
    }

    /// Posts to `response_url`s so far: interaction id and body.
    pub fn responses(&self) -> Vec<(String, Value)> {
        lock(&self.state).responses.clone()
    }

    /// Makes `channel` unknown: posts to it fail with `channel_not_found`, always.
    pub fn unknown_channel(&self, channel: &str) {
        lock(&self.state).unknown_channels.push(channel.to_owned());
    }

    /// Plans `fault` for the next `times` requests to `route`.
    pub fn fail(&self, route: SlackRoute, fault: Fault, times: usize) {
        lock(&self.state).faults.add(route, fault, times);
    }

    /// Forgets planned faults and unknown channels.
    pub fn heal(&self) {
        let mut state = lock(&self.state);
        state.faults.clear();
        state.unknown_channels.clear();
    }

    /// Every request received.
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.log).clone()
    }
}

async fn handle(state: &Mutex<State>, request: Incoming) -> Response {
    let s: Vec<&str> = request.segments.iter().map(String::as_str).collect();
    match (&request.method, s.as_slice()) {
        (&Method::POST, ["api", "chat.postMessage"]) => post_message(state, &request.recorded).await,
        (&Method::POST, ["response", id]) => {
            let fault = lock(state).faults.take(&SlackRoute::Respond);
            if let Some(fault) = &fault
                && let Some(response) = short_circuit(fault).await
            {
                return response;
            }
            lock(state).responses.push(((*id).to_owned(), request.recorded.json()));
            late(&fault).await;
            axum::response::IntoResponse::into_response((axum::http::StatusCode::OK, "ok"))
        }
        _ => unexpected(&request),
    }
}

async fn post_message(state: &Mutex<State>, request: &Recorded) -> Response {
    let token = request.header("authorization").and_then(|a| a.strip_prefix("Bearer ")).unwrap_or_default();
    if !token.starts_with("xoxb-") {
        return json(
            200,
            json!({ "ok": false, "error": if token.is_empty() { "not_authed" } else { "invalid_auth" } }),
        );
    }
    let body = request.json();
    let channel = body["channel"].as_str().unwrap_or_default().to_owned();
    if body.get("as_user").is_some() {
        return json(200, json!({ "ok": false, "error": "invalid_arguments" }));
    }
    let fault = {
        let mut state = lock(state);
        let specific = state.faults.take(&SlackRoute::PostMessageTo(channel.clone()));
        specific.or_else(|| state.faults.take(&SlackRoute::PostMessage))
    };
    if let Some(fault) = &fault
        && let Some(response) = short_circuit(fault).await
    {
        return response;
    }
    let reply = {
        let mut state = lock(state);
        if channel.is_empty() || state.unknown_channels.contains(&channel) {
            return json(200, json!({ "ok": false, "error": "channel_not_found" }));
        }
        if body["text"].as_str().unwrap_or_default().is_empty() && body["blocks"].as_array().is_none_or(Vec::is_empty) {
            return json(200, json!({ "ok": false, "error": "no_text" }));
        }
        let ts = format!("1764200000.{:06}", state.messages.len() + 1);
        let conversation = channel.strip_prefix('U').map_or_else(|| channel.clone(), |rest| format!("D{rest}"));
        state.messages.push(Posted {
            channel: channel.clone(),
            text: body["text"].as_str().unwrap_or_default().to_owned(),
            blocks: body["blocks"].clone(),
            ts: ts.clone(),
        });
        json(200, json!({ "ok": true, "channel": conversation, "ts": ts }))
    };
    late(&fault).await;
    reply
}

impl Fault {
    /// Slack's HTTP 429 with `Retry-After`.
    pub fn slack_rate_limited(retry_after: u64) -> Self {
        Self::RateLimited { status: 429, retry_after }
    }
}
