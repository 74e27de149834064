//! Where retry safety lives (DESIGN.md §5), in GitHub, the only state store:
//! - the issue body ends with an invisible marker naming the event (SNS `MessageId`) that created
//!   it, so a retry of that event recognises its own issue instead of taking it for a duplicate;
//! - after Slack deliveries, a comment on the issue records which of the plan's messages went out
//!   for that event, so a retry sends only the rest.

use crate::ids::RequestId;

const MARKER_PREFIX: &str = "<!-- dispatch:event=";
const DELIVERED_PREFIX: &str = "<!-- dispatch:delivered event=";

/// Keeps only characters that cannot end an HTML comment or break the marker's syntax.
fn clean(id: &str) -> String {
    id.chars().filter(|c| c.is_ascii_alphanumeric() || "-_.:".contains(*c)).take(128).collect()
}

/// The marker that ends the body of an issue created for `event_id`.
pub fn issue_marker(event_id: &str, request_id: &RequestId) -> String {
    format!("{MARKER_PREFIX}{} request={} -->", clean(event_id), clean(request_id.as_str()))
}

/// The part of the marker that identifies the event, to look for in issue bodies.
pub fn event_marker(event_id: &str) -> String {
    format!("{MARKER_PREFIX}{} ", clean(event_id))
}

/// The issue body to create: the plan's body, then the marker on its own paragraph.
pub fn body_with_marker(body: &str, event_id: &str, request_id: &RequestId) -> String {
    format!("{body}\n\n{}", issue_marker(event_id, request_id))
}

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
    text.push_str(&format!("\n{DELIVERED_PREFIX}{} sent={} -->", clean(event_id), indexes.join(",")));
    text
}

fn escape_md(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .map(|c| if "\\`*_[]<>#|@".contains(c) { format!("\\{c}") } else { c.to_string() })
        .collect()
}

/// The plan indexes already sent for `event_id`, from the delivery records among `comments`.
pub fn delivered<'a>(event_id: &str, comments: impl IntoIterator<Item = &'a str>) -> Vec<usize> {
    let wanted = format!("{DELIVERED_PREFIX}{} sent=", clean(event_id));
    let mut sent: Vec<usize> = comments
        .into_iter()
        .filter_map(|body| body.find(&wanted).map(|at| &body[at + wanted.len()..]))
        .filter_map(|rest| rest.split_whitespace().next())
        .flat_map(|list| list.split(',').filter_map(|n| n.parse().ok()).collect::<Vec<usize>>())
        .collect();
    sent.sort_unstable();
    sent.dedup();
    sent
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> RequestId {
        RequestId::parse("ss-1").unwrap()
    }

    #[test]
    fn the_marker_names_event_and_request_and_cannot_be_closed_early() {
        assert_eq!(issue_marker("95df01b4-ee98", &id()), "<!-- dispatch:event=95df01b4-ee98 request=ss-1 -->");
        assert_eq!(issue_marker("x-->y <b>", &id()), "<!-- dispatch:event=x--yb request=ss-1 -->");
        assert!(
            body_with_marker("Body \n\n @alice", "e1", &id())
                .starts_with("Body \n\n @alice\n\n<!-- dispatch:event=e1 ")
        );
        assert!(issue_marker("e1", &id()).starts_with(&event_marker("e1")));
        assert!(!issue_marker("e10", &id()).starts_with(&event_marker("e1")));
    }

    #[test]
    fn delivery_records_round_trip_and_merge_across_attempts() {
        let line =
            RecordLine { recipient: "alice".into(), channel: "U1".into(), what: "direct message", failure: None };
        let first = delivery_comment("e1", &id(), &[0, 2], std::slice::from_ref(&line));
        let second = delivery_comment("e1", &id(), &[1], &[line]);
        let other_event = delivery_comment("e2", &id(), &[3], &[]);
        assert_eq!(delivered("e1", [first.as_str(), second.as_str(), other_event.as_str(), "unrelated"]), [0, 1, 2]);
        assert_eq!(delivered("e3", [first.as_str()]), Vec::<usize>::new());
        assert!(first.contains("- direct message to alice (`U1`): sent"));
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
