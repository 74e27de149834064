//! Users addressed by email, looked up once per address before the Slack delivery sends anything.

use std::collections::{BTreeSet, HashMap};

use futures::StreamExt;
use tracing::{error, info, warn};

use super::{Incoming, LOOKUP_CONCURRENCY};
use crate::deadline::Deadline;
use crate::ids::Email;
use crate::routing::{LookedUp, Plan, Unreachable};
use crate::slack::{SlackError, SlackUser};

/// What the lookup of each address found, keyed by [`Email::key`].
#[derive(Debug, Default)]
pub(super) struct Lookups(HashMap<String, Result<LookedUp, SlackError>>);

impl Lookups {
    /// What the lookup of `email` found; `None` when it was not looked up.
    pub(super) fn get(&self, email: &Email) -> Option<&Result<LookedUp, SlackError>> {
        self.0.get(&email.key())
    }

    /// Why nobody Dispatch may message has `email`, if its lookup found so.
    pub(super) fn unreachable(&self, email: &Email) -> Option<&Unreachable> {
        match self.get(email) {
            Some(Ok(LookedUp::Unreachable(why))) => Some(why),
            _ => None,
        }
    }
}

impl Incoming {
    /// Looks up, once each, the addresses of the entries not yet sent; `LOOKUP_CONCURRENCY` at a
    /// time. A lookup that failed transiently (or past `deadline`) is an error, which fails the
    /// entries waiting on it as a failed post would; Slack refusing it for good (a missing scope)
    /// counts as [`Unreachable::Refused`], so the message still reaches the default channel.
    pub(super) async fn look_up(&self, plan: &Plan, sent_before: &BTreeSet<usize>, deadline: Deadline) -> Lookups {
        let mut wanted: Vec<Email> = Vec::new();
        for (_, entry) in plan.slack.iter().enumerate().filter(|(i, _)| !sent_before.contains(i)) {
            if let Some(email) = entry.email()
                && !wanted.iter().any(|w| w.key() == email.key())
            {
                wanted.push(email.clone());
            }
        }
        let found = futures::stream::iter(wanted)
            .map(|email| async move {
                let found = looked_up(self.slack.lookup_by_email(&email, deadline).await);
                match &found {
                    Ok(LookedUp::User(id)) => {
                        info!(email = %email, user = %id, outcome = "found", "slack user found by email")
                    }
                    Ok(LookedUp::Unreachable(why)) => {
                        warn!(email = %email, reason = %why.describe(), outcome = "not found", "no slack user to message for this address; the default channel stands in")
                    }
                    Err(e) => {
                        error!(email = %email, code = e.code(), error = %e, retryable = e.is_retryable(), outcome = "lookup failed", "slack lookup by email failed")
                    }
                }
                (email.key(), found)
            })
            .buffer_unordered(LOOKUP_CONCURRENCY)
            .collect()
            .await;
        Lookups(found)
    }
}

/// What a lookup by email means for routing: an active person, or why nobody Dispatch may message.
/// Transient failures, and failures a post would have too, stay errors.
fn looked_up(found: Result<Option<SlackUser>, SlackError>) -> Result<LookedUp, SlackError> {
    match found {
        Ok(Some(user)) if user.deleted => Ok(LookedUp::Unreachable(Unreachable::Deactivated)),
        Ok(Some(user)) if user.is_bot => Ok(LookedUp::Unreachable(Unreachable::Bot)),
        Ok(Some(user)) => Ok(LookedUp::User(user.id)),
        Ok(None) => Ok(LookedUp::Unreachable(Unreachable::NotFound)),
        Err(SlackError::Unauthorized(code) | SlackError::Api(code)) => {
            Ok(LookedUp::Unreachable(Unreachable::Refused(code)))
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::SlackUserId;

    fn user(deleted: bool, is_bot: bool) -> Option<SlackUser> {
        Some(SlackUser { id: SlackUserId::parse("U056MNOPQR").unwrap(), deleted, is_bot })
    }

    #[test]
    fn only_an_active_person_is_messaged_and_a_refused_lookup_falls_back_to_the_default_channel() {
        let id = SlackUserId::parse("U056MNOPQR").unwrap();
        assert_eq!(looked_up(Ok(user(false, false))), Ok(LookedUp::User(id)));
        assert_eq!(looked_up(Ok(user(true, false))), Ok(LookedUp::Unreachable(Unreachable::Deactivated)));
        assert_eq!(looked_up(Ok(user(false, true))), Ok(LookedUp::Unreachable(Unreachable::Bot)));
        assert_eq!(looked_up(Ok(None)), Ok(LookedUp::Unreachable(Unreachable::NotFound)));
        let refused = looked_up(Err(SlackError::Api("missing_scope".into())));
        assert_eq!(refused, Ok(LookedUp::Unreachable(Unreachable::Refused("missing_scope".into()))));
        let transient = SlackError::Transient("timeout".into());
        assert_eq!(looked_up(Err(transient.clone())), Err(transient));
    }
}
