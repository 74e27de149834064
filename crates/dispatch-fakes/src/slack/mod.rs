//! A fake Slack Web API (`chat.postMessage`, thread replies included, and `chat.update`;
//! `users.lookupByEmail`; `auth.test` and `conversations.info` for checks) and the `response_url`s
//! of interactions. Like Slack, it refuses blocks out of Block Kit's limits (`invalid_blocks`, see
//! [`crate::block_kit`]), a `chat.update` that names a DM by its user id (`channel_not_found`: only
//! the `D…` id Slack answered a post with finds it), a message it does not hold
//! (`message_not_found`) or one the bot did not write (`cant_update_message`), and a reply to no
//! message (`thread_not_found`). It builds the interaction payloads Slack sends
//! for a click: a `block_actions` payload that echoes the whole posted message, and the Node era's
//! `interactive_message`.

mod api;
mod payloads;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod update_tests;

use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::server::{Fault, Faults, Recorded, Started, lock, serve_with_state};

use api::handle;
use payloads::conversation_of;
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
    /// `chat.postMessage` with a `thread_ts` (a thread reply), checked after
    /// [`SlackRoute::PostMessageTo`] and before [`SlackRoute::PostMessage`].
    Reply,
    /// `chat.update` of any message.
    Update,
    /// `chat.update` in this channel (as sent: a `D…` or `C…` id), checked before
    /// [`SlackRoute::Update`].
    UpdateIn(String),
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

/// A message the fake holds, with its current content. A thread reply is a message too, in the
/// conversation of the message it replies to.
#[derive(Debug, Clone, PartialEq)]
pub struct Posted {
    /// `channel` as sent (a user id for a DM).
    pub channel: String,
    /// `text`, as last set.
    pub text: String,
    /// `blocks`, as last set.
    pub blocks: Value,
    /// Assigned timestamp id.
    pub ts: String,
    /// `thread_ts` as sent: the message this one replies to in its thread; `None` for a message of
    /// its own.
    pub thread_ts: Option<String>,
    /// Its author: [`BOT_USER_ID`] for everything posted with the bot token.
    pub author: String,
    /// Its earlier contents, oldest first: one for each `chat.update` it took.
    pub revisions: Vec<Revision>,
    /// When it was last edited (Slack's `edited.ts`), if ever.
    pub edited: Option<String>,
}

impl Posted {
    /// The conversation it is in: a DM's `D…` id for a message posted to a user id.
    pub fn conversation(&self) -> String {
        conversation_of(&self.channel)
    }
}

/// A message's content before a `chat.update` replaced it.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    /// `text`.
    pub text: String,
    /// `blocks`.
    pub blocks: Value,
}

/// A `chat.update` the fake accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct Updated {
    /// `channel` as sent (the conversation id).
    pub channel: String,
    /// `ts` of the updated message.
    pub ts: String,
    /// The new `text`.
    pub text: String,
    /// The new `blocks` as sent; `None` when the update had none and the old blocks stayed, as
    /// Slack keeps them (`Some([])` removes them).
    pub blocks: Option<Value>,
}

#[derive(Debug, Default)]
struct State {
    messages: Vec<Posted>,
    /// Every accepted `chat.update`, in order.
    updates: Vec<Updated>,
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
        let Started { addr, state, log } =
            serve_with_state(|state: Arc<Mutex<State>>, request| async move { handle(&state, request).await }).await?;
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

    /// Messages accepted so far (thread replies included: see [`Posted::thread_ts`]), each with its
    /// current content.
    pub fn messages(&self) -> Vec<Posted> {
        lock(&self.state).messages.clone()
    }

    /// Messages accepted for `channel` as sent (thread replies posted to it included).
    pub fn messages_to(&self, channel: &str) -> Vec<Posted> {
        self.messages().into_iter().filter(|m| m.channel == channel).collect()
    }

    /// The message `ts` of `channel` (a user id or the DM's `D…` id, a channel id) as it is now.
    pub fn message(&self, channel: &str, ts: &str) -> Option<Posted> {
        let conversation = conversation_of(channel);
        lock(&self.state).messages.iter().find(|m| m.ts == ts && m.conversation() == conversation).cloned()
    }

    /// The replies in the thread of message `thread_ts` of `channel` (a user id or the DM's `D…`
    /// id, a channel id), in order.
    pub fn replies(&self, channel: &str, thread_ts: &str) -> Vec<Posted> {
        let conversation = conversation_of(channel);
        let state = lock(&self.state);
        let replies = state.messages.iter().filter(|m| m.thread_ts.as_deref() == Some(thread_ts));
        replies.filter(|m| m.conversation() == conversation).cloned().collect()
    }

    /// Every accepted `chat.update`, in order (refused ones and those a fault answered are not).
    pub fn updates(&self) -> Vec<Updated> {
        lock(&self.state).updates.clone()
    }

    /// Adds a message that `user` (not the bot) wrote in `channel`, as if it had been posted in
    /// Slack: the bot may reply in its thread but `chat.update` of it is `cant_update_message`.
    pub fn add_message_by(&self, user: &str, channel: &str, text: &str) -> Posted {
        let mut state = lock(&self.state);
        let posted = Posted {
            channel: channel.to_owned(),
            text: text.to_owned(),
            blocks: Value::Null,
            ts: next_ts(&state),
            thread_ts: None,
            author: user.to_owned(),
            revisions: Vec::new(),
            edited: None,
        };
        state.messages.push(posted.clone());
        posted
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

/// The timestamp id of the next message.
fn next_ts(state: &State) -> String {
    format!("1764200000.{:06}", state.messages.len() + 1)
}

impl Fault {
    /// Slack's HTTP 429 with `Retry-After`.
    pub fn slack_rate_limited(retry_after: u64) -> Self {
        Self::RateLimited { status: 429, retry_after }
    }
}
