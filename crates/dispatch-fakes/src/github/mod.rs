//! A fake GitHub: the REST API (issues listing with `Link` pages, search, create, get, close;
//! comments; the repository with the caller's `permissions`, configurable per token; a repository
//! can be missing, a token refused; the GitHub App installation-token exchange and the
//! installation's permissions) and the GraphQL API at `POST /graphql` for the queries Dispatch
//! makes (the newest issues and the search, [`graphql`]). As hostile as the real one where it
//! matters to Dispatch: other people open issues and comment on them ([`FakeGitHub::add_issue_by`],
//! [`FakeGitHub::comment_as`]), a create may be applied late ([`Fault::AppliedLate`]), search may
//! answer with incomplete results ([`FakeGitHub::search_incomplete`]) or be rate limited, and a
//! malformed query is refused as GitHub refuses it.

mod graphql;
mod query;
mod rest;
mod schema;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::server::{Fault, Faults, Recorded, lock, serve};

/// A GitHub route, for fault injection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GitHubRoute {
    /// `GET /repos/{o}/{r}/issues`, and a query at `POST /graphql` that reads a repository's
    /// issues (the lookup's listing): a fault planned here fails that request.
    List,
    /// `GET /search/issues`, and the search part of a query at `POST /graphql`: a fault planned
    /// here fails that part alone (`search: null` and an error), as GitHub reports a search that
    /// timed out or was rate limited.
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
    /// `POST /graphql`: a fault planned here fails any query.
    GraphQl,
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
/// The slug of the GitHub App the fake serves (`GET /app`).
pub const APP_SLUG: &str = "dispatch-app";
/// The login of that App's bot, whoever calls with one of its installation tokens (`ghs_…`), as
/// the REST API writes it. GraphQL names the same account `dispatch-app`, a `Bot`, as GitHub does.
pub const APP_LOGIN: &str = "dispatch-app[bot]";

/// Who a request's credentials make its author: the App's bot for an installation token, else
/// Dispatch's user.
fn caller(request: &Recorded) -> &'static str {
    let installation = request.header("authorization").is_some_and(|a| a.contains("ghs_"));
    if installation { APP_LOGIN } else { DISPATCH_LOGIN }
}

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
                rest::handle(&state, &base, request).await
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
        self.add(repo, author, title, body, open, false)
    }

    /// Opens a pull request by `author` and returns its number: pull requests share the issues'
    /// numbers, the REST issues listing shows them (with a `pull_request` key), and neither the
    /// GraphQL issues connection nor an `is:issue` search does.
    pub fn add_pull_request(&self, repo: &str, author: &str, title: &str) -> u64 {
        self.add(repo, author, title, "", true, true)
    }

    fn add(&self, repo: &str, author: &str, title: &str, body: &str, open: bool, pull_request: bool) -> u64 {
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
            pull_request,
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
