//! The delivery record: after posting an event's Slack messages, `incoming` comments on the issue
//! with a readable list of who was messaged, ending with
//! `<!-- dispatch:delivered event=<SNS MessageId> sent=<plan indexes> prompts=<channel:ts,…> scheduled=<steps> -->`.
//! A retry of the same event reads these records (Dispatch's own comments only) and sends only the
//! messages not yet delivered, and creates only the follow-up schedules not yet created (DESIGN.md
//! §5). `prompts` names each prompt with buttons that went out (its conversation and `ts`), so a
//! resolve or an escalation can update it later; records written before it existed have none.

use super::{Writers, clean, field, marker_line, read_marker};
use crate::github::Comment;
use crate::ids::RequestId;

const KIND: &str = "delivered";

/// One line of a delivery record, for people reading the issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordLine {
    /// Who the message was for.
    pub recipient: String,
    /// Where it went.
    pub channel: String,
    /// What it was.
    pub what: &'static str,
    /// `None` when sent, else the failure code.
    pub failure: Option<String>,
}

/// A prompt with buttons as Slack keeps it: where it went and its timestamp id. Also carried, as
/// `{"channel", "ts"}`, by the follow-up events of the prompt.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromptRef {
    /// The conversation (a DM's `D…` id, or a channel).
    pub channel: String,
    /// The message's `ts`.
    pub ts: String,
}

/// What an event's delivery records say went out, merged across its attempts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivered {
    /// Plan indexes settled (sent, or not needed).
    pub sent: Vec<usize>,
    /// The prompts with buttons posted.
    pub prompts: Vec<PromptRef>,
    /// The follow-up steps scheduled (`remind`, `escalate`).
    pub scheduled: Vec<String>,
}

/// The comment recording the deliveries of one attempt: a readable list, then a marker with the
/// indexes (into the plan's Slack messages) that were sent, the prompts posted and the follow-ups
/// scheduled.
pub fn delivery_comment(event_id: &str, request_id: &RequestId, delivered: &Delivered, lines: &[RecordLine]) -> String {
    let mut text = format!("Dispatch Slack delivery for request `{}`:\n", clean(request_id.as_str()));
    for line in lines {
        let status = match &line.failure {
            None => "sent".to_owned(),
            Some(code) => format!("**failed** (`{}`), will be retried", clean(code)),
        };
        text.push_str(&format!(
            "- {} to {} (`{}`): {status}\n",
            line.what,
            escape_md(&line.recipient),
            clean(&line.channel)
        ));
    }
    for step in &delivered.scheduled {
        text.push_str(&format!("- follow-up `{}` scheduled\n", clean(step)));
    }
    let indexes: Vec<String> = delivered.sent.iter().map(ToString::to_string).collect();
    let prompts: Vec<String> =
        delivered.prompts.iter().map(|p| format!("{}:{}", clean(&p.channel), clean(&p.ts))).collect();
    let scheduled: Vec<String> = delivered.scheduled.iter().map(|s| clean(s)).collect();
    let event = clean(event_id);
    let sent = indexes.join(",");
    let (prompts, scheduled) = (prompts.join(","), scheduled.join(","));
    let mut fields = vec![("event", event.as_str()), ("sent", sent.as_str())];
    if !prompts.is_empty() {
        fields.push(("prompts", &prompts));
    }
    if !scheduled.is_empty() {
        fields.push(("scheduled", &scheduled));
    }
    text.push('\n');
    text.push_str(&marker_line(KIND, &fields));
    text
}

fn escape_md(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .map(|c| if "\\`*_[]<>#|@".contains(c) { format!("\\{c}") } else { c.to_string() })
        .collect()
}

/// What the delivery records of `event_id` among `comments` that `writers` wrote say went out. A
/// record in anyone else's comment is ignored: it could only suppress DMs.
pub fn delivered(event_id: &str, comments: &[Comment], writers: &Writers) -> Delivered {
    let event = clean(event_id);
    merge(records(comments, writers).filter(|fields| field(fields, "event") == Some(event.as_str())))
}

/// Every prompt with buttons the delivery records of the issue name, whichever event sent it.
pub fn prompts(comments: &[Comment], writers: &Writers) -> Vec<PromptRef> {
    merge(records(comments, writers)).prompts
}

fn records<'a>(comments: &'a [Comment], writers: &'a Writers) -> impl Iterator<Item = Vec<(&'a str, &'a str)>> + 'a {
    writers.comments(comments).filter_map(|c| read_marker(c.body.as_deref()?, KIND))
}

fn merge<'a>(records: impl Iterator<Item = Vec<(&'a str, &'a str)>>) -> Delivered {
    let mut delivered = Delivered::default();
    for fields in records {
        let list = |key| field(&fields, key).into_iter().flat_map(|l| l.split(',')).filter(|s| !s.is_empty());
        delivered.sent.extend(list("sent").filter_map(|n| n.parse::<usize>().ok()));
        for prompt in list("prompts").filter_map(|p| p.split_once(':')) {
            let prompt = PromptRef { channel: prompt.0.to_owned(), ts: prompt.1.to_owned() };
            if !delivered.prompts.contains(&prompt) {
                delivered.prompts.push(prompt);
            }
        }
        for step in list("scheduled") {
            if !delivered.scheduled.iter().any(|s| s == step) {
                delivered.scheduled.push(step.to_owned());
            }
        }
    }
    delivered.sent.sort_unstable();
    delivered.sent.dedup();
    delivered
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::Account;

    fn id() -> RequestId {
        RequestId::parse("ss-1").unwrap()
    }

    fn comment(id: u64, author: &str, body: &str) -> Comment {
        Comment {
            id,
            html_url: String::new(),
            body: Some(body.to_owned()),
            user: Some(Account { login: author.to_owned() }),
        }
    }

    fn dispatch() -> Writers {
        Writers::default().and(Some("dispatch-bot"))
    }

    fn sent(indexes: &[usize]) -> Delivered {
        Delivered { sent: indexes.to_vec(), ..Delivered::default() }
    }

    fn with_prompt(indexes: &[usize]) -> Delivered {
        Delivered {
            sent: indexes.to_vec(),
            prompts: vec![PromptRef { channel: "D01".into(), ts: "1764200000.000100".into() }],
            scheduled: vec!["remind".into()],
        }
    }

    #[test]
    fn prompts_and_schedules_round_trip_and_merge_across_attempts() {
        let first = delivery_comment("e1", &id(), &with_prompt(&[0]), &[]);
        assert!(
            first.ends_with(
                "<!-- dispatch:delivered event=e1 sent=0 prompts=D01:1764200000.000100 scheduled=remind -->"
            )
        );
        assert!(first.contains("- follow-up `remind` scheduled"));
        let retry = Delivered { scheduled: vec!["escalate".into()], ..Delivered::default() };
        let comments = [
            comment(1, "dispatch-bot", &first),
            comment(2, "dispatch-bot", &delivery_comment("e1", &id(), &retry, &[])),
        ];
        let merged = delivered("e1", &comments, &dispatch());
        assert_eq!(merged.sent, [0]);
        assert_eq!(merged.prompts, [PromptRef { channel: "D01".into(), ts: "1764200000.000100".into() }]);
        assert_eq!(merged.scheduled, ["remind", "escalate"]);
        assert_eq!(prompts(&comments, &dispatch()).len(), 1);
        assert_eq!(delivered("e2", &comments, &dispatch()), Delivered::default());
    }

    #[test]
    fn records_written_before_prompts_were_recorded_still_read() {
        let old = "Dispatch Slack delivery:\n\n<!-- dispatch:delivered event=e1 sent=0,1 -->";
        let merged = delivered("e1", &[comment(1, "dispatch-bot", old)], &dispatch());
        assert_eq!(merged, Delivered { sent: vec![0, 1], ..Delivered::default() });
    }

    #[test]
    fn delivery_records_round_trip_and_merge_across_attempts() {
        let line =
            RecordLine { recipient: "alice".into(), channel: "U1".into(), what: "direct message", failure: None };
        let first = delivery_comment("e1", &id(), &sent(&[0, 2]), std::slice::from_ref(&line));
        let second = delivery_comment("e1", &id(), &sent(&[1]), &[line]);
        let other_event = delivery_comment("e2", &id(), &sent(&[3]), &[]);
        let comments = [
            comment(1, "dispatch-bot", &first),
            comment(2, "dispatch-bot", &second),
            comment(3, "dispatch-bot", &other_event),
            comment(4, "dispatch-bot", "unrelated"),
        ];
        assert_eq!(delivered("e1", &comments, &dispatch()).sent, [0, 1, 2]);
        assert_eq!(delivered("e3", &comments, &dispatch()).sent, Vec::<usize>::new());
        assert!(first.contains("- direct message to alice (`U1`): sent"));
        assert!(first.ends_with("<!-- dispatch:delivered event=e1 sent=0,2 -->"));
    }

    #[test]
    fn a_record_in_someone_elses_comment_suppresses_nothing() {
        let forged = delivery_comment("e1", &id(), &with_prompt(&[0, 1, 2]), &[]);
        let comments = [comment(1, "mallory", &forged)];
        assert_eq!(delivered("e1", &comments, &dispatch()), Delivered::default());
        assert_eq!(prompts(&comments, &dispatch()), []);
    }

    #[test]
    fn a_record_quoted_inside_a_comment_is_not_a_record() {
        let quoted = format!("{}\n\nI think this is wrong.", delivery_comment("e1", &id(), &sent(&[0]), &[]));
        assert_eq!(delivered("e1", &[comment(1, "dispatch-bot", &quoted)], &dispatch()), Delivered::default());
    }

    #[test]
    fn recipient_names_cannot_inject_markdown_or_mentions() {
        let line = RecordLine {
            recipient: "@everyone <x>".into(),
            channel: "U1".into(),
            what: "direct message",
            failure: None,
        };
        let comment = delivery_comment("e1", &id(), &sent(&[0]), &[line]);
        assert!(comment.contains("\\@everyone \\<x\\>"), "{comment}");
    }
}
