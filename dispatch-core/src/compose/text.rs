//! Building blocks of Dispatch's Slack messages: escaping, cutting texts to Slack's limits
//! ([`super`] lists them), sections, context blocks, the issue link and buttons.

use std::borrow::Cow;

use serde_json::{Value, json};

use super::{BLOCKS_TEXT_MAX, BUTTON_TEXT_MAX, BUTTON_VALUE_MAX, SECTION_MAX};

/// Characters of [`BLOCKS_TEXT_MAX`] kept for what Dispatch adds around a sender's texts: the
/// issue link, the cut notes, bold markers.
pub(super) const FRAME_CHARS: usize = 800;
/// Longest issue URL made into a link; a longer one is named without a link.
pub(super) const LINK_URL_MAX: usize = 2000;
/// Longest name, id or code quoted in a composed notice.
pub(super) const NAME_MAX: usize = 100;

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
pub(super) fn prefix(text: &str, max: usize) -> &str {
    text.char_indices().nth(max).map_or(text, |(i, _)| &text[..i])
}

/// `text` cut to at most `max` characters (`max` ≥ 1), ending with `…` when cut.
pub(super) fn clip(text: &str, max: usize) -> Cow<'_, str> {
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

pub(super) fn section(text: &str) -> Value {
    json!({ "type": "section", "text": { "type": "mrkdwn", "text": text } })
}

/// How a text is shown in its sections.
#[derive(Debug, Clone, Copy)]
pub(super) enum Style {
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
pub(super) fn sections_needed(text: &str, style: Style, max: usize) -> usize {
    pieces(text, style.room()).take(max + 1).count()
}

/// As many sections as `text` needs, split at line ends where possible, in at most `max` blocks
/// holding at most `max_chars` characters of it: a text that needs more is cut (to `max - 1`
/// sections, or to `max_chars`) and ends with `cut_note`. Pieces that show nothing are left out
/// and count for nothing, so blank padding never pushes out the text after it.
pub(super) fn sections(text: &str, style: Style, max: usize, max_chars: usize, cut_note: &str) -> Vec<Value> {
    let mut blocks = Vec::new();
    let mut budget = max_chars;
    let mut cut = false;
    for piece in pieces(text, style.room()) {
        if blocks.len() == max {
            cut = true;
            break;
        }
        let n = piece.chars().count();
        if n > budget {
            let kept = prefix(piece, budget);
            if !is_blank(kept) {
                blocks.push(style.section(kept));
            }
            cut = true;
            break;
        }
        budget -= n;
        blocks.push(style.section(piece));
    }
    if cut {
        blocks.truncate(max.saturating_sub(1));
        if max > 0 {
            blocks.push(context(cut_note));
        }
    }
    blocks
}

/// A context block of one mrkdwn element (cut to Slack's 3,000 characters).
pub(super) fn context(text: &str) -> Value {
    json!({ "type": "context", "elements": [{ "type": "mrkdwn", "text": clip(text, SECTION_MAX) }] })
}

pub(super) fn issue_link(issue_url: &str, number: u64) -> String {
    if is_blank(issue_url) || issue_url.chars().count() > LINK_URL_MAX {
        return format!("GitHub issue #{number}");
    }
    format!("<{issue_url}|GitHub issue #{number}>")
}

/// The note that ends a text cut to fit Slack's limits.
pub(super) fn cut_note(issue: &str) -> String {
    format!("_Cut here: a Slack message holds only so much. The full text is on {issue}._")
}

pub(super) fn button(action_id: &str, text: &str, default_text: &str, style: &str, value: &str) -> Value {
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

/// The room a sender's text has in the blocks of one message.
pub(super) const TEXT_ROOM: usize = BLOCKS_TEXT_MAX - FRAME_CHARS;

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(blocks: &[Value]) -> Vec<&str> {
        blocks.iter().filter_map(|b| b["text"]["text"].as_str()).collect()
    }

    #[test]
    fn blank_padding_past_the_character_budget_does_not_push_out_the_text_after_it() {
        let text = format!("{}\nx", " ".repeat(12_000));
        let blocks = sections(&text, Style::Plain, 50, 9_000, "cut");
        assert_eq!(shown(&blocks), ["x"]);
    }

    #[test]
    fn a_text_over_the_character_budget_keeps_its_start_and_ends_with_the_cut_note() {
        let text = "a".repeat(7_000);
        let blocks = sections(&text, Style::Plain, 50, 5_000, "cut");
        assert_eq!(shown(&blocks).concat(), "a".repeat(5_000));
        assert_eq!(blocks.last().unwrap()["type"], "context");
    }

    #[test]
    fn a_text_needing_more_sections_than_allowed_keeps_one_less_and_the_cut_note() {
        let text = ["a", "b", "c"].map(|c| c.repeat(SECTION_MAX)).join("\n");
        let blocks = sections(&text, Style::Plain, 2, 100_000, "cut");
        assert_eq!(shown(&blocks), ["a".repeat(SECTION_MAX)]);
        assert_eq!(blocks[1]["elements"][0]["text"], "cut");
    }
}
