//! What every fake shares: a loopback HTTP server whose single handler records the request,
//! applies any planned fault, and hands the rest to the fake's own routing.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// One request a fake received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// HTTP method.
    pub method: String,
    /// Path.
    pub path: String,
    /// Query parameters (of a name given twice, the last).
    pub query: HashMap<String, String>,
    /// The query string as sent (empty when none): every value of a name given more than once.
    pub query_string: String,
    /// Headers, names lowercase.
    pub headers: HashMap<String, String>,
    /// Body.
    pub body: Vec<u8>,
}

impl Recorded {
    /// The body as JSON (`Null` if it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// Every value of query parameter `name`, in order (`statuses[]=a&statuses[]=b`).
    pub fn query_all(&self, name: &str) -> Vec<String> {
        url::form_urlencoded::parse(self.query_string.as_bytes())
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .collect()
    }

    /// A header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }
}

/// A way for a route to fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer this status without doing anything.
    Status(u16),
    /// Answer this status with `Retry-After: secs`, without doing anything.
    RateLimited {
        /// Status (429, or 403 for GitHub's secondary limits).
        status: u16,
        /// Seconds in `Retry-After`.
        retry_after: u64,
    },
    /// Do nothing and answer only after this long (a timeout for a client that waits less).
    Hang(Duration),
    /// Do the work, but answer only after this long (the request was applied; the client timed out).
    AppliedThenHang(Duration),
    /// Slack only: HTTP 200 with `{"ok":false,"error":CODE}`, without doing anything.
    SlackError(String),
    /// GitHub only: answer this status (a 502, say) without doing the work now, and do it when
    /// the next request to the same route arrives, just before handling that one: a create that
    /// GitHub applies late, after the client has looked for it and sent it again.
    AppliedLate(u16),
}

/// Locks `mutex`, also after a panic elsewhere poisoned it: a fake keeps serving the other tests.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Planned faults by route, each for a number of requests.
#[derive(Debug)]
pub struct Faults<R> {
    planned: Vec<(R, Fault, usize)>,
}

impl<R> Default for Faults<R> {
    fn default() -> Self {
        Self { planned: Vec::new() }
    }
}

impl<R: PartialEq + Clone> Faults<R> {
    /// Plans `fault` for the next `times` requests to `route`.
    pub fn add(&mut self, route: R, fault: Fault, times: usize) {
        self.planned.push((route, fault, times));
    }

    /// The fault for this request to `route`, if one is planned (using one of its times).
    pub fn take(&mut self, route: &R) -> Option<Fault> {
        let index = self.planned.iter().position(|(r, _, times)| r == route && *times > 0)?;
        let entry = &mut self.planned[index];
        entry.2 -= 1;
        let fault = entry.1.clone();
        self.planned.retain(|(_, _, times)| *times > 0);
        Some(fault)
    }

    /// Forgets every planned fault.
    pub fn clear(&mut self) {
        self.planned.clear();
    }
}

/// A request as a fake's router sees it.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// Method.
    pub method: Method,
    /// Path segments (empty ones dropped).
    pub segments: Vec<String>,
    /// The request as recorded.
    pub recorded: Recorded,
}

impl Incoming {
    /// A request as the router would see it, for the fakes' unit tests: `target` is a path with
    /// an optional query, `body` JSON (`null`: none).
    #[cfg(test)]
    pub(crate) fn for_test(method: &str, target: &str, body: &Value, headers: HashMap<String, String>) -> Self {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        Self {
            method: method.parse().unwrap(),
            segments: path.split('/').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
            recorded: Recorded {
                method: method.to_owned(),
                path: path.to_owned(),
                query: url::form_urlencoded::parse(query.as_bytes()).into_owned().collect(),
                query_string: query.to_owned(),
                headers,
                body: if body.is_null() { Vec::new() } else { body.to_string().into_bytes() },
            },
        }
    }
}

/// A plain JSON response.
pub fn json(status: u16, body: Value) -> Response {
    (StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), axum::Json(body)).into_response()
}

/// The loud answer to anything a fake does not implement.
pub fn unexpected(request: &Incoming) -> Response {
    let message = format!("fake: unexpected request {} /{}", request.method, request.segments.join("/"));
    (StatusCode::INTERNAL_SERVER_ERROR, message).into_response()
}

/// A fake started by [`serve_with_state`]: where it listens, its state and its request log.
pub struct Started<S> {
    /// The loopback address.
    pub addr: SocketAddr,
    /// The fake's state, shared with its handler.
    pub state: Arc<Mutex<S>>,
    /// Every request, as recorded.
    pub log: Arc<Mutex<Vec<Recorded>>>,
}

/// Starts a fake whose handler answers each request from its state `S` (at first
/// `S::default()`), which the fake's methods read and change too.
pub async fn serve_with_state<S, F, Fut>(handle: F) -> std::io::Result<Started<S>>
where
    S: Default + Send + 'static,
    F: Fn(Arc<Mutex<S>>, Incoming) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response> + Send + 'static,
{
    let state = Arc::new(Mutex::new(S::default()));
    let log = Arc::new(Mutex::new(Vec::new()));
    let shared = state.clone();
    let addr = serve(log.clone(), move |request| handle(shared.clone(), request)).await?;
    Ok(Started { addr, state, log })
}

/// Serves `handle` on an ephemeral loopback port and returns the address.
pub async fn serve<F, Fut>(log: Arc<Mutex<Vec<Recorded>>>, handle: F) -> std::io::Result<SocketAddr>
where
    F: Fn(Incoming) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response> + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let app = axum::Router::new().fallback(move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
        let handle = handle.clone();
        let log = log.clone();
        async move {
            let recorded = Recorded {
                method: method.to_string(),
                path: uri.path().to_owned(),
                query: uri
                    .query()
                    .map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect())
                    .unwrap_or_default(),
                query_string: uri.query().unwrap_or_default().to_owned(),
                headers: headers
                    .iter()
                    .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
                    .collect(),
                body: body.to_vec(),
            };
            if let Ok(mut log) = log.lock() {
                log.push(recorded.clone());
            }
            let segments = uri.path().split('/').filter(|s| !s.is_empty()).map(str::to_owned).collect();
            handle(Incoming { method, segments, recorded }).await
        }
    });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(addr)
}

/// Applies a fault that answers without doing the work; `None` for the ones that do the work.
pub async fn short_circuit(fault: &Fault) -> Option<Response> {
    match fault {
        Fault::Status(status) => Some(json(*status, serde_json::json!({ "message": "fake: injected failure" }))),
        Fault::RateLimited { status, retry_after } => {
            let mut response = json(
                *status,
                serde_json::json!({ "message": "fake: rate limited", "ok": false, "error": "ratelimited" }),
            );
            if let Ok(value) = retry_after.to_string().parse() {
                response.headers_mut().insert("retry-after", value);
            }
            Some(response)
        }
        Fault::Hang(delay) => {
            tokio::time::sleep(*delay).await;
            Some(json(504, serde_json::json!({ "message": "fake: hung" })))
        }
        Fault::SlackError(code) => Some(json(200, serde_json::json!({ "ok": false, "error": code }))),
        Fault::AppliedLate(status) => {
            Some(json(*status, serde_json::json!({ "message": "fake: injected failure (applied later)" })))
        }
        Fault::AppliedThenHang(_) => None,
    }
}

/// After the work is done: waits if the fault says the answer comes late.
pub async fn late(fault: &Option<Fault>) {
    if let Some(Fault::AppliedThenHang(delay)) = fault {
        tokio::time::sleep(*delay).await;
    }
}
