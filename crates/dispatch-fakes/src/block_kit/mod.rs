//! Slack's documented Block Kit limits, checked the way Slack checks a message before accepting
//! it: one block out of bounds and the whole message is refused with `invalid_blocks`. Written from
//! Slack's reference, independently of Dispatch's builders, so that the fake does not trust the
//! code it tests. Characters are Unicode scalar values.

use std::collections::HashSet;

use serde_json::Value;

/// Most blocks in a message (or an attachment).
pub const MAX_BLOCKS: usize = 50;
/// Most characters in a text object (a section's `text`, a context element).
pub const MAX_TEXT: usize = 3000;
/// Most characters in a header's text.
pub const MAX_HEADER: usize = 150;
/// Most characters in a section field.
pub const MAX_FIELD: usize = 2000;
/// Most fields in a section.
pub const MAX_FIELDS: usize = 10;
/// Most elements in a context block.
pub const MAX_CONTEXT_ELEMENTS: usize = 10;
/// Most elements in an actions block.
pub const MAX_ACTIONS_ELEMENTS: usize = 25;
/// Most characters in a button's text.
pub const MAX_BUTTON_TEXT: usize = 75;
/// Most characters in a button's value.
pub const MAX_BUTTON_VALUE: usize = 2000;
/// Most characters in a button's or image's URL.
pub const MAX_URL: usize = 3000;
/// Most characters in an `action_id` or a `block_id`.
pub const MAX_ID: usize = 255;
/// Most characters of all `markdown` blocks together.
pub const MAX_MARKDOWN: usize = 12_000;
/// Most characters in a message's top-level `text`; Slack truncates beyond.
pub const MAX_MESSAGE_TEXT: usize = 40_000;
/// Most characters of text in all of a message's blocks together. Undocumented: Slack refuses more
/// with `msg_blocks_too_long` ("12,000 text characters with a buffer for block containers", Slack's
/// answer in slackapi/bolt-js#2509; refusals are reported from about 11,300 characters over
/// sections, bolt-js#2867). The fake refuses above 12,000, counting every `text` string.
pub const MAX_BLOCKS_TEXT: usize = 12_000;

/// The error (and Slack's code) for blocks whose texts are too long together.
pub const BLOCKS_TOO_LONG: &str = "msg_blocks_too_long";

/// Block types Slack knows in messages.
const KNOWN_BLOCKS: [&str; 12] = [
    "actions",
    "context",
    "divider",
    "file",
    "header",
    "image",
    "input",
    "markdown",
    "rich_text",
    "section",
    "table",
    "video",
];

/// Checks a message's `blocks` against Slack's documented limits. The error names the reason and
/// the JSON pointer of the offending field, the way Slack's `response_metadata.messages` does.
pub fn check_blocks(blocks: &Value) -> Result<(), String> {
    check_blocks_at(blocks, "/blocks")
}

/// Checks the blocks of a whole message body: top-level `blocks` and each `attachments[].blocks`.
/// An error starting with [`BLOCKS_TOO_LONG`] means the texts are too long together.
pub fn check_message(body: &Value) -> Result<(), String> {
    if let Some(blocks) = body.get("blocks").filter(|b| !b.is_null()) {
        check_blocks(blocks)?;
        let total = text_chars(blocks);
        if total > MAX_BLOCKS_TEXT {
            return Err(format!("{BLOCKS_TOO_LONG}: {total} characters of text in blocks"));
        }
    }
    if let Some(attachments) = body.get("attachments").and_then(Value::as_array) {
        for (i, attachment) in attachments.iter().enumerate() {
            if let Some(blocks) = attachment.get("blocks").filter(|b| !b.is_null()) {
                check_blocks_at(blocks, &format!("/attachments/{i}/blocks"))?;
            }
        }
    }
    Ok(())
}

fn fail<T>(reason: impl std::fmt::Display, pointer: &str) -> Result<T, String> {
    Err(format!("{reason} [json-pointer:{pointer}]"))
}

fn chars(text: &str) -> usize {
    text.chars().count()
}

/// Characters of every `text` string in a block tree.
pub fn text_chars(value: &Value) -> usize {
    match value {
        Value::Array(items) => items.iter().map(text_chars).sum(),
        Value::Object(map) => map
            .iter()
            .map(|(key, v)| match v {
                Value::String(text) if key == "text" => chars(text),
                other => text_chars(other),
            })
            .sum(),
        _ => 0,
    }
}

/// Whether a text shows nothing: empty, or whitespace and control characters only.
fn blank(text: &str) -> bool {
    text.chars().all(|c| c.is_whitespace() || c.is_control())
}

fn check_blocks_at(blocks: &Value, pointer: &str) -> Result<(), String> {
    let Some(blocks) = blocks.as_array() else { return fail("must be an array", pointer) };
    if blocks.len() > MAX_BLOCKS {
        return fail(format!("no more than {MAX_BLOCKS} items allowed"), pointer);
    }
    let mut block_ids = HashSet::new();
    let mut markdown = 0;
    for (i, block) in blocks.iter().enumerate() {
        let at = format!("{pointer}/{i}");
        let Some(kind) = block.get("type").and_then(Value::as_str) else {
            return fail("missing required field: type", &format!("{at}/type"));
        };
        if let Some(id) = block.get("block_id") {
            let id = check_string(id, 1, MAX_ID, &format!("{at}/block_id"))?;
            if !block_ids.insert(id.to_owned()) {
                return fail("duplicate block_id", &format!("{at}/block_id"));
            }
        }
        match kind {
            "section" => check_section(block, &at)?,
            "context" => check_context(block, &at)?,
            "actions" => check_actions(block, &at)?,
            "header" => {
                let text = required(block, "text", &at)?;
                check_text_object(text, &["plain_text"], MAX_HEADER, &format!("{at}/text"))?;
            }
            "image" => check_image(block, &at)?,
            "markdown" => {
                let text = check_string(required(block, "text", &at)?, 1, MAX_MARKDOWN, &format!("{at}/text"))?;
                markdown += chars(text);
                if markdown > MAX_MARKDOWN {
                    return fail(format!("markdown blocks together must be at most {MAX_MARKDOWN} characters"), &at);
                }
            }
            other if KNOWN_BLOCKS.contains(&other) => {}
            other => return fail(format!("unsupported type: {other}"), &format!("{at}/type")),
        }
    }
    Ok(())
}

fn required<'a>(object: &'a Value, key: &str, at: &str) -> Result<&'a Value, String> {
    match object.get(key) {
        Some(value) if !value.is_null() => Ok(value),
        _ => fail(format!("missing required field: {key}"), &format!("{at}/{key}")),
    }
}

/// A string of `min..=max` characters that, when `min` ≥ 1, shows something.
fn check_string<'a>(value: &'a Value, min: usize, max: usize, at: &str) -> Result<&'a str, String> {
    let Some(text) = value.as_str() else { return fail("must be a string", at) };
    let n = chars(text);
    if n < min || (min > 0 && blank(text)) {
        return fail(format!("must be more than {} characters", min - 1), at);
    }
    if n > max {
        return fail(format!("must be less than {} characters", max + 1), at);
    }
    Ok(text)
}

/// A text object: `{type, text}` with a type in `types` and 1..=`max` characters.
fn check_text_object(value: &Value, types: &[&str], max: usize, at: &str) -> Result<(), String> {
    if !value.is_object() {
        return fail("must be a text object", at);
    }
    let kind = check_string(required(value, "type", at)?, 1, MAX_ID, &format!("{at}/type"))?;
    if !types.contains(&kind) {
        return fail(format!("must be one of: {}", types.join(", ")), &format!("{at}/type"));
    }
    check_string(required(value, "text", at)?, 1, max, &format!("{at}/text"))?;
    Ok(())
}

fn check_section(block: &Value, at: &str) -> Result<(), String> {
    let text = block.get("text").filter(|t| !t.is_null());
    let fields = block.get("fields").filter(|f| !f.is_null());
    if text.is_none() && fields.is_none() {
        return fail("must provide either text or fields", at);
    }
    if let Some(text) = text {
        check_text_object(text, &["plain_text", "mrkdwn"], MAX_TEXT, &format!("{at}/text"))?;
    }
    if let Some(fields) = fields {
        let Some(fields) = fields.as_array().filter(|f| !f.is_empty()) else {
            return fail("must be a non-empty array", &format!("{at}/fields"));
        };
        if fields.len() > MAX_FIELDS {
            return fail(format!("no more than {MAX_FIELDS} items allowed"), &format!("{at}/fields"));
        }
        for (i, field) in fields.iter().enumerate() {
            check_text_object(field, &["plain_text", "mrkdwn"], MAX_FIELD, &format!("{at}/fields/{i}"))?;
        }
    }
    if let Some(accessory) = block.get("accessory").filter(|a| !a.is_null()) {
        check_element(accessory, &format!("{at}/accessory"))?;
    }
    Ok(())
}

fn check_context(block: &Value, at: &str) -> Result<(), String> {
    let elements = required(block, "elements", at)?;
    let Some(elements) = elements.as_array().filter(|e| !e.is_empty()) else {
        return fail("must be a non-empty array", &format!("{at}/elements"));
    };
    if elements.len() > MAX_CONTEXT_ELEMENTS {
        return fail(format!("no more than {MAX_CONTEXT_ELEMENTS} items allowed"), &format!("{at}/elements"));
    }
    for (i, element) in elements.iter().enumerate() {
        let at = format!("{at}/elements/{i}");
        match element.get("type").and_then(Value::as_str) {
            Some("plain_text" | "mrkdwn") => check_text_object(element, &["plain_text", "mrkdwn"], MAX_TEXT, &at)?,
            Some("image") => check_image_element(element, &at)?,
            Some(other) => return fail(format!("unsupported type: {other}"), &format!("{at}/type")),
            None => return fail("missing required field: type", &format!("{at}/type")),
        }
    }
    Ok(())
}

fn check_actions(block: &Value, at: &str) -> Result<(), String> {
    let elements = required(block, "elements", at)?;
    let Some(elements) = elements.as_array().filter(|e| !e.is_empty()) else {
        return fail("must be a non-empty array", &format!("{at}/elements"));
    };
    if elements.len() > MAX_ACTIONS_ELEMENTS {
        return fail(format!("no more than {MAX_ACTIONS_ELEMENTS} items allowed"), &format!("{at}/elements"));
    }
    let mut action_ids = HashSet::new();
    for (i, element) in elements.iter().enumerate() {
        let at = format!("{at}/elements/{i}");
        check_element(element, &at)?;
        if let Some(id) = element.get("action_id").and_then(Value::as_str)
            && !action_ids.insert(id)
        {
            return fail("duplicate action_id", &format!("{at}/action_id"));
        }
    }
    Ok(())
}

/// An interactive element: every one needs a type; buttons are checked in full.
fn check_element(element: &Value, at: &str) -> Result<(), String> {
    if !element.is_object() {
        return fail("must be an object", at);
    }
    let kind = check_string(required(element, "type", at)?, 1, MAX_ID, &format!("{at}/type"))?;
    if let Some(id) = element.get("action_id") {
        check_string(id, 1, MAX_ID, &format!("{at}/action_id"))?;
    }
    match kind {
        "button" => {
            check_text_object(required(element, "text", at)?, &["plain_text"], MAX_BUTTON_TEXT, &format!("{at}/text"))?;
            if let Some(value) = element.get("value") {
                check_string(value, 0, MAX_BUTTON_VALUE, &format!("{at}/value"))?;
            }
            if let Some(url) = element.get("url") {
                check_string(url, 1, MAX_URL, &format!("{at}/url"))?;
            }
            if let Some(style) = element.get("style")
                && !matches!(style.as_str(), Some("primary" | "danger"))
            {
                return fail("must be one of: primary, danger", &format!("{at}/style"));
            }
            Ok(())
        }
        "image" => check_image_element(element, at),
        _ => Ok(()),
    }
}

fn check_image_element(element: &Value, at: &str) -> Result<(), String> {
    if element.get("slack_file").is_none() {
        check_string(required(element, "image_url", at)?, 1, MAX_URL, &format!("{at}/image_url"))?;
    }
    check_string(required(element, "alt_text", at)?, 1, MAX_FIELD, &format!("{at}/alt_text"))?;
    Ok(())
}

fn check_image(block: &Value, at: &str) -> Result<(), String> {
    check_image_element(block, at)?;
    if let Some(title) = block.get("title") {
        check_text_object(title, &["plain_text"], MAX_FIELD, &format!("{at}/title"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
