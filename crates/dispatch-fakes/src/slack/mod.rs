//! A fake Slack Web API (`chat.postMessage`; `auth.test` and `conversations.info` for checks) and
//! the `response_url`s of interactions. Like Slack, it refuses blocks out of Block Kit's limits
//! (`invalid_blocks`, see [`crate::block_kit`]), and it builds the interaction payloads Slack sends
//! for a click: a `block_actions` payload that echoes the whole posted message, and the Node era's
//! `interactive_message`.

mod api;
mod payloads;
#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::server::{Fault, Faults, Recorded, lock, serve};

use api::handle;
pub use payloads::{legacy_interactive_message_payload, stored_message};

/// The workspace the fake Slack plays.
pub const TEAM_ID: &str = "T0FAKE0001";
/// Its domain (`<domain>.slack.com`).
pub const TEAM_DOMAIN: &str = "dispatch-fake";
/// The Slack app Dispatch runs as.
pub const APP_ID: &str = "A0FAKE0001";
/// The app's bot.
pub const BOT_ID: &str = "B0FAKE0001";
/// The bot's user: the author of every message posted with the bot token.
pub const BOT_USER_ID: &str = "U0FAKEBOT1";
/// The legacy verification token carried in interaction payloads (Slack's documented example).
pub const VERIFICATION_TOKEN: &str = "xyzz0WbapA4vBCDEFasx0q6G";
/// The scopes of the fake's bot token unless told otherwise: everything Dispatch needs.
pub const DISPATCH_SCOPES: &[&str] = &["chat:write", "im:write", "users:read", "users:read.email"];

/// A Slack route, for fault injection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlackRoute {
    /// `chat.postMessage` to any channel.
    PostMessage,
    /// `chat.postMessage` to this channel.
    PostMessageTo(String),
    /// A `response_url`.
    Respond,
    /// `users.lookupByEmail`.
    LookupByEmail,
}

/// A user of the fake workspace, as `users.lookupByEmail` finds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeUser {
    /// Email address (compared without regard to case).
    pub email: String,
    /// Member id.
    pub id: String,
    /// A deactivated account.
    pub deleted: bool,
    /// A bot.
    pub is_bot: bool,
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
    /// The workspace's users, for `users.lookupByEmail`.
    users: Vec<FakeUser>,
    /// Addresses `users.lookupByEmail` answered.
    lookups: Vec<String>,
    /// Channels the bot is not a member of (`conversations.info` says `is_member: false`).
    not_member: Vec<String>,
    /// The bot token's scopes, when set (default [`DISPATCH_SCOPES`]).
    scopes: Option<Vec<String>>,
    faults: Faults<SlackRoute>,
    interactions: u64,
}

/// The fake Slack.
#[derive(Debug, Clone)]
pub struct FakeSlack {
    url: String,
    state: Arc<Mutex<State>>,
    log: Arc<Mutex<Vec<Recorded>>>,
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

    /// Takes the bot out of `channel`: `conversations.info` says `is_member: false`.
    pub fn bot_not_in(&self, channel: &str) {
        lock(&self.state).not_member.push(channel.to_owned());
    }

    /// The bot token's scopes, as `auth.test` lists them in `x-oauth-scopes` (default
    /// [`DISPATCH_SCOPES`]).
    pub fn set_scopes(&self, scopes: &[&str]) {
        lock(&self.state).scopes = Some(scopes.iter().map(|s| (*s).to_owned()).collect());
    }

    /// Registers an active person with `email`, whom `users.lookupByEmail` finds as `id`.
    pub fn add_user(&self, email: &str, id: &str) {
        self.register(FakeUser { email: email.to_owned(), id: id.to_owned(), deleted: false, is_bot: false });
    }

    /// Registers a deactivated account (`deleted: true`) with `email`.
    pub fn add_deactivated_user(&self, email: &str, id: &str) {
        self.register(FakeUser { email: email.to_owned(), id: id.to_owned(), deleted: true, is_bot: false });
    }

    /// Registers a bot (`is_bot: true`) with `email`.
    pub fn add_bot(&self, email: &str, id: &str) {
        self.register(FakeUser { email: email.to_owned(), id: id.to_owned(), deleted: false, is_bot: true });
    }

    /// Registers `user`, replacing any user with the same address.
    pub fn register(&self, user: FakeUser) {
        let mut state = lock(&self.state);
        state.users.retain(|u| !u.email.eq_ignore_ascii_case(&user.email));
        state.users.push(user);
    }

    /// The addresses `users.lookupByEmail` answered (not those a fault answered), in order.
    pub fn lookups(&self) -> Vec<String> {
        lock(&self.state).lookups.clone()
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

impl Fault {
    /// Slack's HTTP 429 with `Retry-After`.
    pub fn slack_rate_limited(retry_after: u64) -> Self {
        Self::RateLimited { status: 429, retry_after }
    }
}
