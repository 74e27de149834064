//! From an entry of the plan to the Slack message posted: the plan carries everything the message
//! needs, and delivery adds only what it learnt on the way (the issue, what a lookup found).

use super::{
    email_not_found_notice, missing_slack_id_notice, prompt_without_buttons, self_service_prompt, text_message,
};
use crate::ids::Repo;
use crate::routing::{Plan, SlackContent, Unreachable};
use crate::slack::SlackMessage;
use crate::state::button::Callback;

/// The audit issue a message links to, and which its buttons name.
#[derive(Debug, Clone, Copy)]
pub struct IssueLink<'a> {
    /// Repository.
    pub repo: &'a Repo,
    /// Number.
    pub number: u64,
    /// Web address.
    pub url: &'a str,
}

/// The Slack message for `content`, an entry of `plan` resolved to where it goes. `unreachable`
/// is why the lookup of the entry's address found nobody to message, for the notice that says so
/// (not found, when unknown).
pub fn render(
    plan: &Plan,
    content: &SlackContent,
    issue: IssueLink<'_>,
    unreachable: Option<&Unreachable>,
) -> SlackMessage {
    let (url, number) = (issue.url, issue.number);
    match content {
        SlackContent::Prompt { prompt, intended_user } => {
            let callback = Callback {
                repo: issue.repo.clone(),
                issue: number,
                request_id: plan.request_id.clone(),
                user: intended_user.clone(),
                service: plan.escalation_service.clone(),
                yes_response: prompt.yes_response.clone(),
                no_response: prompt.no_response.clone(),
            };
            self_service_prompt(prompt, url, number, &callback.encode())
        }
        // Resolved to one of the two above before it is rendered; without a user, no buttons.
        SlackContent::PromptWithoutButtons(prompt) | SlackContent::PromptByEmail(prompt) => {
            prompt_without_buttons(prompt, url, number)
        }
        SlackContent::Text(text) => text_message(text),
        SlackContent::MissingSlackId { user } => missing_slack_id_notice(&plan.request_id, user.as_deref()),
        SlackContent::EmailNotFound { email } => {
            let why = unreachable.unwrap_or(&Unreachable::NotFound).describe();
            email_not_found_notice(&plan.request_id, email.as_str(), &why)
        }
    }
}
