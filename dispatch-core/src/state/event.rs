//! The issue marker: the body of every issue Dispatch opens ends with
//! `<!-- dispatch:event=<SNS MessageId> request=<requestId> -->`, on a line of its own after the
//! sender's text. A retry of the same event recognises its own issue by it (open or closed)
//! instead of taking it for a duplicate (DESIGN.md §5). Only that last line counts: a marker
//! quoted inside the sender's body, or added to an issue by anyone else, is not this event's.

use super::{clean, field, marker_line, read_marker};
use crate::ids::RequestId;

const KIND: &str = "event";

/// The marker that ends the body of an issue created for `event_id`.
pub fn issue_marker(event_id: &str, request_id: &RequestId) -> String {
    marker_line(KIND, &[(KIND, &clean(event_id)), ("request", &clean(request_id.as_str()))])
}

/// What the body's last line of an issue created for `event_id` starts with: the text the GitHub
/// client matches against the last line of each issue's body to find this event's own issues.
pub fn own_prefix(event_id: &str) -> String {
    format!("{}{KIND}={} ", super::OPEN, clean(event_id))
}

/// The issue body to create: the plan's body, then the marker on its own paragraph.
pub fn body_with_marker(body: &str, event_id: &str, request_id: &RequestId) -> String {
    format!("{body}\n\n{}", issue_marker(event_id, request_id))
}

/// The event (SNS MessageId, as cleaned) that created an issue with this body, if Dispatch did.
pub fn created_by(body: &str) -> Option<&str> {
    field(&read_marker(body, KIND)?, KIND)
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
        assert!(issue_marker("e1", &id()).starts_with(&own_prefix("e1")));
        assert!(!issue_marker("e10", &id()).starts_with(&own_prefix("e1")));
    }

    #[test]
    fn the_marker_round_trips_through_the_body() {
        let body = body_with_marker("Body \n\n @alice", "95df01b4-ee98", &id());
        assert_eq!(created_by(&body), Some("95df01b4-ee98"));
        assert_eq!(created_by(&format!("{body}\r\n")), Some("95df01b4-ee98"));
    }

    #[test]
    fn a_marker_inside_the_senders_text_is_not_the_issues() {
        let quoted = format!("Forwarded alarm:\n{}\nend of quote", issue_marker("e-forged", &id()));
        assert_eq!(created_by(&quoted), None);
        let body = body_with_marker(&quoted, "e-real", &id());
        assert_eq!(created_by(&body), Some("e-real"));
    }
}
