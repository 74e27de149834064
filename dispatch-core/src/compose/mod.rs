//! The Slack messages Dispatch composes, as Block Kit: for an alarm (the self-service prompt, the
//! broadcast/nag DM, the notices in the default channel; [`render`] picks one for an entry of the
//! plan) and for an answer (what replaces a prompt once answered, and the ephemeral replies).
//! Texts Dispatch composes escape Slack's control characters; the sender's own texts are mrkdwn.
//! The Slack client only sends what is composed here.
//!
//! Every builder keeps within Slack's documented limits (DESIGN.md §7d, §7i) whatever the texts it
//! is given, because Slack refuses a whole message (`invalid_blocks`) for one block out of bounds:
//! sections hold 1–3,000 characters and never only whitespace, a message holds at most 50 blocks,
//! button texts at most 75 characters and values at most 2,000. Slack also refuses a message whose
//! blocks hold more than about 12,000 characters of text in all (`msg_blocks_too_long`,
//! undocumented), so the blocks hold at most [`BLOCKS_TEXT_MAX`]. A text that would need more
//! blocks or characters is cut, ending with a note that the full text is on the GitHub issue (which
//! always has it). The `text` fallback, used only in notifications, is cut to
//! [`FALLBACK_TEXT_MAX`]. Characters are Unicode scalar values.

mod alarm;
mod answer;
mod lifecycle;
mod render;
mod text;

pub use alarm::{
    delivery_error_notice, email_not_found_notice, missing_slack_id_notice, prompt_without_buttons,
    self_service_prompt, text_message,
};
pub use answer::{Outcome, answered, ephemeral};
pub use lifecycle::{ALREADY_RESOLVED, escalated_note, reminder, resolved_note};
pub use render::{IssueLink, render};
pub use text::{escape, is_blank};

/// `action_id` of the Yes button.
pub const YES_ACTION: &str = "dispatch_yes";
/// `action_id` of the No button.
pub const NO_ACTION: &str = "dispatch_no";
/// `block_id` of the buttons.
pub const PROMPT_BLOCK: &str = "dispatch_prompt";
/// Colour of an acknowledged alarm.
pub const ACKNOWLEDGED_COLOUR: &str = "#008E00";
/// Colour of an escalated alarm.
pub const ESCALATED_COLOUR: &str = "#CC0000";

/// Most characters in one section block (and in one context element).
pub const SECTION_MAX: usize = 3000;
/// Most blocks in one message (or one attachment).
pub const BLOCKS_MAX: usize = 50;
/// Most characters in a button's text.
pub const BUTTON_TEXT_MAX: usize = 75;
/// Most characters in a button's value.
pub const BUTTON_VALUE_MAX: usize = 2000;
/// Most characters in a message's top-level `text` (Slack truncates beyond).
pub const TEXT_MAX: usize = 40_000;
/// Most characters of text in all the blocks of a message Dispatch builds: under the ~12,000 at
/// which Slack refuses a message with `msg_blocks_too_long` (slackapi/bolt-js#2509, #2867), with
/// room to spare for what Slack counts that Dispatch does not know of.
pub const BLOCKS_TEXT_MAX: usize = 10_000;
/// Most characters in the `text` fallback of a message with blocks (shown only in notifications;
/// Slack has refused long ones with `msg_too_long`).
pub const FALLBACK_TEXT_MAX: usize = 3_000;
