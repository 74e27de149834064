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

/// The issue body recording a resolve that arrived before its alarm (SNS does not keep order):
/// `text`, then the marker with `resolved=<unix ms>` (when SNS published the resolve) and
/// `record=early`. The issue is created closed; a trigger of the same alarm published no later
/// than that sends nothing, and the record is never taken for the alarm itself.
pub fn resolved_early_body(text: &str, event_id: &str, request_id: &RequestId, at_ms: i64) -> String {
    let line = marker_line(
        KIND,
        &[
            (KIND, &clean(event_id)),
            ("request", &clean(request_id.as_str())),
            ("resolved", &at_ms.to_string()),
            ("record", "early"),
        ],
    );
    format!("{text}\n\n{line}")
}

/// The body of an alarm's issue once its source resolved it: the same, its marker line gaining
/// `resolved=<unix ms>`, so the dedup lookup (which reads bodies, not comments) sees the
/// resolution and holds back a trigger of the alarm published before it but delivered after.
/// `None` when the body does not end with Dispatch's marker.
pub fn with_resolution(body: &str, at_ms: i64) -> Option<String> {
    let fields = read_marker(body, KIND)?;
    let end = body.trim_end().rfind('\n').map_or(0, |i| i + 1);
    let mut kept: Vec<(&str, &str)> = fields.into_iter().filter(|(k, _)| *k != "resolved").collect();
    let at = at_ms.to_string();
    kept.push(("resolved", &at));
    Some(format!("{}{}", &body[..end], marker_line(KIND, &kept)))
}

/// When the source resolved the alarm of an issue with this body (unix ms), as its marker says:
/// a record of a resolve that came first, or an alarm's issue a resolve closed.
pub fn resolved_at(body: &str) -> Option<i64> {
    field(&read_marker(body, KIND)?, "resolved")?.parse().ok()
}

/// Whether an issue with this body is Dispatch's record of a resolve that arrived before its
/// alarm, rather than an alarm.
pub fn is_record(body: &str) -> bool {
    read_marker(body, KIND).is_some_and(|fields| field(&fields, "record").is_some())
}

/// The alarm's `requestId` (as cleaned) that Dispatch wrote in the marker of an issue with this body.
pub fn request_of(body: &str) -> Option<&str> {
    field(&read_marker(body, KIND)?, "request")
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
        assert_eq!(request_of(&body), Some("ss-1"));
        assert_eq!(created_by(&format!("{body}\r\n")), Some("95df01b4-ee98"));
    }

    #[test]
    fn an_early_resolve_is_recorded_in_the_marker_and_still_names_its_event() {
        let body = resolved_early_body("Resolved before it fired.", "e-5", &id(), 1_764_583_200_250);
        assert!(
            body.ends_with("<!-- dispatch:event=e-5 request=ss-1 resolved=1764583200250 record=early -->"),
            "{body}"
        );
        assert_eq!(resolved_at(&body), Some(1_764_583_200_250));
        assert!(is_record(&body));
        assert_eq!(created_by(&body), Some("e-5"));
        assert!(body.lines().last().unwrap().starts_with(&own_prefix("e-5")));
        assert_eq!(resolved_at(&body_with_marker("x", "e-5", &id())), None);
        let quoted = format!("{body}\nsender text");
        assert_eq!(resolved_at(&quoted), None);
        assert!(!is_record(&quoted));
    }

    #[test]
    fn a_resolved_alarm_keeps_its_text_and_marker_and_gains_the_time() {
        let body = body_with_marker("Sender text\nline two <!-- dispatch:event=x -->", "e-1", &id());
        let resolved = with_resolution(&body, 42).unwrap();
        assert_eq!(
            resolved,
            "Sender text\nline two <!-- dispatch:event=x -->\n\n<!-- dispatch:event=e-1 request=ss-1 resolved=42 -->"
        );
        assert_eq!(resolved_at(&resolved), Some(42));
        assert!(!is_record(&resolved));
        assert_eq!(created_by(&resolved), Some("e-1"));
        assert_eq!(resolved_at(&with_resolution(&resolved, 43).unwrap()), Some(43), "a second resolve moves it");
        assert_eq!(with_resolution("no marker here", 1), None);
    }

    #[test]
    fn a_marker_inside_the_senders_text_is_not_the_issues() {
        let quoted = format!("Forwarded alarm:\n{}\nend of quote", issue_marker("e-forged", &id()));
        assert_eq!(created_by(&quoted), None);
        let body = body_with_marker(&quoted, "e-real", &id());
        assert_eq!(created_by(&body), Some("e-real"));
    }
}
