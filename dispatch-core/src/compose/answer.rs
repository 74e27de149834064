//! Dispatch's Slack replies to a click: what replaces a prompt once answered, and the ephemeral
//! answers only the clicking user sees.

use serde_json::{Value, json};

use super::text::{LINK_URL_MAX, NAME_MAX, Style, TEXT_ROOM, clip, context, cut_note, escape, is_blank, sections};
use super::{ACKNOWLEDGED_COLOUR, BLOCKS_MAX, ESCALATED_COLOUR, TEXT_MAX};

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
    let user: String = user_id.chars().filter(char::is_ascii_alphanumeric).take(NAME_MAX).collect();
    let issue = if is_blank(issue_url) || issue_url.chars().count() > LINK_URL_MAX {
        "GitHub issue".to_owned()
    } else {
        format!("<{issue_url}|GitHub issue>")
    };
    let footer = format!("Answered by <@{user}> at {} · {issue}", escape(&clip(when, NAME_MAX)));
    let mut blocks = sections(
        &format!("*{title}*\n{response}"),
        Style::Plain,
        BLOCKS_MAX - 1,
        TEXT_ROOM,
        &cut_note("the GitHub issue"),
    );
    blocks.push(context(&footer));
    json!({
        "replace_original": true,
        "text": clip(&format!("{title}: {response}"), TEXT_MAX),
        "attachments": [{ "color": colour, "blocks": blocks }],
    })
}

/// An answer only the clicking user sees, leaving the prompt as it is.
pub fn ephemeral(text: &str) -> Value {
    json!({ "response_type": "ephemeral", "replace_original": false, "text": clip(text, TEXT_MAX) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answered_prompts_are_green_or_red() {
        let yes = answered(Outcome::Acknowledged, "Thanks", "U1", "2026-11-27 10:00 UTC", "https://x/1");
        assert_eq!(yes["attachments"][0]["color"], "#008E00");
        assert_eq!(yes["replace_original"], true);
        assert!(yes["text"].as_str().unwrap().starts_with("Dispatch alert acknowledged"));
        assert_eq!(yes["attachments"][0]["blocks"][0]["text"]["text"], "*Dispatch alert acknowledged*\nThanks");
        let no = answered(Outcome::Escalated, "Paged", "U1", "now", "https://x/1");
        assert_eq!(no["attachments"][0]["color"], "#CC0000");
        assert!(no["text"].as_str().unwrap().starts_with("Dispatch alert escalated"));
    }
}
