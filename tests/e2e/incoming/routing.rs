//! Every message type end to end, with defaults, dedup, labels and overrides.

use dispatch_core::incoming::{IssueAction, SlackResult};
use dispatch_core::pagerduty::IncidentOutcome;
use serde_json::json;

use super::harness::*;

#[tokio::test]
async fn self_service_opens_one_issue_and_sends_one_prompt_with_buttons_for_triage() {
    let h = harness().await;
    let report = h.run("e-ss", &json(SELF_SERVICE)).await.unwrap();

    let issues = h.issues();
    assert_eq!(issues.len(), 1);
    let issue = &issues[0];
    assert_eq!(issue.title, "Two-factor authentication disabled for alice");
    assert!(issue.body.starts_with(
        "Two-factor authentication was disabled on alice's GitHub account at 2026-11-27T09:14:00Z. \n\n @alice\n\n<!-- dispatch:event=e-ss request=ss-2fa-disabled-0001 -->"
    ));
    assert_eq!(issue.labels, ["2fa", "self-service"]);

    let dms = h.dms("U012ABCDEF");
    assert_eq!(dms.len(), 1);
    assert!(has_buttons(&dms[0]));
    assert!(dms[0].text.contains("/acme/dispatch-alarms/issues/1"), "{}", dms[0].text);
    let callback = button_callback(&dms[0]);
    assert_eq!((callback.repo.to_string().as_str(), callback.issue), (REPO, 1));
    assert_eq!(callback.request_id.as_str(), "ss-2fa-disabled-0001");
    assert_eq!(callback.user.as_str(), "U012ABCDEF");
    assert_eq!(callback.yes_response.as_deref(), Some("Thanks! The alarm is closed. Please turn 2FA back on."));

    assert_eq!(h.fakes.slack.messages().len(), 1, "nothing else was posted");
    assert!(h.fakes.pagerduty.incidents().is_empty());
    assert_eq!(report.issue.unwrap().action, IssueAction::Created);
    assert!(matches!(report.slack[0].result, SlackResult::Sent(_)));
    let dm = &dms[0];
    let record = format!("<!-- dispatch:delivered event=e-ss sent=0 prompts={}:{} -->", dm.conversation(), dm.ts);
    assert!(issue.comments[0].contains(&record), "delivery and the prompt are recorded: {}", issue.comments[0]);
}

#[tokio::test]
async fn broadcast_dms_every_user_the_message_only_and_lists_them_on_the_issue() {
    let h = harness().await;
    h.run("e-bc", &json(BROADCAST)).await.unwrap();
    let issue = &h.issues()[0];
    assert!(issue.body.starts_with(
        "A phishing campaign impersonating the IT helpdesk is targeting engineering. \n\n ```\nalice,bob,carol@example.com\n```"
    ));
    for user in ["U012ABCDEF", "U034GHIJKL", CAROL] {
        let dms = h.dms(user);
        assert_eq!(dms.len(), 1, "{user}");
        assert!(!has_buttons(&dms[0]));
        assert!(dms[0].text.starts_with("Heads up: phishing emails"));
        assert!(!dms[0].text.contains("issues/"), "a broadcast carries no issue link");
    }
}

#[tokio::test]
async fn nag_reuses_the_existing_issue_and_dms_every_time() {
    let h = harness().await;
    h.run("e-nag-1", &json(NAG)).await.unwrap();
    let second = h.run("e-nag-2", &json(NAG)).await.unwrap();
    assert_eq!(second.issue.unwrap().action, IssueAction::Reused);
    assert_eq!(h.issues().len(), 1);
    assert_eq!(
        h.issues()[0].body.split("\n\n<!--").next().unwrap(),
        "These laptops are more than 14 days behind on operating system updates."
    );
    assert_eq!(h.issues()[0].labels, ["nag"]);
    assert_eq!(h.dms("U012ABCDEF").len(), 2);
}

#[tokio::test]
async fn low_priority_opens_only_an_issue_tagging_the_user() {
    let h = harness().await;
    h.run("e-lp", &json(LOW_PRIORITY)).await.unwrap();
    assert!(
        h.issues()[0]
            .body
            .starts_with("The bucket example-assets was made public. Review whether this is intended. \n\n @bob\n\n")
    );
    assert!(h.fakes.slack.messages().is_empty());
    assert!(h.fakes.pagerduty.incidents().is_empty());
}

#[tokio::test]
async fn high_priority_opens_only_an_incident_on_the_message_service() {
    let h = harness().await;
    let report = h.run("e-hp", &json(HIGH_PRIORITY)).await.unwrap();
    let incidents = h.fakes.pagerduty.incidents();
    assert_eq!(incidents.len(), 1);
    assert_eq!((incidents[0].title.as_str(), incidents[0].service.as_str()), ("AWS root account login", "PSECOPS"));
    assert_eq!(incidents[0].incident_key, "AWS root account login");
    assert_eq!(incidents[0].from, "oncall@example.com");
    assert!(matches!(report.incident.unwrap().outcome, IncidentOutcome::Created { .. }));
    assert!(h.fakes.github.requests().is_empty());
    assert!(h.fakes.slack.requests().is_empty());
}

#[tokio::test]
async fn the_body_service_wins_and_the_default_service_is_the_fallback() {
    let h = harness().await;
    h.run("e-1", &with(json(HIGH_PRIORITY), "/body/pagerduty/service", json!("PBODY"))).await.unwrap();
    h.run("e-2", &without(with(json(HIGH_PRIORITY), "/requestId", json!("r2")), "/pagerDutyServiceId")).await.unwrap();
    let services: Vec<String> = h.fakes.pagerduty.incidents().into_iter().map(|i| i.service).collect();
    assert_eq!(services, ["PBODY", "PDEFAULT"]);
}

#[tokio::test]
async fn an_unknown_type_still_pages_the_default_service() {
    let h = harness().await;
    h.run("e-fb", &json(FALLBACK)).await.unwrap();
    let incidents = h.fakes.pagerduty.incidents();
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].title, "GuardDuty finding: UnauthorizedAccess:EC2/SSHBruteForce");
    assert_eq!(incidents[0].service, "PDEFAULT");
    assert!(incidents[0].details.as_deref().unwrap().contains("\"type\":\"high\""));
    assert!(h.issues().is_empty());
}

#[tokio::test]
async fn a_user_without_slack_id_is_told_in_the_default_channel_without_buttons() {
    let h = harness().await;
    h.run("e-def", &without(json(SELF_SERVICE), "/users/0/slackId")).await.unwrap();
    let posted = h.dms(DEFAULT_CHANNEL);
    assert_eq!(posted.len(), 2);
    assert!(!has_buttons(&posted[0]));
    assert!(posted[0].text.contains("Did you disable it yourself?"));
    assert!(
        posted[1].text.contains("ss-2fa-disabled-0001") && posted[1].text.contains("has no Slack ID"),
        "{}",
        posted[1].text
    );
    assert_eq!(h.fakes.slack.messages().len(), 2);
}

#[tokio::test]
async fn self_service_without_users_uses_the_default_user_and_channel() {
    let h = harness().await;
    h.run("e-nousers", &with(json(SELF_SERVICE), "/users", json!([]))).await.unwrap();
    assert!(h.issues()[0].body.contains(" \n\n @acme/security\n\n"));
    assert_eq!(h.dms(DEFAULT_CHANNEL).len(), 2);
}

#[tokio::test]
async fn a_user_without_github_login_tags_the_default_user() {
    let h = harness().await;
    h.run("e-nogh", &without(json(LOW_PRIORITY), "/users/0/github")).await.unwrap();
    assert!(h.issues()[0].body.contains(" \n\n @acme/security\n\n"));
}

#[tokio::test]
async fn an_open_duplicate_suppresses_the_alarm_and_a_closed_one_does_not() {
    let h = harness().await;
    let title = "Two-factor authentication disabled for alice";
    h.fakes.github.add_issue(REPO, title, "earlier", true);
    let report = h.run("e-dup", &json(SELF_SERVICE)).await.unwrap();
    assert_eq!(report.issue.unwrap().action, IssueAction::Suppressed);
    assert_eq!(h.issues().len(), 1);
    assert!(h.fakes.slack.messages().is_empty(), "a suppressed alarm sends no DM");

    let h = harness().await;
    h.fakes.github.add_issue(REPO, title, "earlier", false);
    h.run("e-again", &json(SELF_SERVICE)).await.unwrap();
    assert_eq!(h.issues().len(), 2, "retrigger: a closed issue lets the alarm fire again");
    assert_eq!(h.dms("U012ABCDEF").len(), 1);
}

#[tokio::test]
async fn retrigger_false_is_suppressed_by_a_closed_issue() {
    let h = harness().await;
    h.fakes.github.add_issue(REPO, "Two-factor authentication disabled for alice", "earlier", false);
    let report = h.run("e-once", &with(json(SELF_SERVICE), "/retrigger", json!(false))).await.unwrap();
    assert_eq!(report.issue.unwrap().action, IssueAction::Suppressed);
    assert_eq!(h.issues().len(), 1);
    assert!(h.fakes.slack.messages().is_empty());
}

#[tokio::test]
async fn a_new_alarm_with_the_title_of_a_delivered_one_is_suppressed() {
    let h = harness().await;
    h.run("e-first", &json(BROADCAST)).await.unwrap();
    let report = h.run("e-second", &with(json(BROADCAST), "/requestId", json!("bc-2"))).await.unwrap();
    assert_eq!(report.issue.unwrap().action, IssueAction::Suppressed);
    assert_eq!(h.issues().len(), 1);
    assert_eq!(h.dms("U012ABCDEF").len(), 1);
}

#[tokio::test]
async fn the_per_message_repository_receives_the_issue() {
    let h = harness().await;
    h.run("e-repo", &with(json(LOW_PRIORITY), "/gitHubRepo", json!("security/audit"))).await.unwrap();
    assert_eq!(h.fakes.github.issues("security/audit").len(), 1);
    assert!(h.issues().is_empty());
    let h = harness().await;
    h.run("e-repo2", &with(json(SELF_SERVICE), "/githubRepo", json!("audit"))).await.unwrap();
    assert_eq!(h.fakes.github.issues("acme/audit").len(), 1);
    let callback = button_callback(&h.dms("U012ABCDEF")[0]);
    assert_eq!(callback.repo.to_string(), "acme/audit", "triage will act on the issue where it was created");
}

#[tokio::test]
async fn the_message_service_override_travels_with_the_self_service_buttons() {
    let h = harness().await;
    h.run("e-svc", &with(json(SELF_SERVICE), "/pagerDutyServiceId", json!("PTEAM"))).await.unwrap();
    let callback = button_callback(&h.dms("U012ABCDEF")[0]);
    assert_eq!(callback.service.unwrap().as_str(), "PTEAM");
}

#[tokio::test]
async fn a_multi_record_event_handles_each_record() {
    let h = harness().await;
    let reports = h.run_sns(&[("e-a", HIGH_PRIORITY), ("e-b", LOW_PRIORITY)]).await.unwrap();
    assert_eq!(reports.len(), 2);
    assert_eq!(h.fakes.pagerduty.incidents().len(), 1);
    assert_eq!(h.issues().len(), 1);
}
