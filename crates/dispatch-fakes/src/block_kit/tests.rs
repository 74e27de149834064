//! Tests of the Block Kit checks: each limit refused one past it and accepted at it.

use serde_json::json;

use super::*;

fn section(text: &str) -> Value {
    json!({ "type": "section", "text": { "type": "mrkdwn", "text": text } })
}

fn button(text: &str, value: &str) -> Value {
    json!({ "type": "button", "action_id": "a", "text": { "type": "plain_text", "text": text, "emoji": true }, "value": value })
}

fn actions(elements: Vec<Value>) -> Value {
    json!({ "type": "actions", "block_id": "b", "elements": elements })
}

#[test]
fn a_message_like_dispatchs_prompt_is_accepted() {
    let blocks = json!([
        section("2FA disabled"),
        { "type": "context", "elements": [{ "type": "mrkdwn", "text": "<https://x/1|GitHub issue #1>" }] },
        section("*Was it you?*"),
        { "type": "actions", "block_id": "dispatch_prompt", "elements": [
            { "type": "button", "action_id": "dispatch_yes", "style": "primary", "value": "{}", "text": { "type": "plain_text", "text": "Yes", "emoji": true } },
            { "type": "button", "action_id": "dispatch_no", "style": "danger", "value": "{}", "text": { "type": "plain_text", "text": "No", "emoji": true } },
        ] },
    ]);
    assert_eq!(check_blocks(&blocks), Ok(()));
    assert_eq!(check_blocks(&json!([])), Ok(()));
}

#[test]
fn sections_hold_one_to_3000_characters_that_show_something() {
    assert_eq!(check_blocks(&json!([section(&"é".repeat(3000))])), Ok(()));
    assert_eq!(
        check_blocks(&json!([section(&"é".repeat(3001))])),
        Err("must be less than 3001 characters [json-pointer:/blocks/0/text/text]".to_owned())
    );
    for blank in ["", " ", "\n", " \t\r\n", "\u{3000}"] {
        assert!(check_blocks(&json!([section("ok"), section(blank)])).unwrap_err().contains("/blocks/1/text/text"));
    }
    let wrong_type = json!([{ "type": "section", "text": { "type": "markdown", "text": "x" } }]);
    assert!(check_blocks(&wrong_type).unwrap_err().contains("/blocks/0/text/type"));
    assert!(check_blocks(&json!([{ "type": "section" }])).is_err());
}

#[test]
fn a_message_holds_at_most_50_blocks() {
    let blocks: Vec<Value> = (0..50).map(|_| section("x")).collect();
    assert_eq!(check_blocks(&json!(blocks)), Ok(()));
    let blocks: Vec<Value> = (0..51).map(|_| section("x")).collect();
    assert_eq!(check_blocks(&json!(blocks)), Err("no more than 50 items allowed [json-pointer:/blocks]".to_owned()));
    assert!(check_blocks(&json!({ "type": "section" })).is_err(), "blocks must be an array");
}

#[test]
fn buttons_have_a_text_of_at_most_75_characters_and_a_value_of_at_most_2000() {
    assert_eq!(check_blocks(&json!([actions(vec![button(&"y".repeat(75), &"v".repeat(2000))])])), Ok(()));
    let long_text = check_blocks(&json!([actions(vec![button(&"y".repeat(76), "v")])])).unwrap_err();
    assert!(long_text.contains("/blocks/0/elements/0/text/text"), "{long_text}");
    let long_value = check_blocks(&json!([actions(vec![button("Yes", &"v".repeat(2001))])])).unwrap_err();
    assert!(long_value.contains("/blocks/0/elements/0/value"), "{long_value}");
    assert!(check_blocks(&json!([actions(vec![button(" ", "v")])])).is_err());
    let mrkdwn = json!({ "type": "button", "text": { "type": "mrkdwn", "text": "Yes" } });
    assert!(check_blocks(&json!([actions(vec![mrkdwn])])).is_err());
    let styled = json!({ "type": "button", "style": "green", "text": { "type": "plain_text", "text": "Yes" } });
    assert!(check_blocks(&json!([actions(vec![styled])])).is_err());
}

#[test]
fn ids_are_at_most_255_characters_and_unique() {
    let long_action =
        json!({ "type": "button", "action_id": "a".repeat(256), "text": { "type": "plain_text", "text": "Y" } });
    assert!(check_blocks(&json!([actions(vec![long_action])])).unwrap_err().contains("action_id"));
    let long_block = json!({ "type": "divider", "block_id": "b".repeat(256) });
    assert!(check_blocks(&json!([long_block])).unwrap_err().contains("block_id"));
    assert!(check_blocks(&json!([actions(vec![button("Y", "1")]), actions(vec![button("N", "2")])])).is_err());
    assert!(check_blocks(&json!([actions(vec![button("Y", "1"), button("N", "2")])])).is_err());
}

#[test]
fn actions_hold_at_most_25_elements_and_contexts_at_most_10() {
    let buttons = |n: usize| {
        (0..n)
            .map(|i| json!({ "type": "button", "action_id": format!("a{i}"), "text": { "type": "plain_text", "text": "Y" } }))
            .collect::<Vec<_>>()
    };
    assert_eq!(check_blocks(&json!([actions(buttons(25))])), Ok(()));
    assert!(check_blocks(&json!([actions(buttons(26))])).is_err());
    assert!(check_blocks(&json!([actions(vec![])])).is_err());
    assert!(check_blocks(&json!([actions(vec![json!({ "text": "no type" })])])).is_err());
    let context =
        |n: usize| json!({ "type": "context", "elements": vec![json!({ "type": "mrkdwn", "text": "c" }); n] });
    assert_eq!(check_blocks(&json!([context(10)])), Ok(()));
    assert!(check_blocks(&json!([context(11)])).is_err());
    assert!(check_blocks(&json!([context(0)])).is_err());
}

#[test]
fn headers_hold_at_most_150_characters_of_plain_text() {
    let header = |kind: &str, text: &str| json!({ "type": "header", "text": { "type": kind, "text": text } });
    assert_eq!(check_blocks(&json!([header("plain_text", &"h".repeat(150))])), Ok(()));
    assert!(check_blocks(&json!([header("plain_text", &"h".repeat(151))])).is_err());
    assert!(check_blocks(&json!([header("mrkdwn", "h")])).is_err());
}

#[test]
fn blocks_inside_attachments_are_checked_too() {
    let body = json!({ "text": "t", "attachments": [{ "color": "#008E00", "blocks": [section("")] }] });
    assert_eq!(
        check_message(&body),
        Err("must be more than 0 characters [json-pointer:/attachments/0/blocks/0/text/text]".to_owned())
    );
    assert_eq!(check_message(&json!({ "text": "only text" })), Ok(()));
    assert!(check_blocks(&json!([{ "type": "carousel_of_dreams" }])).is_err());
}
