//! Dispatch's Slack messages for an alarm's later life: what replaces a prompt when the source
//! resolves the alarm or when nobody answered and it was escalated, and the reminder posted under
//! an unanswered prompt. None carries buttons: a replaced prompt can no longer be answered.

use crate::slack::SlackMessage;

use super::SECTION_MAX;
use super::text::{LINK_URL_MAX, NAME_MAX, clip, context, escape, is_blank, section};

fn issue_link(issue_url: &str) -> String {
    if is_blank(issue_url) || issue_url.chars().count() > LINK_URL_MAX {
        "the GitHub issue".to_owned()
    } else {
        format!("<{issue_url}|the GitHub issue>")
    }
}

fn note(text: String) -> SlackMessage {
    SlackMessage { blocks: vec![section(&clip(&text, SECTION_MAX))], text }
}

/// What replaces a prompt still showing buttons when the source says the alarm is resolved.
pub fn resolved_note(title: &str, issue_url: &str) -> SlackMessage {
    note(format!(
        ":white_check_mark: *Resolved at the source, nothing to do.*\n{}\nThe alarm's source reported the problem gone; Dispatch closed {}.",
        escape(&clip(title, NAME_MAX * 3)),
        issue_link(issue_url)
    ))
}

/// What replaces an unanswered prompt when it is escalated: `incident` is PagerDuty's id, or
/// `None` when one with the alarm's key was already open.
pub fn escalated_note(title: &str, minutes: u32, incident: Option<&str>, issue_url: &str) -> SlackMessage {
    let paged = match incident {
        Some(id) => format!("PagerDuty incident {} was opened", escape(&clip(id, NAME_MAX))),
        None => "an open PagerDuty incident for this alarm already existed".to_owned(),
    };
    note(format!(
        ":rotating_light: *Dispatch alert escalated: nobody answered within {minutes} minutes.*\n{}\n{paged}; see {}.",
        escape(&clip(title, NAME_MAX * 3)),
        issue_link(issue_url)
    ))
}

/// The reminder posted in the prompt's thread: mentions the user who is to answer, when the prompt
/// went to one (a prompt in a conversation may be answered by anyone in it).
pub fn reminder(user_id: Option<&str>, minutes: u32) -> SlackMessage {
    let user: Option<String> = user_id
        .map(|u| u.chars().filter(char::is_ascii_alphanumeric).take(NAME_MAX).collect())
        .filter(|u: &String| !u.is_empty());
    let text = match user {
        Some(user) => format!(
            "Reminder: <@{user}>, this alarm has waited {minutes} minutes for your answer. Was it you? Answer with the buttons above."
        ),
        None => {
            format!("Reminder: this alarm has waited {minutes} minutes for an answer. Answer with the buttons above.")
        }
    };
    SlackMessage { blocks: vec![context(&text)], text }
}

/// The ephemeral answer to a click on a prompt whose alarm was resolved at the source.
pub const ALREADY_RESOLVED: &str =
    "This alarm was already resolved at the source: nothing to do, and your answer changed nothing.";

#[cfg(test)]
mod tests {
    use super::*;

    fn no_buttons(message: &SlackMessage) -> bool {
        !message.blocks.iter().any(|b| b["type"] == "actions")
    }

    #[test]
    fn lifecycle_notes_carry_no_buttons_and_link_the_issue() {
        let resolved = resolved_note("Disk <full>", "https://github.com/acme/alarms/issues/7");
        assert!(no_buttons(&resolved));
        assert!(resolved.text.contains("Resolved at the source, nothing to do."));
        assert!(resolved.text.contains("Disk &lt;full&gt;"), "{}", resolved.text);
        assert!(resolved.text.contains("<https://github.com/acme/alarms/issues/7|the GitHub issue>"));
        let escalated = escalated_note("Disk", 60, Some("Q1"), "");
        assert!(no_buttons(&escalated));
        assert!(escalated.text.contains("nobody answered within 60 minutes"));
        assert!(escalated.text.contains("PagerDuty incident Q1 was opened; see the GitHub issue."));
        assert!(escalated_note("Disk", 5, None, "").text.contains("already existed"));
    }

    #[test]
    fn a_reminder_mentions_only_a_clean_user_id() {
        let text = reminder(Some("U012<!here>"), 30).text;
        assert!(text.starts_with("Reminder: <@U012here>, this alarm has waited 30 minutes"), "{text}");
        assert!(!reminder(None, 5).text.contains("<@"));
    }

    #[test]
    fn a_long_title_is_clipped_within_a_section() {
        let note = resolved_note(&"x".repeat(20_000), "https://x/1");
        assert!(note.blocks[0]["text"]["text"].as_str().unwrap().chars().count() <= super::super::SECTION_MAX);
    }
}
