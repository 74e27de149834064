//! The delivery record: after posting an event's Slack messages, `incoming` comments on the issue
//! with a readable list of who was messaged, ending with
//! `<!-- dispatch:delivered event=<SNS MessageId> sent=<plan indexes> -->`. A retry of the same
//! event reads these records (Dispatch's own comments only) and sends only the messages not yet
//! delivered (DESIGN.md §5).

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

/// The comment recording the deliveries of one attempt: a readable list, then a marker with the
/// indexes (into the plan's Slack messages) that were sent.
pub fn delivery_comment(event_id: &str, request_id: &RequestId, sent: &[usize], lines: &[RecordLine]) -> String {
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
    let indexes: Vec<String> = sent.iter().map(ToString::to_string).collect();
    text.push('\n');
    text.push_str(&marker_line(KIND, &[("event", &clean(event_id)), ("sent", &indexes.join(","))]));
    text
}

fn escape_md(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .map(|c| if "\\`*_[]<>#|@".contains(c) { format!("\\{c}") } else { c.to_string() })
        .collect()
}

/// The plan indexes already sent for `event_id`, from the delivery records among `comments` that
/// `writers` wrote. A record in anyone else's comment is ignored: it could only suppress DMs.
pub fn delivered(event_id: &str, comments: &[Comment], writers: &Writers) -> Vec<usize> {
    let event = clean(event_id);
    let mut sent: Vec<usize> = writers
        .comments(comments)
        .filter_map(|c| read_marker(c.body.as_deref()?, KIND))
        .filter(|fields| field(fields, "event") == Some(event.as_str()))
        .filter_map(|fields| field(&fields, "sent"))
        .flat_map(|list| list.split(',').filter_map(|n| n.parse().ok()).collect::<Vec<usize>>())
        .collect();
    sent.sort_unstable();
    sent.dedup();
    sent
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

    #[test]
    fn delivery_records_round_trip_and_merge_across_attempts() {
        let line =
            RecordLine { recipient: "alice".into(), channel: "U1".into(), what: "direct message", failure: None };
        let first = delivery_comment("e1", &id(), &[0, 2], std::slice::from_ref(&line));
        let second = delivery_comment("e1", &id(), &[1], &[line]);
        let other_event = delivery_comment("e2", &id(), &[3], &[]);
        let comments = [
            comment(1, "dispatch-bot", &first),
            comment(2, "dispatch-bot", &second),
            comment(3, "dispatch-bot", &other_event),
            comment(4, "dispatch-bot", "unrelated"),
        ];
        assert_eq!(delivered("e1", &comments, &dispatch()), [0, 1, 2]);
        assert_eq!(delivered("e3", &comments, &dispatch()), Vec::<usize>::new());
        assert!(first.contains("- direct message to alice (`U1`): sent"));
        assert!(first.ends_with("<!-- dispatch:delivered event=e1 sent=0,2 -->"));
    }

    #[test]
    fn a_record_in_someone_elses_comment_suppresses_nothing() {
        let forged = delivery_comment("e1", &id(), &[0, 1, 2], &[]);
        let comments = [comment(1, "mallory", &forged)];
        assert_eq!(delivered("e1", &comments, &dispatch()), Vec::<usize>::new());
    }

    #[test]
    fn a_record_quoted_inside_a_comment_is_not_a_record() {
        let quoted = format!("{}\n\nI think this is wrong.", delivery_comment("e1", &id(), &[0], &[]));
        assert_eq!(delivered("e1", &[comment(1, "dispatch-bot", &quoted)], &dispatch()), Vec::<usize>::new());
    }

    #[test]
    fn recipient_names_cannot_inject_markdown_or_mentions() {
        let line = RecordLine {
            recipient: "@everyone <x>".into(),
            channel: "U1".into(),
            what: "direct message",
            failure: None,
        };
        let comment = delivery_comment("e1", &id(), &[0], &[line]);
        assert!(comment.contains("\\@everyone \\<x\\>"), "{comment}");
    }
}
