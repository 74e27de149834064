//! Tests of the fake Slack's `chat.update` and thread replies: what it refuses as Slack does, and
//! what it keeps of a message's history.

use serde_json::json;

use super::tests::send;
use super::*;

fn section(text: &str) -> Value {
    json!({ "type": "section", "text": { "type": "mrkdwn", "text": text } })
}

/// Posts a DM to `U012ABCDEF` with a section and a button; its `D…` channel and ts.
async fn post_dm(slack: &FakeSlack) -> (String, String) {
    let button = json!({ "type": "actions", "elements": [{ "type": "button", "action_id": "dispatch_yes", "text": { "type": "plain_text", "text": "Yes" } }] });
    let body = json!({ "channel": "U012ABCDEF", "text": "disk full", "blocks": [section("disk full"), button] });
    let (_, answer) = send(slack, "/api/chat.postMessage", &body).await;
    (answer["channel"].as_str().unwrap().to_owned(), answer["ts"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn an_update_by_the_dm_id_replaces_text_and_blocks_and_keeps_the_old_content_as_a_revision() {
    let slack = FakeSlack::start().await.unwrap();
    let (channel, ts) = post_dm(&slack).await;
    let before = slack.message(&channel, &ts).unwrap();

    let body = json!({ "channel": channel, "ts": ts, "text": "resolved", "blocks": [section("*Resolved*")] });
    let (status, answer) = send(&slack, "/api/chat.update", &body).await;

    assert_eq!(
        (status, &answer["ok"], &answer["channel"], &answer["ts"]),
        (200, &json!(true), &json!(channel), &json!(ts))
    );
    let after = slack.message("U012ABCDEF", &ts).unwrap();
    assert_eq!((after.text.as_str(), &after.blocks), ("resolved", &json!([section("*Resolved*")])));
    assert_eq!(after.revisions, vec![Revision { text: before.text, blocks: before.blocks }]);
    assert!(after.edited.is_some());
    assert_eq!(stored_message(&after)["edited"]["user"], BOT_USER_ID);
    assert_eq!(
        slack.updates(),
        vec![Updated { channel, ts, text: "resolved".into(), blocks: Some(json!([section("*Resolved*")])) }]
    );
    assert_eq!(slack.messages().len(), 1, "an update posts nothing");
}

#[tokio::test]
async fn an_update_with_empty_blocks_removes_the_buttons_and_one_without_blocks_keeps_them() {
    let slack = FakeSlack::start().await.unwrap();
    let (channel, ts) = post_dm(&slack).await;

    send(&slack, "/api/chat.update", &json!({ "channel": channel, "ts": ts, "text": "kept" })).await;
    let kept = slack.message(&channel, &ts).unwrap();
    send(&slack, "/api/chat.update", &json!({ "channel": channel, "ts": ts, "text": "gone", "blocks": [] })).await;
    let removed = slack.message(&channel, &ts).unwrap();

    assert_eq!((kept.text.as_str(), kept.blocks.as_array().map(Vec::len)), ("kept", Some(2)));
    assert_eq!((removed.text.as_str(), &removed.blocks), ("gone", &json!([])));
    let blocks: Vec<Option<Value>> = slack.updates().into_iter().map(|u| u.blocks).collect();
    assert_eq!(blocks, vec![None, Some(json!([]))]);
    assert_eq!(removed.revisions.len(), 2);
}

#[tokio::test]
async fn an_update_naming_the_dm_by_user_id_an_unknown_ts_or_another_persons_message_is_refused() {
    let slack = FakeSlack::start().await.unwrap();
    let (channel, ts) = post_dm(&slack).await;
    let theirs = slack.add_message_by("U0OTHER001", "C0ALERTS01", "hello");
    let update = |channel: &str, ts: &str| json!({ "channel": channel, "ts": ts, "text": "x", "blocks": [] });

    let by_user_id = send(&slack, "/api/chat.update", &update("U012ABCDEF", &ts)).await;
    let unknown_ts = send(&slack, "/api/chat.update", &update(&channel, "1764200000.999999")).await;
    let other_conversation = send(&slack, "/api/chat.update", &update("C0ALERTS01", &ts)).await;
    let not_the_bots = send(&slack, "/api/chat.update", &update("C0ALERTS01", &theirs.ts)).await;

    assert_eq!(by_user_id, (200, json!({ "ok": false, "error": "channel_not_found" })));
    assert_eq!(unknown_ts.1["error"], "message_not_found");
    assert_eq!(other_conversation.1["error"], "message_not_found");
    assert_eq!(not_the_bots.1["error"], "cant_update_message");
    assert!(slack.updates().is_empty());
    assert_eq!(slack.message(&channel, &ts).unwrap().text, "disk full");
}

#[tokio::test]
async fn an_update_is_checked_like_a_post_and_needs_the_bot_token() {
    let slack = FakeSlack::start().await.unwrap();
    let (channel, ts) = post_dm(&slack).await;

    let empty_section = json!({ "channel": channel, "ts": ts, "text": "x", "blocks": [section("")] });
    let no_text = json!({ "channel": channel, "ts": ts, "text": "", "blocks": [] });
    let not_a_list = json!({ "channel": channel, "ts": ts, "text": "x", "blocks": "[]" });
    assert_eq!(send(&slack, "/api/chat.update", &empty_section).await.1["error"], "invalid_blocks");
    assert_eq!(send(&slack, "/api/chat.update", &no_text).await.1["error"], "no_text");
    assert_eq!(send(&slack, "/api/chat.update", &not_a_list).await.1["error"], "invalid_blocks_format");

    let mut unsigned =
        super::tests::request("POST", "/api/chat.update", &json!({ "channel": channel, "ts": ts, "text": "x" }));
    unsigned.recorded.headers.clear();
    let response = handle(&slack.state, unsigned).await;
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&bytes).unwrap()["error"], "not_authed");
    assert!(slack.updates().is_empty());
    assert_eq!(slack.message(&channel, &ts).unwrap().revisions, vec![]);
}

#[tokio::test]
async fn an_update_fault_answers_in_place_of_the_update_and_a_channel_fault_comes_first() {
    let slack = FakeSlack::start().await.unwrap();
    let (channel, ts) = post_dm(&slack).await;
    slack.fail(SlackRoute::Update, Fault::slack_rate_limited(3), 1);
    slack.fail(SlackRoute::UpdateIn(channel.clone()), Fault::Status(503), 1);
    let body = json!({ "channel": channel, "ts": ts, "text": "resolved", "blocks": [] });

    let first = send(&slack, "/api/chat.update", &body).await;
    let second = send(&slack, "/api/chat.update", &body).await;
    let third = send(&slack, "/api/chat.update", &body).await;

    assert_eq!((first.0, second.0, third.0), (503, 429, 200));
    assert_eq!(slack.updates().len(), 1);
    assert_eq!(slack.message(&channel, &ts).unwrap().text, "resolved");
}

#[tokio::test]
async fn a_reply_is_recorded_in_the_thread_of_its_message_and_a_reply_to_no_message_is_refused() {
    let slack = FakeSlack::start().await.unwrap();
    let (channel, ts) = post_dm(&slack).await;
    let reply =
        |thread_ts: Value| json!({ "channel": "U012ABCDEF", "thread_ts": thread_ts, "text": "resolved at 10:02" });

    let (status, answer) = send(&slack, "/api/chat.postMessage", &reply(json!(ts))).await;
    let in_channel =
        send(&slack, "/api/chat.postMessage", &json!({ "channel": channel, "thread_ts": ts, "text": "again" })).await;

    assert_eq!((status, &answer["ok"], &answer["channel"]), (200, &json!(true), &json!(channel)));
    assert_eq!(answer["message"]["thread_ts"], json!(ts));
    assert_eq!(in_channel.1["ok"], true);
    let replies = slack.replies(&channel, &ts);
    assert_eq!(replies.iter().map(|r| r.text.as_str()).collect::<Vec<_>>(), ["resolved at 10:02", "again"]);
    assert!(replies.iter().all(|r| r.thread_ts.as_deref() == Some(ts.as_str())));
    assert!(slack.replies("C0ALERTS01", &ts).is_empty());

    let unknown = send(&slack, "/api/chat.postMessage", &reply(json!("1764200000.999999"))).await;
    let elsewhere =
        send(&slack, "/api/chat.postMessage", &json!({ "channel": "C0ALERTS01", "thread_ts": ts, "text": "x" })).await;
    let malformed = send(&slack, "/api/chat.postMessage", &reply(json!("0"))).await;
    let a_number = send(&slack, "/api/chat.postMessage", &reply(json!(1_764_200_000.000_001))).await;
    assert_eq!(unknown, (200, json!({ "ok": false, "error": "thread_not_found" })));
    assert_eq!(elsewhere.1["error"], "thread_not_found");
    assert_eq!(
        (malformed.1["error"].as_str(), a_number.1["error"].as_str()),
        (Some("invalid_thread_ts"), Some("invalid_thread_ts"))
    );
    assert_eq!(slack.messages().len(), 3);
}

#[tokio::test]
async fn a_reply_fault_spares_messages_of_their_own_and_a_post_fault_hits_replies_too() {
    let slack = FakeSlack::start().await.unwrap();
    let (_, ts) = post_dm(&slack).await;
    slack.fail(SlackRoute::Reply, Fault::Status(500), 1);
    let reply = json!({ "channel": "U012ABCDEF", "thread_ts": ts, "text": "resolved" });
    let own = json!({ "channel": "U012ABCDEF", "text": "another alarm" });

    assert_eq!(send(&slack, "/api/chat.postMessage", &own).await.0, 200);
    assert_eq!(send(&slack, "/api/chat.postMessage", &reply).await.0, 500);
    slack.fail(SlackRoute::PostMessage, Fault::SlackError("ratelimited".into()), 1);
    assert_eq!(send(&slack, "/api/chat.postMessage", &reply).await.1["error"], "ratelimited");
    assert_eq!(send(&slack, "/api/chat.postMessage", &reply).await.1["ok"], true);
    assert_eq!(slack.replies("U012ABCDEF", &ts).len(), 1);
}
