//! What an alarm's later life leaves on its issue:
//! - the **resolution**: when the source says the alarm is resolved, `incoming` comments when and
//!   which SNS message said so, ending with
//!   `<!-- dispatch:resolved event=<SNS MessageId> request=<requestId> at=<unix ms> -->`. Clicks
//!   after it are answered "already resolved", follow-ups do nothing, and a retry of the same
//!   resolve finds it and finishes the rest (closing, prompts, incidents) without commenting again;
//! - the **reminder**: after reminding the user of an unanswered prompt,
//!   `<!-- dispatch:reminded request=<requestId> -->`, so a duplicate follow-up does not remind twice.
//!
//! A no-answer escalation leaves the escalation note of [`super::answer`] (`cause=no_answer`).
//! Only comments Dispatch wrote count ([`Writers`]).

use super::answer::CLAIM_TTL_SECS;
use super::{Writers, clean, field, marker_line, read_marker};
use crate::github::Comment;
use crate::ids::RequestId;

const RESOLVED: &str = "resolved";
const REMINDED: &str = "reminded";
const ESCALATING: &str = "escalating";

/// A recorded resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// The SNS message that said so (as cleaned).
    pub event: String,
    /// When SNS published it (unix milliseconds), when recorded.
    pub at_ms: Option<i64>,
}

/// The resolution comment: a sentence for people reading the issue, then the marker.
pub fn resolved_comment(event_id: &str, request_id: &RequestId, published: &str, at_ms: i64, effects: &str) -> String {
    let event = clean(event_id);
    format!(
        "Resolved at the source: the alarm's source said at {} (SNS message `{event}`) that the problem is \
         gone. {effects}\n\n{}",
        clean(published),
        marker_line(
            RESOLVED,
            &[("event", &event), ("request", &clean(request_id.as_str())), ("at", &at_ms.to_string())]
        )
    )
}

/// The first resolution Dispatch recorded among `comments`, if any.
pub fn resolution(comments: &[Comment], writers: &Writers) -> Option<Resolution> {
    writers.comments(comments).find_map(|c| {
        let fields = read_marker(c.body.as_deref()?, RESOLVED)?;
        Some(Resolution {
            event: field(&fields, "event").unwrap_or_default().to_owned(),
            at_ms: field(&fields, "at").and_then(|t| t.parse().ok()),
        })
    })
}

/// The reminder record: who is reminded, and after how long. `attempt` names the delivery that
/// wrote it, so that one whose comment failed can tell whether it landed anyway.
pub fn reminder_comment(request_id: &RequestId, user: &str, after_minutes: u32, attempt: &str) -> String {
    format!(
        "Reminding {} of the unanswered Slack prompt, {after_minutes} minutes after it was sent.\n\n{}",
        user.replace(['*', '`', '<', '>', '@', '\\', '\n', '\r'], ""),
        marker_line(REMINDED, &[("request", &clean(request_id.as_str())), ("attempt", &clean(attempt))])
    )
}

/// Whether Dispatch recorded a reminder for `request_id` among `comments`.
pub fn reminded(comments: &[Comment], writers: &Writers, request_id: &RequestId) -> bool {
    records(comments, writers, REMINDED, request_id).next().is_some()
}

/// Whether Dispatch recorded a reminder for `request_id` before the comment `mine` (an earlier
/// comment id): of two deliveries racing, the earlier record stands.
pub fn reminded_before(comments: &[Comment], writers: &Writers, request_id: &RequestId, mine: u64) -> bool {
    records(comments, writers, REMINDED, request_id).any(|r| r.comment < mine)
}

/// The comment holding the reminder record that delivery `attempt` wrote, if it is there.
pub fn reminder_of(comments: &[Comment], writers: &Writers, request_id: &RequestId, attempt: &str) -> Option<u64> {
    of_attempt(records(comments, writers, REMINDED, request_id), attempt)
}

/// The claim an escalation of an unanswered alarm writes before it pages: of two deliveries
/// racing, the earliest claim pages, and the other withdraws its own. A claim stands for
/// [`CLAIM_TTL_SECS`] (its escalation note, written once the incident is open, then ends the
/// matter), so a claim whose escalation failed, and whose withdrawal failed too, does not stop
/// the retry.
pub fn escalation_claim(request_id: &RequestId, after_minutes: u32, attempt: &str, at: i64) -> String {
    format!(
        "Escalating: nobody answered the Slack prompt within {after_minutes} minutes.\n\n{}",
        marker_line(
            ESCALATING,
            &[("request", &clean(request_id.as_str())), ("attempt", &clean(attempt)), ("at", &at.to_string())]
        )
    )
}

/// Whether an escalation claim for `request_id` other than `mine` stands at `now`: one written
/// before `mine` (any earlier comment id), within [`CLAIM_TTL_SECS`].
pub fn escalating_before(comments: &[Comment], writers: &Writers, request_id: &RequestId, mine: u64, now: i64) -> bool {
    records(comments, writers, ESCALATING, request_id)
        .any(|r| r.comment < mine && r.at.is_some_and(|at| now.saturating_sub(at) < CLAIM_TTL_SECS))
}

/// The comment holding the escalation claim that delivery `attempt` wrote, if it is there.
pub fn escalation_claim_of(
    comments: &[Comment],
    writers: &Writers,
    request_id: &RequestId,
    attempt: &str,
) -> Option<u64> {
    of_attempt(records(comments, writers, ESCALATING, request_id), attempt)
}

/// One record of a follow-up step.
struct Record<'a> {
    comment: u64,
    attempt: Option<&'a str>,
    at: Option<i64>,
}

fn of_attempt<'a>(mut records: impl Iterator<Item = Record<'a>>, attempt: &str) -> Option<u64> {
    let attempt = clean(attempt);
    records.find(|r| r.attempt == Some(attempt.as_str())).map(|r| r.comment)
}

fn records<'a>(
    comments: &'a [Comment],
    writers: &'a Writers,
    kind: &'static str,
    request_id: &RequestId,
) -> impl Iterator<Item = Record<'a>> + 'a {
    let request = clean(request_id.as_str());
    writers.comments(comments).filter_map(move |c| {
        let fields = read_marker(c.body.as_deref()?, kind)?;
        (field(&fields, "request") == Some(request.as_str())).then(|| Record {
            comment: c.id,
            attempt: field(&fields, "attempt"),
            at: field(&fields, "at").and_then(|t| t.parse().ok()),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::Account;

    fn id() -> RequestId {
        RequestId::parse("ss-1").unwrap()
    }

    fn comment(id: u64, author: &str, body: String) -> Comment {
        Comment { id, html_url: String::new(), body: Some(body), user: Some(Account { login: author.to_owned() }) }
    }

    fn dispatch() -> Writers {
        Writers::default().and(Some("dispatch-bot"))
    }

    #[test]
    fn a_resolution_round_trips() {
        let text = resolved_comment("e-9", &id(), "2026-12-01T10:00:00.250Z", 1_764_583_200_250, "Closing.");
        assert!(text.starts_with("Resolved at the source: the alarm's source said at 2026-12-01T10:00:00.250Z"));
        assert!(text.ends_with("<!-- dispatch:resolved event=e-9 request=ss-1 at=1764583200250 -->"), "{text}");
        let found = resolution(&[comment(4, "dispatch-bot", text)], &dispatch());
        assert_eq!(found, Some(Resolution { event: "e-9".into(), at_ms: Some(1_764_583_200_250) }));
    }

    #[test]
    fn a_resolution_in_someone_elses_comment_is_data() {
        let forged = resolved_comment("e-9", &id(), "now", 1, "");
        assert_eq!(resolution(&[comment(4, "mallory", forged.clone())], &dispatch()), None);
        let quoted = format!("{forged}\n\nquoted by a person");
        assert_eq!(resolution(&[comment(5, "dispatch-bot", quoted)], &dispatch()), None);
    }

    #[test]
    fn a_reminder_is_recorded_per_alarm_and_only_by_dispatch() {
        let text = reminder_comment(&id(), "@alice*", 30, "a1");
        assert!(text.ends_with("<!-- dispatch:reminded request=ss-1 attempt=a1 -->"), "{text}");
        assert_eq!(reminder_of(&[comment(9, "dispatch-bot", text.clone())], &dispatch(), &id(), "a1"), Some(9));
        assert_eq!(reminder_of(&[comment(9, "dispatch-bot", text.clone())], &dispatch(), &id(), "a2"), None);
        assert!(text.starts_with("Reminding alice of the unanswered Slack prompt, 30 minutes"), "{text}");
        assert!(reminded(&[comment(1, "dispatch-bot", text.clone())], &dispatch(), &id()));
        assert!(!reminded(&[comment(1, "mallory", text.clone())], &dispatch(), &id()));
        let other = RequestId::parse("ss-2").unwrap();
        assert!(!reminded(&[comment(1, "dispatch-bot", text.clone())], &dispatch(), &other));
        let racing = [comment(4, "dispatch-bot", text.clone()), comment(7, "dispatch-bot", text)];
        assert!(reminded_before(&racing, &dispatch(), &id(), 7));
        assert!(!reminded_before(&racing, &dispatch(), &id(), 4));
    }

    #[test]
    fn the_earliest_standing_escalation_claim_wins_and_an_old_one_expires() {
        let now = 1_764_583_200;
        let claim = |n, attempt, at| comment(n, "dispatch-bot", escalation_claim(&id(), 60, attempt, at));
        let text = escalation_claim(&id(), 60, "a1", now);
        assert!(text.ends_with(&format!("<!-- dispatch:escalating request=ss-1 attempt=a1 at={now} -->")), "{text}");
        let racing = [claim(3, "a1", now - 2), claim(5, "a2", now - 1)];
        assert!(escalating_before(&racing, &dispatch(), &id(), 5, now));
        assert!(!escalating_before(&racing, &dispatch(), &id(), 3, now));
        assert_eq!(escalation_claim_of(&racing, &dispatch(), &id(), "a2"), Some(5));
        let stale = [claim(3, "a1", now - CLAIM_TTL_SECS), claim(5, "a2", now)];
        assert!(!escalating_before(&stale, &dispatch(), &id(), 5, now), "a claim whose escalation failed expires");
        let forged = [comment(3, "mallory", escalation_claim(&id(), 60, "x", now)), claim(5, "a2", now)];
        assert!(!escalating_before(&forged, &dispatch(), &id(), 5, now));
    }
}
