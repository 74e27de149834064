//! The Slack part of the plan: each message to post, where it goes, and what it holds. A user
//! known only by email stays an address here ([`SlackTarget::Email`]) until delivery looks it up;
//! [`SlackDelivery::resolve`] then turns the entry into where it goes.

use super::RoutingDefaults;
use crate::ids::{Email, SlackChannel, SlackUserId};
use crate::message::{Prompt, User};

/// One Slack message to post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlackDelivery {
    /// Where it goes.
    pub to: SlackTarget,
    /// Who it is for, for logs and the delivery record: the Slack handle, id or email, else
    /// `users[i]`.
    pub recipient: String,
    /// What is posted.
    pub content: SlackContent,
}

/// Where a Slack message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlackTarget {
    /// Known when the plan is made: a user's id (their DM), a channel, or the default channel.
    Channel(SlackChannel),
    /// A user known only by email, looked up when the message is delivered: their DM when an
    /// active person (not deactivated, not a bot) has the address, else `fallback` (the default
    /// channel), where the [`SlackContent::EmailNotFound`] notice follows it.
    Email {
        /// The address to look up.
        email: Email,
        /// The default channel, if the lookup finds nobody Dispatch may message.
        fallback: SlackChannel,
    },
}

/// What the lookup of an address found, as far as routing is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookedUp {
    /// An active person: the message goes to their DM.
    User(SlackUserId),
    /// Nobody Dispatch may message: the default channel, and the notice.
    Unreachable(Unreachable),
}

/// Why an address did not give a user to message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreachable {
    /// Slack knows no user with the address (`users_not_found`).
    NotFound,
    /// The account is deactivated (`deleted: true`).
    Deactivated,
    /// The address is a bot's.
    Bot,
    /// Slack refused the lookup for good (for example `missing_scope` without `users:read.email`):
    /// Slack's code.
    Refused(String),
}

impl Unreachable {
    /// A short phrase for notices and logs.
    pub fn describe(&self) -> String {
        match self {
            Self::NotFound => "no Slack user has this address".to_owned(),
            Self::Deactivated => "its Slack account is deactivated".to_owned(),
            Self::Bot => "it belongs to a bot".to_owned(),
            Self::Refused(code) => format!("Slack refused the lookup: {code}"),
        }
    }
}

impl SlackDelivery {
    /// The address this entry waits on: its target's, or that of the notice for it.
    pub fn email(&self) -> Option<&Email> {
        match (&self.to, &self.content) {
            (SlackTarget::Email { email, .. }, _) | (_, SlackContent::EmailNotFound { email }) => Some(email),
            _ => None,
        }
    }

    /// This entry once its address is looked up (`found`; ignored for an entry without one):
    /// addressed to a [`SlackTarget::Channel`], a prompt to a user found by email with its buttons
    /// for that user, and `None` when it is not to be posted (the notice for an address that was
    /// found).
    pub fn resolve(&self, found: Option<&LookedUp>) -> Option<SlackDelivery> {
        let user = match found {
            Some(LookedUp::User(id)) => Some(id),
            Some(LookedUp::Unreachable(_)) | None => None,
        };
        let (to, content) = match (&self.to, user) {
            (_, Some(_)) if matches!(self.content, SlackContent::EmailNotFound { .. }) => return None,
            (SlackTarget::Channel(channel), _) => (channel.clone(), self.content.clone()),
            (SlackTarget::Email { .. }, Some(id)) => {
                let content = match &self.content {
                    SlackContent::PromptByEmail(prompt) => {
                        SlackContent::Prompt { prompt: prompt.clone(), intended_user: id.clone() }
                    }
                    other => other.clone(),
                };
                (id.clone().into(), content)
            }
            (SlackTarget::Email { fallback, .. }, None) => {
                let content = match &self.content {
                    SlackContent::PromptByEmail(prompt) => SlackContent::PromptWithoutButtons(prompt.clone()),
                    other => other.clone(),
                };
                (fallback.clone(), content)
            }
        };
        Some(SlackDelivery { to: SlackTarget::Channel(to), recipient: self.recipient.clone(), content })
    }

    /// The channel, once known: `None` for a user still to be looked up by email.
    pub fn channel(&self) -> Option<&SlackChannel> {
        match &self.to {
            SlackTarget::Channel(channel) => Some(channel),
            SlackTarget::Email { .. } => None,
        }
    }
}

/// The content of a Slack message; the issue link is added when the issue is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlackContent {
    /// Self-service DM: message, issue link, prompt, Yes and No buttons for this user.
    Prompt {
        /// Texts from the message.
        prompt: Prompt,
        /// Only this Slack user may answer.
        intended_user: crate::ids::SlackUserId,
    },
    /// Self-service for a user without a Slack id, in the shared default channel: message, issue
    /// link and prompt, but no buttons.
    PromptWithoutButtons(Prompt),
    /// Self-service for a user known by email ([`SlackTarget::Email`]): once found, a
    /// [`SlackContent::Prompt`] whose buttons are for the id found; else a
    /// [`SlackContent::PromptWithoutButtons`] in the default channel.
    PromptByEmail(Prompt),
    /// Broadcast or nag: the message only.
    Text(String),
    /// The notice in the default channel that a user's Slack id was missing.
    MissingSlackId {
        /// The user's handle or GitHub login, when known.
        user: Option<String>,
    },
    /// The notice in the default channel, after the message meant for them, that no Slack user
    /// Dispatch may message has a user's address. Posted only when the lookup of `email` finds
    /// nobody; not needed when it finds the user.
    EmailNotFound {
        /// The address.
        email: Email,
    },
}

impl SlackContent {
    /// Whether it carries Yes / No buttons (or will, once its user is found by email): a prompt
    /// that can be answered, and so followed up and updated.
    pub fn has_buttons(&self) -> bool {
        matches!(self, Self::Prompt { .. } | Self::PromptByEmail(_))
    }
}

pub(super) fn recipient(user: &User, index: usize) -> String {
    user.display().map_or_else(|| format!("users[{index}]"), str::to_owned)
}

/// A user without a Slack id: the content goes to the default channel, followed by the notice.
pub(super) fn defaulted(
    user: &User,
    index: usize,
    content: SlackContent,
    defaults: &RoutingDefaults,
) -> Vec<SlackDelivery> {
    let notice = SlackContent::MissingSlackId {
        user: user.slack.clone().or_else(|| user.github.as_ref().map(ToString::to_string)),
    };
    [content, notice]
        .into_iter()
        .map(|content| SlackDelivery {
            to: SlackTarget::Channel(defaults.slack_channel.clone()),
            recipient: recipient(user, index),
            content,
        })
        .collect()
}

/// A user known by email: the content to the address, then the notice in the default channel that
/// [`SlackDelivery::resolve`] keeps only if the lookup finds nobody. Two entries, so that the
/// delivery record settles each on its own.
pub(super) fn by_email(
    user: &User,
    index: usize,
    email: &Email,
    content: SlackContent,
    defaults: &RoutingDefaults,
) -> Vec<SlackDelivery> {
    vec![
        SlackDelivery {
            to: SlackTarget::Email { email: email.clone(), fallback: defaults.slack_channel.clone() },
            recipient: recipient(user, index),
            content,
        },
        SlackDelivery {
            to: SlackTarget::Channel(defaults.slack_channel.clone()),
            recipient: recipient(user, index),
            content: SlackContent::EmailNotFound { email: email.clone() },
        },
    ]
}
