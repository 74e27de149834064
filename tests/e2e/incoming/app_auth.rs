//! Dispatch authenticated as a GitHub App: the App's bot writes its issues and comments, which the
//! REST API names `dispatch-app[bot]` and GraphQL names `dispatch-app`, a `Bot`, as GitHub does.
//! Both are Dispatch's own writes, whichever API told them; a user who took the bare name is not.

use dispatch_core::incoming::{IssueAction, Resolution};
use dispatch_fakes::{APP_LOGIN, Fault, SlackRoute};

use super::harness::{REPO, SELF_SERVICE, harness_with, json};
use super::lifecycle::{ALICE, TITLE, life_with};
use crate::support::settings::AS_APP;

#[tokio::test]
async fn as_a_github_app_the_retry_of_an_alarm_whose_dm_failed_resumes_its_bots_issue_and_sends_the_dm() {
    let h = harness_with(&AS_APP).await;
    h.fakes.slack.fail(SlackRoute::PostMessageTo(ALICE.into()), Fault::Status(500), 3);
    h.run("e-1", &json(SELF_SERVICE)).await.unwrap_err();
    let [issue] = h.issues().try_into().expect("one issue");
    assert_eq!(issue.author, APP_LOGIN, "the installation's writes are its bot's");

    h.fakes.slack.heal();
    let retry = h.run("e-1", &json(SELF_SERVICE)).await.unwrap();

    let action = retry.issue.unwrap().action;
    assert_eq!(action, IssueAction::Resumed, "its own issue, though GraphQL names its author `dispatch-app`");
    assert_eq!(h.issues().len(), 1, "no second issue");
    assert_eq!(h.dms(ALICE).len(), 1, "the DM the first attempt lost is sent");
}

#[tokio::test]
async fn as_a_github_app_a_resolve_closes_the_issue_the_apps_bot_opened() {
    let life = life_with(&AS_APP).await;
    life.fire().await.unwrap();

    let report = life.resolve().await.unwrap();

    assert!(matches!(report.resolution, Some(Resolution::Closed { issue: 1, .. })), "{:?}", report.resolution);
    let [issue] = life.issues().try_into().expect("one issue");
    assert_eq!(issue.state, "closed");
}

#[tokio::test]
async fn as_a_github_app_a_resolve_never_touches_an_issue_by_a_user_named_like_the_apps_bot() {
    let life = life_with(&AS_APP).await;
    let theirs = life.fakes.github.add_issue_by(REPO, "dispatch-app", TITLE, "I opened this one by hand.", true);

    let report = life.resolve().await.unwrap();

    let record = Resolution::RecordedEarly { issue: theirs + 1 };
    assert_eq!(report.resolution, Some(record), "a user's issue, not the App's bot's");
    let issue = life.issues().into_iter().find(|i| i.number == theirs).unwrap();
    assert_eq!((issue.state.as_str(), issue.comments.len()), ("open", 0));
}

#[tokio::test]
async fn as_a_github_app_a_yes_click_closes_the_issue_the_apps_bot_opened_and_its_bot_writes_the_answer() {
    let life = life_with(&AS_APP).await;
    life.fire().await.unwrap();

    life.click("dispatch_yes").await;

    let [issue] = life.issues().try_into().expect("one issue");
    assert_eq!(issue.state, "closed", "{issue:?}");
    assert!(issue.comment_authors.iter().all(|a| a == APP_LOGIN), "{:?}", issue.comment_authors);
    let answered = life.click("dispatch_no").await;
    assert!(life.fakes.pagerduty.incidents().is_empty(), "the No after the Yes opens nothing: {answered}");
}
