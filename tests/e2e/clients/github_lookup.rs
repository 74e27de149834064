//! The dedup lookup when GitHub's answer cannot be used as it is: a search part that timed out,
//! was rate limited or has more results than GitHub returns (the listing goes on from its second
//! page, up to its limit); GraphQL failing, rate limited, absent or answering only errors (the
//! REST lookup runs as before and finds the issue); GitHub Enterprise's base path; and the fake
//! GitHub refusing what GitHub refuses.

use std::time::Duration;

use dispatch_core::deadline::Deadline;
use dispatch_core::github::{Counted, GitHubError, LIST_PAGE_LIMIT};
use dispatch_fakes::{FakeGitHub, Fault, GitHubRoute};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::dedup_search::{REPO, TITLE, client, first_attempt, flapping_alarm, look_up, paths, queries, seeded};
use super::helpers::{self, catch_all, issue_json, repo, requests};

const LISTING: &str = "/repos/acme/alarms/issues";

/// The `page` parameter of each issues listing request (`None` for the first page).
fn listed_pages(fake: &FakeGitHub) -> Vec<Option<String>> {
    fake.requests().iter().filter(|r| r.path == LISTING).map(|r| r.query.get("page").cloned()).collect()
}

#[tokio::test]
async fn incomplete_search_results_fall_back_to_the_listing_from_its_second_page() {
    let fake = flapping_alarm(0).await;
    fake.search_incomplete(true);
    let lookup = look_up(&fake, TITLE, Counted::Open, first_attempt()).await;
    assert_eq!(lookup.found.map(|i| i.number), Some(1), "found by listing");
    assert_eq!(paths(&fake), ["/graphql", LISTING], "the query's newest 100 were the first page");
    assert_eq!(listed_pages(&fake), [Some("2".to_owned())]);
}

#[tokio::test]
async fn a_rate_limited_search_is_not_waited_out_but_replaced_by_the_listing() {
    let fake = flapping_alarm(0).await;
    fake.fail(GitHubRoute::Search, Fault::github_secondary_limit(5), 10);
    let deadline = Deadline::after(Duration::from_secs(30));
    let lookup = client(&fake).find_duplicate(&repo(), TITLE, Counted::Open, first_attempt(), deadline).await.unwrap();
    assert_eq!(lookup.found.map(|i| i.number), Some(1));
    assert_eq!(paths(&fake), ["/graphql", LISTING], "asked once, not again, and not through REST search");
    assert!(deadline.remaining() > Duration::from_secs(25), "the invocation's time was not spent waiting");
}

#[tokio::test]
async fn when_search_fails_the_listing_is_paged_until_the_duplicate() {
    let fake = seeded(1_000).await;
    fake.fail(GitHubRoute::Search, Fault::Status(422), 1);
    let lookup = look_up(&fake, "existing alarm 650", Counted::OpenAndClosed, None).await;
    assert_eq!(lookup.found.map(|i| i.number), Some(650));
    // Newest first: #1000..#901 in the query's answer, then pages 2 to 4 (#700..#601).
    assert_eq!(listed_pages(&fake), ["2", "3", "4"].map(|p| Some(p.to_owned())));
}

#[tokio::test]
async fn the_fallback_listing_stops_at_its_page_limit_and_says_so() {
    let fake = seeded(10_000).await;
    fake.fail(GitHubRoute::Search, Fault::Status(500), 1);
    let lookup = look_up(&fake, "existing alarm 1", Counted::OpenAndClosed, None).await;
    assert_eq!(lookup.found, None);
    assert!(!lookup.complete);
    assert_eq!(queries(&fake).len() + listed_pages(&fake).len(), LIST_PAGE_LIMIT, "pages of 100 read in all");
}

#[tokio::test]
async fn a_search_with_more_results_than_github_returns_is_replaced_by_the_listing() {
    // "existing alarm" is in all 1,500 titles: GitHub's search returns 1,000 at most.
    let fake = seeded(1_500).await;
    let lookup = look_up(&fake, "existing alarm", Counted::OpenAndClosed, None).await;
    assert_eq!((lookup.found, lookup.complete), (None, false));
    assert_eq!(queries(&fake).len(), 1, "no page of a search that cannot be trusted is read");
    assert_eq!(listed_pages(&fake).len(), LIST_PAGE_LIMIT - 1);
}

#[tokio::test]
async fn graphql_server_errors_are_retried_then_the_rest_api_finds_the_issue() {
    let fake = flapping_alarm(0).await;
    fake.fail(GitHubRoute::GraphQl, Fault::Status(502), 3);
    let lookup = look_up(&fake, TITLE, Counted::Open, first_attempt()).await;
    assert_eq!(lookup.found.map(|i| i.number), Some(1));
    assert_eq!(paths(&fake), ["/graphql", "/graphql", "/graphql", LISTING, "/search/issues"]);
}

#[tokio::test]
async fn a_rate_limited_graphql_request_is_not_waited_out() {
    let fake = flapping_alarm(0).await;
    fake.fail(GitHubRoute::GraphQl, Fault::github_secondary_limit(60), 1);
    let deadline = Deadline::after(Duration::from_secs(30));
    let lookup = client(&fake).find_duplicate(&repo(), TITLE, Counted::Open, first_attempt(), deadline).await.unwrap();
    assert_eq!(lookup.found.map(|i| i.number), Some(1));
    assert_eq!(paths(&fake), ["/graphql", LISTING, "/search/issues"]);
    assert!(deadline.remaining() > Duration::from_secs(25));
}

#[tokio::test]
async fn without_a_graphql_endpoint_the_rest_api_looks_up_as_before() {
    let fake = flapping_alarm(0).await;
    fake.fail(GitHubRoute::GraphQl, Fault::Status(404), 1);
    fake.search_incomplete(true);
    let lookup = look_up(&fake, TITLE, Counted::Open, first_attempt()).await;
    assert_eq!(lookup.found.map(|i| i.number), Some(1));
    assert_eq!(paths(&fake), ["/graphql", LISTING, "/search/issues", LISTING]);
    assert_eq!(listed_pages(&fake), [None, Some("2".to_owned())]);
}

#[tokio::test]
async fn a_missing_repository_is_not_found_as_before() {
    let fake = seeded(5).await;
    fake.missing_repo(REPO);
    let error = client(&fake)
        .find_duplicate(&repo(), TITLE, Counted::Open, first_attempt(), Deadline::after(Duration::from_secs(10)))
        .await
        .unwrap_err();
    assert!(matches!(error, GitHubError::NotFound(_)), "{error:?}");
    assert_eq!(paths(&fake), ["/graphql", LISTING], "GraphQL's NOT_FOUND, then REST's 404");
}

#[tokio::test]
async fn a_graphql_answer_of_errors_alone_falls_back_to_the_rest_api() {
    let server = MockServer::start().await;
    let errors = json!({ "data": null, "errors": [{ "type": "RATE_LIMITED", "message": "API rate limit exceeded for user ID 1." }] });
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .respond_with(ResponseTemplate::new(200).set_body_json(errors))
        .expect(1)
        .mount(&server)
        .await;
    let issues = json!([issue_json(&server.uri(), 3, TITLE, "open")]);
    Mock::given(method("GET"))
        .and(path(LISTING))
        .respond_with(ResponseTemplate::new(200).set_body_json(issues))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let lookup =
        helpers::client(&server).find_duplicate(&repo(), TITLE, Counted::Open, None, helpers::deadline()).await;
    assert_eq!(lookup.unwrap().found.map(|i| i.number), Some(3));
}

#[tokio::test]
async fn a_github_enterprise_base_path_looks_up_through_rest_without_asking_graphql() {
    // GitHub Enterprise Server serves GraphQL at /api/graphql, outside the REST base /api/v3.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v3/repos/acme/alarms/issues"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([issue_json(&server.uri(), 2, TITLE, "open")])))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let base = url::Url::parse(&format!("{}/api/v3", server.uri())).unwrap();
    let auth = dispatch_core::github::GitHubAuth::Token(secrecy::SecretString::from(helpers::TOKEN.to_owned()));
    let github = dispatch_core::github::GitHub::new(&base, &auth, helpers::policy()).unwrap();
    let lookup = github.find_duplicate(&repo(), TITLE, Counted::Open, None, helpers::deadline()).await.unwrap();
    assert_eq!(lookup.found.map(|i| i.number), Some(2));
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn a_next_link_to_another_host_is_not_followed_with_the_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).and(path("/graphql")).respond_with(ResponseTemplate::new(404)).mount(&server).await;
    Mock::given(method("GET"))
        .and(path(LISTING))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([]))
                .insert_header("link", "<http://127.0.0.2:9/steal?page=2>; rel=\"next\""),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let lookup = helpers::client(&server).find_duplicate(&repo(), "x", Counted::Open, None, helpers::deadline()).await;
    assert_eq!(lookup.unwrap().found, None);
    assert_eq!(requests(&server).await.len(), 2, "the query, then one listing page");
}

/// What the fake GitHub answers to `document` at `POST /graphql`.
async fn ask(fake: &FakeGitHub, document: &str, variables: Value) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{}/graphql", fake.url()))
        .bearer_auth("ghp-x")
        .json(&json!({ "query": document, "variables": variables }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "GraphQL answers errors with HTTP 200");
    response.json().await.unwrap()
}

#[tokio::test]
async fn the_fake_github_refuses_what_github_refuses() {
    let fake = seeded(3).await;
    let refusals = [
        ("{ repository(owner: \"acme\", name: \"alarms\") { issues { nodes { title } } } }", "`first` or `last`"),
        (
            "{ repository(owner: \"acme\", name: \"alarms\") { issues(first: 101) { nodes { title } } } }",
            "limit of 100",
        ),
        (
            "{ repository(owner: \"acme\", name: \"alarms\") { nope } }",
            "Field 'nope' doesn't exist on type 'Repository'",
        ),
        (
            "{ repository(owner: \"acme\", name: \"alarms\") { issues(first: 1) { nodes { author } } } }",
            "must have selections",
        ),
        ("{ search(type: ISSUE, query: \"x\", first: 5) { nodes { title } } }", "directly on unions"),
        ("query Q($x: String!) { search(type: ISSUE, query: $x, first: 5) { issueCount } }", "$x of type String!"),
        ("query { search(type: ISSUE, query: $y, first: 5) { issueCount } }", "$y is used"),
        ("query { search(type: ISSUE, query: \"x\" first: 5 { issueCount } }", "Parse error"),
        ("mutation { closeIssue }", "only queries"),
    ];
    for (document, expected) in refusals {
        let answer = ask(&fake, document, json!({})).await;
        assert!(answer.get("data").is_none(), "{document}: {answer}");
        assert!(answer["errors"].to_string().contains(expected), "{document}: {answer}");
    }
    let document = "query($q: String!) { search(type: ISSUE, query: $q, first: 2) { issueCount nodes { ... on Issue { number state } } } }";
    let answer =
        ask(&fake, document, json!({ "q": "repo:acme/alarms is:issue in:title \"existing alarm\" is:open" })).await;
    assert_eq!(
        answer,
        json!({ "data": { "search": { "issueCount": 2, "nodes": [{ "number": 2, "state": "OPEN" }, { "number": 1, "state": "OPEN" }] } } })
    );
}
