//! The command line: every command, its options and the examples `--help` shows.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const MAIN_EXAMPLES: &str = "\
Examples:
  dispatch sandbox                          run every example message against local fakes
  dispatch validate my-alarm.json           check a message before sending it
  dispatch publish --topic-arn ARN my-alarm.json
  dispatch fakes --env-file fakes.env       serve the fakes for the Lambda binaries
  dispatch doctor --env-file my.env         check a deployment's settings live, read-only

Nothing but `publish` and `doctor` talks to anything outside this machine.";

const SANDBOX_EXAMPLES: &str = "\
Examples:
  dispatch sandbox                                  every *.json in examples/
  dispatch sandbox examples/self-service.json       one message; Yes is clicked
  dispatch sandbox --answer no examples/self-service.json
  dispatch sandbox --answer none                    nobody answers: reminders and escalations
  dispatch sandbox my-alarm.json my-alarm.json      the second one shows the dedup rule

Without --answer, the first self-service prompt is answered Yes, the next No, the third not at
all, and so on; a prompt whose alarm a later message resolves (status resolved) is left for the
resolve to update. After the messages, the fake EventBridge Scheduler runs every follow-up at
once, in the order of their times (reminders after 30 minutes, escalations after 60, printed as
simulated times). The exit code is 0 when every message and follow-up did what its plan said, 1
otherwise (the reason is printed).
Set RUST_LOG=info to see the handlers' own logs on stderr.";

const VALIDATE_EXAMPLES: &str = "\
Examples:
  dispatch validate examples/*.json
  generate-alarm | dispatch validate -
  dispatch validate --schema > MESSAGE-SPEC.schema.json

Each file gets one line: `FILE: ok (TYPE)`, or `FILE: PATH: REASON` naming the offending field.
The exit code is 1 if any file is invalid or unreadable.";

const PUBLISH_EXAMPLES: &str = "\
Examples:
  dispatch publish --topic-arn arn:aws:sns:us-east-1:123456789012:dispatch my-alarm.json
  AWS_PROFILE=security dispatch publish --topic-arn \"$TOPIC\" --subject 2fa my-alarm.json
  generate-alarm | dispatch publish --topic-arn \"$TOPIC\" -

Credentials and region come from the standard AWS chain (environment, profiles, SSO, instance
roles); AWS_ENDPOINT_URL_SNS points it at another endpoint. An invalid message is not sent.";

const FAKES_EXAMPLES: &str = "\
Examples:
  dispatch fakes
  dispatch fakes --env-file target/fakes.env &
  cargo lambda watch --env-file target/fakes.env

Prints one NAME=value line per setting on stdout (notes go to stderr) and serves until
interrupted (Ctrl-C or SIGTERM); on exit it says what the fakes received.";

const DOCTOR_EXAMPLES: &str = "\
Examples:
  dispatch doctor                           the settings in this process's environment
  dispatch doctor --env-file my.env         the settings in a NAME=value file
  dispatch doctor --env-file fakes.env       against `dispatch fakes --env-file fakes.env`

Checks, with GET requests and Slack read methods only (nothing is created, sent or changed):
  GitHub     the repository exists; the token or App installation may write issues and labels
  Slack      auth.test; the token's scopes (chat:write, im:write, users:read, users:read.email);
             the default channel exists and the bot is in it (conversations.info, channel IDs)
  PagerDuty  the API key works; the service exists; the From address is a user of the account;
             PagerDutyRoutingKey, when set, is 32 letters and digits (no event is sent)
  triage     SlackSigningSecret is set (the legacy SlackVerificationToken alone fails)

One line per check, ✓ or ✗ with the fix; no secret is printed. secure: values are decrypted with
KMS using the standard AWS chain (AWS_PROFILE, AWS_REGION). The exit code is 1 if any check failed.";

/// `dispatch`.
#[derive(Debug, Parser)]
#[command(
    name = "dispatch",
    version,
    about = "Run Dispatch locally, and check and send alarm messages",
    long_about = "Run Dispatch's real handlers against fake GitHub, Slack and PagerDuty servers on this \
                  machine, validate messages against the message spec, and publish them to the SNS topic.",
    after_help = MAIN_EXAMPLES
)]
pub struct Cli {
    /// When to colour the output: auto means when stdout is a terminal; NO_COLOR always turns it off
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true, display_order = 100)]
    pub color: ColorChoice,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Colouring, `auto` meaning when stdout is a terminal. `NO_COLOR` turns it off in any case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    // (No doc comments: clap would list them one per line.)
    Auto,
    Always,
    Never,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run messages through the real handlers against fake GitHub, Slack and PagerDuty on loopback
    #[command(after_help = SANDBOX_EXAMPLES)]
    Sandbox(SandboxArgs),
    /// Check messages against the message spec
    #[command(after_help = VALIDATE_EXAMPLES)]
    Validate(ValidateArgs),
    /// Validate a message, then publish it to the Dispatch SNS topic
    #[command(after_help = PUBLISH_EXAMPLES)]
    Publish(PublishArgs),
    /// Serve the fake GitHub, Slack and PagerDuty and print the settings that point Dispatch at them
    #[command(after_help = FAKES_EXAMPLES)]
    Fakes(FakesArgs),
    /// Check a deployment's settings live against GitHub, Slack and PagerDuty, changing nothing
    #[command(after_help = DOCTOR_EXAMPLES)]
    Doctor(DoctorArgs),
}

/// `dispatch sandbox`.
#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Message files; default: every *.json in examples/
    #[arg(value_name = "MESSAGE.json")]
    pub files: Vec<PathBuf>,

    /// How to answer self-service prompts; default: yes, no, none, in turn
    #[arg(long, value_enum)]
    pub answer: Option<AnswerArg>,
}

/// The button the sandbox clicks, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AnswerArg {
    /// "It was me": the issue is closed.
    Yes,
    /// "It was not me": an incident is opened.
    No,
    /// Nobody answers: the follow-ups remind the user, then escalate.
    #[value(name = "none")]
    Unanswered,
}

/// `dispatch validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Message files, `-` for standard input
    #[arg(value_name = "FILE", required_unless_present = "schema")]
    pub files: Vec<PathBuf>,

    /// Print the messages' JSON Schema instead
    #[arg(long, conflicts_with = "files")]
    pub schema: bool,
}

/// `dispatch publish`.
#[derive(Debug, Args)]
pub struct PublishArgs {
    /// ARN of the Dispatch SNS topic
    #[arg(long, value_name = "ARN")]
    pub topic_arn: String,

    /// SNS subject (not part of the message; shown in email subscriptions)
    #[arg(long)]
    pub subject: Option<String>,

    /// AWS region, instead of the one the AWS configuration gives
    #[arg(long)]
    pub region: Option<String>,

    /// AWS profile, instead of AWS_PROFILE or `default`
    #[arg(long)]
    pub profile: Option<String>,

    /// The message file, `-` for standard input
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// `dispatch fakes`.
#[derive(Debug, Args)]
pub struct FakesArgs {
    /// Also write the settings to this file, one NAME=value per line
    #[arg(long, value_name = "PATH")]
    pub env_file: Option<PathBuf>,
}

/// `dispatch doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Read the settings from this file (NAME=value lines) instead of the environment
    #[arg(long, value_name = "PATH")]
    pub env_file: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
