//! The REST routes of the fake GitHub: routing, authentication and planned faults for every
//! request (a query at `POST /graphql` is handed to [`super::graphql`]), and the REST answers.

use std::sync::Mutex;

use axum::http::Method;
use axum::response::Response;
use serde_json::{Value, json};

use super::{APP_SLUG, FakeIssue, GitHubRoute, State, caller, graphql, lock};
use crate::server::{Fault, Incoming, Recorded, json, late, short_circuit, unexpected};

fn issue_json(base: &str, repo: &str, issue: &FakeIssue) -> Value {
    let mut value = json!({
        "number": issue.number,
        "title": issue.title,
        "body": issue.body,
        "state": issue.state,
        "state_reason": issue.state_reason,
        "labels": issue.labels.iter().map(|l| json!({ "name": l })).collect::<Vec<_>>(),
        "html_url": format!("{base}/{repo}/issues/{}", issue.number),
        "comments": issue.comments.len(),
        "user": { "login": issue.author, "type": if issue.author.ends_with("[bot]") { "Bot" } else { "User" } },
    });
    if issue.pull_request {
        value["pull_request"] = json!({ "url": format!("{base}/{repo}/pull/{}", issue.number) });
    }
    value
}

fn comment_json(base: &str, repo: &str, number: u64, id: u64, body: &str, author: &str) -> Value {
    json!({
        "id": id,
        "html_url": format!("{base}/{repo}/issues/{number}#issuecomment-{id}"),
        "body": body,
        "user": { "login": author },
    })
}

fn route(request: &Incoming) -> Option<GitHubRoute> {
    let s: Vec<&str> = request.segments.iter().map(String::as_str).collect();
    Some(match (&request.method, s.as_slice()) {
        (&Method::GET, ["repos", _, _, "issues"]) => GitHubRoute::List,
        (&Method::GET, ["search", "issues"]) => GitHubRoute::Search,
        (&Method::POST, ["repos", _, _, "issues"]) => GitHubRoute::Create,
        (&Method::GET, ["repos", _, _, "issues", _]) => GitHubRoute::Get,
        (&Method::PATCH, ["repos", _, _, "issues", _]) => GitHubRoute::Update,
        (&Method::GET, ["repos", _, _, "issues", _, "comments"]) => GitHubRoute::ListComments,
        (&Method::POST, ["repos", _, _, "issues", _, "comments"]) => GitHubRoute::Comment,
        (&Method::DELETE, ["repos", _, _, "issues", "comments", _]) => GitHubRoute::DeleteComment,
        (&Method::GET, ["repos", _, _]) => GitHubRoute::Repository,
        (&Method::POST, ["graphql"]) => GitHubRoute::GraphQl,
        _ => return None,
    })
}

pub(super) async fn handle(state: &Mutex<State>, base: &str, request: Incoming) -> Response {
    let s: Vec<&str> = request.segments.iter().map(String::as_str).collect();
    if let ["app", "installations", _, "access_tokens"] = s.as_slice() {
        let expires = chrono::Utc::now() + chrono::Duration::hours(1);
        return json(
            201,
            json!({ "token": "ghs_fake_installation_token", "expires_at": expires.to_rfc3339(), "permissions": { "issues": "write" } }),
        );
    }
    if let (&Method::GET, ["app", "installations", id]) = (&request.method, s.as_slice()) {
        let permissions = lock(state)
            .installation_permissions
            .clone()
            .unwrap_or_else(|| json!({ "issues": "write", "metadata": "read" }));
        return json(
            200,
            json!({ "id": id.parse::<u64>().unwrap_or_default(), "app_id": 17, "permissions": permissions }),
        );
    }
    // The App itself: only its JWT may ask (GitHub refuses an installation token with 401).
    if let (&Method::GET, ["app"]) = (&request.method, s.as_slice()) {
        if !request.recorded.header("authorization").is_some_and(|a| a.starts_with("Bearer ey")) {
            return json(401, json!({ "message": "A JSON web token could not be decoded" }));
        }
        return json(200, json!({ "id": 17, "slug": APP_SLUG, "name": "Dispatch App" }));
    }
    if request.recorded.header("authorization").is_none() {
        return json(401, json!({ "message": "Requires authentication" }));
    }
    if let Some(refusal) = refused(state, &s, &request.recorded) {
        return refusal;
    }
    // Who the token is: a user token's account; an App installation may not ask (as on GitHub).
    if let (&Method::GET, ["user"]) = (&request.method, s.as_slice()) {
        if request.recorded.header("authorization").is_some_and(|a| a.contains("ghs_")) {
            return json(403, json!({ "message": "Resource not accessible by integration" }));
        }
        return json(200, json!({ "login": super::DISPATCH_LOGIN, "type": "User" }));
    }
    let Some(route) = route(&request) else { return unexpected(&request) };
    if route == GitHubRoute::GraphQl {
        return graphql::answer(state, base, &request.recorded).await;
    }
    let (fault, deferred) = {
        let mut state = lock(state);
        let at = state.deferred.iter().position(|(r, _, _)| *r == route);
        (state.faults.take(&route), at.map(|at| state.deferred.remove(at)))
    };
    if let Some((route, segments, recorded)) = deferred {
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        let _ = apply(state, base, route, &segments, &recorded);
    }
    if let Some(Fault::AppliedLate(_)) = &fault {
        lock(state).deferred.push((route, request.segments.clone(), request.recorded.clone()));
    }
    if let Some(fault) = &fault
        && let Some(response) = short_circuit(fault).await
    {
        return response;
    }
    let response = apply(state, base, route, &s, &request.recorded);
    late(&fault).await;
    response
}

fn apply(state: &Mutex<State>, base: &str, route: GitHubRoute, s: &[&str], request: &Recorded) -> Response {
    let mut state = lock(state);
    if route == GitHubRoute::Search {
        return search(&state, base, request);
    }
    if route == GitHubRoute::Repository {
        return repository(&state, base, s, request);
    }
    let repo = format!("{}/{}", s[1], s[2]);
    state.next_comment += 1;
    let comment_id = state.next_comment;
    let issues = state.repos.entry(repo.clone()).or_default();
    if route == GitHubRoute::DeleteComment {
        let id: u64 = s[5].parse().unwrap_or_default();
        for issue in issues.iter_mut() {
            if let Some(at) = issue.comment_ids.iter().position(|c| *c == id) {
                issue.comment_ids.remove(at);
                issue.comments.remove(at);
                issue.comment_authors.remove(at);
                return json(204, Value::Null);
            }
        }
        return json(404, json!({ "message": "Not Found" }));
    }
    let number = s.get(4).and_then(|n| n.parse::<u64>().ok());
    let find = |issues: &mut Vec<FakeIssue>| number.and_then(|n| issues.iter().position(|i| i.number == n));
    let body = request.json();
    match route {
        GitHubRoute::List => list(base, &repo, issues, request),
        GitHubRoute::Create => {
            let Some(title) = body["title"].as_str() else {
                return json(422, json!({ "message": "Validation Failed" }));
            };
            let issue = FakeIssue {
                number: issues.len() as u64 + 1,
                title: title.trim().to_owned(),
                body: body["body"].as_str().unwrap_or_default().to_owned(),
                state: "open".into(),
                state_reason: None,
                labels: body["labels"]
                    .as_array()
                    .map(|l| l.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
                    .unwrap_or_default(),
                comments: Vec::new(),
                comment_ids: Vec::new(),
                pull_request: false,
                author: caller(request).to_owned(),
                comment_authors: Vec::new(),
            };
            let value = issue_json(base, &repo, &issue);
            issues.push(issue);
            json(201, value)
        }
        GitHubRoute::Get | GitHubRoute::Update => {
            let Some(index) = find(issues) else { return json(404, json!({ "message": "Not Found" })) };
            if route == GitHubRoute::Update {
                if let Some(new_state) = body["state"].as_str() {
                    issues[index].state = new_state.to_owned();
                }
                if let Some(reason) = body["state_reason"].as_str() {
                    issues[index].state_reason = Some(reason.to_owned());
                }
                if let Some(text) = body["body"].as_str() {
                    issues[index].body = text.to_owned();
                }
            }
            json(200, issue_json(base, &repo, &issues[index]))
        }
        GitHubRoute::ListComments => {
            let Some(index) = find(issues) else { return json(404, json!({ "message": "Not Found" })) };
            let issue = &issues[index];
            let comments: Vec<Value> = issue
                .comments
                .iter()
                .zip(&issue.comment_ids)
                .zip(&issue.comment_authors)
                .map(|((c, id), author)| comment_json(base, &repo, issue.number, *id, c, author))
                .collect();
            json(200, json!(comments))
        }
        GitHubRoute::Comment => {
            let Some(index) = find(issues) else { return json(404, json!({ "message": "Not Found" })) };
            let text = body["body"].as_str().unwrap_or_default().to_owned();
            let author = caller(request);
            issues[index].comments.push(text.clone());
            issues[index].comment_ids.push(comment_id);
            issues[index].comment_authors.push(author.to_owned());
            json(201, comment_json(base, &repo, issues[index].number, comment_id, &text, author))
        }
        GitHubRoute::Search | GitHubRoute::DeleteComment | GitHubRoute::Repository | GitHubRoute::GraphQl => {
            unreachable!("handled above")
        }
    }
}

/// The `permissions` a token has on a repository unless told otherwise: write access.
pub fn default_permissions() -> Value {
    json!({ "admin": false, "maintain": false, "push": true, "triage": true, "pull": true })
}

/// The token of a request (`Bearer`/`token` authorization).
fn token_of(request: &Recorded) -> &str {
    let header = request.header("authorization").unwrap_or_default();
    header.split_once(' ').map_or(header, |(_, token)| token).trim()
}

/// 401 for a refused token, 404 under a missing repository; `None` to go on.
fn refused(state: &Mutex<State>, s: &[&str], request: &Recorded) -> Option<Response> {
    let state = lock(state);
    if state.refused_tokens.iter().any(|t| t == token_of(request)) {
        return Some(json(
            401,
            json!({ "message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401" }),
        ));
    }
    match s {
        ["repos", owner, name, ..] if state.missing_repos.contains(&format!("{owner}/{name}")) => Some(json(
            404,
            json!({ "message": "Not Found", "documentation_url": "https://docs.github.com/rest/repos/repos#get-a-repository", "status": "404" }),
        )),
        _ => None,
    }
}

/// `GET /repos/{o}/{r}`: the repository, with the caller's `permissions`.
fn repository(state: &State, base: &str, s: &[&str], request: &Recorded) -> Response {
    let (owner, name) = (s[1], s[2]);
    let permissions = state.permissions.get(token_of(request)).cloned().unwrap_or_else(default_permissions);
    json(
        200,
        json!({
            "id": 1_296_269,
            "name": name,
            "full_name": format!("{owner}/{name}"),
            "owner": { "login": owner, "type": "Organization" },
            "private": true,
            "html_url": format!("{base}/{owner}/{name}"),
            "has_issues": true,
            "archived": false,
            "permissions": permissions,
        }),
    )
}

fn list(base: &str, repo: &str, issues: &[FakeIssue], request: &Recorded) -> Response {
    let q = &request.query;
    let state = q.get("state").map_or("open", String::as_str);
    let per_page: usize = q.get("per_page").and_then(|p| p.parse().ok()).unwrap_or(30).clamp(1, 100);
    let page: usize = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1).max(1);
    let matching: Vec<&FakeIssue> = issues.iter().rev().filter(|i| state == "all" || i.state == state).collect();
    let start = (page - 1) * per_page;
    let items: Vec<Value> = matching.iter().skip(start).take(per_page).map(|i| issue_json(base, repo, i)).collect();
    let mut response = json(200, json!(items));
    if start + per_page < matching.len() {
        let next =
            format!("<{base}/repos/{repo}/issues?state={state}&per_page={per_page}&page={}>; rel=\"next\"", page + 1);
        if let Ok(value) = next.parse() {
            response.headers_mut().insert("link", value);
        }
    }
    response
}

/// The issues a search query finds, best match first, and the repository it names: open or
/// closed ones as `is:open` / `is:closed` ask, whose title contains the quoted words (GitHub's
/// search matches words; exact-title filtering is the client's job), never pull requests.
pub(super) fn search_hits<'a>(state: &'a State, q: &str) -> (String, Vec<&'a FakeIssue>) {
    let repo = q.split_whitespace().find_map(|w| w.strip_prefix("repo:")).unwrap_or_default().to_owned();
    let words = q.split('"').nth(1).unwrap_or_default().trim().to_owned();
    let wanted_state = if q.contains("is:open") {
        Some("open")
    } else if q.contains("is:closed") {
        Some("closed")
    } else {
        None
    };
    let issues = state.repos.get(&repo).map(Vec::as_slice).unwrap_or_default();
    let mut items: Vec<&FakeIssue> = issues
        .iter()
        .rev()
        .filter(|i| !i.pull_request && i.title.contains(&words))
        .filter(|i| wanted_state.is_none_or(|s| i.state == s))
        .collect();
    items.sort_by_key(|i| i.title != words);
    (repo, items)
}

fn search(state: &State, base: &str, request: &Recorded) -> Response {
    let q = request.query.get("q").cloned().unwrap_or_default();
    let (repo, items) = search_hits(state, &q);
    let total = items.len();
    let per_page: usize = request.query.get("per_page").and_then(|p| p.parse().ok()).unwrap_or(30).clamp(1, 100);
    let page: usize = request.query.get("page").and_then(|p| p.parse().ok()).unwrap_or(1).max(1);
    let start = (page - 1) * per_page;
    let items: Vec<Value> = items.into_iter().skip(start).take(per_page).map(|i| issue_json(base, &repo, i)).collect();
    let incomplete = state.search_incomplete;
    let mut response = json(200, json!({ "total_count": total, "incomplete_results": incomplete, "items": items }));
    if start + per_page < total.min(1000) {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &q)
            .append_pair("per_page", &per_page.to_string())
            .append_pair("page", &(page + 1).to_string())
            .finish();
        if let Ok(value) = format!("<{base}/search/issues?{query}>; rel=\"next\"").parse() {
            response.headers_mut().insert("link", value);
        }
    }
    response
}

impl Fault {
    /// A GitHub secondary rate limit (403 with `Retry-After`).
    pub fn github_secondary_limit(retry_after: u64) -> Self {
        Self::RateLimited { status: 403, retry_after }
    }
}
