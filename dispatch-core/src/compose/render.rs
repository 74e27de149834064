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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{Email, GitHubMention, GitHubOwner, RepoName, ServiceId, SlackChannel};
    use crate::routing::{RoutingDefaults, plan};

    fn plan_of(message: &str) -> Plan {
        let repo = Repo::new(GitHubOwner::parse("acme").unwrap(), RepoName::parse("alarms").unwrap());
        let defaults = RoutingDefaults {
            repo,
            github_user: GitHubMention::parse("acme/security").unwrap(),
            slack_channel: SlackChannel::parse("#security-alerts").unwrap(),
            pagerduty_service: ServiceId::parse("PDEFAULT").unwrap(),
        };
        plan(&crate::message::parse_event(message.as_bytes(), "e-1").unwrap(), &defaults)
    }

    #[test]
    fn a_prompt_is_composed_from_the_plan_alone_its_buttons_naming_the_alarm_and_its_escalation_service() {
        let mut message: serde_json::Value =
            serde_json::from_str(include_str!("../../../examples/self-service.json")).unwrap();
        message["pagerDutyServiceId"] = "PSECOPS".into();
        let plan = plan_of(&message.to_string());
        let repo = Repo::new(GitHubOwner::parse("acme").unwrap(), RepoName::parse("alarms").unwrap());
        let issue = IssueLink { repo: &repo, number: 7, url: "https://github.com/acme/alarms/issues/7" };
        let posted = render(&plan, &plan.slack[0].content, issue, None);
        let value = posted.blocks.last().unwrap()["elements"][0]["value"].as_str().unwrap().to_owned();
        let callback = Callback::decode(&value).unwrap();
        assert_eq!((callback.repo, callback.issue), (repo, 7));
        assert_eq!(callback.request_id.as_str(), "ss-2fa-disabled-0001");
        assert_eq!(callback.service.map(|s| s.as_str().to_owned()).as_deref(), Some("PSECOPS"));
        assert_eq!(callback.user.as_str(), "U012ABCDEF");
    }

    #[test]
    fn the_email_not_found_notice_says_why_the_lookup_found_nobody() {
        let plan = plan_of(
            r#"{"type":"nag","requestId":"r-1","users":[{"email":"carol@example.com"}],"body":{"github":{"title":"t","body":"b"},"slack":{"message":"m"}}}"#,
        );
        let repo = Repo::new(GitHubOwner::parse("acme").unwrap(), RepoName::parse("alarms").unwrap());
        let issue = IssueLink { repo: &repo, number: 1, url: "https://x/1" };
        let notice = SlackContent::EmailNotFound { email: Email::parse("carol@example.com").unwrap() };
        let bot = render(&plan, &notice, issue, Some(&Unreachable::Bot));
        assert!(bot.text.contains("(it belongs to a bot)"), "{}", bot.text);
        assert!(bot.text.starts_with("Dispatch r-1: "), "{}", bot.text);
        let unknown = render(&plan, &notice, issue, None);
        assert!(unknown.text.contains("(no Slack user has this address)"), "{}", unknown.text);
    }
}
