//! The Slack messages Dispatch sends, as Block Kit: the self-service prompt, the broadcast/nag DM,
//! the missing-Slack-id notice, the error notice, and what replaces a prompt once it is answered.
//! Texts Dispatch composes escape Slack's control characters; the sender's own texts are mrkdwn.
//!
//! Every builder keeps within Slack's documented limits (DESIGN.md §7d, §7i) whatever the texts it
//! is given, because Slack refuses a whole message (`invalid_blocks`) for one block out of bounds:
//! sections hold 1–3,000 characters and never only whitespace, a message holds at most 50 blocks,
//! button texts at most 75 characters and values at most 2,000. Slack also refuses a message whose
//! blocks hold more than about 12,000 characters of text in all (`msg_blocks_too_long`,
//! undocumented), so the blocks hold at most [`BLOCKS_TEXT_MAX`]. A text that would need more
//! blocks or characters is cut, ending with a note that the full text is on the GitHub issue (which
//! always has it). The `text` fallback, used only in notifications, is cut to
//! [`FALLBACK_TEXT_MAX`]. Characters are Unicode scalar values.

use std::borrow::Cow;

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

/// Most characters in one section block (and in one context element).
pub const SECTION_MAX: usize = 3000;
/// Most blocks in one message (or one attachment).
pub const BLOCKS_MAX: usize = 50;
/// Most characters in a button's text.
pub const BUTTON_TEXT_MAX: usize = 75;
/// Most characters in a button's value.
pub const BUTTON_VALUE_MAX: usize = 2000;
/// Most characters in a message's top-level `text` (Slack truncates beyond).
pub const TEXT_MAX: usize = 40_000;
/// Most characters of text in all the blocks of a message Dispatch builds: under the ~12,000 at
/// which Slack refuses a message with `msg_blocks_too_long` (slackapi/bolt-js#2509, #2867), with
/// room to spare for what Slack counts that Dispatch does not know of.
pub const BLOCKS_TEXT_MAX: usize = 10_000;
/// Most characters in the `text` fallback of a message with blocks (shown only in notifications;
/// Slack has refused long ones with `msg_too_long`).
pub const FALLBACK_TEXT_MAX: usize = 3_000;
/// Characters of [`BLOCKS_TEXT_MAX`] kept for what Dispatch adds around a sender's texts: the
/// issue link, the cut notes, bold markers.
const FRAME_CHARS: usize = 800;

/// Longest issue URL made into a link; a longer one is named without a link.
const LINK_URL_MAX: usize = 2000;
/// Longest name, id or code quoted in a composed notice.
const NAME_MAX: usize = 100;
/// Default button texts, for a blank one.
const DEFAULT_YES: &str = "Yes";
const DEFAULT_NO: &str = "No";

/// Escapes `&`, `<` and `>` so a composed text cannot form links or mentions.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Whether a text shows nothing: only whitespace, control characters and invisible format
/// characters (Unicode's default-ignorable code points). Slack refuses a section of only
/// whitespace, so Dispatch leaves such pieces out.
pub fn is_blank(text: &str) -> bool {
    text.chars().all(|c| c.is_whitespace() || c.is_control() || is_invisible(c))
}

/// Unicode's default-ignorable code points (DerivedCoreProperties.txt), which render as nothing.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFF8}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// The first `max` characters of `text`.
fn prefix(text: &str, max: usize) -> &str {
    text.char_indices().nth(max).map_or(text, |(i, _)| &text[..i])
}

/// `text` cut to at most `max` characters (`max` ≥ 1), ending with `…` when cut.
fn clip(text: &str, max: usize) -> Cow<'_, str> {
    if text.char_indices().nth(max).is_none() {
        return Cow::Borrowed(text);
    }
    Cow::Owned(format!("{}…", prefix(text, max - 1)))
}

/// Pieces of `text` of at most `max` characters (`max` ≥ 1), cut at the last line end that falls
/// within a piece (the line end itself is dropped), else after `max` characters. Pieces that show
/// nothing are left out, so none is empty.
fn pieces(text: &str, max: usize) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        while !rest.is_empty() {
            let (piece, next) = match rest.char_indices().nth(max) {
                None => (rest, ""),
                Some((limit, c)) => {
                    let line_end = if c == '\n' { Some(limit) } else { rest[..limit].rfind('\n') };
                    match line_end {
                        Some(line_end) => (&rest[..line_end], &rest[line_end + 1..]),
                        None => (&rest[..limit], &rest[limit..]),
                    }
                }
            };
            rest = next;
            if !is_blank(piece) {
                return Some(piece);
            }
        }
        None
    })
}

fn section(text: &str) -> Value {
    json!({ "type": "section", "text": { "type": "mrkdwn", "text": text } })
}

/// How a text is shown in its sections.
#[derive(Debug, Clone, Copy)]
enum Style {
    /// As it is.
    Plain,
    /// Each section in bold (`*…*`).
    Bold,
}

impl Style {
    /// Characters of the text one section holds.
    fn room(self) -> usize {
        match self {
            Self::Plain => SECTION_MAX,
            Self::Bold => SECTION_MAX - 2,
        }
    }

    fn section(self, piece: &str) -> Value {
        match self {
            Self::Plain => section(piece),
            Self::Bold => section(&format!("*{piece}*")),
        }
    }
}

/// How many sections `text` needs, counting up to `max + 1`.
fn sections_needed(text: &str, style: Style, max: usize) -> usize {
    pieces(text, style.room()).take(max + 1).count()
}

/// As many sections as `text` needs, split at line ends where possible, in at most `max` blocks
/// holding at most `max_chars` characters of it: a text that needs more is cut (to `max - 1`
/// sections, or to `max_chars`) and ends with `cut_note`.
fn sections(text: &str, style: Style, max: usize, max_chars: usize, cut_note: &str) -> Vec<Value> {
    let kept = prefix(text, max_chars);
    let mut blocks: Vec<Value> = pieces(kept, style.room()).take(max + 1).map(|p| style.section(p)).collect();
    let too_long = kept.len() < text.len() && !is_blank(&text[kept.len()..]);
    if blocks.len() > max || too_long {
        blocks.truncate(max.saturating_sub(1));
        if max > 0 {
            blocks.push(context(cut_note));
        }
    }
    blocks
}

/// A context block of one mrkdwn element (cut to Slack's 3,000 characters).
fn context(text: &str) -> Value {
    json!({ "type": "context", "elements": [{ "type": "mrkdwn", "text": clip(text, SECTION_MAX) }] })
}

fn issue_link(issue_url: &str, number: u64) -> String {
    if is_blank(issue_url) || issue_url.chars().count() > LINK_URL_MAX {
        return format!("GitHub issue #{number}");
    }
    format!("<{issue_url}|GitHub issue #{number}>")
}

/// The note that ends a text cut to fit Slack's limits.
fn cut_note(issue: &str) -> String {
    format!("_Cut here: a Slack message holds only so much. The full text is on {issue}._")
}

fn button(action_id: &str, text: &str, default_text: &str, style: &str, value: &str) -> Value {
    let text = if is_blank(text) { Cow::Borrowed(default_text) } else { clip(text, BUTTON_TEXT_MAX) };
    let mut button = json!({
        "type": "button",
        "action_id": action_id,
        "text": { "type": "plain_text", "text": text, "emoji": true },
        "style": style,
    });
    // `Callback::encode` keeps values within the limit; a longer one is cut (and triage will
    // refuse it as unreadable) rather than have Slack refuse the whole message.
    if !value.is_empty() {
        button["value"] = json!(prefix(value, BUTTON_VALUE_MAX));
    }
    button
}

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
    let budget = BLOCKS_TEXT_MAX - FRAME_CHARS;
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
    let blocks = sections(text, Style::Plain, BLOCKS_MAX, BLOCKS_TEXT_MAX - FRAME_CHARS, &cut_note("the GitHub issue"));
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
        BLOCKS_TEXT_MAX - FRAME_CHARS,
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
