//! The issue step (DESIGN.md §3, §5): look the title up, then create, resume, reuse or suppress,
//! and settle which issue an event goes on when the same alarm was created more than once.

use tracing::{error, info, warn};

use super::{Envelope, Incoming, IssueAction, IssueReport};
use crate::deadline::Deadline;
use crate::github::{Counted, GitHubError, Issue, NewIssue, OwnIssue, Twin};
use crate::ids::RequestId;
use crate::routing::{Dedup, IssuePlan, OnDuplicate};
use crate::state::event;

/// Where an event carries on after [`Incoming::step_aside`].
#[derive(Debug)]
enum Stepped {
    /// On this issue: the one just created, or this event's own earlier one.
    Kept(Issue),
    /// Nowhere: another event's earlier issue won.
    Aside(Issue),
}

/// Why an issue is closed as a duplicate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Why {
    /// Another event with the same alarm created it at the same time.
    Concurrent,
    /// This event created it twice: GitHub applied a failed create late.
    AppliedLate,
}

/// Which issues the GitHub lookup counts under the plan's dedup rule.
fn counted(dedup: Dedup) -> Counted {
    match dedup {
        Dedup::OpenOnly => Counted::Open,
        Dedup::OpenAndClosed => Counted::OpenAndClosed,
    }
}

/// The issue that decides under the dedup rule, when the lookup's pick is a record of a resolve
/// that came first (an issue Dispatch opened closed, or that GitHub applied late and left open):
/// a record is not an alarm, so the newest issue that counts and is not one decides instead.
fn not_a_record(same_title: &[Issue], dedup: Dedup, found: Option<Issue>) -> Option<Issue> {
    let is_record = |i: &Issue| i.body.as_deref().is_some_and(event::is_record);
    if !found.as_ref().is_some_and(is_record) {
        return found;
    }
    same_title
        .iter()
        .filter(|i| !is_record(i) && (dedup == Dedup::OpenAndClosed || i.is_open()))
        .max_by_key(|i| i.number)
        .cloned()
}

/// A resolve of this alarm published no later than the alarm (SNS does not keep order), among the
/// issues with its title: an issue whose marker carries `resolved=` (a record of a resolve that
/// came first, closed or left open by a create GitHub applied late; or an earlier issue of the
/// alarm that a resolve closed), by the same author as the alarm's own issue (Dispatch). Unknown publication time: none, the alarm
/// goes out.
fn resolved_before(same_title: &[Issue], own: &Issue, published_ms: Option<i64>) -> Option<Issue> {
    let published = published_ms?;
    let dispatch = crate::state::Writers::of(own);
    same_title
        .iter()
        .filter(|i| i.number != own.number && dispatch.wrote(i.author()))
        .find(|i| i.body.as_deref().and_then(event::resolved_at).is_some_and(|at| at >= published))
        .cloned()
}

/// Another event's issue won: a nag reuses it, anything else is suppressed by it.
fn yield_to(issue: &IssuePlan, earlier: Issue) -> (Issue, IssueAction) {
    match issue.on_duplicate {
        OnDuplicate::Reuse => (earlier, IssueAction::Reused),
        OnDuplicate::Stop => (earlier, IssueAction::Suppressed),
    }
}

impl Incoming {
    /// Looks the title up and creates, resumes, reuses or suppresses.
    pub(super) async fn open_issue(
        &self,
        issue: &IssuePlan,
        request_id: &RequestId,
        envelope: Envelope<'_>,
        deadline: Deadline,
    ) -> Result<IssueReport, GitHubError> {
        let own = event::own_prefix(envelope.event_id);
        let own_issue = OwnIssue { marker: &own, maybe_closed: envelope.may_be_a_retry(chrono::Utc::now()) };
        let lookup = self
            .github
            .find_duplicate(&issue.repo, &issue.title, counted(issue.dedup), Some(own_issue), deadline)
            .await
            .inspect_err(|e| error!(error = %e, retryable = e.is_retryable(), "issue lookup failed"))?;
        if !lookup.complete {
            warn!("dedup lookup was incomplete (search unavailable); older duplicates may be missed");
        }
        let decides = if lookup.ours {
            lookup.found.clone()
        } else {
            not_a_record(&lookup.same_title, issue.dedup, lookup.found.clone())
        };
        let (found, action) = match decides {
            // An earlier attempt of this event created the issue (more than one, if GitHub applied
            // a create late): the earliest is kept and the others step aside as its duplicates. If
            // it lost a race with the same alarm and failed before stepping aside, step aside now.
            Some(found) if lookup.ours => {
                for later in lookup.also_ours.iter().filter(|i| i.is_open()) {
                    self.close_as_duplicate(issue, later.number, &found, Why::AppliedLate, request_id, deadline)
                        .await?;
                }
                match self.step_aside(issue, &found, &own, true, request_id, deadline).await? {
                    Stepped::Kept(kept) => (kept, IssueAction::Resumed),
                    Stepped::Aside(earlier) => yield_to(issue, earlier),
                }
            }
            Some(found) if issue.on_duplicate == OnDuplicate::Reuse => (found, IssueAction::Reused),
            Some(found) => (found, IssueAction::Suppressed),
            None => {
                let new = NewIssue {
                    title: issue.title.clone(),
                    body: event::body_with_marker(&issue.body, envelope.event_id, request_id),
                    labels: issue.labels.clone(),
                };
                let created = self
                    .github
                    .create_issue(&issue.repo, &new, deadline)
                    .await
                    .inspect_err(|e| error!(error = %e, retryable = e.is_retryable(), "issue not created"))?;
                // Others were created between the lookup and this create: maybe the same alarm,
                // or this event's own earlier create, applied late by GitHub.
                let crowded = created.number > lookup.newest.unwrap_or(0) + 1;
                match self.step_aside(issue, &created, &own, crowded, request_id, deadline).await? {
                    Stepped::Kept(kept) if kept.number == created.number => (kept, IssueAction::Created),
                    Stepped::Kept(kept) => (kept, IssueAction::Resumed),
                    Stepped::Aside(earlier) => yield_to(issue, earlier),
                }
            }
        };
        let (found, action) = match action {
            IssueAction::Created | IssueAction::Resumed => {
                match resolved_before(&lookup.same_title, &found, envelope.published_ms()) {
                    Some(record) => (
                        self.hold_back(issue, found, &record, request_id, deadline).await?,
                        IssueAction::ResolvedBefore,
                    ),
                    // A retry of an alarm the source has resolved since its first attempt: what
                    // that attempt left undone is not worth sending any more.
                    None if action == IssueAction::Resumed
                        && found.body.as_deref().and_then(event::resolved_at).is_some() =>
                    {
                        (found, IssueAction::ResolvedBefore)
                    }
                    None => (found, action),
                }
            }
            _ => (found, action),
        };
        let outcome = match action {
            IssueAction::Created => "issue created",
            IssueAction::Resumed => "issue resumed",
            IssueAction::Reused => "issue reused",
            IssueAction::Suppressed => "duplicate suppressed",
            IssueAction::ResolvedBefore => "resolved before it fired",
        };
        info!(issue = found.number, state = %found.state, outcome, "audit issue");
        Ok(IssueReport { repo: issue.repo.clone(), issue: found, action })
    }

    /// Settles which issue this event goes on when the same title was created more than once.
    /// GitHub cannot create an issue only if absent, so identical alarms arriving together may each
    /// create one, and a create answered with an error may still be applied, late. Called with
    /// `check` only when the issue numbers show that others were created meanwhile (or on a
    /// retry), so the usual alarm pays no extra request. The earliest issue wins: if it is this
    /// event's own, this one is closed as its duplicate and the event carries on there
    /// ([`Stepped::Kept`]); if it is another event's, this one is closed and the event yields to it.
    async fn step_aside(
        &self,
        issue: &IssuePlan,
        created: &Issue,
        own: &str,
        check: bool,
        request_id: &RequestId,
        deadline: Deadline,
    ) -> Result<Stepped, GitHubError> {
        if !check {
            return Ok(Stepped::Kept(created.clone()));
        }
        let twin = self
            .github
            .earlier_twin(&issue.repo, &issue.title, counted(issue.dedup), Some(own), created.number, deadline)
            .await?;
        match twin {
            None => Ok(Stepped::Kept(created.clone())),
            Some(Twin::Ours(earliest)) => {
                self.close_as_duplicate(issue, created.number, &earliest, Why::AppliedLate, request_id, deadline)
                    .await?;
                Ok(Stepped::Kept(earliest))
            }
            Some(Twin::Other(earlier)) => {
                if created.is_open() {
                    self.close_as_duplicate(issue, created.number, &earlier, Why::Concurrent, request_id, deadline)
                        .await?;
                }
                info!(
                    issue = created.number,
                    earlier = earlier.number,
                    outcome = "concurrent duplicate closed",
                    "the same alarm was created concurrently; the earlier issue wins"
                );
                Ok(Stepped::Aside(earlier))
            }
        }
    }

    /// Closes this alarm's issue because the source resolved it before it was published: the
    /// issue says so, and nothing is sent. Already closed (a retry): left as it is.
    async fn hold_back(
        &self,
        issue: &IssuePlan,
        found: Issue,
        record: &Issue,
        request_id: &RequestId,
        deadline: Deadline,
    ) -> Result<Issue, GitHubError> {
        warn!(
            issue = found.number,
            record = record.number,
            outcome = "resolved before it fired",
            "the source resolved this alarm before it was published: nothing is sent"
        );
        if !found.is_open() {
            return Ok(found);
        }
        let note = format!(
            "Resolved at the source before this alarm was published (see #{}): nothing was sent (request `{request_id}`).",
            record.number
        );
        self.github.comment(&issue.repo, found.number, &note, deadline).await?;
        self.github.close_issue(&issue.repo, found.number, deadline).await
    }

    /// Comments on issue `number` that it duplicates `kept`, and closes it as not planned.
    async fn close_as_duplicate(
        &self,
        issue: &IssuePlan,
        number: u64,
        kept: &Issue,
        why: Why,
        request_id: &RequestId,
        deadline: Deadline,
    ) -> Result<(), GitHubError> {
        let reason = match why {
            Why::Concurrent => "the same alarm arrived more than once at the same time",
            Why::AppliedLate => "GitHub applied a create of this alarm that had failed, after it was sent again",
        };
        let note = format!("Duplicate of #{}: {reason} (request `{request_id}`).", kept.number);
        self.github.comment(&issue.repo, number, &note, deadline).await?;
        self.github.close_issue_as(&issue.repo, number, "not_planned", deadline).await?;
        if why == Why::AppliedLate {
            warn!(
                issue = number,
                kept = kept.number,
                outcome = "late create closed",
                "GitHub applied a failed create late; the earliest issue of this event is kept"
            );
        }
        Ok(())
    }
}
