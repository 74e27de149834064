//! Follow-ups of self-service prompts nobody answers (DESIGN.md §7k): when to remind the user, when
//! to escalate, and the EventBridge Scheduler group and role that make `incoming` run again then.

use super::resolved::Resolved;
use super::{
    ConfigError, SCHEDULER_GROUP_NAME, SCHEDULER_ROLE_ARN, SELF_SERVICE_ESCALATE_AFTER, SELF_SERVICE_REMIND_AFTER,
    Setting,
};

/// `SelfServiceRemindAfter` when it is not set: half an hour.
pub const DEFAULT_REMIND_AFTER_MINUTES: u32 = 30;
/// `SelfServiceEscalateAfter` when it is not set: never escalate.
pub const DEFAULT_ESCALATE_AFTER_MINUTES: u32 = 0;
/// The longest follow-up delay accepted: 7 days, in minutes.
pub const MAX_FOLLOW_UP_MINUTES: u32 = 7 * 24 * 60;

/// What `incoming` does about a self-service prompt nobody answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUpConfig {
    /// `SelfServiceRemindAfter`: minutes before the user is reminded; 0 never reminds.
    pub remind_after_minutes: u32,
    /// `SelfServiceEscalateAfter`: minutes before the alarm is escalated; 0 never escalates.
    pub escalate_after_minutes: u32,
    /// `SchedulerGroupName` and `SchedulerRoleArn`, when both are set; without them no follow-up
    /// is scheduled, whatever the two delays say.
    pub scheduler: Option<SchedulerTarget>,
}

/// Where follow-ups are scheduled, and the role EventBridge Scheduler invokes `incoming` with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchedulerTarget {
    /// `SchedulerGroupName`: the schedule group.
    pub group: String,
    /// `SchedulerRoleArn`: the role Scheduler assumes to call `lambda:InvokeFunction`.
    pub role_arn: String,
}

impl FollowUpConfig {
    /// Whether a reminder or an escalation is asked for.
    pub fn wanted(&self) -> bool {
        self.remind_after_minutes > 0 || self.escalate_after_minutes > 0
    }

    /// Whether follow-ups are asked for but cannot be scheduled, because `SchedulerGroupName` or
    /// `SchedulerRoleArn` is missing: worth one warning at start-up.
    pub fn missing_scheduler(&self) -> bool {
        self.wanted() && self.scheduler.is_none()
    }
}

/// A number of minutes from 0 to [`MAX_FOLLOW_UP_MINUTES`].
fn parse_minutes(value: &str) -> Result<u32, String> {
    let range = format!("must be a whole number of minutes from 0 (never) to {MAX_FOLLOW_UP_MINUTES} (7 days)");
    match value.trim().parse::<u32>() {
        Ok(count) if count <= MAX_FOLLOW_UP_MINUTES => Ok(count),
        _ => Err(range),
    }
}

/// A schedule group name as Scheduler accepts it: 1 to 64 of `0-9 a-z A-Z - _ .`.
fn parse_group(value: &str) -> Result<String, String> {
    let valid = (1..=64).contains(&value.len())
        && value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if valid {
        Ok(value.to_owned())
    } else {
        Err("must be a schedule group name: 1 to 64 letters, digits, '-', '_' or '.'".to_owned())
    }
}

/// An IAM role ARN: `arn:PARTITION:iam::ACCOUNT:role/NAME`.
fn parse_role_arn(value: &str) -> Result<String, String> {
    let fields: Vec<&str> = value.splitn(6, ':').collect();
    let valid = matches!(
        fields.as_slice(),
        ["arn", partition, "iam", "", account, resource]
            if partition.starts_with("aws")
                && account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit())
                && resource.strip_prefix("role/").is_some_and(|name| !name.is_empty())
    );
    if valid {
        Ok(value.to_owned())
    } else {
        Err("must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)".to_owned())
    }
}

fn minutes_setting(values: &Resolved, setting: Setting, default: u32) -> Result<u32, ConfigError> {
    Ok(values.optional(setting, parse_minutes)?.unwrap_or(default))
}

/// Reads the four follow-up settings. Both Scheduler settings are optional: when either is absent
/// follow-ups are off (and [`FollowUpConfig::missing_scheduler`] says whether that matters).
pub(super) fn follow_up(values: &Resolved) -> Result<FollowUpConfig, ConfigError> {
    let group = values.optional(SCHEDULER_GROUP_NAME, parse_group)?;
    let role_arn = values.optional(SCHEDULER_ROLE_ARN, parse_role_arn)?;
    Ok(FollowUpConfig {
        remind_after_minutes: minutes_setting(values, SELF_SERVICE_REMIND_AFTER, DEFAULT_REMIND_AFTER_MINUTES)?,
        escalate_after_minutes: minutes_setting(values, SELF_SERVICE_ESCALATE_AFTER, DEFAULT_ESCALATE_AFTER_MINUTES)?,
        scheduler: group.zip(role_arn).map(|(group, role_arn)| SchedulerTarget { group, role_arn }),
    })
}
