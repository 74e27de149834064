//! Reading GraphQL answers: whole, with the search part failed alone, refused, rate limited.

use serde_json::{Value, json};

use super::*;

fn node(number: u64, state: &str) -> Value {
    json!({
        "number": number, "title": format!("alarm {number}"), "body": "b", "state": state,
        "url": format!("https://github.com/acme/alarms/issues/{number}"), "author": { "login": "dispatch-bot" },
    })
}

fn answer(body: Value) -> Result<Answer, Unusable> {
    read_lookup(serde_json::from_value(body).expect("a GraphQL response"))
}

fn listing(more: bool) -> Value {
    json!({ "issues": { "pageInfo": { "hasNextPage": more }, "nodes": [node(7, "OPEN"), node(6, "CLOSED")] } })
}

#[test]
fn a_whole_answer_gives_the_newest_issues_and_the_first_search_page() {
    let found = answer(json!({ "data": {
        "repository": listing(true),
        "search": { "issueCount": 150, "pageInfo": { "hasNextPage": true, "endCursor": "Y3Vyc29yOjEwMA==" },
                    "nodes": [node(3, "OPEN"), {}, null] },
    }}))
    .unwrap();
    assert_eq!(
        found.recent.iter().map(|i| (i.number, i.state.as_str())).collect::<Vec<_>>(),
        [(7, "open"), (6, "closed")]
    );
    assert_eq!(found.recent[0].author(), Some("dispatch-bot"));
    assert_eq!(found.recent[0].html_url, "https://github.com/acme/alarms/issues/7");
    assert!(found.more_issues);
    let search = found.search.unwrap();
    assert_eq!(search.issues.iter().map(|i| i.number).collect::<Vec<_>>(), [3], "other results and nulls skipped");
    assert_eq!(search.next.as_deref(), Some("Y3Vyc29yOjEwMA=="));
}

#[test]
fn a_search_that_failed_alone_leaves_the_listing_usable() {
    let found = answer(json!({
        "data": { "repository": listing(true), "search": null },
        "errors": [{ "path": ["search"], "message": "Something went wrong while executing your query. This may be the result of a timeout." }],
    }))
    .unwrap();
    assert_eq!(found.recent.len(), 2);
    assert!(matches!(found.search, Err(Unusable::Errors(ref m)) if m.contains("timeout")));
}

#[test]
fn a_rate_limited_search_is_told_apart() {
    let found = answer(json!({
        "data": { "repository": listing(true), "search": null },
        "errors": [{ "type": "RATE_LIMITED", "path": ["search"], "message": "API rate limit exceeded for user ID 1." }],
    }))
    .unwrap();
    assert!(matches!(found.search, Err(Unusable::RateLimited(_))));
}

#[test]
fn an_error_outside_the_search_makes_the_whole_answer_unusable() {
    let missing = answer(json!({
        "data": { "repository": null, "search": { "issueCount": 0, "pageInfo": { "hasNextPage": false }, "nodes": [] } },
        "errors": [{ "type": "NOT_FOUND", "path": ["repository"], "message": "Could not resolve to a Repository with the name 'acme/gone'." }],
    }));
    assert!(matches!(missing, Err(Unusable::Errors(ref m)) if m.contains("Could not resolve")));
    let refused = answer(json!({ "errors": [{ "message": "Field 'nope' doesn't exist on type 'Issue'" }] }));
    assert!(matches!(refused, Err(Unusable::Errors(_))));
    let exhausted = answer(json!({ "errors": [{ "message": "API rate limit already exceeded for user ID 1." }] }));
    assert!(matches!(exhausted, Err(Unusable::RateLimited(_))), "recognised by its message, without a type");
}

#[test]
fn more_search_results_than_the_search_returns_are_not_trusted() {
    let found = answer(json!({ "data": {
        "repository": listing(true),
        "search": { "issueCount": 1001, "pageInfo": { "hasNextPage": true, "endCursor": "x" }, "nodes": [] },
    }}))
    .unwrap();
    assert!(matches!(found.search, Err(Unusable::TooMany(1001))));
}

#[test]
fn the_query_asks_for_every_field_an_issue_holds_and_no_pull_requests() {
    for document in [LOOKUP, SEARCH_PAGE] {
        assert!(document.contains("number title body url state author { __typename login }"), "{document}");
        assert!(document.contains("search(type: ISSUE, query: $search, first: 100"), "{document}");
        assert!(!document.contains("pullRequests"), "pull requests need a permission Dispatch does not ask for");
    }
    assert!(LOOKUP.contains("issues(first: 100, orderBy: {field: CREATED_AT, direction: DESC})"));
}

#[test]
fn an_apps_bot_reads_in_the_rest_form_and_a_user_with_the_same_name_stays_a_user() {
    let read = |actor: serde_json::Value| Account::from(serde_json::from_value::<Actor>(actor).unwrap()).login;
    assert_eq!(read(json!({ "__typename": "Bot", "login": "dispatch-app" })), "dispatch-app[bot]");
    assert_eq!(read(json!({ "__typename": "Bot", "login": "dispatch-app[bot]" })), "dispatch-app[bot]", "never twice");
    assert_eq!(read(json!({ "__typename": "User", "login": "dispatch-app" })), "dispatch-app");
    assert_eq!(read(json!({ "login": "dispatch-bot" })), "dispatch-bot", "no type: as given");
}
