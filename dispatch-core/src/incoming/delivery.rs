//! The Slack delivery step (DESIGN.md §4, §5): post the plan's Slack messages not yet sent for
//! this event, record on the issue what went out (the delivery record, which a retry reads so that
//! nothing is sent twice), and tell the default channel about each message that failed.

use std::collections::BTreeSet;

use futures::StreamExt;
use tracing::{error, info, warn};

use super::lookup::Lookups;
use super::schedule::Scheduled;
use super::{
    Envelope, Incoming, IssueAction, IssueReport, RECORD_RESERVE, SLACK_CONCURRENCY, SlackReport, SlackResult,
};
use crate::compose::{self, IssueLink};
use crate::deadline::Deadline;
use crate::github::GitHubError;
use crate::ids::SlackChannel;
use crate::routing::{Plan, SlackContent, SlackDelivery};
use crate::scheduler::SchedulerError;
use crate::slack::SlackError;
use crate::state::Writers;
use crate::state::delivery::{self as delivery_record, Delivered as Record, PromptRef, RecordLine};

/// Why the delivery step did not deliver everything.
#[derive(Debug)]
pub(super) enum NotDelivered {
    /// The delivery record could not be read: nothing was sent.
    GitHub(GitHubError),
    /// Some messages failed (the others were sent, and are recorded).
    Failed {
        /// `recipient: code` of each failure.
        failed: Vec<String>,
        /// Every entry and what became of it.
        slack: Vec<SlackReport>,
        /// The follow-ups scheduled.
        scheduled: Vec<String>,
    },
    /// Every message went out, but a follow-up could not be scheduled (those that were are recorded).
    Schedule {
        /// Why.
        error: SchedulerError,
        /// Every entry and what became of it.
        slack: Vec<SlackReport>,
        /// The follow-ups scheduled.
        scheduled: Vec<String>,
    },
}

/// What the delivery step did.
#[derive(Debug)]
pub(super) struct Delivered {
    /// Every entry and what became of it.
    pub(super) slack: Vec<SlackReport>,
    /// The follow-ups scheduled, now or by an earlier attempt.
    pub(super) scheduled: Vec<String>,
}

/// An entry of the plan (by its index), as resolved for delivery, and what became of it.
type Settled = (usize, SlackDelivery, SlackResult);

impl Incoming {
    /// Sends the plan's Slack messages not yet sent for this event, records what went out on the
    /// issue, and reports failures after telling the default channel.
    pub(super) async fn deliver(
        &self,
        plan: &Plan,
        issue: &IssueReport,
        envelope: Envelope<'_>,
        deadline: Deadline,
    ) -> Result<Delivered, NotDelivered> {
        let before = if issue.action == IssueAction::Created {
            Record::default()
        } else {
            let comments = self
                .github
                .comments(&issue.repo, issue.issue.number, envelope.since().as_deref(), deadline)
                .await
                .map_err(NotDelivered::GitHub)?;
            delivery_record::delivered(envelope.event_id, &comments, &Writers::of(&issue.issue))
        };
        let sent_before: BTreeSet<usize> = before.sent.iter().copied().collect();
        // Slack's rate-limit waits must leave time to record what went out: a delivery without its
        // record would be sent again by the retry.
        let sending = deadline.reserving(RECORD_RESERVE);
        // Every address still needed is looked up once, before anything is sent; then each entry
        // is resolved to where it goes.
        let lookups = self.look_up(plan, &sent_before, sending).await;
        let mut results: Vec<Settled> = Vec::new();
        let mut to_post: Vec<(usize, SlackDelivery)> = Vec::new();
        for (i, entry) in plan.slack.iter().enumerate() {
            if sent_before.contains(&i) {
                results.push((i, entry.clone(), SlackResult::AlreadySent));
                continue;
            }
            match entry.email().map(|email| lookups.get(email)) {
                Some(Some(Err(e))) => results.push((i, entry.clone(), SlackResult::Failed(e.clone()))),
                Some(None) => {
                    results.push((i, entry.clone(), SlackResult::Failed(SlackError::Transient("not looked up".into()))))
                }
                found => match entry.resolve(found.flatten().and_then(|f| f.as_ref().ok())) {
                    Some(resolved) => to_post.push((i, resolved)),
                    None => results.push((i, entry.clone(), SlackResult::NotNeeded)),
                },
            }
        }
        let (posted, prompts) = self.post_in_lanes(plan, issue, to_post, &lookups, sending).await;
        results.extend(posted);
        results.sort_by_key(|(i, _, _)| *i);

        let (sent, lines, failed) = account(plan, &results);
        // Follow-ups are scheduled once a prompt is out; those an earlier attempt scheduled are not again.
        let prompted = prompts.first().map(|(entry, at)| (entry.clone(), Some(at.clone()))).or_else(|| {
            plan.slack
                .iter()
                .enumerate()
                .find(|(i, e)| sent_before.contains(i) && e.content.has_buttons())
                .map(|(_, e)| (e.clone(), before.prompts.first().cloned()))
        });
        let schedules = match prompted {
            Some((entry, at)) => {
                self.schedule_follow_ups(plan, issue, (&entry, at.as_ref()), &before.scheduled, envelope, sending).await
            }
            None => Scheduled::default(),
        };
        let slack: Vec<SlackReport> =
            results.into_iter().map(|(_, delivery, result)| SlackReport { delivery, result }).collect();
        let record = Record {
            sent,
            prompts: prompts.into_iter().map(|(_, prompt)| prompt).collect(),
            scheduled: schedules.created.clone(),
        };
        if !lines.is_empty() || !record.scheduled.is_empty() {
            let comment = delivery_record::delivery_comment(envelope.event_id, &plan.request_id, &record, &lines);
            self.record(issue, &comment, deadline).await;
        }
        let scheduled: Vec<String> = before.scheduled.into_iter().chain(schedules.created).collect();
        if failed.is_empty() {
            return match schedules.failed {
                None => Ok(Delivered { slack, scheduled }),
                Some(e) => Err(NotDelivered::Schedule { error: e, slack, scheduled }),
            };
        }
        for (entry, e) in &failed {
            if entry.channel() != Some(&self.defaults.slack_channel) {
                let notice = compose::delivery_error_notice(&plan.request_id, &entry.recipient, e.code());
                if let Err(notice_error) =
                    self.slack.post_message(&self.defaults.slack_channel, &notice, deadline).await
                {
                    error!(error = %notice_error, "error notice to the default channel not delivered");
                }
            }
        }
        let failed = failed.iter().map(|(entry, e)| format!("{}: {}", entry.recipient, e.code())).collect();
        Err(NotDelivered::Failed { failed, slack, scheduled })
    }

    /// Writes the delivery record, trying again while GitHub fails in a way worth retrying: it is
    /// what stops a retry from sending twice, and what names the prompt to later steps. A record
    /// written twice (a failed comment GitHub applied anyway) merges with itself.
    async fn record(&self, issue: &IssueReport, comment: &str, deadline: Deadline) {
        const ATTEMPTS: usize = 3;
        for attempt in 1..=ATTEMPTS {
            match self.github.comment(&issue.repo, issue.issue.number, comment, deadline).await {
                Ok(_) => return,
                Err(e) if e.is_retryable() && attempt < ATTEMPTS && !deadline.remaining().is_zero() => {
                    warn!(issue = issue.issue.number, error = %e, attempt, "delivery record not written; trying again");
                }
                // Every alarm that could be delivered was; only the record is missing.
                Err(e) => {
                    error!(issue = issue.issue.number, error = %e, "delivery record not written");
                    return;
                }
            }
        }
    }

    /// Posts the resolved entries: one sequential lane per conversation (messages to one
    /// conversation stay in order), [`SLACK_CONCURRENCY`] lanes at a time.
    async fn post_in_lanes(
        &self,
        plan: &Plan,
        issue: &IssueReport,
        to_post: Vec<(usize, SlackDelivery)>,
        lookups: &Lookups,
        deadline: Deadline,
    ) -> (Vec<Settled>, Vec<(SlackDelivery, PromptRef)>) {
        let mut lanes: Vec<(SlackChannel, Vec<(usize, SlackDelivery)>)> = Vec::new();
        for (i, entry) in to_post {
            let channel = entry.channel().cloned().unwrap_or_else(|| self.defaults.slack_channel.clone());
            match lanes.iter_mut().find(|(c, _)| *c == channel) {
                Some((_, lane)) => lane.push((i, entry)),
                None => lanes.push((channel, vec![(i, entry)])),
            }
        }
        let link = IssueLink { repo: &issue.repo, number: issue.issue.number, url: issue.issue.html_url.as_str() };
        futures::stream::iter(lanes)
            .map(|(channel, lane)| async move {
                let (mut out, mut prompts) = (Vec::new(), Vec::new());
                for (i, entry) in lane {
                    let unreachable = entry.email().and_then(|email| lookups.unreachable(email));
                    let content = compose::render(plan, &entry.content, link, unreachable);
                    let result = match self.slack.post_message(&channel, &content, deadline).await {
                        Ok(posted) => {
                            // Its conversation and `ts`, to update or follow it up later.
                            if entry.content.has_buttons() && content.blocks.iter().any(|b| b["type"] == "actions") {
                                prompts.push((entry.clone(), PromptRef { channel: posted.channel, ts: posted.ts }));
                            }
                            SlackResult::Sent(content)
                        }
                        Err(e) => SlackResult::Failed(e),
                    };
                    out.push((i, entry, result));
                }
                (out, prompts)
            })
            .buffer_unordered(SLACK_CONCURRENCY)
            .fold((Vec::new(), Vec::new()), |(mut all, mut prompts), (out, lane_prompts)| async move {
                all.extend(out);
                prompts.extend(lane_prompts);
                (all, prompts)
            })
            .await
    }
}

/// Logs what became of each entry and sorts it for the delivery record: the indices settled
/// (sent, or not needed), the record's lines (sent or failed now), and the failures.
fn account(plan: &Plan, results: &[Settled]) -> (Vec<usize>, Vec<RecordLine>, Vec<(SlackDelivery, SlackError)>) {
    let (mut sent, mut lines, mut failed) = (Vec::new(), Vec::new(), Vec::new());
    for (i, entry, result) in results {
        let what = content_kind(&entry.content);
        let channel = entry.channel().map_or_else(|| "users.lookupByEmail".to_owned(), ToString::to_string);
        // The delivery record names the address a user was found by.
        let recipient = match plan.slack[*i].email() {
            Some(email) if entry.recipient != email.as_str() => format!("{} ({email})", entry.recipient),
            _ => entry.recipient.clone(),
        };
        match result {
            SlackResult::Sent(_) => {
                info!(recipient = %entry.recipient, channel = %channel, message = what, outcome = "sent", "slack message sent");
                sent.push(*i);
                lines.push(RecordLine { recipient, channel, what, failure: None });
            }
            SlackResult::AlreadySent => {
                info!(recipient = %entry.recipient, message = what, outcome = "already sent", "slack message sent by an earlier attempt");
            }
            // Settled: a retry does not look the address up again for it.
            SlackResult::NotNeeded => sent.push(*i),
            SlackResult::Failed(e) => {
                error!(recipient = %entry.recipient, channel = %channel, message = what, code = e.code(), error = %e, outcome = "failed", "slack message not delivered");
                lines.push(RecordLine { recipient, channel, what, failure: Some(e.code().to_owned()) });
                failed.push((entry.clone(), e.clone()));
            }
        }
    }
    (sent, lines, failed)
}

/// A word for the kind of Slack message, for logs and the delivery record.
fn content_kind(content: &SlackContent) -> &'static str {
    match content {
        SlackContent::Prompt { .. } | SlackContent::PromptByEmail(_) => "self-service prompt",
        SlackContent::PromptWithoutButtons(_) => "self-service alarm (no buttons)",
        SlackContent::Text(_) => "message",
        SlackContent::MissingSlackId { .. } => "missing Slack ID notice",
        SlackContent::EmailNotFound { .. } => "email not found notice",
    }
}
