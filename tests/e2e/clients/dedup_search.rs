//! The dedup lookup against the stateful fake GitHub: one GraphQL request at any repository size,
//! asking for the newest 100 issues and the title search together; exact titles, the alarm's own
//! marker, other people's issues, open versus closed, late retries, and every page of results.

use std::time::Duration;

use dispatch_core::deadline::Deadline;
use dispatch_core::github::{Counted, GitHub, GitHubAuth, Lookup, OwnIssue};
use dispatch_fakes::{FakeGitHub, Recorded};
use secrecy::SecretString;
use serde_json::Value;

use super::helpers::{policy, repo};

pub(super) const REPO: &str = "acme/alarms";
pub(super) const TITLE: &str = "Disk full on db-1";

pub(super) fn client(fake: &FakeGitHub) -> GitHub {
    let url = url::Url::parse(&fake.url()).unwrap();
    GitHub::new(&url, &GitHubAuth::Token(SecretString::from("ghp-x".to_owned())), policy()).unwrap()
}

pub(super) fn first_attempt() -> Option<OwnIssue<'static>> {
    Some(OwnIssue { marker: "<!-- dispatch:event=e-new ", maybe_closed: false })
}

/// The lookup of `title` in the fake repository, with ten seconds to do it.
pub(super) async fn look_up(fake: &FakeGitHub, title: &str, counted: Counted, own: Option<OwnIssue<'_>>) -> Lookup {
    client(fake).find_duplicate(&repo(), title, counted, own, Deadline::after(Duration::from_secs(10))).await.unwrap()
}

pub(super) fn paths(fake: &FakeGitHub) -> Vec<String> {
    fake.requests().iter().map(|r| r.path.clone()).collect()
}

/// The GraphQL requests the fake received.
pub(super) fn queries(fake: &FakeGitHub) -> Vec<Recorded> {
    fake.requests().into_iter().filter(|r| r.path == "/graphql").collect()
}

/// The search string of the first GraphQL request.
fn searched(fake: &FakeGitHub) -> String {
    queries(fake)[0].json()["variables"]["search"].as_str().unwrap().to_owned()
}

/// A repository of `count` issues titled `existing alarm N` (every third closed).
pub(super) async fn seeded(count: u64) -> FakeGitHub {
    let fake = FakeGitHub::start().await.unwrap();
    fake.seed(REPO, count);
    fake
}

/// `closed` closed issues titled `TITLE`, then one open, then 150 others, so that the title is
/// not among the newest 100 and only the search finds it.
pub(super) async fn flapping_alarm(closed: u64) -> FakeGitHub {
    let fake = FakeGitHub::start().await.unwrap();
    for _ in 0..closed {
        fake.add_issue(REPO, TITLE, "fired and closed", false);
    }
    let open = fake.add_issue(REPO, TITLE, "firing", true);
    assert_eq!(open, closed + 1);
    fake.seed(REPO, 150);
    fake
}

#[tokio::test]
async fn a_first_attempt_costs_one_request_at_0_1000_and_10000_issues() {
    let mut counts = Vec::new();
    for size in [0, 1_000, 10_000] {
        let fake = seeded(size).await;
        for counted in [Counted::Open, Counted::OpenAndClosed] {
            fake.clear_requests();
            let lookup = look_up(&fake, "no such alarm", counted, first_attempt()).await;
            assert_eq!((lookup.found, lookup.complete), (None, true));
            assert_eq!(lookup.newest, (size > 0).then_some(size), "the newest issue's number");
            counts.push(fake.requests().len());
        }
    }
    assert_eq!(counts, [1; 6], "requests per lookup for 0, 1,000 and 10,000 issues, open only and all");
}

#[tokio::test]
async fn a_duplicate_found_only_by_search_costs_the_same_one_request() {
    let fake = FakeGitHub::start().await.unwrap();
    let old = fake.add_issue(REPO, TITLE, "firing", true);
    fake.seed(REPO, 10_000);
    let lookup = look_up(&fake, TITLE, Counted::Open, first_attempt()).await;
    assert_eq!(lookup.found.map(|i| i.number), Some(old));
    assert!(lookup.complete);
    assert_eq!(paths(&fake), ["/graphql"]);
}

#[tokio::test]
async fn a_duplicate_among_the_newest_issues_is_found_in_one_request() {
    let fake = seeded(150).await;
    let lookup = look_up(&fake, "existing alarm 149", Counted::Open, None).await;
    let found = lookup.found.unwrap();
    assert_eq!((found.number, found.state.as_str(), found.author()), (149, "open", Some("dispatch-bot")));
    assert!(found.html_url.ends_with("/acme/alarms/issues/149"), "{}", found.html_url);
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn search_candidates_must_match_the_title_exactly() {
    let fake = seeded(500).await;
    // "existing alarm 1" is contained in 10..19 and 100..199: none of them is its duplicate.
    assert_eq!(look_up(&fake, "existing alarm 1", Counted::Open, None).await.found.map(|i| i.number), Some(1));
    assert_eq!(look_up(&fake, "existing alarm", Counted::OpenAndClosed, None).await.found, None);
}

#[tokio::test]
async fn retrigger_true_ignores_closed_issues_and_false_counts_them() {
    let fake = seeded(3_000).await;
    // #2997 is closed (a multiple of 3) and among the newest; #30 is closed and old.
    for title in ["existing alarm 2997", "existing alarm 30"] {
        assert_eq!(look_up(&fake, title, Counted::Open, None).await.found, None, "{title}");
        let all = look_up(&fake, title, Counted::OpenAndClosed, None).await;
        assert_eq!(all.found.map(|i| i.state), Some("closed".to_owned()), "{title}");
    }
}

#[tokio::test]
async fn pull_requests_with_the_same_title_are_not_duplicates() {
    let fake = seeded(10).await;
    fake.add_pull_request(REPO, "alice", "Dependency bump");
    fake.seed(REPO, 150);
    fake.add_pull_request(REPO, "alice", "Dependency bump");
    let lookup = look_up(&fake, "Dependency bump", Counted::OpenAndClosed, None).await;
    assert_eq!(lookup.found, None);
    assert_eq!(lookup.newest, Some(161), "pull requests are not asked for: the newest issue's number");
}

#[tokio::test]
async fn an_issue_carrying_our_marker_is_ours_even_when_closed_or_old() {
    let fake = FakeGitHub::start().await.unwrap();
    let ours = fake.add_issue(REPO, TITLE, "body\n\n<!-- dispatch:event=e-1 request=r1 -->", false);
    fake.seed(REPO, 2_000);
    let other = fake.add_issue(REPO, TITLE, "someone else's", true);
    fake.seed(REPO, 500);
    let own = |event| Some(OwnIssue { marker: event, maybe_closed: true });
    let lookup = look_up(&fake, TITLE, Counted::Open, own("<!-- dispatch:event=e-1 ")).await;
    assert!(lookup.ours);
    assert_eq!(lookup.found.map(|i| i.number), Some(ours));
    let other_event = look_up(&fake, TITLE, Counted::Open, own("<!-- dispatch:event=e-2 ")).await;
    assert!(!other_event.ours);
    assert_eq!(other_event.found.map(|i| i.number), Some(other));
}

#[tokio::test]
async fn an_issue_by_someone_else_is_a_duplicate_but_a_marker_it_quotes_does_not_make_it_ours() {
    let fake = FakeGitHub::start().await.unwrap();
    let marker = "<!-- dispatch:event=e-1 request=r1 -->";
    let quoting = fake.add_issue_by(REPO, "mallory", TITLE, &format!("{marker}\n\nsee above"), true);
    fake.seed(REPO, 300);
    let lookup = look_up(&fake, TITLE, Counted::Open, Some(OwnIssue { marker, maybe_closed: true })).await;
    assert!(!lookup.ours, "the marker is not on the last line");
    let found = lookup.found.unwrap();
    assert_eq!((found.number, found.author()), (quoting, Some("mallory")));
}

#[tokio::test]
async fn the_same_alarm_created_twice_is_ours_from_the_earliest() {
    let fake = FakeGitHub::start().await.unwrap();
    let body = "b\n\n<!-- dispatch:event=e-1 request=r1 -->";
    let (first, second) = (fake.add_issue(REPO, TITLE, body, true), fake.add_issue(REPO, TITLE, body, true));
    let lookup = look_up(
        &fake,
        TITLE,
        Counted::Open,
        Some(OwnIssue { marker: "<!-- dispatch:event=e-1 ", maybe_closed: false }),
    )
    .await;
    assert_eq!((lookup.ours, lookup.found.map(|i| i.number)), (true, Some(first)));
    assert_eq!(lookup.also_ours.iter().map(|i| i.number).collect::<Vec<_>>(), [second]);
}

#[tokio::test]
async fn a_first_attempt_searches_open_issues_only_and_finds_the_open_one_behind_many_closed() {
    let fake = flapping_alarm(250).await;
    let lookup = look_up(&fake, TITLE, Counted::Open, first_attempt()).await;
    assert_eq!(lookup.found.map(|i| i.number), Some(251));
    assert!(searched(&fake).ends_with(" is:open"), "{}", searched(&fake));
    assert_eq!(paths(&fake), ["/graphql"], "one request in all");
}

#[tokio::test]
async fn every_page_of_search_results_is_read() {
    // When closed issues count too, search cannot filter by state: the open issue is among 251
    // results, past the first page.
    let fake = flapping_alarm(250).await;
    let lookup = look_up(&fake, TITLE, Counted::OpenAndClosed, first_attempt()).await;
    assert_eq!(lookup.found.map(|i| i.number), Some(251), "the newest match");
    let asked: Vec<Value> = queries(&fake).iter().map(|q| q.json()["variables"]["after"].clone()).collect();
    assert_eq!(asked.len(), 3, "the lookup, then two further pages of the search");
    assert!(asked[0].is_null() && asked[1].is_string() && asked[2].is_string() && asked[1] != asked[2], "{asked:?}");
}

#[tokio::test]
async fn a_retry_searches_closed_issues_too_and_finds_its_own_closed_issue_behind_the_newest_hundred() {
    let fake = FakeGitHub::start().await.unwrap();
    let own = fake.add_issue(REPO, TITLE, "b\n\n<!-- dispatch:event=e-old request=r -->", false);
    fake.seed(REPO, 150);
    let retry = Some(OwnIssue { marker: "<!-- dispatch:event=e-old ", maybe_closed: true });
    let lookup = look_up(&fake, TITLE, Counted::Open, retry).await;
    assert!(lookup.ours);
    assert_eq!(lookup.found.map(|i| i.number), Some(own));
    assert!(!searched(&fake).contains("is:open"), "{}", searched(&fake));
    assert_eq!(paths(&fake), ["/graphql"]);
}

#[tokio::test]
async fn the_newest_issues_decide_in_one_request_even_when_the_search_fails() {
    let fake = seeded(1_000).await;
    // Search is indexed asynchronously (DESIGN.md §3): an issue just created may be missing from
    // it, so the newest 100 are read with it and decide first.
    fake.fail(dispatch_fakes::GitHubRoute::Search, dispatch_fakes::Fault::Status(502), 1);
    let just_created = fake.add_issue(REPO, TITLE, "firing", true);
    let lookup = look_up(&fake, TITLE, Counted::Open, first_attempt()).await;
    assert_eq!(lookup.found.map(|i| i.number), Some(just_created));
    assert_eq!(paths(&fake), ["/graphql"]);
}
