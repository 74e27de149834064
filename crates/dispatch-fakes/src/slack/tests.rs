//! Tests of the fake Slack: what it refuses as Slack does, and the click payloads it builds.

use std::collections::HashMap;

use serde_json::json;

use super::*;
use crate::server::Incoming;
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

pub(super) fn request(method: &str, path: &str, body: &Value) -> Incoming {
    let headers = [("authorization".to_owned(), "Bearer xoxb-test".to_owned())].into();
    Incoming::for_test(method, path, body, headers)
}

/// Sends `body` to the fake's route at `path`; its status and JSON answer.
pub(super) async fn send(slack: &FakeSlack, path: &str, body: &Value) -> (u16, Value) {
    let response = handle(&slack.state, request("POST", path, body)).await;
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_post_whose_blocks_hold_too_much_text_together_is_refused_as_slack_does() {
    let slack = FakeSlack::start().await.unwrap();
    let sections: Vec<Value> =
        (0..5).map(|_| json!({ "type": "section", "text": { "type": "mrkdwn", "text": "x".repeat(2_500) } })).collect();
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
    assert_eq!(
        (valid.0, &valid.1["ok"], &valid.1["channel"], &valid.1["ts"]),
        (200, &json!(true), &json!("D012ABCDEF"), &json!("1764200000.000001"))
    );
    assert_eq!(slack.messages().len(), 1);
    assert_eq!(valid.1["message"], stored_message(&slack.messages()[0]), "Slack answers with the stored message");
}

#[tokio::test]
async fn a_response_with_invalid_blocks_even_inside_an_attachment_is_refused_with_400_and_not_recorded() {
    let slack = FakeSlack::start().await.unwrap();
    let bad = json!({ "replace_original": true, "text": "t", "attachments": [{ "color": "#008E00", "blocks": [section(" ")] }] });
    let bad_top = json!({ "text": "t", "blocks": [{ "type": "context", "elements": [] }] });
    let good = json!({ "replace_original": true, "text": "t", "attachments": [{ "color": "#008E00", "blocks": [section("*Acknowledged*")] }] });

    assert_eq!(send(&slack, "/response/click-1", &bad).await, (400, json!({ "ok": false, "error": "invalid_blocks" })));
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
    assert_eq!(without_slacks_additions(message["blocks"].clone()), posted.blocks, "the echo is the posted message");
    assert!(message["blocks"].as_array().unwrap().iter().all(|b| b["block_id"].is_string()), "Slack names every block");
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
    let yes = legacy_interactive_message_payload("eyJnaXRodWIiOjF9", "yes", Some("false"), "U012ABCDEF", "alice", url);
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
