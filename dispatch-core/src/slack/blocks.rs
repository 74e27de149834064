//! The Slack messages Dispatch sends, as Block Kit: the self-service prompt, the broadcast/nag DM,
//! the missing-Slack-id notice, the error notice, and what replaces a prompt once it is answered.
//! Texts Dispatch composes escape Slack's control characters; the sender's own texts are mrkdwn.

use serde_json::{Value, json};

use super::SlackMessage;
use crate::ids::RequestId;
use crate::message::Prompt;

/// `action_id` of the Yes button.
pub const YES_ACTION: &str = "dispatch_yes";
/// `action_id` of the No button.
pub const NO_ACTION: &str = "dispatch_no";
/// `block_id` of the buttons.
pub const PROMPT_BLOCK: &str = "dispatch_prompt";
/// Colour of an acknowledged alarm.
pub const ACKNOWLEDGED_COLOUR: &str = "#008E00";
/// Colour of an escalated alarm.
pub const ESCALATED_COLOUR: &str = "#CC0000";

/// Escapes `&`, `<` and `>` so a composed text cannot form links or mentions.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Most characters in one section block.
pub const SECTION_MAX: usize = 3000;

fn section(text: &str) -> Value {
    json!({ "type": "section", "text": { "type": "mrkdwn", "text": text } })
}

/// As many sections as a long text needs, split at line ends where possible.
fn sections(text: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut rest = text;
    while rest.chars().count() > SECTION_MAX {
        let limit = rest.char_indices().nth(SECTION_MAX).map_or(rest.len(), |(i, _)| i);
        let cut = rest[..limit].rfind('\n').filter(|i| *i > 0).unwrap_or(limit);
        out.push(section(&rest[..cut]));
        rest = rest[cut..].strip_prefix('\n').unwrap_or(&rest[cut..]);
    }
    out.push(section(rest));
    out
}

fn context(text: &str) -> Value {
    json!({ "type": "context", "elements": [{ "type": "mrkdwn", "text": text }] })
}

fn issue_link(issue_url: &str, number: u64) -> String {
    format!("<{issue_url}|GitHub issue #{number}>")
}

fn button(action_id: &str, text: &str, style: &str, value: &str) -> Value {
    json!({
        "type": "button",
        "action_id": action_id,
        "text": { "type": "plain_text", "text": text, "emoji": true },
        "style": style,
        "value": value,
    })
}

/// The self-service DM: the message, a link to the issue, the prompt, Yes (`primary`) and No
/// (`danger`) buttons carrying `callback_value`.
pub fn self_service_prompt(prompt: &Prompt, issue_url: &str, issue_number: u64, callback_value: &str) -> SlackMessage {
    SlackMessage {
        text: format!("{}\n{}\n{}", prompt.message, issue_url, prompt.prompt),
        blocks: [
            sections(&prompt.message),
            vec![context(&issue_link(issue_url, issue_number))],
            sections(&format!("*{}*", prompt.prompt)),
            vec![json!({
                "type": "actions",
                "block_id": PROMPT_BLOCK,
                "elements": [
                    button(YES_ACTION, &prompt.yes, "primary", callback_value),
                    button(NO_ACTION, &prompt.no, "danger", callback_value),
                ],
            })],
        ]
        .concat(),
    }
}

/// A self-service alarm posted to the shared default channel: no buttons, so nobody else can
/// answer for the user.
pub fn prompt_without_buttons(prompt: &Prompt, issue_url: &str, issue_number: u64) -> SlackMessage {
    let note = "No buttons here: this alarm could not be sent as a direct message. Answer it on the GitHub issue.";
    SlackMessage {
        text: format!("{}\n{}\n{}", prompt.message, issue_url, prompt.prompt),
        blocks: [
            sections(&prompt.message),
            vec![context(&issue_link(issue_url, issue_number))],
            sections(&format!("*{}*", prompt.prompt)),
            vec![context(note)],
        ]
        .concat(),
    }
}

/// The broadcast and nag DM: the message only.
pub fn text_message(text: &str) -> SlackMessage {
    SlackMessage { text: text.to_owned(), blocks: sections(text) }
}

/// The notice in the default channel that a user's Slack id was missing.
pub fn missing_slack_id_notice(request_id: &RequestId, user: Option<&str>) -> SlackMessage {
    let who = user.map_or_else(|| "a recipient".to_owned(), |u| format!("user {}", escape(u)));
    let text = format!(
        "Dispatch {}: {who} has no Slack ID in the alarm, so the message above was posted here instead of as a direct message.",
        escape(request_id.as_str())
    );
    SlackMessage { blocks: vec![context(&text)], text }
}

/// The notice in the default channel that a DM could not be delivered.
pub fn delivery_error_notice(request_id: &RequestId, recipient: &str, code: &str) -> SlackMessage {
    let text = format!(
        "Dispatch {}: the direct message to {} failed ({}). Dispatch will retry; check the alarm's Slack ID.",
        escape(request_id.as_str()),
        escape(recipient),
        escape(code)
    );
    SlackMessage { blocks: vec![section(&format!(":warning: {text}"))], text }
}

/// How a self-service alarm was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Yes: the issue was closed.
    Acknowledged,
    /// No: an incident was opened.
    Escalated,
    /// No, but an incident for this alarm was already open.
    AlreadyEscalated,
}

/// What replaces the prompt once answered: coloured title, the response text, who and when.
pub fn answered(outcome: Outcome, response: &str, user_id: &str, when: &str, issue_url: &str) -> Value {
    let (colour, title) = match outcome {
        Outcome::Acknowledged => (ACKNOWLEDGED_COLOUR, "Dispatch alert acknowledged"),
        Outcome::Escalated => (ESCALATED_COLOUR, "Dispatch alert escalated"),
        Outcome::AlreadyEscalated => (ESCALATED_COLOUR, "Dispatch alert already escalated"),
    };
    let user: String = user_id.chars().filter(char::is_ascii_alphanumeric).collect();
    let footer = format!("Answered by <@{user}> at {} · <{issue_url}|GitHub issue>", escape(when));
    json!({
        "replace_original": true,
        "text": format!("{title}: {response}"),
        "attachments": [{
            "color": colour,
            "blocks": [section(&format!("*{title}*\n{response}")), context(&footer)],
        }],
    })
}

/// An answer only the clicking user sees, leaving the prompt as it is.
pub fn ephemeral(text: &str) -> Value {
    json!({ "response_type": "ephemeral", "replace_original": false, "text": text })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prompt() -> Prompt {
        Prompt {
            message: "2FA disabled".into(),
            prompt: "Was it you?".into(),
            yes: "Yes".into(),
            no: "No".into(),
            yes_response: None,
            no_response: None,
        }
    }

    #[test]
    fn the_prompt_has_the_message_link_question_and_two_styled_buttons() {
        let message = self_service_prompt(&prompt(), "https://github.com/acme/a/issues/4", 4, "{\"v\":1}");
        assert_eq!(message.text, "2FA disabled\nhttps://github.com/acme/a/issues/4\nWas it you?");
        let actions = &message.blocks[3];
        assert_eq!(actions["block_id"], PROMPT_BLOCK);
        let buttons = actions["elements"].as_array().unwrap();
        assert_eq!(
            (buttons[0]["action_id"].as_str(), buttons[0]["style"].as_str()),
            (Some(YES_ACTION), Some("primary"))
        );
        assert_eq!((buttons[1]["action_id"].as_str(), buttons[1]["style"].as_str()), (Some(NO_ACTION), Some("danger")));
        assert!(buttons.iter().all(|b| b["value"] == "{\"v\":1}"));
        assert_eq!(message.blocks[1]["elements"][0]["text"], "<https://github.com/acme/a/issues/4|GitHub issue #4>");
    }

    #[test]
    fn long_texts_are_split_into_sections_slack_accepts() {
        let line = "x".repeat(999);
        let text = [line.as_str(); 7].join("\n");
        let message = text_message(&text);
        assert_eq!(message.blocks.len(), 3);
        for block in &message.blocks {
            assert!(block["text"]["text"].as_str().unwrap().chars().count() <= SECTION_MAX);
        }
        let rejoined: Vec<&str> = message.blocks.iter().map(|b| b["text"]["text"].as_str().unwrap()).collect();
        assert_eq!(rejoined.join("\n"), text);
        let unbroken = "é".repeat(7000);
        let blocks = text_message(&unbroken).blocks;
        assert_eq!(blocks.len(), 3);
        assert_eq!(blocks.iter().map(|b| b["text"]["text"].as_str().unwrap()).collect::<String>(), unbroken);
    }

    #[test]
    fn the_channel_fallback_has_no_buttons() {
        let message = prompt_without_buttons(&prompt(), "https://x/1", 1);
        assert!(message.blocks.iter().all(|b| b["type"] != "actions"));
    }

    #[test]
    fn composed_notices_escape_slack_control_characters() {
        let notice = missing_slack_id_notice(&RequestId::parse("r1").unwrap(), Some("<!channel>"));
        assert_eq!(
            notice.text,
            "Dispatch r1: user &lt;!channel&gt; has no Slack ID in the alarm, so the message above was posted here instead of as a direct message."
        );
    }

    #[test]
    fn answered_prompts_are_green_or_red() {
        let yes = answered(Outcome::Acknowledged, "Thanks", "U1", "2026-11-27 10:00 UTC", "https://x/1");
        assert_eq!(yes["attachments"][0]["color"], "#008E00");
        assert_eq!(yes["replace_original"], true);
        assert!(yes["text"].as_str().unwrap().starts_with("Dispatch alert acknowledged"));
        let no = answered(Outcome::Escalated, "Paged", "U1", "now", "https://x/1");
        assert_eq!(no["attachments"][0]["color"], "#CC0000");
        assert!(no["text"].as_str().unwrap().starts_with("Dispatch alert escalated"));
    }
}
