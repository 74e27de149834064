//! `POST /graphql`: the fake GitHub answers a query from its own state, as hostile as the real
//! one. A malformed or invalid query is refused whole (HTTP 200, `errors`, no `data`); a missing
//! repository is `null` with a `NOT_FOUND` error; the search part honours the search faults
//! ([`GitHubRoute::Search`], [`super::FakeGitHub::search_incomplete`]) as GitHub reports a search
//! that timed out or was rate limited: `search: null` and an error whose `path` is `["search"]`,
//! beside the rest of the data. Faults planned for [`GitHubRoute::GraphQl`] fail the request
//! itself; so do those for [`GitHubRoute::List`] when the query reads the issues listing.

use std::sync::Mutex;

use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value as Json, json};

use super::query::{Field, Selection, parse};
use super::rest::search_hits;
use super::schema::{argument, check};
use super::{FakeIssue, GitHubRoute, State, caller, lock};
use crate::server::{Fault, Recorded, json, late, short_circuit};

/// GitHub's message for a query that ran out of time, and the fake's for an incomplete search.
const TIMED_OUT: &str = "Something went wrong while executing your query. This may be the result of a timeout, or it could be a GitHub bug.";

/// How the search part of a query fails, when it does.
enum SearchFailure {
    RateLimited,
    TimedOut,
}

/// Answers one GraphQL request.
pub(super) async fn answer(state: &Mutex<State>, base: &str, request: &Recorded) -> Response {
    let body = request.json();
    let Some(document) = body.get("query").and_then(Json::as_str) else {
        return refused(vec![json!({ "message": "A query attribute must be specified and must be a string." })]);
    };
    let variables = body.get("variables").cloned().filter(Json::is_object).unwrap_or_else(|| json!({}));
    let operation = match parse(document) {
        Ok(operation) => operation,
        Err(message) => return refused(vec![json!({ "message": message })]),
    };
    let errors = check(&operation, &variables);
    if !errors.is_empty() {
        return refused(errors);
    }
    let reads = |name: &str| operation.selections.iter().any(|s| matches!(s, Selection::Field(f) if f.name == name));
    let lists = operation.selections.iter().any(|s| matches!(s, Selection::Field(f) if f.name == "repository" && f.selections.iter().any(|i| matches!(i, Selection::Field(i) if i.name == "issues"))));
    let fault = {
        let mut state = lock(state);
        let whole = state.faults.take(&GitHubRoute::GraphQl);
        whole.or_else(|| if lists { state.faults.take(&GitHubRoute::List) } else { None })
    };
    if let Some(fault) = &fault
        && let Some(response) = short_circuit(fault).await
    {
        return response;
    }
    let search_failure = if reads("search") {
        let (fault, incomplete) = {
            let mut state = lock(state);
            (state.faults.take(&GitHubRoute::Search), state.search_incomplete)
        };
        match fault {
            Some(Fault::RateLimited { .. }) => Some(SearchFailure::RateLimited),
            Some(Fault::Hang(delay)) => {
                tokio::time::sleep(delay).await;
                Some(SearchFailure::TimedOut)
            }
            Some(_) => Some(SearchFailure::TimedOut),
            None => incomplete.then_some(SearchFailure::TimedOut),
        }
    } else {
        None
    };
    let response = {
        let state = lock(state);
        let mut run = Run {
            state: &state,
            base,
            variables: &variables,
            search_failure,
            errors: Vec::new(),
            viewer: caller(request),
        };
        let data = run.object(&operation.selections, &Subject::Query);
        let mut answer = json!({ "data": data });
        if !run.errors.is_empty() {
            answer["errors"] = Json::Array(run.errors);
        }
        json(200, answer)
    };
    late(&fault).await;
    response
}

/// A refused query: HTTP 200 with the errors and no data, as GitHub answers one.
fn refused(errors: Vec<Json>) -> Response {
    json(200, json!({ "errors": errors }))
}

/// What a selection set is resolved on.
enum Subject<'s> {
    Query,
    Repository(&'s str),
    Connection(Page<'s>),
    PageInfo {
        has_next: bool,
        end_cursor: Option<String>,
    },
    Issue(&'s str, &'s FakeIssue),
    Actor(&'s str),
    /// The account of the request's credentials.
    Viewer(&'static str),
}

/// A page of issues out of a longer list.
struct Page<'a> {
    repo: String,
    items: Vec<&'a FakeIssue>,
    start: usize,
    total: usize,
    /// How many of `total` can be paged through (the search stops at 1,000).
    reachable: usize,
}

struct Run<'a> {
    state: &'a State,
    base: &'a str,
    variables: &'a Json,
    search_failure: Option<SearchFailure>,
    errors: Vec<Json>,
    /// The login of the request's credentials.
    viewer: &'static str,
}

impl<'a> Run<'a> {
    fn object<'s>(&mut self, selections: &[Selection], subject: &Subject<'s>) -> Json
    where
        'a: 's,
    {
        let mut out = Map::new();
        self.fill(&mut out, selections, subject);
        Json::Object(out)
    }

    fn fill<'s>(&mut self, out: &mut Map<String, Json>, selections: &[Selection], subject: &Subject<'s>)
    where
        'a: 's,
    {
        for selection in selections {
            match selection {
                Selection::Field(field) => {
                    let value = self.field(field, subject);
                    out.insert(field.key.clone(), value);
                }
                // Checked already: only `... on Issue` (or on the subject's own type) gets here.
                Selection::On(_, inner) => self.fill(out, inner, subject),
            }
        }
    }

    fn field<'s>(&mut self, field: &Field, subject: &Subject<'s>) -> Json
    where
        'a: 's,
    {
        let variables = self.variables;
        let arg = |name: &str| argument(field, name, variables);
        match (subject, field.name.as_str()) {
            (Subject::Query, "__typename") => json!("Query"),
            // The credentials' account, named as REST names it (an App's bot with `[bot]`), as
            // GitHub's `viewer` does.
            (Subject::Query, "viewer") => self.object(&field.selections, &Subject::Viewer(self.viewer)),
            (Subject::Query, "repository") => {
                let repo = format!(
                    "{}/{}",
                    arg("owner").as_str().unwrap_or_default(),
                    arg("name").as_str().unwrap_or_default()
                );
                if self.state.missing_repos.contains(&repo) {
                    let message = format!("Could not resolve to a Repository with the name '{repo}'.");
                    self.errors.push(json!({ "type": "NOT_FOUND", "path": [field.key], "message": message }));
                    return Json::Null;
                }
                self.object(&field.selections, &Subject::Repository(&repo))
            }
            (Subject::Query, "search") => match self.search_failure {
                Some(SearchFailure::RateLimited) => {
                    let message = "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID.";
                    self.errors.push(json!({ "type": "RATE_LIMITED", "path": [field.key], "message": message }));
                    Json::Null
                }
                Some(SearchFailure::TimedOut) => {
                    self.errors.push(json!({ "path": [field.key], "message": TIMED_OUT }));
                    Json::Null
                }
                None => {
                    let (repo, hits) = search_hits(self.state, arg("query").as_str().unwrap_or_default());
                    let page = page(repo, hits, &arg("first"), &arg("after"), 1000);
                    self.object(&field.selections, &Subject::Connection(page))
                }
            },
            (Subject::Repository(repo), "issues") => {
                let issues = self.state.repos.get(*repo).map(Vec::as_slice).unwrap_or_default();
                let states = arg("states");
                let wanted = |i: &&FakeIssue| {
                    states.as_array().is_none_or(|s| s.iter().any(|s| s.as_str() == Some(&graphql_state(i))))
                };
                let mut items: Vec<&FakeIssue> = issues.iter().filter(|i| !i.pull_request).filter(wanted).collect();
                if arg("orderBy")["direction"] == "DESC" {
                    items.reverse();
                }
                let page = page((*repo).to_owned(), items, &arg("first"), &arg("after"), usize::MAX);
                self.object(&field.selections, &Subject::Connection(page))
            }
            (Subject::Repository(repo), "name") => json!(repo.split('/').nth(1)),
            (Subject::Repository(repo), "nameWithOwner") => json!(repo),
            (Subject::Connection(page), "nodes") => {
                let nodes = page.items.iter().map(|i| self.object(&field.selections, &Subject::Issue(&page.repo, i)));
                Json::Array(nodes.collect::<Vec<_>>())
            }
            (Subject::Connection(page), "totalCount" | "issueCount") => json!(page.total),
            (Subject::Connection(page), "pageInfo") => {
                let end = page.start + page.items.len();
                let info = Subject::PageInfo {
                    has_next: end < page.reachable.min(page.total),
                    end_cursor: (end > 0).then(|| cursor(end)),
                };
                self.object(&field.selections, &info)
            }
            (Subject::PageInfo { has_next, .. }, "hasNextPage") => json!(has_next),
            (Subject::PageInfo { end_cursor, .. }, "endCursor") => json!(end_cursor),
            (Subject::PageInfo { .. }, "hasPreviousPage") => json!(false),
            (Subject::PageInfo { .. }, "startCursor") => Json::Null,
            (Subject::Issue(repo, issue), name) => match name {
                "__typename" => json!("Issue"),
                "number" => json!(issue.number),
                "title" => json!(issue.title),
                "body" => json!(issue.body),
                "url" => json!(format!("{}/{repo}/issues/{}", self.base, issue.number)),
                "state" => json!(graphql_state(issue)),
                "closed" => json!(issue.state == "closed"),
                "createdAt" => json!(format!("2026-01-01T{:02}:{:02}:00Z", issue.number / 60 % 24, issue.number % 60)),
                "author" => self.object(&field.selections, &Subject::Actor(&issue.author)),
                _ => Json::Null,
            },
            // An App's bot is a `Bot` whose login GraphQL gives without the `[bot]` REST shows.
            (Subject::Actor(login), "login") => json!(login.strip_suffix("[bot]").unwrap_or(login)),
            (Subject::Actor(login), "__typename") | (Subject::Viewer(login), "__typename") => json!(actor_type(login)),
            (Subject::Viewer(login), "login") => json!(login),
            (_, "__typename") => json!("fake"),
            _ => Json::Null,
        }
    }
}

/// The GraphQL type of the account `login` (in the REST form): an App's bot is a `Bot`.
fn actor_type(login: &str) -> &'static str {
    if login.ends_with("[bot]") { "Bot" } else { "User" }
}

fn graphql_state(issue: &FakeIssue) -> String {
    issue.state.to_ascii_uppercase()
}

/// A page cursor, opaque as GitHub's (`cursor:N`, base64): `N` items come before the next page.
fn cursor(offset: usize) -> String {
    STANDARD.encode(format!("cursor:{offset}"))
}

/// The page of `items` that `first` and `after` ask for.
fn page<'a>(repo: String, items: Vec<&'a FakeIssue>, first: &Json, after: &Json, reachable: usize) -> Page<'a> {
    let start = after
        .as_str()
        .and_then(|c| STANDARD.decode(c).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix("cursor:").and_then(|n| n.parse().ok()))
        .unwrap_or(0);
    let first = usize::try_from(first.as_u64().unwrap_or(100)).unwrap_or(100);
    let total = items.len();
    let end = (start + first).min(total).min(reachable.max(start));
    let items = items.into_iter().skip(start).take(end.saturating_sub(start)).collect();
    Page { repo, items, start, total, reachable }
}
