//! The Slack checks: the bot token and its scopes, and the default channel.

use dispatch_core::config::IncomingConfig;
use dispatch_core::deadline::Deadline;
use dispatch_core::slack::{Slack, SlackError};

use super::{CHECK_BUDGET, Doctor, POLICY, SLACK_SCOPES, UNREACHABLE_FIX};

impl Doctor {
    pub(super) async fn slack(&mut self, config: &IncomingConfig) {
        let http = match dispatch_core::http::client(POLICY.request_timeout) {
            Ok(http) => http,
            Err(e) => {
                self.fail("Slack", format!("no HTTP client: {e}"), "run the doctor again");
                return;
            }
        };
        let slack = Slack::new(http, &config.slack_api_url, Some(config.slack_bot_token.clone()), POLICY);
        let auth = match slack.auth_test(Deadline::after(CHECK_BUDGET)).await {
            Ok(auth) => auth,
            Err(SlackError::Unauthorized(code)) => {
                self.fail(
                    "Slack",
                    format!("the bot token was refused ({code})"),
                    "copy the Bot User OAuth Token (xoxb-…) from the app's OAuth & Permissions page into SlackBotToken; reinstall the app if the token was revoked",
                );
                self.skip("Slack", "scopes and default channel not checked without a working token");
                return;
            }
            Err(e) => {
                self.fail("Slack", format!("auth.test failed: {e}"), UNREACHABLE_FIX);
                return;
            }
        };
        self.pass("Slack", format!("the bot token works (workspace {}, bot user {})", auth.team, auth.user));
        match &auth.scopes {
            None => self.warn(
                "Slack",
                "Slack did not list the token's scopes (no x-oauth-scopes header)",
                format!("check under OAuth & Permissions that the bot has {}", SLACK_SCOPES.join(", ")),
            ),
            Some(scopes) => {
                let missing: Vec<&str> =
                    SLACK_SCOPES.iter().copied().filter(|s| !scopes.iter().any(|have| have == s)).collect();
                match missing.as_slice() {
                    [] => self.pass(
                        "Slack",
                        format!("the token has the scopes Dispatch needs ({})", SLACK_SCOPES.join(", ")),
                    ),
                    [one] => self.fail(
                        "Slack",
                        format!("the token lacks the scope {one}"),
                        "add it under OAuth & Permissions › Bot Token Scopes and reinstall the app",
                    ),
                    several => self.fail(
                        "Slack",
                        format!("the token lacks the scopes {}", several.join(", ")),
                        "add them under OAuth & Permissions › Bot Token Scopes and reinstall the app",
                    ),
                }
            }
        }
        self.default_channel(&slack, config.defaults.slack_channel.as_str()).await;
    }

    pub(super) async fn default_channel(&mut self, slack: &Slack, channel: &str) {
        if channel.starts_with('#') {
            self.warn(
                "Slack",
                format!("the default channel {channel} is a name, and the doctor checks channel IDs only"),
                "put the channel's ID (channel details › About) in SlackDefaultChannel to have it checked, and make sure the bot is in the channel",
            );
            return;
        }
        if channel.starts_with(['U', 'W']) {
            self.warn(
                "Slack",
                format!("the default channel {channel} is a user: fallbacks go to their direct messages"),
                "not checked; use a channel ID to have the fallback channel checked",
            );
            return;
        }
        match slack.conversation_info(channel, Deadline::after(CHECK_BUDGET)).await {
            Ok(info) => {
                let name = info.name.map(|n| format!("#{n} ({channel})")).unwrap_or_else(|| channel.to_owned());
                if info.is_archived {
                    self.fail(
                        "Slack",
                        format!("the default channel {name} is archived"),
                        "unarchive it, or set SlackDefaultChannel to another channel's ID",
                    );
                } else if info.is_member {
                    self.pass("Slack", format!("the bot is in the default channel {name}"));
                } else {
                    self.fail(
                        "Slack",
                        format!("the bot is not in the default channel {name}"),
                        "invite it: type /invite @the-app's-name in the channel",
                    );
                }
            }
            Err(SlackError::Api(code)) if code == "channel_not_found" => self.fail(
                "Slack",
                format!("the default channel {channel} does not exist, or the bot cannot see it (channel_not_found)"),
                "set SlackDefaultChannel to the ID of an existing channel (channel details › About) and invite the bot into it",
            ),
            Err(SlackError::Api(code)) if code == "missing_scope" => self.warn(
                "Slack",
                format!("the default channel {channel} cannot be checked: the token lacks channels:read (groups:read for a private channel)"),
                "add that scope to have it checked, or make sure by hand that the bot is in the channel",
            ),
            Err(e) => self.fail("Slack", format!("the default channel {channel} cannot be checked: {e}"), UNREACHABLE_FIX),
        }
    }
}
