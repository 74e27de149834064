//! The GitHub client's dedup lookup against a mock API: a mock repository of any size, listing and
//! search, the fallbacks and their limits, and an issue Dispatch itself created.

use dispatch_core::github::{LIST_PAGE_LIMIT, OwnIssue};
use dispatch_core::routing::Dedup;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::helpers::{catch_all, client, deadline, issue_json, repo, requests};

/// A repository of `count` issues titled `alarm N`, every third closed, plus the extra issues given.
/// Serves the issues listing (newest first, paged with Link headers) and the search API.
struct FakeRepo {
    base: String,
    issues: Vec<Value>,
    search_status: u16,
}

impl FakeRepo {
    fn new(server: &MockServer, count: u64, extra: Vec<Value>) -> Self {
        let base = server.uri();
        let mut issues: Vec<Value> = (1..=count)
            .map(|n| issue_json(&base, n, &format!("alarm {n}"), if n % 3 == 0 { "closed" } else { "open" }))
            .collect();
        issues.extend(extra);
        issues.sort_by_key(|i| std::cmp::Reverse(i["number"].as_u64().unwrap()));
        Self { base, issues, search_status: 200 }
    }

    fn failing_search(mut self, status: u16) -> Self {
        self.search_status = status;
        self
    }

    async fn mount(self, server: &MockServer) {
        let shared = std::sync::Arc::new(self);
        Mock::given(method("GET"))
            .and(path("/repos/acme/alarms/issues"))
            .respond_with(Listing(shared.clone()))
            .mount(server)
            .await;
        Mock::given(method("GET")).and(path("/search/issues")).respond_with(Search(shared)).mount(server).await;
    }

    fn wanted(issue: &Value, state: &str) -> bool {
        state == "all" || issue["state"] == state
    }
}

struct Listing(std::sync::Arc<FakeRepo>);

impl Respond for Listing {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let query: std::collections::HashMap<_, _> = request.url.query_pairs().into_owned().collect();
        let page: usize = query.get("page").map_or(1, |p| p.parse().unwrap());
        let per_page: usize = query.get("per_page").map_or(30, |p| p.parse().unwrap());
        let state = query.get("state").map_or("open", String::as_str);
        let matching: Vec<&Value> = self.0.issues.iter().filter(|i| FakeRepo::wanted(i, state)).collect();
        let start = (page - 1) * per_page;
        let items: Vec<&Value> = matching.iter().skip(start).take(per_page).copied().collect();
        let mut response = ResponseTemplate::new(200).set_body_json(&items);
        if start + per_page < matching.len() {
            let next =
                format!("{}/repos/acme/alarms/issues?state={state}&per_page={per_page}&page={}", self.0.base, page + 1);
            response = response.insert_header("link", format!("<{next}>; rel=\"next\"").as_str());
        }
        response
    }
}

struct Search(std::sync::Arc<FakeRepo>);

impl Respond for Search {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        if self.0.search_status != 200 {
            return ResponseTemplate::new(self.0.search_status)
                .set_body_json(json!({ "message": "Validation Failed" }));
        }
        let q = request.url.query_pairs().find(|(k, _)| k == "q").unwrap().1.into_owned();
        assert!(q.starts_with("repo:acme/alarms is:issue in:title \""), "{q}");
        let words = q.split('"').nth(1).unwrap().to_owned();
        let open_only = q.contains(" is:open");
        let mut items: Vec<&Value> = self
            .0
            .issues
            .iter()
            .filter(|i| i["pull_request"].is_null())
            .filter(|i| i["title"].as_str().unwrap().contains(&words))
            .filter(|i| !open_only || i["state"] == "open")
            .collect();
        // "Best match" first, as GitHub sorts search results: the exact title ranks highest.
        items.sort_by_key(|i| i["title"] != words.as_str());
        items.truncate(100);
        ResponseTemplate::new(200).set_body_json(json!({ "total_count": items.len(), "items": items }))
    }
}

#[tokio::test]
async fn a_duplicate_among_the_newest_issues_is_found_in_one_request() {
    let server = MockServer::start().await;
    FakeRepo::new(&server, 150, vec![]).mount(&server).await;
    catch_all(&server).await;
    let lookup = client(&server).find_duplicate(&repo(), "alarm 149", Dedup::OpenOnly, None, deadline()).await.unwrap();
    assert_eq!(lookup.found.unwrap().number, 149);
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn an_older_duplicate_is_found_through_search() {
    let server = MockServer::start().await;
    FakeRepo::new(&server, 5_000, vec![]).mount(&server).await;
    catch_all(&server).await;
    let lookup = client(&server).find_duplicate(&repo(), "alarm 7", Dedup::OpenOnly, None, deadline()).await.unwrap();
    assert_eq!(lookup.found.unwrap().number, 7);
    assert!(lookup.complete);
    let paths: Vec<String> = requests(&server).await.iter().map(|r| r.url.path().to_owned()).collect();
    assert_eq!(paths, ["/repos/acme/alarms/issues", "/search/issues"]);
}

#[tokio::test]
async fn search_candidates_must_match_the_title_exactly() {
    let server = MockServer::start().await;
    FakeRepo::new(&server, 500, vec![]).mount(&server).await;
    catch_all(&server).await;
    // "alarm 1" is contained in alarm 10..19, 100..199: none of them is the duplicate of "alarm 1" except #1.
    let lookup = client(&server).find_duplicate(&repo(), "alarm 1", Dedup::OpenOnly, None, deadline()).await.unwrap();
    assert_eq!(lookup.found.unwrap().number, 1);
    let none = client(&server).find_duplicate(&repo(), "alarm", Dedup::OpenOnly, None, deadline()).await.unwrap();
    assert_eq!(none.found, None);
}

#[tokio::test]
async fn the_lookup_makes_the_same_number_of_requests_for_0_1000_and_10000_issues() {
    let mut counts = Vec::new();
    for size in [0, 1_000, 10_000] {
        let server = MockServer::start().await;
        FakeRepo::new(&server, size, vec![]).mount(&server).await;
        catch_all(&server).await;
        let lookup = client(&server)
            .find_duplicate(&repo(), "no such alarm", Dedup::OpenAndClosed, None, deadline())
            .await
            .unwrap();
        assert_eq!(lookup.found, None);
        counts.push(requests(&server).await.len());
    }
    assert_eq!(counts, [1, 2, 2], "requests per lookup for 0, 1,000 and 10,000 issues");
}

#[tokio::test]
async fn retrigger_true_ignores_closed_issues_and_false_counts_them() {
    let server = MockServer::start().await;
    FakeRepo::new(&server, 3_000, vec![]).mount(&server).await;
    catch_all(&server).await;
    let github = client(&server);
    // #2997 is closed (a multiple of 3) and among the newest; #30 is closed and old.
    for title in ["alarm 2997", "alarm 30"] {
        let open_only = github.find_duplicate(&repo(), title, Dedup::OpenOnly, None, deadline()).await.unwrap();
        assert_eq!(open_only.found, None, "{title}");
        let all = github.find_duplicate(&repo(), title, Dedup::OpenAndClosed, None, deadline()).await.unwrap();
        assert_eq!(all.found.map(|i| i.state), Some("closed".to_owned()), "{title}");
    }
}

#[tokio::test]
async fn pull_requests_with_the_same_title_are_not_duplicates() {
    let server = MockServer::start().await;
    let mut pr = issue_json(&server.uri(), 9_001, "Dependency bump", "open");
    pr["pull_request"] = json!({ "url": "https://example.invalid/pr" });
    FakeRepo::new(&server, 10, vec![pr]).mount(&server).await;
    catch_all(&server).await;
    let lookup =
        client(&server).find_duplicate(&repo(), "Dependency bump", Dedup::OpenOnly, None, deadline()).await.unwrap();
    assert_eq!(lookup.found, None);
}

#[tokio::test]
async fn when_search_fails_the_listing_is_paged_through_link_headers() {
    let server = MockServer::start().await;
    FakeRepo::new(&server, 1_000, vec![]).failing_search(422).mount(&server).await;
    catch_all(&server).await;
    let lookup =
        client(&server).find_duplicate(&repo(), "alarm 650", Dedup::OpenAndClosed, None, deadline()).await.unwrap();
    assert_eq!(lookup.found.unwrap().number, 650);
    let pages: Vec<Option<String>> = requests(&server)
        .await
        .iter()
        .filter(|r| r.url.path() == "/repos/acme/alarms/issues")
        .map(|r| r.url.query_pairs().find(|(k, _)| k == "page").map(|(_, v)| v.into_owned()))
        .collect();
    // Newest first: #1000..#901 on page 1, … #700..#601 on page 4.
    assert_eq!(pages, [None, Some("2".into()), Some("3".into()), Some("4".into())]);
}

#[tokio::test]
async fn a_rate_limited_search_falls_back_to_listing() {
    let server = MockServer::start().await;
    FakeRepo::new(&server, 300, vec![]).failing_search(503).mount(&server).await;
    catch_all(&server).await;
    let lookup = client(&server).find_duplicate(&repo(), "alarm 101", Dedup::OpenOnly, None, deadline()).await.unwrap();
    assert_eq!(lookup.found.unwrap().number, 101);
}

#[tokio::test]
async fn the_fallback_listing_stops_at_its_page_limit_and_says_so() {
    let server = MockServer::start().await;
    FakeRepo::new(&server, 10_000, vec![]).failing_search(422).mount(&server).await;
    catch_all(&server).await;
    let lookup =
        client(&server).find_duplicate(&repo(), "alarm 1", Dedup::OpenAndClosed, None, deadline()).await.unwrap();
    assert_eq!(lookup.found, None);
    assert!(!lookup.complete);
    let listing = requests(&server).await.iter().filter(|r| r.url.path() == "/repos/acme/alarms/issues").count();
    assert_eq!(listing, LIST_PAGE_LIMIT);
}

#[tokio::test]
async fn a_next_link_to_another_host_is_not_followed_with_the_token() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/alarms/issues"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([]))
                .insert_header("link", "<http://127.0.0.2:9/steal?page=2>; rel=\"next\""),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let lookup = client(&server).find_duplicate(&repo(), "x", Dedup::OpenOnly, None, deadline()).await.unwrap();
    assert_eq!(lookup.found, None);
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn an_issue_carrying_our_marker_is_ours_even_when_closed_or_old() {
    let server = MockServer::start().await;
    let mut ours = issue_json(&server.uri(), 40, "alarm 40", "closed");
    ours["body"] = json!("body\n\n<!-- dispatch:event=e-1 request=r1 -->");
    let mut other = issue_json(&server.uri(), 2_500, "alarm 40", "open");
    other["body"] = json!("someone else's");
    let mut issues = FakeRepo::new(&server, 3_000, vec![other]);
    let old = issues.issues.iter_mut().find(|i| i["number"] == 40).unwrap();
    *old = ours;
    issues.mount(&server).await;
    catch_all(&server).await;
    let github = client(&server);
    let lookup = github
        .find_duplicate(
            &repo(),
            "alarm 40",
            Dedup::OpenOnly,
            Some(OwnIssue { marker: "<!-- dispatch:event=e-1 ", maybe_closed: true }),
            deadline(),
        )
        .await
        .unwrap();
    assert!(lookup.ours);
    assert_eq!(lookup.found.unwrap().number, 40);
    let other_event = github
        .find_duplicate(
            &repo(),
            "alarm 40",
            Dedup::OpenOnly,
            Some(OwnIssue { marker: "<!-- dispatch:event=e-2 ", maybe_closed: true }),
            deadline(),
        )
        .await
        .unwrap();
    assert!(!other_event.ours);
    assert_eq!(other_event.found.unwrap().number, 2_500);
}
