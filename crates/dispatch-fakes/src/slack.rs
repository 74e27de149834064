//! A fake Slack Web API (`chat.postMessage`; `auth.test` and `conversations.info` for checks) and
//! the `response_url`s of interactions. Like Slack, it refuses blocks out of Block Kit's limits
//! (`invalid_blocks`, see [`crate::block_kit`]), and it builds the interaction payloads Slack sends
//! for a click: a `block_actions` payload that echoes the whole posted message, and the Node era's
//! `interactive_message`.

use std::sync::{Arc, Mutex};

use axum::http::Method;
use axum::response::Response;
use serde_json::{Map, Value, json};

use crate::block_kit::{BLOCKS_TOO_LONG, MAX_MESSAGE_TEXT, check_message};
use crate::server::{Fault, Faults, Incoming, Recorded, json, late, serve, short_circuit, unexpected};

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

    /// The `block_actions` payload Slack sends when `user_id` clicks the button `action_id` of
    /// `posted`: the clicked button as Slack reports it, the conversation it was posted to, a fresh
    /// `response_url` answered by this fake, and the whole message as Slack stores it (see
    /// [`stored_message`]), so the payload grows with the alarm as the real one does.
    ///
    /// # Panics
    /// When `posted` has no button `action_id` (a mistake in the test).
    pub fn block_actions_payload(&self, posted: &Posted, action_id: &str, user_id: &str, username: &str) -> Value {
        let n = {
            let mut state = lock(&self.state);
            state.interactions += 1;
            state.interactions
        };
        let message = stored_message(posted);
        let (block_id, button) = message["blocks"]
            .as_array()
            .into_iter()
            .flatten()
            .find_map(|block| {
                let elements = block["elements"].as_array()?;
                let button = elements.iter().find(|e| e["type"] == "button" && e["action_id"] == action_id)?;
                Some((block["block_id"].clone(), button.clone()))
            })
            .unwrap_or_else(|| panic!("no button {action_id:?} in the posted message {}", posted.blocks));
        let mut action = Map::new();
        action.insert("action_id".into(), json!(action_id));
        action.insert("block_id".into(), block_id);
        action.insert("text".into(), button["text"].clone());
        for key in ["value", "style"] {
            if let Some(value) = button.get(key) {
                action.insert(key.into(), value.clone());
            }
        }
        action.insert("type".into(), json!("button"));
        action.insert("action_ts".into(), json!(format!("1764200100.{n:06}")));
        let conversation = conversation_of(&posted.channel);
        json!({
            "type": "block_actions",
            "user": { "id": user_id, "username": username, "name": username, "team_id": TEAM_ID },
            "api_app_id": APP_ID,
            "token": VERIFICATION_TOKEN,
            "container": {
                "type": "message",
                "message_ts": posted.ts,
                "channel_id": conversation,
                "is_ephemeral": false,
            },
            "trigger_id": format!("{n}.1234567890.{:032x}", u128::from(n) * 0x9e37_79b9_7f4a_7c15),
            "team": { "id": TEAM_ID, "domain": TEAM_DOMAIN },
            "enterprise": null,
            "is_enterprise_install": false,
            "channel": { "id": conversation, "name": channel_name(&conversation) },
            "message": message,
            "state": { "values": {} },
            "response_url": self.response_url(&format!("click-{n}")),
            "actions": [action],
        })
    }
}

/// The conversation Slack answers a post with: a DM's `D…` id for a user, else the channel.
fn conversation_of(channel: &str) -> String {
    channel.strip_prefix('U').map_or_else(|| channel.to_owned(), |rest| format!("D{rest}"))
}

fn channel_name(conversation: &str) -> String {
    if conversation.starts_with('D') { "directmessage".to_owned() } else { conversation.to_lowercase() }
}

/// A posted message as Slack stores and echoes it: authored by the bot, with Slack's additions
/// to the blocks (a `block_id` on every block that had none, `verbatim` on mrkdwn texts, `emoji`
/// on plain texts).
pub fn stored_message(posted: &Posted) -> Value {
    let mut blocks = posted.blocks.clone();
    if let Some(blocks) = blocks.as_array_mut() {
        for (i, block) in blocks.iter_mut().enumerate() {
            if let Some(block) = block.as_object_mut() {
                block.entry("block_id").or_insert_with(|| json!(generated_block_id(&posted.ts, i)));
            }
            add_text_defaults(block);
        }
    }
    json!({
        "type": "message",
        "text": posted.text,
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "app_id": APP_ID,
        "ts": posted.ts,
        "team": TEAM_ID,
        "bot_profile": {
            "id": BOT_ID,
            "app_id": APP_ID,
            "name": "Dispatch",
            "icons": { "image_36": "https://a.slack-edge.com/80588/img/plugins/app/bot_36.png" },
            "deleted": false,
            "updated": 1_764_100_000,
            "team_id": TEAM_ID,
        },
        "blocks": blocks,
    })
}

/// A short id like the ones Slack gives blocks that came without one.
fn generated_block_id(ts: &str, index: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut hash = ts
        .bytes()
        .chain(index.to_le_bytes())
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    (0..5)
        .map(|_| {
            let c = ALPHABET[(hash % 64) as usize] as char;
            hash /= 64;
            c
        })
        .collect()
}

fn add_text_defaults(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("text").is_some_and(Value::is_string) {
                match map.get("type").and_then(Value::as_str) {
                    Some("mrkdwn") => {
                        map.entry("verbatim").or_insert(json!(false));
                    }
                    Some("plain_text") => {
                        map.entry("emoji").or_insert(json!(true));
                    }
                    _ => {}
                }
            }
            map.values_mut().for_each(add_text_defaults);
        }
        Value::Array(items) => items.iter_mut().for_each(add_text_defaults),
        _ => {}
    }
}

/// The `interactive_message` payload Slack sends for a click on a Node-era attachment button:
/// `name` is `yes` or `no`, `value` is what the Node version put there (the alarm's response text,
/// `"false"`, or nothing). `original_message` is a message as the Node version posted it, with
/// both buttons.
pub fn legacy_interactive_message_payload(
    callback_id: &str,
    name: &str,
    value: Option<&str>,
    user_id: &str,
    user_name: &str,
    response_url: &str,
) -> Value {
    let mut action = json!({ "name": name, "type": "button" });
    if let Some(value) = value {
        action["value"] = json!(value);
    }
    let conversation = conversation_of(user_id);
    let node_button = |button: &str, text: &str, style: &str| {
        let mut b = json!({ "id": if button == "yes" { "1" } else { "2" }, "name": button, "text": text, "type": "button", "style": style });
        b["value"] = json!(if button == name { value.unwrap_or("false") } else { "false" });
        b
    };
    json!({
        "type": "interactive_message",
        "actions": [action],
        "callback_id": callback_id,
        "team": { "id": TEAM_ID, "domain": TEAM_DOMAIN },
        "channel": { "id": conversation, "name": channel_name(&conversation) },
        "user": { "id": user_id, "name": user_name },
        "action_ts": "1764200100.000001",
        "message_ts": "1700000000.000100",
        "attachment_id": "1",
        "token": VERIFICATION_TOKEN,
        "is_app_unfurl": false,
        "original_message": {
            "type": "message",
            "subtype": "bot_message",
            "text": "testSlackMessage",
            "ts": "1700000000.000100",
            "username": "dispatch",
            "bot_id": BOT_ID,
            "attachments": [{
                "id": 1,
                "callback_id": callback_id,
                "fallback": "Was this you?",
                "text": "Was this you?",
                "color": "3AA3E3",
                "attachment_type": "default",
                "actions": [node_button("yes", "Yes", "primary"), node_button("no", "No", "danger")],
            }],
        },
        "response_url": response_url,
        "trigger_id": "1700000100.1234567890.0123456789abcdef0123456789abcdef",
    })
}

async fn handle(state: &Mutex<State>, request: Incoming) -> Response {
    let s: Vec<&str> = request.segments.iter().map(String::as_str).collect();
    match (&request.method, s.as_slice()) {
        (&Method::POST, ["api", "chat.postMessage"]) => post_message(state, &request.recorded).await,
        (&Method::GET | &Method::POST, ["api", "users.lookupByEmail"]) => {
            lookup_by_email(state, &request.recorded).await
        }
        (&Method::GET | &Method::POST, ["api", method @ ("auth.test" | "conversations.info")]) => {
            read_method(state, method, &request.recorded)
        }
        (&Method::POST, ["response", id]) => {
            let fault = lock(state).faults.take(&SlackRoute::Respond);
            if let Some(fault) = &fault
                && let Some(response) = short_circuit(fault).await
            {
                return response;
            }
            let body = request.recorded.json();
            if check_message(&body).is_err() {
                return json(400, json!({ "ok": false, "error": "invalid_blocks" }));
            }
            lock(state).responses.push(((*id).to_owned(), body));
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
        if body.get("blocks").is_some_and(|b| !b.is_null() && !b.is_array()) {
            return json(200, json!({ "ok": false, "error": "invalid_blocks_format" }));
        }
        if let Err(reason) = check_message(&body) {
            let code = if reason.starts_with(BLOCKS_TOO_LONG) { BLOCKS_TOO_LONG } else { "invalid_blocks" };
            return json(200, json!({ "ok": false, "error": code }));
        }
        let ts = format!("1764200000.{:06}", state.messages.len() + 1);
        let conversation = conversation_of(&channel);
        // Slack keeps the first 40,000 characters of a longer text.
        let text: String = body["text"].as_str().unwrap_or_default().chars().take(MAX_MESSAGE_TEXT).collect();
        state.messages.push(Posted { channel: channel.clone(), text, blocks: body["blocks"].clone(), ts: ts.clone() });
        json(200, json!({ "ok": true, "channel": conversation, "ts": ts }))
    };
    late(&fault).await;
    reply
}

/// `auth.test` (the bot, with its scopes in `x-oauth-scopes`) and `conversations.info` (a channel
/// exists unless made unknown; the bot is in it unless taken out). Parameters come from the query
/// string or a form body, as Slack takes them.
fn read_method(state: &Mutex<State>, method: &str, request: &Recorded) -> Response {
    let token = request.header("authorization").and_then(|a| a.strip_prefix("Bearer ")).unwrap_or_default();
    if !token.starts_with("xoxb-") {
        return json(
            200,
            json!({ "ok": false, "error": if token.is_empty() { "not_authed" } else { "invalid_auth" } }),
        );
    }
    let state = lock(state);
    if method == "auth.test" {
        let scopes = state.scopes.clone().unwrap_or_else(|| DISPATCH_SCOPES.iter().map(|s| (*s).to_owned()).collect());
        let mut response = json(
            200,
            json!({
                "ok": true,
                "url": format!("https://{TEAM_DOMAIN}.slack.com/"),
                "team": "Dispatch Fake",
                "user": "dispatch",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": false,
            }),
        );
        if let Ok(value) = scopes.join(",").parse() {
            response.headers_mut().insert("x-oauth-scopes", value);
        }
        return response;
    }
    let form: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(&request.body).into_owned().collect();
    let channel = request.query.get("channel").or_else(|| form.get("channel")).cloned().unwrap_or_default();
    if channel.is_empty() || state.unknown_channels.contains(&channel) || !channel.starts_with(['C', 'G']) {
        return json(200, json!({ "ok": false, "error": "channel_not_found" }));
    }
    json(
        200,
        json!({
            "ok": true,
            "channel": {
                "id": channel,
                "name": channel_name(&channel),
                "is_channel": channel.starts_with('C'),
                "is_private": channel.starts_with('G'),
                "is_archived": false,
                "is_member": !state.not_member.contains(&channel),
            },
        }),
    )
}

/// `users.lookupByEmail`: `email` in the query (GET) or a form body (POST); the user registered
/// with that address, or `users_not_found`.
async fn lookup_by_email(state: &Mutex<State>, request: &Recorded) -> Response {
    let token = request.header("authorization").and_then(|a| a.strip_prefix("Bearer ")).unwrap_or_default();
    if !token.starts_with("xoxb-") {
        let error = if token.is_empty() { "not_authed" } else { "invalid_auth" };
        return json(200, json!({ "ok": false, "error": error }));
    }
    let fault = lock(state).faults.take(&SlackRoute::LookupByEmail);
    if let Some(fault) = &fault
        && let Some(response) = short_circuit(fault).await
    {
        return response;
    }
    let email = request.query.get("email").cloned().or_else(|| {
        url::form_urlencoded::parse(&request.body).find(|(k, _)| k == "email").map(|(_, v)| v.into_owned())
    });
    let Some(email) = email.filter(|e| !e.is_empty()) else {
        return json(200, json!({ "ok": false, "error": "invalid_arguments" }));
    };
    let reply = {
        let mut state = lock(state);
        state.lookups.push(email.clone());
        match state.users.iter().find(|u| u.email.eq_ignore_ascii_case(&email)) {
            None => json(200, json!({ "ok": false, "error": "users_not_found" })),
            Some(user) => {
                let name = user.email.split('@').next().unwrap_or_default();
                json(
                    200,
                    json!({ "ok": true, "user": {
                        "id": user.id,
                        "team_id": TEAM_ID,
                        "name": name,
                        "deleted": user.deleted,
                        "is_bot": user.is_bot,
                        "is_app_user": false,
                        "tz": "Europe/London",
                        "profile": { "email": user.email, "real_name": name, "display_name": name },
                    } }),
                )
            }
        }
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::support::form_body;

    fn section(text: &str) -> Value {
        json!({ "type": "section", "text": { "type": "mrkdwn", "text": text } })
    }

    /// Dispatch's self-service prompt, as posted.
    fn prompt(message: &str) -> Value {
        let button = |action: &str, text: &str, style: &str| json!({ "type": "button", "action_id": action, "text": { "type": "plain_text", "text": text, "emoji": true }, "style": style, "value": "{\"v\":1,\"n\":4}" });
        let mut blocks: Vec<Value> =
            message.chars().collect::<Vec<_>>().chunks(3000).map(|c| section(&c.iter().collect::<String>())).collect();
        blocks.push(json!({ "type": "context", "elements": [{ "type": "mrkdwn", "text": "<https://github.com/acme/audit/issues/4|GitHub issue #4>" }] }));
        blocks.push(section("*Was it you?*"));
        blocks.push(json!({ "type": "actions", "block_id": "dispatch_prompt", "elements": [button("dispatch_yes", "Yes", "primary"), button("dispatch_no", "No", "danger")] }));
        json!({ "channel": "U012ABCDEF", "text": format!("{message}\nhttps://github.com/acme/audit/issues/4\nWas it you?"), "blocks": blocks, "unfurl_links": false })
    }

    fn request(method: &str, path: &str, body: &Value) -> Incoming {
        Incoming {
            method: method.parse().unwrap(),
            segments: path.split('/').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
            recorded: Recorded {
                method: method.to_owned(),
                path: path.to_owned(),
                query: HashMap::new(),
                headers: [("authorization".to_owned(), "Bearer xoxb-test".to_owned())].into(),
                body: body.to_string().into_bytes(),
            },
        }
    }

    /// Sends `body` to the fake's route at `path`; its status and JSON answer.
    async fn send(slack: &FakeSlack, path: &str, body: &Value) -> (u16, Value) {
        let response = handle(&slack.state, request("POST", path, body)).await;
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    #[tokio::test]
    async fn a_post_whose_blocks_hold_too_much_text_together_is_refused_as_slack_does() {
        let slack = FakeSlack::start().await.unwrap();
        let sections: Vec<Value> = (0..5)
            .map(|_| json!({ "type": "section", "text": { "type": "mrkdwn", "text": "x".repeat(2_500) } }))
            .collect();
        let (status, answer) =
            send(&slack, "/api/chat.postMessage", &json!({ "channel": "U012ABCDEF", "text": "t", "blocks": sections }))
                .await;
        assert_eq!((status, answer), (200, json!({ "ok": false, "error": "msg_blocks_too_long" })));
        assert!(slack.messages().is_empty());
    }

    #[tokio::test]
    async fn a_post_with_an_empty_section_is_refused_as_invalid_blocks_and_nothing_is_stored() {
        let slack = FakeSlack::start().await.unwrap();
        let body = json!({ "channel": "U012ABCDEF", "text": "x", "blocks": [section(&"x".repeat(3000)), section("")] });

        let answer = send(&slack, "/api/chat.postMessage", &body).await;

        assert_eq!(answer, (200, json!({ "ok": false, "error": "invalid_blocks" })));
        assert!(slack.messages().is_empty());
        let too_many = json!({ "channel": "C1", "blocks": vec![section("x"); 51] });
        assert_eq!(send(&slack, "/api/chat.postMessage", &too_many).await.1["error"], "invalid_blocks");
        let not_a_list = json!({ "channel": "C1", "blocks": "[]", "text": "x" });
        assert_eq!(send(&slack, "/api/chat.postMessage", &not_a_list).await.1["error"], "invalid_blocks_format");
        assert!(slack.messages().is_empty());
    }

    #[tokio::test]
    async fn a_post_with_neither_text_nor_blocks_is_still_no_text_and_a_valid_one_is_stored() {
        let slack = FakeSlack::start().await.unwrap();

        let empty = send(&slack, "/api/chat.postMessage", &json!({ "channel": "C1", "text": "", "blocks": [] })).await;
        let valid = send(&slack, "/api/chat.postMessage", &prompt("2FA disabled")).await;

        assert_eq!(empty.1["error"], "no_text");
        assert_eq!(valid, (200, json!({ "ok": true, "channel": "D012ABCDEF", "ts": "1764200000.000001" })));
        assert_eq!(slack.messages().len(), 1);
    }

    #[tokio::test]
    async fn a_response_with_invalid_blocks_even_inside_an_attachment_is_refused_with_400_and_not_recorded() {
        let slack = FakeSlack::start().await.unwrap();
        let bad = json!({ "replace_original": true, "text": "t", "attachments": [{ "color": "#008E00", "blocks": [section(" ")] }] });
        let bad_top = json!({ "text": "t", "blocks": [{ "type": "context", "elements": [] }] });
        let good = json!({ "replace_original": true, "text": "t", "attachments": [{ "color": "#008E00", "blocks": [section("*Acknowledged*")] }] });

        assert_eq!(
            send(&slack, "/response/click-1", &bad).await,
            (400, json!({ "ok": false, "error": "invalid_blocks" }))
        );
        assert_eq!(send(&slack, "/response/click-1", &bad_top).await.0, 400);
        assert_eq!(send(&slack, "/response/click-1", &good).await.0, 200);
        assert_eq!(slack.responses(), vec![("click-1".to_owned(), good)]);
    }

    #[tokio::test]
    async fn a_click_payload_echoes_the_whole_posted_message_and_the_clicked_button() {
        let slack = FakeSlack::start().await.unwrap();
        send(&slack, "/api/chat.postMessage", &prompt("2FA disabled")).await;
        let posted = slack.messages().remove(0);

        let payload = slack.block_actions_payload(&posted, "dispatch_no", "U012ABCDEF", "alice");

        assert_eq!(payload["type"], "block_actions");
        assert_eq!(
            payload["user"],
            json!({ "id": "U012ABCDEF", "username": "alice", "name": "alice", "team_id": TEAM_ID })
        );
        assert_eq!(payload["channel"], json!({ "id": "D012ABCDEF", "name": "directmessage" }));
        assert_eq!(payload["container"]["message_ts"], posted.ts);
        assert_eq!(payload["container"]["channel_id"], "D012ABCDEF");
        let action = &payload["actions"][0];
        assert_eq!(
            (&action["action_id"], &action["block_id"], &action["value"], &action["style"], &action["type"]),
            (
                &json!("dispatch_no"),
                &json!("dispatch_prompt"),
                &json!("{\"v\":1,\"n\":4}"),
                &json!("danger"),
                &json!("button")
            )
        );
        assert_eq!(action["text"], json!({ "type": "plain_text", "text": "No", "emoji": true }));
        let message = &payload["message"];
        assert_eq!(
            (&message["text"], &message["ts"], &message["user"]),
            (&json!(posted.text), &json!(posted.ts), &json!(BOT_USER_ID))
        );
        assert_eq!(message, &stored_message(&posted));
        assert_eq!(
            without_slacks_additions(message["blocks"].clone()),
            posted.blocks,
            "the echo is the posted message"
        );
        assert!(
            message["blocks"].as_array().unwrap().iter().all(|b| b["block_id"].is_string()),
            "Slack names every block"
        );
        assert_eq!(message["blocks"][0]["text"]["verbatim"], false);
        let response_url = payload["response_url"].as_str().unwrap();
        assert!(response_url.starts_with(&slack.response_url("")), "{response_url}");
        let second = slack.block_actions_payload(&posted, "dispatch_yes", "U012ABCDEF", "alice");
        assert_ne!(second["response_url"], payload["response_url"], "each click has its own response_url");
        assert_ne!(second["trigger_id"], payload["trigger_id"]);
    }

    /// `blocks` without the fields Slack adds when it stores a message.
    fn without_slacks_additions(mut blocks: Value) -> Value {
        fn strip(value: &mut Value, top: bool) {
            match value {
                Value::Object(map) => {
                    if top && map.get("block_id").and_then(Value::as_str).is_some_and(|id| id.len() == 5) {
                        map.remove("block_id");
                    }
                    if map.get("type") == Some(&json!("mrkdwn")) {
                        map.remove("verbatim");
                    }
                    map.values_mut().for_each(|v| strip(v, false));
                }
                Value::Array(items) => items.iter_mut().for_each(|v| strip(v, false)),
                _ => {}
            }
        }
        blocks.as_array_mut().unwrap().iter_mut().for_each(|b| strip(b, true));
        blocks
    }

    #[tokio::test]
    #[should_panic(expected = "no button")]
    async fn a_click_on_a_button_the_message_does_not_have_is_a_mistake_in_the_test() {
        let slack = FakeSlack::start().await.unwrap();
        send(&slack, "/api/chat.postMessage", &json!({ "channel": "C1", "text": "no buttons" })).await;
        slack.block_actions_payload(&slack.messages()[0], "dispatch_yes", "U1", "alice");
    }

    #[tokio::test]
    async fn a_click_on_a_long_non_ascii_alarm_is_larger_than_64_kib_once_form_encoded() {
        let slack = FakeSlack::start().await.unwrap();
        // Within the 12,000 characters of text Slack takes in a message's blocks.
        let (status, answer) = send(&slack, "/api/chat.postMessage", &prompt(&"🔥".repeat(9_000))).await;
        assert_eq!((status, &answer["ok"]), (200, &json!(true)));

        let payload = slack.block_actions_payload(&slack.messages()[0], "dispatch_yes", "U012ABCDEF", "alice");
        let body = form_body(&payload);

        assert!(body.len() > 64 * 1024, "{} bytes", body.len());
        assert!(body.starts_with("payload=%7B"));
        let decoded: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
        assert_eq!(serde_json::from_str::<Value>(&decoded["payload"]).unwrap(), payload, "the form body round-trips");
    }

    #[test]
    fn a_legacy_click_carries_the_buttons_name_and_value_and_omits_an_absent_value() {
        let url = "https://hooks.slack.com/actions/T0/1/x";
        let yes =
            legacy_interactive_message_payload("eyJnaXRodWIiOjF9", "yes", Some("false"), "U012ABCDEF", "alice", url);
        assert_eq!(yes["type"], "interactive_message");
        assert_eq!(yes["actions"], json!([{ "name": "yes", "type": "button", "value": "false" }]));
        assert_eq!(
            (&yes["callback_id"], &yes["response_url"], &yes["token"]),
            (&json!("eyJnaXRodWIiOjF9"), &json!(url), &json!(VERIFICATION_TOKEN))
        );
        assert_eq!(yes["user"], json!({ "id": "U012ABCDEF", "name": "alice" }));
        assert_eq!(yes["channel"]["id"], "D012ABCDEF");
        let buttons = &yes["original_message"]["attachments"][0]["actions"];
        assert_eq!((&buttons[0]["name"], &buttons[1]["name"]), (&json!("yes"), &json!("no")));
        assert_eq!(yes["original_message"]["attachments"][0]["callback_id"], "eyJnaXRodWIiOjF9");
        let no = legacy_interactive_message_payload("cb", "no", None, "U012ABCDEF", "alice", url);
        assert_eq!(no["actions"], json!([{ "name": "no", "type": "button" }]));
        let texted = legacy_interactive_message_payload("cb", "no", Some("We are on it"), "U1", "bob", url);
        assert_eq!(texted["actions"][0]["value"], "We are on it");
        assert_eq!(texted["original_message"]["attachments"][0]["actions"][1]["value"], "We are on it");
    }
}
