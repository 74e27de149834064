//! Dispatch's Slack messages about an alarm: the self-service prompt (with or without buttons),
//! the broadcast and nag DM, and the notices in the default channel.

use serde_json::{Value, json};

use super::text::{
    NAME_MAX, Style, TEXT_ROOM, button, clip, context, cut_note, escape, issue_link, section, sections, sections_needed,
};
use super::{BLOCKS_MAX, FALLBACK_TEXT_MAX, NO_ACTION, PROMPT_BLOCK, SECTION_MAX, YES_ACTION};
use crate::ids::RequestId;
use crate::message::Prompt;
use crate::slack::SlackMessage;

/// Default button texts, for a blank one.
const DEFAULT_YES: &str = "Yes";
const DEFAULT_NO: &str = "No";

/// The message, the issue link, the prompt and a last block, within [`BLOCKS_MAX`]: when the
/// message and the prompt together need too many sections, each keeps at least half of the room.
fn prompt_blocks(prompt: &Prompt, issue_url: &str, issue_number: u64, last: Value) -> Vec<Value> {
    let link = issue_link(issue_url, issue_number);
    let room = BLOCKS_MAX - 2;
    let message_needs = sections_needed(&prompt.message, Style::Plain, room);
    let prompt_needs = sections_needed(&prompt.prompt, Style::Bold, room);
    let prompt_room = if message_needs + prompt_needs <= room {
        prompt_needs
    } else {
        prompt_needs.min((room / 2).max(room.saturating_sub(message_needs)))
    };
    // Characters likewise: the prompt keeps at least half, or all the message leaves.
    let budget = TEXT_ROOM;
    let prompt_chars =
        prompt.prompt.chars().count().min((budget / 2).max(budget.saturating_sub(prompt.message.chars().count())));
    let note = cut_note(&link);
    [
        sections(&prompt.message, Style::Plain, room - prompt_room, budget - prompt_chars, &note),
        vec![context(&link)],
        sections(&prompt.prompt, Style::Bold, prompt_room, prompt_chars, &note),
        vec![last],
    ]
    .concat()
}

fn prompt_text(prompt: &Prompt, issue_url: &str) -> String {
    clip(&format!("{}\n{}\n{}", prompt.message, issue_url, prompt.prompt), FALLBACK_TEXT_MAX).into_owned()
}

/// The self-service DM: the message, a link to the issue, the prompt, Yes (`primary`) and No
/// (`danger`) buttons carrying `callback_value`.
pub fn self_service_prompt(prompt: &Prompt, issue_url: &str, issue_number: u64, callback_value: &str) -> SlackMessage {
    let actions = json!({
        "type": "actions",
        "block_id": PROMPT_BLOCK,
        "elements": [
            button(YES_ACTION, &prompt.yes, DEFAULT_YES, "primary", callback_value),
            button(NO_ACTION, &prompt.no, DEFAULT_NO, "danger", callback_value),
        ],
    });
    SlackMessage {
        text: prompt_text(prompt, issue_url),
        blocks: prompt_blocks(prompt, issue_url, issue_number, actions),
    }
}

/// A self-service alarm posted to the shared default channel: no buttons, so nobody else can
/// answer for the user.
pub fn prompt_without_buttons(prompt: &Prompt, issue_url: &str, issue_number: u64) -> SlackMessage {
    let note = "No buttons here: this alarm could not be sent as a direct message. Answer it on the GitHub issue.";
    SlackMessage {
        text: prompt_text(prompt, issue_url),
        blocks: prompt_blocks(prompt, issue_url, issue_number, context(note)),
    }
}

/// The broadcast and nag DM: the message only. A message that shows nothing says so, since Slack
/// refuses a post with neither text nor blocks.
pub fn text_message(text: &str) -> SlackMessage {
    let blocks = sections(text, Style::Plain, BLOCKS_MAX, TEXT_ROOM, &cut_note("the GitHub issue"));
    if blocks.is_empty() {
        let empty = "(This alarm has no message text.)";
        return SlackMessage { text: empty.to_owned(), blocks: vec![context(empty)] };
    }
    SlackMessage { text: clip(text, FALLBACK_TEXT_MAX).into_owned(), blocks }
}

/// The notice in the default channel that a user's Slack id was missing.
pub fn missing_slack_id_notice(request_id: &RequestId, user: Option<&str>) -> SlackMessage {
    let who = user.map_or_else(|| "a recipient".to_owned(), |u| format!("user {}", escape(&clip(u, NAME_MAX))));
    let text = format!(
        "Dispatch {}: {who} has no Slack ID in the alarm, so the message above was posted here instead of as a direct message.",
        escape(&clip(request_id.as_str(), NAME_MAX))
    );
    SlackMessage { blocks: vec![context(&text)], text }
}

/// The notice in the default channel that the user an alarm addressed by `email` could not be
/// messaged: `why` says what the lookup found (see [`crate::routing::Unreachable::describe`]).
pub fn email_not_found_notice(request_id: &RequestId, email: &str, why: &str) -> SlackMessage {
    let text = format!(
        "Dispatch {}: no Slack user to message was found for {} ({}), so the message above was posted here instead of as a direct message.",
        escape(&clip(request_id.as_str(), NAME_MAX)),
        escape(&clip(email, crate::ids::Email::MAX)),
        escape(&clip(why, NAME_MAX))
    );
    SlackMessage { blocks: vec![context(&text)], text }
}

/// The notice in the default channel that a DM could not be delivered.
pub fn delivery_error_notice(request_id: &RequestId, recipient: &str, code: &str) -> SlackMessage {
    let text = format!(
        "Dispatch {}: the direct message to {} failed ({}). Dispatch will retry; check the alarm's Slack ID.",
        escape(&clip(request_id.as_str(), NAME_MAX)),
        escape(&clip(recipient, NAME_MAX)),
        escape(&clip(code, NAME_MAX))
    );
    SlackMessage { blocks: vec![section(&clip(&format!(":warning: {text}"), SECTION_MAX))], text }
}

#[cfg(test)]
mod tests {
    use super::super::text::{FRAME_CHARS, Style, cut_note, sections};
    use super::super::{BLOCKS_TEXT_MAX, BUTTON_TEXT_MAX, BUTTON_VALUE_MAX};
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

    fn texts(blocks: &[Value]) -> Vec<&str> {
        blocks.iter().filter(|b| b["type"] == "section").map(|b| b["text"]["text"].as_str().unwrap()).collect()
    }

    #[test]
    fn the_prompt_has_the_message_link_question_and_two_styled_buttons() {
        let message = self_service_prompt(&prompt(), "https://github.com/acme/a/issues/4", 4, "{\"v\":1}");
        assert_eq!(message.text, "2FA disabled\nhttps://github.com/acme/a/issues/4\nWas it you?");
        assert_eq!(texts(&message.blocks), ["2FA disabled", "*Was it you?*"]);
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
        assert_eq!(texts(&message.blocks).join("\n"), text);
        let unbroken = "é".repeat(7000);
        let blocks = text_message(&unbroken).blocks;
        assert_eq!(blocks.len(), 3);
        assert_eq!(texts(&blocks).concat(), unbroken);
    }

    #[test]
    fn a_text_of_3000_characters_and_a_line_end_is_one_full_section() {
        let text = format!("{}\n", "é".repeat(SECTION_MAX));
        let message = text_message(&text);
        assert_eq!(texts(&message.blocks), [&text[..text.len() - 1]]);
    }

    #[test]
    fn pieces_that_show_nothing_never_become_sections() {
        let a = "a".repeat(SECTION_MAX);
        let text = format!("{a}\n{}\nb", " ".repeat(SECTION_MAX));
        assert_eq!(texts(&text_message(&text).blocks), [a.as_str(), "b"]);
        let invisible = text_message("\u{200b} \t\n\r\n");
        assert_eq!(invisible.blocks.len(), 1);
        assert_eq!(invisible.blocks[0]["elements"][0]["text"], "(This alarm has no message text.)");
    }

    fn text_chars(blocks: &[Value]) -> usize {
        blocks
            .iter()
            .map(|b| {
                b["text"]["text"].as_str().map_or(0, |t| t.chars().count())
                    + b["elements"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|e| e["text"].as_str().map_or(0, |t| t.chars().count()))
                        .sum::<usize>()
            })
            .sum()
    }

    #[test]
    fn a_text_too_long_for_one_message_is_cut_and_ends_with_a_note() {
        let text = vec!["x".repeat(1600); 60].join("\n");
        let blocks = text_message(&text).blocks;
        assert!(text_chars(&blocks) <= BLOCKS_TEXT_MAX, "{}", text_chars(&blocks));
        assert!(texts(&blocks).concat().chars().count() >= BLOCKS_TEXT_MAX - FRAME_CHARS - 1600, "cut near the limit");
        assert_eq!(
            blocks.last().unwrap()["elements"][0]["text"],
            "_Cut here: a Slack message holds only so much. The full text is on the GitHub issue._"
        );
        let mut long = prompt();
        long.message = text.clone();
        long.prompt = text;
        let message = self_service_prompt(&long, "https://x/1", 1, "v");
        assert!(text_chars(&message.blocks) <= BLOCKS_TEXT_MAX, "{}", text_chars(&message.blocks));
        assert_eq!(message.blocks.last().unwrap()["type"], "actions");
        // The message and the prompt keep half the room each, and each ends with the note.
        let link =
            message.blocks.iter().position(|b| b["elements"][0]["text"] == "<https://x/1|GitHub issue #1>").unwrap();
        let note = cut_note("<https://x/1|GitHub issue #1>");
        assert_eq!(message.blocks[link - 1]["elements"][0]["text"], note.as_str());
        assert_eq!(message.blocks[message.blocks.len() - 2]["elements"][0]["text"], note.as_str());
    }

    #[test]
    fn a_text_of_many_short_pieces_is_still_held_to_50_blocks() {
        let pieces = sections(&vec!["y\n"; 80].concat(), Style::Plain, BLOCKS_MAX, BLOCKS_TEXT_MAX, "note");
        // Each piece is as long as a section allows, so 80 short lines make one section here; the
        // block limit itself is checked with a room of 3 blocks.
        assert_eq!(pieces.len(), 1);
        let three = sections(&vec!["z".repeat(3000); 5].join("\n"), Style::Plain, 3, BLOCKS_TEXT_MAX, "note");
        assert_eq!(three.len(), 3);
        assert_eq!(three[2]["elements"][0]["text"], "note");
    }

    #[test]
    fn button_texts_are_cut_to_75_characters_and_blank_ones_get_the_defaults() {
        let mut odd = prompt();
        odd.yes = "y".repeat(100);
        odd.no = " \n".into();
        let message = self_service_prompt(&odd, "https://x/1", 1, &"v".repeat(2500));
        let buttons = message.blocks[3]["elements"].as_array().unwrap();
        let yes = buttons[0]["text"]["text"].as_str().unwrap();
        assert_eq!((yes.chars().count(), yes.ends_with('…')), (BUTTON_TEXT_MAX, true));
        assert_eq!(buttons[1]["text"]["text"], "No");
        assert_eq!(buttons[0]["value"].as_str().unwrap().len(), BUTTON_VALUE_MAX);
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
    fn the_email_not_found_notice_names_the_address_escaped() {
        let notice =
            email_not_found_notice(&RequestId::parse("r1").unwrap(), "<!here>@x", "no Slack user has this address");
        assert_eq!(
            notice.text,
            "Dispatch r1: no Slack user to message was found for &lt;!here&gt;@x (no Slack user has this address), so the message above was posted here instead of as a direct message."
        );
        assert_eq!(notice.blocks[0]["elements"][0]["text"], notice.text);
    }
}
