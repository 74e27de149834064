//! How the sandbox shows things to people: Slack messages as a user would see them (mrkdwn
//! rendered, links spelled out, buttons drawn), GitHub Markdown comments, labelled and indented
//! blocks of text.

use serde_json::Value;

use crate::style::Paint;

/// Width of the left column that names the service.
pub const LABEL_WIDTH: usize = 11;

/// `label` padded to the label column, then `text`.
pub fn labelled(paint: Paint, label: &str, text: &str) -> String {
    format!("{}{}", paint.bold(format!("{label:<LABEL_WIDTH$}")), text)
}

/// Lines indented to the label column.
pub fn indented(text: &str) -> String {
    prefixed(text, &" ".repeat(LABEL_WIDTH))
}

/// Every line of `text` after `prefix`.
pub fn prefixed(text: &str, prefix: &str) -> String {
    text.lines().map(|line| format!("{prefix}{line}").trim_end().to_owned()).collect::<Vec<_>>().join("\n")
}

/// Lines behind a quote bar (already painted) in the label column.
pub fn quoted(bar: &str, text: &str) -> String {
    let gutter = format!("{}{bar}", " ".repeat(LABEL_WIDTH));
    text.lines()
        .map(|line| if line.trim().is_empty() { gutter.clone() } else { format!("{gutter} {}", line.trim_end()) })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Block Kit blocks as a Slack user sees them: sections and context in order, buttons at the end
/// of their row.
pub fn blocks(paint: Paint, blocks: &[Value]) -> String {
    let mut lines = Vec::new();
    for block in blocks {
        match block["type"].as_str() {
            Some("section") => {
                if let Some(text) = block["text"]["text"].as_str() {
                    lines.push(mrkdwn(paint, text));
                }
            }
            Some("context") => {
                let parts: Vec<String> = block["elements"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|e| e["text"].as_str())
                    .map(|t| paint.dim(mrkdwn(Paint::plain(), t)))
                    .collect();
                lines.push(parts.join("  "));
            }
            Some("actions") => {
                let buttons: Vec<String> = block["elements"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|e| e["type"] == "button")
                    .map(|b| button(paint, b["text"]["text"].as_str().unwrap_or("?"), b["style"].as_str()))
                    .collect();
                lines.push(buttons.join("  "));
            }
            Some("divider") => lines.push("───".to_owned()),
            _ => {}
        }
    }
    lines.join("\n")
}

/// A button: `[ text ]`, green for `primary`, red for `danger`.
pub fn button(paint: Paint, text: &str, style: Option<&str>) -> String {
    let drawn = format!("[ {text} ]");
    match style {
        Some("primary") => paint.green(paint.bold(drawn)),
        Some("danger") => paint.red(paint.bold(drawn)),
        _ => paint.bold(drawn),
    }
}

/// Slack mrkdwn as shown: `<url|label>` becomes `label (url)`, `<@U1>` `@U1`, `*bold*` bold, and
/// `&lt;` `&gt;` `&amp;` their characters.
pub fn mrkdwn(paint: Paint, text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>') else { break };
        out.push_str(&bold(paint, &rest[..open]));
        let inner = &rest[open + 1..open + close];
        out.push_str(&match inner.split_once('|') {
            Some((url, label)) => format!("{} ({url})", bold(paint, label)),
            None if inner.starts_with('@') || inner.starts_with('#') => inner.to_owned(),
            None if inner.starts_with('!') => format!("@{}", &inner[1..]),
            None => inner.to_owned(),
        });
        rest = &rest[open + close + 1..];
    }
    out.push_str(&bold(paint, rest));
    out.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

/// `*bold*` spans: an asterisk before a non-space opens, an asterisk after a non-space closes.
fn bold(paint: Paint, text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    loop {
        let open = rest.char_indices().find(|&(i, c)| {
            c == '*'
                && rest[..i].chars().last().is_none_or(|p| !p.is_alphanumeric())
                && rest[i + 1..].chars().next().is_some_and(|n| !n.is_whitespace() && n != '*')
        });
        let Some((open, _)) = open else { break };
        let after = &rest[open + 1..];
        let close = after.char_indices().find(|&(i, c)| {
            c == '*'
                && after[..i].chars().last().is_some_and(|p| !p.is_whitespace())
                && after[i + 1..].chars().next().is_none_or(|n| !n.is_alphanumeric())
        });
        let Some((close, _)) = close else { break };
        out.push_str(&rest[..open]);
        out.push_str(&paint.bold(&after[..close]));
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// GitHub Markdown of Dispatch's comments as read: HTML comments (markers) dropped, `**bold**`
/// bold, code spans plain.
pub fn markdown(paint: Paint, text: &str) -> String {
    let mut visible = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("<!--") {
        visible.push_str(&rest[..start]);
        rest = rest[start..].find("-->").map_or("", |end| &rest[start + end + 3..]);
    }
    visible.push_str(rest);
    let mut out = String::new();
    for (i, part) in visible.trim().split("**").enumerate() {
        out.push_str(&if i % 2 == 1 { paint.bold(part) } else { part.to_owned() });
    }
    out.replace('`', "")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn links_mentions_bold_and_entities_read_as_slack_shows_them() {
        let paint = Paint::plain();
        assert_eq!(
            mrkdwn(paint, "<https://x/1|GitHub issue #1> for <@U1> &amp; <!here>: *Was it you?*"),
            "GitHub issue #1 (https://x/1) for @U1 & @here: Was it you?"
        );
        assert_eq!(mrkdwn(paint, "2*3 = 6 and a*b*c stays"), "2*3 = 6 and a*b*c stays");
        assert_eq!(mrkdwn(paint, "a lone < sign"), "a lone < sign");
        let coloured = Paint::new(crate::args::ColorChoice::Always, false, false);
        assert_eq!(mrkdwn(coloured, "*Was it you?*"), "\x1b[1mWas it you?\x1b[0m");
    }

    #[test]
    fn a_prompt_shows_text_link_question_and_buttons() {
        let blocks = json!([
            { "type": "section", "text": { "type": "mrkdwn", "text": "2FA disabled" } },
            { "type": "context", "elements": [{ "type": "mrkdwn", "text": "<https://x/1|GitHub issue #1>" }] },
            { "type": "section", "text": { "type": "mrkdwn", "text": "*Was it you?*" } },
            { "type": "actions", "elements": [
                { "type": "button", "text": { "type": "plain_text", "text": "Yes" }, "style": "primary" },
                { "type": "button", "text": { "type": "plain_text", "text": "No" }, "style": "danger" }
            ] }
        ]);
        assert_eq!(
            super::blocks(Paint::plain(), blocks.as_array().unwrap()),
            "2FA disabled\nGitHub issue #1 (https://x/1)\nWas it you?\n[ Yes ]  [ No ]"
        );
    }

    #[test]
    fn comments_lose_their_markers_and_markdown() {
        let comment = "Slack user **alice** (`U1`) answered **yes**.\n\n<!-- dispatch:answer request=r1 -->";
        assert_eq!(markdown(Paint::plain(), comment), "Slack user alice (U1) answered yes.");
    }

    #[test]
    fn quoted_text_keeps_blank_lines_without_trailing_spaces() {
        assert_eq!(quoted("│", "a\n\nb"), format!("{0}│ a\n{0}│\n{0}│ b", " ".repeat(LABEL_WIDTH)));
    }
}
