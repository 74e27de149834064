//! `ExtraCaCerts`: read first, refused at start-up naming the setting when it does not parse.

use super::*;
use crate::tls::tests::private_ca;

async fn trust_of(value: &str) -> Result<Option<Trust>, ConfigError> {
    extra_trust(&Resolved::load(&Env::new([("ExtraCaCerts", value)]), None).await?)
}

#[tokio::test]
async fn extra_ca_certs_holding_a_pem_certificate_is_trusted_besides_the_compiled_in_roots() {
    let trust = trust_of(&private_ca().pem).await.unwrap().expect("the setting is given");
    assert_eq!(trust.extra_certificates(), 1);
}

#[tokio::test]
async fn without_extra_ca_certs_the_compiled_in_roots_stay_the_only_ones() {
    assert!(trust_of("").await.unwrap().is_none());
}

#[tokio::test]
async fn a_malformed_extra_ca_certs_stops_either_function_at_start_naming_the_setting() {
    let env = Env::new([("ExtraCaCerts", "MIIB-not-a-certificate")]);
    let incoming = IncomingConfig::load(&env, None).await.unwrap_err();
    let triage = TriageConfig::load(&env, None).await.unwrap_err();
    for error in [incoming, triage] {
        assert!(matches!(error, ConfigError::Invalid { name: "ExtraCaCerts", .. }), "{error:?}");
        assert!(error.to_string().starts_with("invalid setting ExtraCaCerts: is neither PEM text"), "{error}");
        assert!(!error.to_string().contains("MIIB"), "the value is not quoted: {error}");
    }
}

/// The settings of an `incoming` that reads nothing else unusual, plus `extra` (for the unit
/// tests of the crate's modules).
pub(crate) fn incoming_env(extra: &[(&str, &str)]) -> Env {
    let base = [
        ("GitHubOwner", "acme"),
        ("GitHubRepo", "dispatch-alarms"),
        ("GitHubToken", "ghp-test"),
        ("GitHubDefaultUser", "acme/security"),
        ("SlackBotToken", "xoxb-test"),
        ("SlackDefaultChannel", "#security-alerts"),
        ("PagerDutyApiKey", "pd-test"),
        ("PagerDutyFromAddress", "oncall@example.com"),
        ("PagerDutyServiceId", "PDEFAULT"),
    ];
    Env::new(base.iter().chain(extra).map(|(k, v)| (*k, *v)))
}

const ROLE: &str = "arn:aws:iam::123456789012:role/dispatch-scheduler";

async fn follow_up_of(extra: &[(&str, &str)]) -> Result<FollowUpConfig, ConfigError> {
    IncomingConfig::load(&incoming_env(extra), None).await.map(|config| config.follow_up)
}

#[tokio::test]
async fn without_follow_up_settings_a_reminder_comes_after_30_minutes_and_nothing_is_escalated_or_scheduled() {
    let follow_up = follow_up_of(&[]).await.unwrap();
    assert_eq!(follow_up, FollowUpConfig { remind_after_minutes: 30, escalate_after_minutes: 0, scheduler: None });
    assert!(follow_up.missing_scheduler(), "a reminder is wanted but Scheduler is not configured");
}

#[tokio::test]
async fn the_scheduler_group_and_role_together_turn_follow_ups_on() {
    let follow_up = follow_up_of(&[
        ("SelfServiceRemindAfter", "15"),
        ("SelfServiceEscalateAfter", "60"),
        ("SchedulerGroupName", "dispatch-prod-FollowUps.1"),
        ("SchedulerRoleArn", ROLE),
    ])
    .await
    .unwrap();
    assert_eq!(follow_up.remind_after_minutes, 15);
    assert_eq!(follow_up.escalate_after_minutes, 60);
    assert_eq!(
        follow_up.scheduler,
        Some(SchedulerTarget { group: "dispatch-prod-FollowUps.1".into(), role_arn: ROLE.into() })
    );
    assert!(!follow_up.missing_scheduler());
}

#[tokio::test]
async fn a_scheduler_group_without_a_role_or_a_role_without_a_group_leaves_follow_ups_off() {
    for extra in [[("SchedulerGroupName", "dispatch")], [("SchedulerRoleArn", ROLE)]] {
        let follow_up = follow_up_of(&extra).await.unwrap();
        assert_eq!(follow_up.scheduler, None, "{extra:?}");
        assert!(follow_up.missing_scheduler(), "{extra:?}");
    }
}

#[tokio::test]
async fn zero_for_both_delays_asks_for_no_follow_up_so_a_missing_scheduler_does_not_matter() {
    let follow_up =
        follow_up_of(&[("SelfServiceRemindAfter", "0"), ("SelfServiceEscalateAfter", " 0 ")]).await.unwrap();
    assert_eq!((follow_up.remind_after_minutes, follow_up.escalate_after_minutes), (0, 0));
    assert!(!follow_up.wanted());
    assert!(!follow_up.missing_scheduler());
}

#[tokio::test]
async fn seven_days_is_the_longest_delay_accepted() {
    let follow_up = follow_up_of(&[("SelfServiceEscalateAfter", "10080")]).await.unwrap();
    assert_eq!(follow_up.escalate_after_minutes, MAX_FOLLOW_UP_MINUTES);
}

#[tokio::test]
async fn a_delay_that_is_not_a_whole_number_of_minutes_up_to_7_days_stops_incoming_naming_the_setting() {
    for (name, value) in [
        ("SelfServiceRemindAfter", "-5"),
        ("SelfServiceRemindAfter", "30m"),
        ("SelfServiceRemindAfter", "1.5"),
        ("SelfServiceEscalateAfter", "10081"),
        ("SelfServiceEscalateAfter", "99999999999"),
    ] {
        let error = follow_up_of(&[(name, value)]).await.unwrap_err();
        assert!(matches!(&error, ConfigError::Invalid { name: n, .. } if *n == name), "{name}={value}: {error:?}");
        assert_eq!(
            error.to_string(),
            format!("invalid setting {name}: must be a whole number of minutes from 0 (never) to 10080 (7 days)")
        );
    }
}

#[tokio::test]
async fn a_malformed_scheduler_group_or_role_stops_incoming_naming_the_setting() {
    let too_long = "g".repeat(65);
    for (name, value) in [
        ("SchedulerGroupName", "has spaces"),
        ("SchedulerGroupName", "slash/group"),
        ("SchedulerGroupName", too_long.as_str()),
        ("SchedulerRoleArn", "dispatch-scheduler"),
        ("SchedulerRoleArn", "arn:aws:iam::123456789012:user/someone"),
        ("SchedulerRoleArn", "arn:aws:iam::1234:role/short-account"),
        ("SchedulerRoleArn", "arn:aws:lambda:eu-west-1:123456789012:function:incoming"),
    ] {
        let error = follow_up_of(&[(name, value)]).await.unwrap_err();
        assert!(matches!(&error, ConfigError::Invalid { name: n, .. } if *n == name), "{name}={value}: {error:?}");
    }
}

#[tokio::test]
async fn triage_ignores_the_follow_up_settings() {
    let env = Env::new([
        ("GitHubOwner", "acme"),
        ("GitHubRepo", "dispatch-alarms"),
        ("GitHubToken", "ghp-test"),
        ("PagerDutyApiKey", "pd-test"),
        ("PagerDutyFromAddress", "oncall@example.com"),
        ("PagerDutyServiceId", "PDEFAULT"),
        ("SlackSigningSecret", "secret"),
        ("SelfServiceRemindAfter", "not a number"),
    ]);
    TriageConfig::load(&env, None).await.expect("triage does not read SelfServiceRemindAfter");
}
