//! The Slack client (DESIGN.md §7d, §7i): `chat.postMessage` (a message or a thread reply),
//! `chat.update` and `users.lookupByEmail` with the bot token, and posts to an interaction's
//! `response_url`. HTTP 200 with `ok:false` is an error carrying Slack's code; a rate limit (HTTP
//! 429 or `ratelimited`) is waited out within the caller's deadline.

mod read;

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tracing::debug;
use url::Url;

use crate::deadline::{Deadline, RetryPolicy, Verdict, retry_after, with_retries};
use crate::http::NoReply;
use crate::ids::{Email, SlackChannel, SlackUserId};

pub use read::{AuthInfo, ConversationInfo};

/// The host of every `response_url` Slack issues.
const RESPONSE_HOST: &str = "hooks.slack.com";
/// The host of Slack's Web API (`SlackApiUrl`'s default).
const API_HOST: &str = "slack.com";

/// A message: Block Kit blocks plus the plain `text` fallback used in notifications.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlackMessage {
    /// Plain-text fallback.
    pub text: String,
    /// Block Kit blocks.
    pub blocks: Vec<Value>,
}

/// Why a Slack call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlackError {
    /// `ok:false` with Slack's code (`channel_not_found`, `not_in_channel`, `invalid_blocks`, …).
    #[error("Slack: {0}")]
    Api(String),
    /// The bot token was refused (`invalid_auth`, `not_authed`, `token_revoked`, …).
    #[error("Slack: token refused ({0})")]
    Unauthorized(String),
    /// Still rate limited when the deadline left no time to wait.
    #[error("Slack: rate limited{}", .0.map(|d| format!(", retry after {}s", d.as_secs())).unwrap_or_default())]
    RateLimited(Option<Duration>),
    /// A 5xx, a timeout or a connection failure.
    #[error("Slack: unavailable ({0})")]
    Transient(String),
    /// Another HTTP status.
    #[error("Slack: HTTP {0}")]
    Http(u16),
    /// The request could not be built (for example a token with a line break): never retried.
    #[error("Slack: invalid request ({0})")]
    Invalid(String),
    /// No bot token is configured.
    #[error("Slack: no bot token configured (SlackBotToken)")]
    NoToken,
}

impl SlackError {
    /// Whether a later attempt may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::RateLimited(_) | Self::Transient(_))
    }

    /// Slack's error code, or a short word for the failure, for logs and notices.
    pub fn code(&self) -> &str {
        match self {
            Self::Api(code) | Self::Unauthorized(code) => code,
            Self::RateLimited(_) => "ratelimited",
            Self::Transient(_) => "unavailable",
            Self::Http(_) => "http_error",
            Self::NoToken => "no_token",
            Self::Invalid(_) => "invalid_request",
        }
    }
}

/// A posted message.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Posted {
    /// The conversation it went to (a DM's `D…` id for a user).
    pub channel: String,
    /// Its timestamp id.
    pub ts: String,
}

/// The Slack user `users.lookupByEmail` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlackUser {
    /// Their member id.
    pub id: SlackUserId,
    /// Whether the account is deactivated.
    pub deleted: bool,
    /// Whether it is a bot.
    pub is_bot: bool,
}

/// The answer of `users.lookupByEmail`, as far as Dispatch reads it.
#[derive(Debug, Deserialize)]
struct LookupReply {
    user: LookupUser,
}

#[derive(Debug, Deserialize)]
struct LookupUser {
    id: String,
    #[serde(default)]
    deleted: bool,
    #[serde(default)]
    is_bot: bool,
}

/// The body of `chat.postMessage`.
#[derive(Debug, Serialize)]
struct PostBody<'a> {
    channel: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    thread_ts: Option<&'a str>,
    text: &'a str,
    blocks: &'a [Value],
    unfurl_links: bool,
}

/// The body of `chat.update`. `blocks` is always present: an absent field keeps the old blocks.
#[derive(Debug, Serialize)]
struct UpdateBody<'a> {
    channel: &'a str,
    ts: &'a str,
    text: &'a str,
    blocks: &'a [Value],
}

/// Whether `ts` has the form of a Slack message timestamp: digits, a dot, digits.
fn is_timestamp(ts: &str) -> bool {
    ts.split_once('.').is_some_and(|(secs, micros)| {
        [secs, micros]
            .iter()
            .all(|part| !part.is_empty() && part.len() <= 20 && part.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// One Web API request: a JSON POST, or a GET with query parameters.
#[derive(Debug, Clone, Copy)]
enum Call<'a> {
    Post(&'a Value),
    Get(&'a [(&'a str, &'a str)]),
}

/// The Slack client. Build it once per process and share it.
#[derive(Debug, Clone)]
pub struct Slack {
    http: reqwest::Client,
    base: Url,
    token: Option<SecretString>,
    policy: RetryPolicy,
}

impl Slack {
    /// A client for the Web API at `base_url` (`https://slack.com/api`). `token` may be absent for a
    /// deployment that only answers through `response_url`.
    pub fn new(http: reqwest::Client, base_url: &Url, token: Option<SecretString>, policy: RetryPolicy) -> Self {
        let mut base = base_url.clone();
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        Self { http, base, token, policy }
    }

    /// `chat.postMessage` to a user (a DM) or a channel. The [`Posted::channel`] is the conversation
    /// Slack answered with: a DM's `D…` id for a user, which [`Slack::update_message`] and
    /// [`Slack::post_reply`] need.
    pub async fn post_message(
        &self,
        channel: &SlackChannel,
        message: &SlackMessage,
        deadline: Deadline,
    ) -> Result<Posted, SlackError> {
        self.post(channel.as_str(), None, message, deadline).await
    }

    /// `chat.postMessage` with `thread_ts`: a reply in the thread under the message `thread_ts` of
    /// `channel` (best the `D…` or `C…` id of [`Posted::channel`]). A `thread_ts` that is not a
    /// Slack timestamp (`1764200000.000100`) is refused without a request: Slack could post it as
    /// a message of its own, outside the thread.
    pub async fn post_reply(
        &self,
        channel: &str,
        thread_ts: &str,
        message: &SlackMessage,
        deadline: Deadline,
    ) -> Result<Posted, SlackError> {
        if !is_timestamp(thread_ts) {
            return Err(SlackError::Invalid("thread_ts is not a Slack message timestamp".to_owned()));
        }
        self.post(channel, Some(thread_ts), message, deadline).await
    }

    /// `chat.update`: replaces the text and blocks of the app's own message `ts` in `channel` (the
    /// conversation id of [`Posted::channel`]: Slack refuses a user id here with
    /// `channel_not_found`). The blocks are always sent, so an empty `blocks` removes the old ones
    /// (the buttons) rather than keeping them, as an absent field would. `message_not_found`,
    /// `cant_update_message` and `channel_not_found` are [`SlackError::Api`], not retried; rate
    /// limits and transient failures are handled as for a post (the update is idempotent).
    pub async fn update_message(
        &self,
        channel: &str,
        ts: &str,
        message: &SlackMessage,
        deadline: Deadline,
    ) -> Result<(), SlackError> {
        let token = self.token.as_ref().ok_or(SlackError::NoToken)?;
        let url = self.base.join("chat.update").map_err(|e| SlackError::Invalid(e.to_string()))?;
        let body = UpdateBody { channel, ts, text: &message.text, blocks: &message.blocks };
        let body = serde_json::to_value(&body).map_err(|e| SlackError::Invalid(e.to_string()))?;
        self.send(&url, Some(token), Call::Post(&body), deadline).await?;
        debug!(channel, ts, "slack message updated");
        Ok(())
    }

    /// `chat.postMessage`, in a thread when `thread_ts` is given.
    async fn post(
        &self,
        channel: &str,
        thread_ts: Option<&str>,
        message: &SlackMessage,
        deadline: Deadline,
    ) -> Result<Posted, SlackError> {
        let token = self.token.as_ref().ok_or(SlackError::NoToken)?;
        let url = self.base.join("chat.postMessage").map_err(|e| SlackError::Transient(e.to_string()))?;
        let body = PostBody { channel, thread_ts, text: &message.text, blocks: &message.blocks, unfurl_links: false };
        let body = serde_json::to_value(&body).map_err(|e| SlackError::Invalid(e.to_string()))?;
        let reply = self.send(&url, Some(token), Call::Post(&body), deadline).await?;
        let posted = serde_json::from_value::<Posted>(reply)
            .map_err(|e| SlackError::Transient(format!("unexpected reply: {e}")))?;
        debug!(channel, conversation = %posted.channel, ts = %posted.ts, thread_ts, "slack message posted");
        Ok(posted)
    }

    /// `users.lookupByEmail`: the user with `email`, or `None` when Slack knows nobody with it
    /// (`users_not_found`). Deactivated accounts and bots are returned as found, with their flags.
    /// Rate limits are waited out within `deadline`, as for a post. Needs the scopes `users:read`
    /// and `users:read.email`; without them Slack answers `missing_scope`
    /// ([`SlackError::Unauthorized`]).
    pub async fn lookup_by_email(&self, email: &Email, deadline: Deadline) -> Result<Option<SlackUser>, SlackError> {
        let token = self.token.as_ref().ok_or(SlackError::NoToken)?;
        let url = self.base.join("users.lookupByEmail").map_err(|e| SlackError::Transient(e.to_string()))?;
        let reply = match self.send(&url, Some(token), Call::Get(&[("email", email.as_str())]), deadline).await {
            Ok(reply) => reply,
            Err(SlackError::Api(code)) if code == "users_not_found" => return Ok(None),
            Err(e) => return Err(e),
        };
        let found = serde_json::from_value::<LookupReply>(reply)
            .map_err(|e| SlackError::Transient(format!("unexpected reply: {e}")))?
            .user;
        let id =
            SlackUserId::parse(&found.id).map_err(|e| SlackError::Transient(format!("unexpected user id: {e}")))?;
        debug!(user = %id, deleted = found.deleted, is_bot = found.is_bot, "slack user found by email");
        Ok(Some(SlackUser { id, deleted: found.deleted, is_bot: found.is_bot }))
    }

    /// Whether Dispatch may post to `url` as an interaction's `response_url`: only Slack's
    /// `https://hooks.slack.com/`, or the origin of a `SlackApiUrl` that points elsewhere (a test
    /// double, a proxy). A payload naming any other address is not followed.
    pub fn accepts_response_url(&self, url: &Url) -> bool {
        let slack = url.scheme() == "https" && url.host_str() == Some(RESPONSE_HOST) && url.port().is_none();
        let own_api = self.base.host_str() != Some(API_HOST) && url.origin() == self.base.origin();
        slack || own_api
    }

    /// Posts to an interaction's `response_url` (replace the prompt, or answer ephemerally). An
    /// address [`Slack::accepts_response_url`] refuses is never contacted.
    pub async fn respond(&self, response_url: &Url, body: &Value, deadline: Deadline) -> Result<(), SlackError> {
        if !self.accepts_response_url(response_url) {
            return Err(SlackError::Invalid("response_url is not on hooks.slack.com".to_owned()));
        }
        self.send(response_url, None, Call::Post(body), deadline).await.map(drop)
    }

    /// One request with rate-limit waits and transient retries, all within `deadline`. A post to a
    /// `response_url` is not repeated after a transient failure: it may have landed, and Slack
    /// accepts only five posts per `response_url`.
    async fn send(
        &self,
        url: &Url,
        token: Option<&SecretString>,
        call: Call<'_>,
        deadline: Deadline,
    ) -> Result<Value, SlackError> {
        let repeat_transient = token.is_some();
        let verdict = |error: &SlackError| match error {
            SlackError::RateLimited(after) => Verdict::RateLimited(*after),
            SlackError::Transient(_) if repeat_transient => Verdict::Transient,
            _ => Verdict::Final,
        };
        with_retries(&self.policy, deadline, "slack", verdict, || self.attempt(url, token, call, deadline)).await
    }

    async fn attempt(
        &self,
        url: &Url,
        token: Option<&SecretString>,
        call: Call<'_>,
        deadline: Deadline,
    ) -> Result<Value, SlackError> {
        let mut request = match call {
            Call::Post(body) => self.http.post(url.clone()).json(body),
            Call::Get(query) => {
                let mut url = url.clone();
                url.query_pairs_mut().extend_pairs(query);
                self.http.get(url)
            }
        };
        if let Some(token) = token {
            request = request.bearer_auth(token.expose_secret());
        }
        let reply =
            crate::http::exchange(request, deadline, self.policy.request_timeout).await.map_err(|e| match e {
                NoReply::Invalid(reason) => SlackError::Invalid(reason),
                // A response_url's path is a credential: name the Web API method only.
                NoReply::Unavailable(reason) if token.is_some() => {
                    SlackError::Transient(format!("{}: {reason}", url.path()))
                }
                NoReply::Unavailable(reason) => SlackError::Transient(format!("response_url: {reason}")),
            })?;
        let (status, headers, bytes) = (reply.status, reply.headers, reply.body);
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Err(SlackError::RateLimited(retry_after(&headers)));
        }
        if status.is_server_error() {
            return Err(SlackError::Transient(format!("HTTP {}", status.as_u16())));
        }
        if !status.is_success() {
            return Err(SlackError::Http(status.as_u16()));
        }
        // response_url answers with a bare `ok`; the Web API with JSON.
        let Ok(reply) = serde_json::from_slice::<Value>(&bytes) else { return Ok(Value::Null) };
        match reply.get("ok").and_then(Value::as_bool) {
            Some(false) => {
                let code = reply.get("error").and_then(Value::as_str).unwrap_or("unknown_error").to_owned();
                Err(match code.as_str() {
                    "ratelimited" | "rate_limited" => SlackError::RateLimited(retry_after(&headers)),
                    "invalid_auth" | "not_authed" | "account_inactive" | "token_revoked" | "token_expired"
                    | "no_permission" | "missing_scope" => SlackError::Unauthorized(code),
                    "internal_error" | "fatal_error" | "service_unavailable" | "request_timeout" => {
                        SlackError::Transient(code)
                    }
                    _ => SlackError::Api(code),
                })
            }
            _ => Ok(reply),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_digits_a_dot_and_digits_make_a_slack_timestamp() {
        assert!(is_timestamp("1764200000.000100"));
        for bad in ["", ".", "1764200000", "1764200000.", ".000100", "1.2.3", "1e9.0", "1764200000.000100 ", "../x"] {
            assert!(!is_timestamp(bad), "{bad:?}");
        }
    }

    #[test]
    fn a_post_body_names_its_thread_only_for_a_reply_and_an_update_body_always_carries_blocks() {
        let post = PostBody { channel: "C1", thread_ts: None, text: "t", blocks: &[], unfurl_links: false };
        let reply = PostBody { thread_ts: Some("1.2"), ..post };
        let update = UpdateBody { channel: "D1", ts: "1.2", text: "t", blocks: &[] };

        assert!(serde_json::to_value(&post).unwrap().get("thread_ts").is_none());
        assert_eq!(serde_json::to_value(&reply).unwrap()["thread_ts"], "1.2");
        assert_eq!(
            serde_json::to_value(&update).unwrap(),
            serde_json::json!({ "channel": "D1", "ts": "1.2", "text": "t", "blocks": [] })
        );
    }
}
