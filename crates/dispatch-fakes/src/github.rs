//! A fake GitHub REST API: issues (listing with `Link` pages, search, create, get, close) and
//! comments, per repository, the repository itself with the caller's `permissions` (configurable
//! per token; a repository can be missing, a token refused), plus the GitHub App installation-token
//! exchange and the installation's permissions. As hostile as the
//! real one where it matters to Dispatch: other people comment on its issues
//! ([`FakeGitHub::comment_as`]), a create may be applied late ([`Fault::AppliedLate`]), and search
//! may answer with incomplete results ([`FakeGitHub::search_incomplete`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::http::Method;
use axum::response::Response;
use serde_json::{Value, json};

use crate::server::{Fault, Faults, Incoming, Recorded, json, late, serve, short_circuit, unexpected};

/// A GitHub route, for fault injection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GitHubRoute {
    /// `GET /repos/{o}/{r}/issues`.
    List,
    /// `GET /search/issues`.
    Search,
    /// `POST /repos/{o}/{r}/issues`.
    Create,
    /// `GET /repos/{o}/{r}/issues/{n}`.
    Get,
    /// `PATCH /repos/{o}/{r}/issues/{n}`.
    Update,
    /// `GET /repos/{o}/{r}/issues/{n}/comments`.
    ListComments,
    /// `POST /repos/{o}/{r}/issues/{n}/comments`.
    Comment,
    /// `DELETE /repos/{o}/{r}/issues/comments/{id}`.
    DeleteComment,
    /// `GET /repos/{o}/{r}`.
    Repository,
}

/// An issue held by the fake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeIssue {
    /// Number.
    pub number: u64,
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
    /// `open` or `closed`.
    pub state: String,
    /// `completed` once closed as completed.
    pub state_reason: Option<String>,
    /// Labels.
    pub labels: Vec<String>,
    /// Comment bodies, oldest first.
    pub comments: Vec<String>,
    /// Their ids (unique in the fake), in the same order.
    pub comment_ids: Vec<u64>,
    /// Whether this is a pull request.
    pub pull_request: bool,
    /// Who opened it.
    pub author: String,
    /// Who wrote each comment, in the same order.
    pub comment_authors: Vec<String>,
}

/// The login of whoever calls the fake with a token (Dispatch).
pub const DISPATCH_LOGIN: &str = "dispatch-bot";

#[derive(Debug, Default)]
struct State {
    repos: HashMap<String, Vec<FakeIssue>>,
    faults: Faults<GitHubRoute>,
    next_comment: u64,
    /// Requests answered with an error but to be applied when the next one to their route comes.
    deferred: Vec<(GitHubRoute, Vec<String>, Recorded)>,
    search_incomplete: bool,
    /// Repositories that do not exist: every `repos/{o}/{r}/…` request answers 404.
    missing_repos: Vec<String>,
    /// Tokens refused with 401 `Bad credentials` on every route.
    refused_tokens: Vec<String>,
    /// `permissions` of `GET /repos/{o}/{r}` by token; others get [`default_permissions`].
    permissions: HashMap<String, Value>,
    /// `permissions` of the GitHub App installation, when set (default `issues: write`).
    installation_permissions: Option<Value>,
}

/// The fake GitHub.
#[derive(Debug, Clone)]
pub struct FakeGitHub {
    url: String,
    state: Arc<Mutex<State>>,
    log: Arc<Mutex<Vec<Recorded>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl FakeGitHub {
    /// Starts it on a loopback port.
    pub async fn start() -> std::io::Result<Self> {
        let state = Arc::new(Mutex::new(State::default()));
        let log = Arc::new(Mutex::new(Vec::new()));
        let base = Arc::new(Mutex::new(String::new()));
        let (s, b) = (state.clone(), base.clone());
        let addr = serve(log.clone(), move |request| {
            let (state, base) = (s.clone(), b.clone());
            async move {
                let base = lock(&base).clone();
                handle(&state, &base, request).await
            }
        })
        .await?;
        let url = format!("http://{addr}");
        *lock(&base) = url.clone();
        Ok(Self { url, state, log })
    }

    /// The API base URL.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The issues of `repo` (`owner/name`), oldest first.
    pub fn issues(&self, repo: &str) -> Vec<FakeIssue> {
        lock(&self.state).repos.get(repo).cloned().unwrap_or_default()
    }

    /// Adds an issue opened by Dispatch ([`DISPATCH_LOGIN`]) and returns its number.
    pub fn add_issue(&self, repo: &str, title: &str, body: &str, open: bool) -> u64 {
        self.add_issue_by(repo, DISPATCH_LOGIN, title, body, open)
    }

    /// Adds an issue opened by `author` and returns its number.
    pub fn add_issue_by(&self, repo: &str, author: &str, title: &str, body: &str, open: bool) -> u64 {
        let mut state = lock(&self.state);
        let issues = state.repos.entry(repo.to_owned()).or_default();
        let number = issues.len() as u64 + 1;
        issues.push(FakeIssue {
            number,
            title: title.to_owned(),
            body: body.to_owned(),
            state: if open { "open" } else { "closed" }.to_owned(),
            state_reason: None,
            labels: Vec::new(),
            comments: Vec::new(),
            comment_ids: Vec::new(),
            pull_request: false,
            author: author.to_owned(),
            comment_authors: Vec::new(),
        });
        number
    }

    /// Comments on issue `number` of `repo` as `login` (anyone who can read a repository can
    /// comment on its issues) and returns the comment's id.
    pub fn comment_as(&self, repo: &str, number: u64, login: &str, body: &str) -> u64 {
        let mut state = lock(&self.state);
        state.next_comment += 1;
        let id = state.next_comment;
        let issue = state
            .repos
            .get_mut(repo)
            .and_then(|issues| issues.iter_mut().find(|i| i.number == number))
            .expect("the issue exists");
        issue.comments.push(body.to_owned());
        issue.comment_ids.push(id);
        issue.comment_authors.push(login.to_owned());
        id
    }

    /// Makes the search API answer with `incomplete_results: true` (its query timed out), or not.
    pub fn search_incomplete(&self, incomplete: bool) {
        lock(&self.state).search_incomplete = incomplete;
    }

    /// Fills `repo` with `count` issues titled `existing alarm N`, every third closed.
    pub fn seed(&self, repo: &str, count: u64) {
        for n in 1..=count {
            self.add_issue(repo, &format!("existing alarm {n}"), "seeded", n % 3 != 0);
        }
    }

    /// Plans `fault` for the next `times` requests to `route`.
    pub fn fail(&self, route: GitHubRoute, fault: Fault, times: usize) {
        lock(&self.state).faults.add(route, fault, times);
    }

    /// Makes `repo` (`owner/name`) not exist: its requests answer 404 `Not Found`, as GitHub does
    /// for a repository the token cannot see. Every other repository exists.
    pub fn missing_repo(&self, repo: &str) {
        lock(&self.state).missing_repos.push(repo.to_owned());
    }

    /// The `permissions` of the GitHub App installation (`GET /app/installations/{id}`; default
    /// `{"issues": "write", "metadata": "read"}`).
    pub fn set_installation_permissions(&self, permissions: Value) {
        lock(&self.state).installation_permissions = Some(permissions);
    }

    /// Refuses `token` (wrong, expired or revoked) with 401 `Bad credentials` on every route.
    pub fn refuse_token(&self, token: &str) {
        lock(&self.state).refused_tokens.push(token.to_owned());
    }

    /// The `permissions` object `GET /repos/{o}/{r}` shows to `token` (default: write access,
    /// [`default_permissions`]).
    pub fn set_permissions(&self, token: &str, permissions: Value) {
        lock(&self.state).permissions.insert(token.to_owned(), permissions);
    }

    /// Forgets planned faults.
    pub fn heal(&self) {
        lock(&self.state).faults.clear();
    }

    /// Every request received.
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.log).clone()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        lock(&self.log).clear();
    }
}

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
        _ => return None,
    })
}

async fn handle(state: &Mutex<State>, base: &str, request: Incoming) -> Response {
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
    if request.recorded.header("authorization").is_none() {
        return json(401, json!({ "message": "Requires authentication" }));
    }
    if let Some(refusal) = refused(state, &s, &request.recorded) {
        return refusal;
    }
    let Some(route) = route(&request) else { return unexpected(&request) };
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
                author: DISPATCH_LOGIN.to_owned(),
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
            issues[index].comments.push(text.clone());
            issues[index].comment_ids.push(comment_id);
            issues[index].comment_authors.push(DISPATCH_LOGIN.to_owned());
            json(201, comment_json(base, &repo, issues[index].number, comment_id, &text, DISPATCH_LOGIN))
        }
        GitHubRoute::Search | GitHubRoute::DeleteComment | GitHubRoute::Repository => unreachable!("handled above"),
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

fn search(state: &State, base: &str, request: &Recorded) -> Response {
    let q = request.query.get("q").cloned().unwrap_or_default();
    let repo = q.split_whitespace().find_map(|w| w.strip_prefix("repo:")).unwrap_or_default().to_owned();
    let words = q.split('"').nth(1).unwrap_or_default().to_owned();
    let wanted_state = if q.contains("is:open") {
        Some("open")
    } else if q.contains("is:closed") {
        Some("closed")
    } else {
        None
    };
    let issues = state.repos.get(&repo).map(Vec::as_slice).unwrap_or_default();
    // GitHub's search matches words; exact-title filtering is the client's job.
    let words = words.trim().to_owned();
    let mut items: Vec<&FakeIssue> = issues
        .iter()
        .rev()
        .filter(|i| !i.pull_request && i.title.contains(&words))
        .filter(|i| wanted_state.is_none_or(|s| i.state == s))
        .collect();
    items.sort_by_key(|i| i.title != words);
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
