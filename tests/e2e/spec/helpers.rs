use dispatch_core::ids::{GitHubMention, GitHubOwner, Repo, RepoName, ServiceId, SlackChannel};
use dispatch_core::message::{
    Alarm, FanOut, IncidentContent, InvalidMessage, Message, MessageWarning, SelfService, parse,
};
use dispatch_core::routing::{Plan, RoutingDefaults, plan};
use serde_json::Value;

pub use crate::support::examples::*;

pub fn defaults() -> RoutingDefaults {
    RoutingDefaults {
        repo: Repo::new(GitHubOwner::parse("acme").unwrap(), RepoName::parse("dispatch-alarms").unwrap()),
        github_user: GitHubMention::parse("acme/security").unwrap(),
        slack_channel: SlackChannel::parse("#security-alerts").unwrap(),
        pagerduty_service: ServiceId::parse("PDEFAULT").unwrap(),
    }
}

pub fn parse_value(value: &Value) -> Result<Message, InvalidMessage> {
    parse(value.to_string().as_bytes())
}

pub fn ok(value: &Value) -> Message {
    parse_value(value).unwrap_or_else(|e| panic!("expected a valid message, got {e}"))
}

pub fn plan_of(value: &Value) -> Plan {
    plan(&ok(value), &defaults())
}

pub use dispatch_fakes::support::{with, without};

/// The reason of the one warning at `path`.
pub fn warning(message: &Message, path: &str) -> String {
    let at: Vec<&MessageWarning> = message.warnings.iter().filter(|w| w.path == path).collect();
    match at.as_slice() {
        [one] => one.reason.clone(),
        _ => panic!("expected one warning at {path}, got {:#?}", message.warnings),
    }
}

pub fn assert_warns(message: &Message, path: &str, reason_contains: &str) {
    let reason = warning(message, path);
    assert!(reason.contains(reason_contains), "{path}: {reason} does not contain {reason_contains:?}");
}

pub fn paths(message: &Message) -> Vec<&str> {
    message.warnings.iter().map(|w| w.path.as_str()).collect()
}

pub fn self_service(message: &Message) -> &SelfService {
    let Alarm::SelfService(alarm) = &message.alarm else { panic!("not self-service: {message:?}") };
    alarm
}

pub fn fan_out(message: &Message) -> &FanOut {
    let (Alarm::Broadcast(alarm) | Alarm::Nag(alarm)) = &message.alarm else { panic!("not a fan-out: {message:?}") };
    alarm
}

pub fn incident(message: &Message) -> &IncidentContent {
    match &message.alarm {
        Alarm::HighPriority(incident) => incident,
        Alarm::Unrouted(unrouted) => unrouted.incident.as_ref().expect("an incident"),
        _ => panic!("does not page: {message:?}"),
    }
}
