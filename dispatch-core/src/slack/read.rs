//! The Slack Web API's read methods, for checking a deployment (`dispatch doctor`): `auth.test`
//! and `conversations.info`. They change nothing.

use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::Value;

use super::{Slack, SlackError};
use crate::deadline::{Deadline, Verdict, retry_after, with_retries};
use crate::http::NoReply;

/// What `auth.test` says about the bot token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthInfo {
    /// Workspace name.
    pub team: String,
    /// Workspace id.
    pub team_id: String,
    /// The bot user's name.
    pub user: String,
    /// The bot user's id.
    pub user_id: String,
    /// The token's scopes, from Slack's `x-oauth-scopes` header; `None` when Slack sent none.
    pub scopes: Option<Vec<String>>,
}

/// A conversation, as `conversations.info` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ConversationInfo {
    /// Its id.
    pub id: String,
    /// Its name (channels only).
    #[serde(default)]
    pub name: Option<String>,
    /// Whether the caller (the bot) is a member.
    #[serde(default)]
    pub is_member: bool,
    /// Whether it is archived.
    #[serde(default)]
    pub is_archived: bool,
}

/// Read methods, for checking a deployment (`dispatch doctor`). They change nothing.
impl Slack {
    /// `auth.test`: whether the bot token works, whose it is, and its scopes.
    pub async fn auth_test(&self, deadline: Deadline) -> Result<AuthInfo, SlackError> {
        let (reply, headers) = self.read_method("auth.test", &[], deadline).await?;
        let text = |key: &str| reply.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
        let scopes = headers
            .get("x-oauth-scopes")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect::<Vec<_>>());
        Ok(AuthInfo {
            team: text("team"),
            team_id: text("team_id"),
            user: text("user"),
            user_id: text("user_id"),
            scopes,
        })
    }

    /// `conversations.info` of a channel id (`C…`, `G…`): whether it exists and the bot is in it.
    pub async fn conversation_info(&self, channel: &str, deadline: Deadline) -> Result<ConversationInfo, SlackError> {
        let (reply, _) = self.read_method("conversations.info", &[("channel", channel)], deadline).await?;
        serde_json::from_value(reply.get("channel").cloned().unwrap_or_default())
            .map_err(|e| SlackError::Transient(format!("unexpected reply: {e}")))
    }

    /// One Web API read method as a GET with query parameters, with the rate-limit waits and
    /// transient retries of a post; the reply and its headers.
    async fn read_method(
        &self,
        method: &str,
        params: &[(&str, &str)],
        deadline: Deadline,
    ) -> Result<(Value, reqwest::header::HeaderMap), SlackError> {
        let token = self.token.as_ref().ok_or(SlackError::NoToken)?;
        let mut url = self.base.join(method).map_err(|e| SlackError::Invalid(e.to_string()))?;
        if !params.is_empty() {
            url.query_pairs_mut().extend_pairs(params);
        }
        let verdict = |error: &SlackError| match error {
            SlackError::RateLimited(after) => Verdict::RateLimited(*after),
            SlackError::Transient(_) => Verdict::Transient,
            _ => Verdict::Final,
        };
        let attempt = || async {
            let request = self.http.get(url.clone()).bearer_auth(token.expose_secret());
            let reply =
                crate::http::exchange(request, deadline, self.policy.request_timeout).await.map_err(|e| match e {
                    NoReply::Invalid(reason) => SlackError::Invalid(reason),
                    NoReply::Unavailable(reason) => SlackError::Transient(format!("{method}: {reason}")),
                })?;
            if reply.status == reqwest::StatusCode::TOO_MANY_REQUESTS {
                return Err(SlackError::RateLimited(retry_after(&reply.headers)));
            }
            if reply.status.is_server_error() {
                return Err(SlackError::Transient(format!("HTTP {}", reply.status.as_u16())));
            }
            if !reply.status.is_success() {
                return Err(SlackError::Http(reply.status.as_u16()));
            }
            let body: Value = serde_json::from_slice(&reply.body)
                .map_err(|e| SlackError::Transient(format!("{method}: unexpected reply: {e}")))?;
            if body.get("ok").and_then(Value::as_bool) == Some(true) {
                return Ok((body, reply.headers));
            }
            let code = body.get("error").and_then(Value::as_str).unwrap_or("unknown_error").to_owned();
            Err(match code.as_str() {
                "ratelimited" | "rate_limited" => SlackError::RateLimited(retry_after(&reply.headers)),
                "invalid_auth" | "not_authed" | "account_inactive" | "token_revoked" | "token_expired" => {
                    SlackError::Unauthorized(code)
                }
                "internal_error" | "fatal_error" | "service_unavailable" | "request_timeout" => {
                    SlackError::Transient(code)
                }
                _ => SlackError::Api(code),
            })
        };
        with_retries(&self.policy, deadline, "slack", verdict, attempt).await
    }
}
