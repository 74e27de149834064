//! Every Slack message Dispatch builds passes Slack's Block Kit limits, checked by the fake Slack's
//! own validator (written apart from `slack::blocks`), for any texts: arbitrary Unicode, line ends
//! anywhere, lengths up to 40,000 with the section edges (3,000, 3,001, 3,000 and a line end).

use dispatch_core::compose::{self, Outcome, TEXT_MAX};
use dispatch_core::ids::{RequestId, SlackChannel};
use dispatch_core::message::Prompt;
use dispatch_core::slack::{Slack, SlackMessage};
use dispatch_fakes::FakeSlack;
use dispatch_fakes::block_kit::check_message;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Value, json};

use super::helpers::{deadline, policy};

/// Characters with line ends, spaces and invisible ones over-represented.
fn character() -> impl Strategy<Value = char> {
    prop_oneof![
        6 => any::<char>(),
        3 => Just('\n'),
        2 => Just(' '),
        1 => Just('\t'),
        1 => Just('\u{200b}'),
        1 => Just('é'),
        1 => Just('x'),
    ]
}

/// The same mix from a seed, for long texts: generating tens of thousands of characters one
/// strategy value at a time is too slow to run many cases (a failure still shrinks its length and
/// seed).
fn seeded_character(state: &mut u64, line_ends: bool) -> char {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    let r = *state >> 8;
    match r % 16 {
        0..=2 if line_ends => '\n',
        0..=4 => ' ',
        5 => '\t',
        6 => '\u{200b}',
        7 => 'é',
        8 => 'x',
        _ => char::from_u32(u32::try_from((r >> 4) % 0x11_0000).unwrap_or(0)).unwrap_or('\u{fffd}'),
    }
}

fn seeded(len: usize, seed: u64, line_ends: bool) -> String {
    let mut state = seed | 1;
    (0..len).map(|_| seeded_character(&mut state, line_ends)).collect()
}

/// Texts of 0 to 40,000 characters.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => vec(character(), 0..=400).prop_map(String::from_iter),
        2 => (0usize..=40_000, any::<u64>()).prop_map(|(n, seed)| seeded(n, seed, true)),
        2 => (vec((0usize..=3_100, 1usize..=3), 0..=40), any::<u64>()).prop_map(|(lines, seed)| {
            let text: String = lines
                .into_iter()
                .enumerate()
                .map(|(i, (len, ends))| seeded(len, seed.wrapping_add(i as u64), false) + &"\n".repeat(ends))
                .collect();
            text.chars().take(40_000).collect()
        }),
        2 => (
            select(vec![0usize, 1, 1_500, 2_998, 2_999, 3_000, 3_001, 5_999, 6_000, 6_001, 12_000, 39_999, 40_000]),
            select(vec!["x", "é", "😀", " ", "\n", "\u{200b}"]),
            select(vec!["", "\n", "\n\n", " ", "\n ", "\nx", "\r\n"]),
        )
            .prop_map(|(n, fill, end)| {
                let text = format!("{}{end}", fill.repeat(n));
                text.chars().take(40_000).collect()
            }),
    ]
}

/// Short texts (button texts, names, codes), sometimes past their limits.
fn short_text() -> impl Strategy<Value = String> {
    vec(character(), 0..=200).prop_map(String::from_iter)
}

fn issue_url() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("https://github.com/acme/audit/issues/4".to_owned()),
        Just(String::new()),
        Just(format!("https://github.com/acme/audit/issues/4?{}", "q".repeat(5_000))),
        short_text(),
    ]
}

fn prompt() -> impl Strategy<Value = Prompt> {
    (text(), text(), short_text(), short_text()).prop_map(|(message, prompt, yes, no)| Prompt {
        message,
        prompt,
        yes,
        no,
        yes_response: None,
        no_response: None,
    })
}

/// What Slack would answer a post of `message`: `Ok` when it accepts it.
fn slack_accepts(message: &SlackMessage) -> Result<(), String> {
    check_message(&json!({ "text": message.text, "blocks": message.blocks }))?;
    if message.text.chars().count() > TEXT_MAX {
        return Err(format!("text of {} characters", message.text.chars().count()));
    }
    if message.blocks.is_empty() && message.text.trim().is_empty() {
        return Err("no_text".to_owned());
    }
    Ok(())
}

/// The same for a body posted to a `response_url`.
fn response_accepted(body: &Value) -> Result<(), String> {
    check_message(body)?;
    let text = body["text"].as_str().unwrap_or_default();
    if text.chars().count() > TEXT_MAX {
        return Err(format!("text of {} characters", text.chars().count()));
    }
    Ok(())
}

/// The characters that show, in order.
fn visible(text: &str) -> String {
    text.chars().filter(|c| !compose::is_blank(c.encode_utf8(&mut [0; 4]))).collect()
}

fn section_texts(blocks: &[Value]) -> String {
    blocks.iter().filter(|b| b["type"] == "section").filter_map(|b| b["text"]["text"].as_str()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn every_message_dispatch_builds_passes_slacks_block_kit_limits(
        prompt in prompt(),
        text in text(),
        short in short_text(),
        value in (0usize..=2_500, any::<u64>()).prop_map(|(n, seed)| seeded(n, seed, true)),
        url in issue_url(),
        number in any::<u64>(),
    ) {
        let request_id = RequestId::parse("ss-1").unwrap();
        let built = [
            ("self_service_prompt", compose::self_service_prompt(&prompt, &url, number, &value)),
            ("prompt_without_buttons", compose::prompt_without_buttons(&prompt, &url, number)),
            ("text_message", compose::text_message(&text)),
            ("missing_slack_id_notice", compose::missing_slack_id_notice(&request_id, Some(&text))),
            ("missing_slack_id_notice without user", compose::missing_slack_id_notice(&request_id, None)),
            ("delivery_error_notice", compose::delivery_error_notice(&request_id, &text, &short)),
        ];
        for (name, message) in &built {
            prop_assert_eq!(slack_accepts(message), Ok(()), "{} refused", name);
        }
        for outcome in [Outcome::Acknowledged, Outcome::Escalated, Outcome::AlreadyEscalated] {
            let answer = compose::answered(outcome, &text, &short, &short, &url);
            prop_assert_eq!(response_accepted(&answer), Ok(()), "answered refused");
        }
        prop_assert_eq!(response_accepted(&compose::ephemeral(&text)), Ok(()), "ephemeral refused");
    }

    #[test]
    fn a_text_loses_only_what_shows_nothing_unless_it_had_to_be_cut(text in text()) {
        let message = compose::text_message(&text);
        let shown = visible(&section_texts(&message.blocks));
        let cut = message.blocks.last().is_some_and(|b| b["type"] == "context");
        if cut && !visible(&text).is_empty() {
            prop_assert!(visible(&text).starts_with(&shown), "the kept part is not the start of the text");
            let kept = section_texts(&message.blocks).chars().count();
            prop_assert!(
                message.blocks.len() == compose::BLOCKS_MAX || kept + 3_000 > compose::BLOCKS_TEXT_MAX - 800,
                "cut although it fitted: {} blocks, {} characters", message.blocks.len(), kept
            );
        } else {
            prop_assert_eq!(shown, visible(&text));
        }
    }

    #[test]
    fn the_prompts_message_and_buttons_keep_what_the_sender_wrote_when_it_fits(prompt in prompt(), value in "[ -~]{1,2000}") {
        let message = compose::self_service_prompt(&prompt, "https://github.com/acme/audit/issues/4", 4, &value);
        let link_text = json!("<https://github.com/acme/audit/issues/4|GitHub issue #4>");
        let link = message.blocks.iter().position(|b| b["elements"][0]["text"] == link_text).unwrap();
        let message_part = &message.blocks[..link];
        if message_part.last().is_none_or(|b| b["type"] == "section") {
            prop_assert_eq!(visible(&section_texts(message_part)), visible(&prompt.message));
        }
        let buttons = message.blocks.last().unwrap()["elements"].as_array().unwrap().clone();
        prop_assert!(buttons.iter().all(|b| b["value"] == value.as_str()));
        if (1..=compose::BUTTON_TEXT_MAX).contains(&prompt.yes.chars().count()) && !compose::is_blank(&prompt.yes) {
            prop_assert_eq!(&buttons[0]["text"]["text"], prompt.yes.as_str());
        }
    }
}

fn slack_for(fake: &FakeSlack) -> Slack {
    let http = dispatch_core::http::client(std::time::Duration::from_secs(2)).unwrap();
    let base = url::Url::parse(&fake.url()).unwrap();
    Slack::new(http, &base, Some(secrecy::SecretString::from("xoxb-test".to_owned())), policy())
}

#[tokio::test]
async fn a_message_of_exactly_3000_characters_and_a_line_end_is_delivered_as_one_section() {
    let fake = FakeSlack::start().await.unwrap();
    let slack = slack_for(&fake);
    let text = format!("{}\n", "é".repeat(3000));
    let prompt = Prompt {
        message: text.clone(),
        prompt: format!("{}\n", "?".repeat(2998)),
        yes: "Yes".into(),
        no: "No".into(),
        yes_response: None,
        no_response: None,
    };
    let channel = SlackChannel::parse("U012ABCDEF").unwrap();

    let broadcast = slack.post_message(&channel, &compose::text_message(&text), deadline()).await;
    let prompt = compose::self_service_prompt(&prompt, "https://github.com/acme/audit/issues/4", 4, "{\"v\":1}");
    let self_service = slack.post_message(&channel, &prompt, deadline()).await;

    assert!(broadcast.is_ok(), "{broadcast:?}");
    assert!(self_service.is_ok(), "{self_service:?}");
    let delivered = fake.messages_to("U012ABCDEF");
    assert_eq!(delivered.len(), 2);
    assert_eq!(
        delivered[0].blocks,
        json!([{ "type": "section", "text": { "type": "mrkdwn", "text": "é".repeat(3000) } }])
    );
    assert_eq!(delivered[1].blocks[2]["text"]["text"], format!("*{}*", "?".repeat(2998)));
}
