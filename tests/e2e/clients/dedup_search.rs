//! The dedup lookup's use of GitHub's search API against the stateful fake GitHub: open issues only
//! for a first attempt under `retrigger: true`, every page of results, and an immediate fall back
//! to listing when search is rate limited or its results are incomplete.

use std::time::Duration;

use dispatch_core::deadline::Deadline;
use dispatch_core::github::{GitHub, GitHubAuth, Lookup, OwnIssue};
use dispatch_core::ids::{GitHubOwner, Repo, RepoName};
use dispatch_core::routing::Dedup;
use dispatch_fakes::{FakeGitHub, Fault, GitHubRoute};
use secrecy::SecretString;

use super::helpers::policy;

const REPO: &str = "acme/alarms";
const TITLE: &str = "Disk full on db-1";

fn repo() -> Repo {
    Repo::new(GitHubOwner::parse("acme").unwrap(), RepoName::parse("alarms").unwrap())
}

fn client(fake: &FakeGitHub) -> GitHub {
    let url = url::Url::parse(&fake.url()).unwrap();
    GitHub::new(&url, &GitHubAuth::Token(SecretString::from("ghp-x".to_owned())), policy()).unwrap()
}

fn first_attempt() -> Option<OwnIssue<'static>> {
    Some(OwnIssue { marker: "<!-- dispatch:event=e-new ", maybe_closed: false })
}

/// The lookup of `TITLE` in the fake repository, with ten seconds to do it.
async fn look_up(fake: &FakeGitHub, dedup: Dedup, own: Option<OwnIssue<'_>>) -> Lookup {
    client(fake).find_duplicate(&repo(), TITLE, dedup, own, Deadline::after(Duration::from_secs(10))).await.unwrap()
}

fn paths(fake: &FakeGitHub) -> Vec<String> {
    fake.requests().iter().map(|r| r.path.clone()).collect()
}

/// `closed` closed issues titled `TITLE`, then one open, then 150 others, so that the title is
/// not among the newest 100 and the lookup has to search.
async fn flapping_alarm(closed: u64) -> FakeGitHub {
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
async fn a_first_attempt_searches_open_issues_only_and_finds_the_open_one_behind_many_closed() {
    let fake = flapping_alarm(250).await;
    let lookup = look_up(&fake, Dedup::OpenOnly, first_attempt()).await;
    assert_eq!(lookup.found.map(|i| i.number), Some(251));
    let search = fake.requests().into_iter().find(|r| r.path == "/search/issues").unwrap();
    assert!(search.query["q"].ends_with(" is:open"), "{}", search.query["q"]);
    assert_eq!(paths(&fake), ["/repos/acme/alarms/issues", "/search/issues"], "two requests in all");
}

#[tokio::test]
async fn every_page_of_search_results_is_read() {
    // Under retrigger: false closed issues count too, so search cannot filter by state: the
    // open issue is among 251 results, past the first page.
    let fake = flapping_alarm(250).await;
    let lookup = look_up(&fake, Dedup::OpenAndClosed, first_attempt()).await;
    assert_eq!(lookup.found.map(|i| i.number), Some(251), "the newest match, from the third page");
    let searches = paths(&fake).iter().filter(|p| *p == "/search/issues").count();
    assert_eq!(searches, 3);
}

#[tokio::test]
async fn incomplete_search_results_fall_back_to_the_listing() {
    let fake = flapping_alarm(0).await;
    fake.search_incomplete(true);
    let lookup = look_up(&fake, Dedup::OpenOnly, first_attempt()).await;
    assert_eq!(lookup.found.map(|i| i.number), Some(1), "found by listing");
    assert_eq!(
        paths(&fake),
        ["/repos/acme/alarms/issues", "/search/issues", "/repos/acme/alarms/issues"],
        "one search, then the listing's second page"
    );
}

#[tokio::test]
async fn a_rate_limited_search_is_not_waited_out_but_replaced_by_the_listing() {
    let fake = flapping_alarm(0).await;
    // GitHub's search allows 30 requests a minute; past it, a 403 asking to wait.
    fake.fail(GitHubRoute::Search, Fault::github_secondary_limit(5), 10);
    let deadline = Deadline::after(Duration::from_secs(30));
    let lookup =
        client(&fake).find_duplicate(&repo(), TITLE, Dedup::OpenOnly, first_attempt(), deadline).await.unwrap();
    assert_eq!(lookup.found.map(|i| i.number), Some(1));
    assert_eq!(paths(&fake).iter().filter(|p| *p == "/search/issues").count(), 1, "asked once, not again");
    assert!(deadline.remaining() > Duration::from_secs(25), "the invocation's time was not spent waiting");
}

#[tokio::test]
async fn a_retry_finds_its_own_closed_issue_behind_the_newest_hundred() {
    let fake = FakeGitHub::start().await.unwrap();
    let own = fake.add_issue(REPO, TITLE, "b\n\n<!-- dispatch:event=e-old request=r -->", false);
    fake.seed(REPO, 150);
    let retry = Some(OwnIssue { marker: "<!-- dispatch:event=e-old ", maybe_closed: true });
    let lookup = look_up(&fake, Dedup::OpenOnly, retry).await;
    assert!(lookup.ours);
    assert_eq!(lookup.found.map(|i| i.number), Some(own));
    let search = fake.requests().into_iter().find(|r| r.path == "/search/issues").unwrap();
    assert!(!search.query["q"].contains("is:open"), "{}", search.query["q"]);
}
