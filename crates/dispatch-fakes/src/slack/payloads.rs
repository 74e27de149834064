//! The interaction payloads the fake Slack builds for a click: `block_actions`, echoing the posted
//! message as Slack stores it, and the Node era's `interactive_message`.

use serde_json::{Map, Value, json};

use super::{APP_ID, BOT_ID, BOT_USER_ID, FakeSlack, Posted, TEAM_DOMAIN, TEAM_ID, VERIFICATION_TOKEN, lock};

impl FakeSlack {
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
pub(super) fn conversation_of(channel: &str) -> String {
    channel.strip_prefix('U').map_or_else(|| channel.to_owned(), |rest| format!("D{rest}"))
}

pub(super) fn channel_name(conversation: &str) -> String {
    if conversation.starts_with('D') { "directmessage".to_owned() } else { conversation.to_lowercase() }
}

/// A posted message as Slack stores and echoes it: authored by the bot (or by whoever
/// [`FakeSlack::add_message_by`] named), with Slack's additions to the blocks (a `block_id` on every
/// block that had none, `verbatim` on mrkdwn texts, `emoji` on plain texts), its `thread_ts` when
/// it is a reply, and `edited` once `chat.update` changed it.
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
    let mut message = json!({
        "type": "message",
        "text": posted.text,
        "user": posted.author,
        "ts": posted.ts,
        "team": TEAM_ID,
        "blocks": blocks,
    });
    if posted.author == BOT_USER_ID {
        message["bot_id"] = json!(BOT_ID);
        message["app_id"] = json!(APP_ID);
        message["bot_profile"] = json!({
            "id": BOT_ID,
            "app_id": APP_ID,
            "name": "Dispatch",
            "icons": { "image_36": "https://a.slack-edge.com/80588/img/plugins/app/bot_36.png" },
            "deleted": false,
            "updated": 1_764_100_000,
            "team_id": TEAM_ID,
        });
    }
    if let Some(thread_ts) = &posted.thread_ts {
        message["thread_ts"] = json!(thread_ts);
    }
    if let Some(edited) = &posted.edited {
        message["edited"] = json!({ "user": posted.author, "ts": edited });
    }
    message
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
