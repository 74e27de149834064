//! The answer to a self-service alarm, recorded on its issue by `triage` (DESIGN.md §4):
//! - the **claim**: before acting, a click comments who answered what and when, ending with
//!   `<!-- dispatch:answer request=<requestId> answer=yes|no user=<Slack id> at=<unix seconds> -->`.
//!   Of two clicks racing, the earliest claim acts and the other withdraws its own;
//! - the **escalation note**: after a No has paged, a comment naming the incident, ending with
//!   `<!-- dispatch:escalated request=<requestId> incident=<id or "existing"> -->`; after an
//!   escalation because nobody answered, the same with `cause=no_answer`.
//!
//! A claim stands (refuses later clicks) while it is in flight, for [`CLAIM_TTL_SECS`], and for
//! good once its action is confirmed: a Yes by the issue being closed, a No by its escalation
//! note. A claim whose action failed and whose withdrawal failed too therefore expires instead of
//! refusing every later click. Claims written before `at=` existed stand for good, as they did.
//! Only comments Dispatch wrote count ([`Writers`]).

use super::{Writers, clean, field, marker_line, read_marker};
use crate::github::Comment;
use crate::ids::RequestId;

const CLAIM: &str = "answer";
const ESCALATED: &str = "escalated";

/// How long an unconfirmed claim stands: longer than any click takes (triage answers Slack within
/// 3 seconds), short enough that a user whose click failed can answer again soon.
pub const CLAIM_TTL_SECS: i64 = 60;

/// A recorded answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The comment that holds it.
    pub comment: u64,
    /// `yes` or `no`.
    pub answer: String,
    /// The Slack user id of who answered.
    pub user: String,
    /// When it was claimed (unix seconds); `None` for claims written by earlier versions.
    pub at: Option<i64>,
}

/// The claim comment: a sentence for people reading the issue, then the marker.
pub fn claim_comment(
    user_name: &str,
    user_id: &str,
    answer: &str,
    action: &str,
    when: &str,
    request_id: &RequestId,
    at: i64,
) -> String {
    let user = clean_user(user_id);
    format!(
        "Slack user **{}** (`{user}`) answered **{answer}** at {when}. {action}\n\n{}",
        user_name.replace(['*', '`', '<', '>', '@', '\\', '\n', '\r'], ""),
        marker_line(
            CLAIM,
            &[
                ("request", &clean(request_id.as_str())),
                ("answer", &clean(answer)),
                ("user", &user),
                ("at", &at.to_string()),
            ]
        )
    )
}

/// The escalation note: the incident opened (`Some((id, url))`) or already open (`None`).
pub fn escalation_note(request_id: &RequestId, incident: Option<(&str, Option<&str>)>) -> String {
    let (text, id) = match incident {
        Some((id, url)) => {
            (format!("PagerDuty incident {id} opened{}.", url.map(|u| format!(": {u}")).unwrap_or_default()), clean(id))
        }
        None => ("An open PagerDuty incident for this alarm already existed.".to_owned(), "existing".to_owned()),
    };
    format!("{text}\n\n{}", marker_line(ESCALATED, &[("request", &clean(request_id.as_str())), ("incident", &id)]))
}

/// The escalation note of an alarm nobody answered within `minutes`: the incident opened
/// (`Some((id, url))`) or already open (`None`).
pub fn no_answer_note(request_id: &RequestId, incident: Option<(&str, Option<&str>)>, minutes: u32) -> String {
    let (text, id) = match incident {
        Some((id, url)) => {
            (format!("PagerDuty incident {id} opened{}.", url.map(|u| format!(": {u}")).unwrap_or_default()), clean(id))
        }
        None => ("An open PagerDuty incident for this alarm already existed.".to_owned(), "existing".to_owned()),
    };
    format!(
        "Nobody answered the Slack prompt within {minutes} minutes: escalated. {text}\n\n{}",
        marker_line(ESCALATED, &[("request", &clean(request_id.as_str())), ("incident", &id), ("cause", "no_answer")])
    )
}

/// An escalation Dispatch recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escalation {
    /// The incident opened, or `None` when one with the alarm's key was already open.
    pub incident: Option<String>,
    /// Whether it was because nobody answered (else: a No).
    pub no_answer: bool,
}

/// The escalations of `request_id` Dispatch recorded among `comments`.
pub fn escalations(comments: &[Comment], writers: &Writers, request_id: &RequestId) -> Vec<Escalation> {
    let request = clean(request_id.as_str());
    writers
        .comments(comments)
        .filter_map(|c| read_marker(c.body.as_deref()?, ESCALATED))
        .filter(|fields| field(fields, "request") == Some(request.as_str()))
        .map(|fields| Escalation {
            incident: field(&fields, "incident").filter(|id| *id != "existing").map(str::to_owned),
            no_answer: field(&fields, "cause") == Some("no_answer"),
        })
        .collect()
}

fn clean_user(user_id: &str) -> String {
    user_id.chars().filter(char::is_ascii_alphanumeric).take(32).collect()
}

/// The claim for `request_id` a comment holds, if it is one.
fn read_claim(comment: &Comment, request_id: &RequestId) -> Option<Claim> {
    let fields = read_marker(comment.body.as_deref()?, CLAIM)?;
    (field(&fields, "request")? == clean(request_id.as_str())).then(|| Claim {
        comment: comment.id,
        answer: field(&fields, "answer").unwrap_or("?").to_owned(),
        user: field(&fields, "user").unwrap_or("?").to_owned(),
        at: field(&fields, "at").and_then(|t| t.parse().ok()),
    })
}

/// Whether an escalation note for `request_id` is among these comments.
fn escalated<'a>(mut comments: impl Iterator<Item = &'a Comment>, request_id: &RequestId) -> bool {
    let request = clean(request_id.as_str());
    comments.any(|c| {
        c.body
            .as_deref()
            .and_then(|body| read_marker(body, ESCALATED))
            .is_some_and(|fields| field(&fields, "request") == Some(request.as_str()))
    })
}

/// The earliest claim for `request_id` that stands, among the comments `writers` wrote, other than
/// the comment `excluding` (a click's own claim): in flight (younger than [`CLAIM_TTL_SECS`] at
/// `now`), confirmed (a Yes on a closed issue, a No with its escalation note), or written before
/// claims carried their time.
pub fn standing_claim(
    comments: &[Comment],
    writers: &Writers,
    request_id: &RequestId,
    issue_closed: bool,
    now: i64,
    excluding: Option<u64>,
) -> Option<Claim> {
    let escalated = escalated(writers.comments(comments), request_id);
    writers
        .comments(comments)
        .filter(|c| Some(c.id) != excluding)
        .filter_map(|c| read_claim(c, request_id))
        .filter(|claim| match claim.at {
            None => true,
            Some(at) => {
                let confirmed = match claim.answer.as_str() {
                    "yes" => issue_closed,
                    _ => escalated,
                };
                confirmed || now.saturating_sub(at) < CLAIM_TTL_SECS
            }
        })
        .min_by_key(|claim| claim.comment)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::Account;

    const NOW: i64 = 1_764_200_000;

    fn id() -> RequestId {
        RequestId::parse("ss-1").unwrap()
    }

    fn comment(id: u64, author: &str, body: String) -> Comment {
        Comment { id, html_url: String::new(), body: Some(body), user: Some(Account { login: author.to_owned() }) }
    }

    fn claim(id: u64, author: &str, answer: &str, at: i64) -> Comment {
        comment(id, author, claim_comment("alice", "U1", answer, "Acting.", "now", &super::tests::id(), at))
    }

    fn dispatch() -> Writers {
        Writers::default().and(Some("dispatch-bot"))
    }

    #[test]
    fn a_claim_round_trips() {
        let text = claim_comment("al*ice`", "U012<ABC>", "yes", "Closing.", "2026-11-27 10:00:00 UTC", &id(), NOW);
        assert_eq!(
            text,
            "Slack user **alice** (`U012ABC`) answered **yes** at 2026-11-27 10:00:00 UTC. Closing.\n\n\
             <!-- dispatch:answer request=ss-1 answer=yes user=U012ABC at=1764200000 -->"
        );
        let found = standing_claim(&[comment(7, "dispatch-bot", text)], &dispatch(), &id(), false, NOW, None);
        assert_eq!(found, Some(Claim { comment: 7, answer: "yes".into(), user: "U012ABC".into(), at: Some(NOW) }));
    }

    #[test]
    fn a_claim_in_someone_elses_comment_does_not_stand() {
        let comments = [claim(3, "mallory", "yes", NOW)];
        assert_eq!(standing_claim(&comments, &dispatch(), &id(), true, NOW, None), None);
    }

    #[test]
    fn a_claim_for_another_alarm_does_not_stand() {
        let other = RequestId::parse("ss-2").unwrap();
        let comments = [comment(3, "dispatch-bot", claim_comment("a", "U1", "no", ".", "now", &other, NOW))];
        assert_eq!(standing_claim(&comments, &dispatch(), &id(), false, NOW, None), None);
    }

    #[test]
    fn an_unconfirmed_claim_expires() {
        let comments = [claim(3, "dispatch-bot", "no", NOW - CLAIM_TTL_SECS)];
        assert_eq!(standing_claim(&comments, &dispatch(), &id(), false, NOW, None), None);
        let fresh = [claim(3, "dispatch-bot", "no", NOW - 5)];
        assert!(standing_claim(&fresh, &dispatch(), &id(), false, NOW, None).is_some());
    }

    #[test]
    fn a_confirmed_claim_stands_for_good() {
        let old = NOW - 86_400;
        let yes = [claim(3, "dispatch-bot", "yes", old)];
        assert!(standing_claim(&yes, &dispatch(), &id(), true, NOW, None).is_some());
        assert!(standing_claim(&yes, &dispatch(), &id(), false, NOW, None).is_none());
        let no = [
            claim(3, "dispatch-bot", "no", old),
            comment(4, "dispatch-bot", escalation_note(&id(), Some(("Q1", None)))),
        ];
        assert!(standing_claim(&no, &dispatch(), &id(), false, NOW, None).is_some());
        let forged_note = [claim(3, "dispatch-bot", "no", old), comment(4, "mallory", escalation_note(&id(), None))];
        assert!(standing_claim(&forged_note, &dispatch(), &id(), false, NOW, None).is_none());
    }

    #[test]
    fn escalations_name_their_incident_and_cause() {
        let comments = [
            comment(3, "dispatch-bot", escalation_note(&id(), Some(("Q1", Some("https://pd/Q1"))))),
            comment(4, "dispatch-bot", no_answer_note(&id(), None, 60)),
            comment(5, "mallory", no_answer_note(&id(), Some(("QEVIL", None)), 60)),
        ];
        assert_eq!(
            escalations(&comments, &dispatch(), &id()),
            [
                Escalation { incident: Some("Q1".into()), no_answer: false },
                Escalation { incident: None, no_answer: true }
            ]
        );
        let note = no_answer_note(&id(), Some(("Q2", None)), 45);
        assert!(
            note.starts_with("Nobody answered the Slack prompt within 45 minutes: escalated. PagerDuty incident Q2")
        );
        assert!(note.ends_with("<!-- dispatch:escalated request=ss-1 incident=Q2 cause=no_answer -->"), "{note}");
        let no_claim_but_escalated = [comment(6, "dispatch-bot", note)];
        assert_eq!(standing_claim(&no_claim_but_escalated, &dispatch(), &id(), false, NOW, None), None);
    }

    #[test]
    fn claims_written_before_they_carried_a_time_stand() {
        let legacy = "Slack user **a** (`U1`) answered **yes** at now.\n\n<!-- dispatch:answer request=ss-1 answer=yes user=U1 -->";
        let comments = [comment(3, "dispatch-bot", legacy.to_owned())];
        let found = standing_claim(&comments, &dispatch(), &id(), false, NOW, None).unwrap();
        assert_eq!((found.answer.as_str(), found.at), ("yes", None));
    }

    #[test]
    fn the_earliest_standing_claim_other_than_ones_own_wins() {
        let comments = [
            claim(5, "dispatch-bot", "no", NOW),
            claim(4, "dispatch-bot", "yes", NOW),
            claim(9, "dispatch-bot", "yes", NOW),
        ];
        assert_eq!(standing_claim(&comments, &dispatch(), &id(), false, NOW, Some(4)).unwrap().comment, 5);
        assert_eq!(standing_claim(&comments, &dispatch(), &id(), false, NOW, None).unwrap().comment, 4);
    }

    #[test]
    fn the_escalation_note_names_the_incident() {
        let note = escalation_note(&id(), Some(("Q00003", Some("https://pd/incidents/Q00003"))));
        assert_eq!(
            note,
            "PagerDuty incident Q00003 opened: https://pd/incidents/Q00003.\n\n<!-- dispatch:escalated request=ss-1 incident=Q00003 -->"
        );
        assert!(escalation_note(&id(), None).starts_with("An open PagerDuty incident for this alarm already existed."));
    }
}
