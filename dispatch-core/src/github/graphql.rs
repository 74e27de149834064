//! The dedup lookup's single GraphQL query: the newest 100 issues and the search for the title, in
//! one request. GitHub's facts this relies on (its GraphQL documentation):
//! - one endpoint, `POST {api}/graphql` (`https://api.github.com/graphql`); GitHub Enterprise
//!   Server serves it at `/api/graphql`, beside its REST base `/api/v3` rather than under it;
//! - errors arrive with HTTP 200 in an `errors` array, beside whatever `data` could be resolved
//!   (partial data: a failed field is `null`, and its error's `path` names it);
//! - a primary rate limit in points per hour (5,000 for a token or an installation), separate
//!   from the REST API's and from the REST search's 30 requests a minute; a query like this one
//!   costs about one point. Past it: HTTP 200 with an error of `type: RATE_LIMITED` (or a message
//!   "API rate limit already exceeded"). Secondary limits (2,000 points a minute on the endpoint; a
//!   query without mutation counts one) answer 403 or 429 with `retry-after`, as REST does;
//! - a connection needs `first` (or `last`) between 1 and 100; `search` returns at most 1,000
//!   results, paged with `after: pageInfo.endCursor`; `issueCount` counts them all;
//! - the data asked for dictates the permission: issues need "Issues: read" (a classic token's
//!   `repo` scope), which Dispatch already has. Pull requests would need "Pull requests: read",
//!   which Dispatch does not ask for, so they are not queried (see [`super::Lookup::newest`]).

use http::Method;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::json;

use super::listing::SEARCH_PAGE_LIMIT;
use super::request::{Retry, parse};
use super::{Account, GitHub, GitHubError, Issue};
use crate::deadline::Deadline;
use crate::ids::Repo;
use tracing::warn;

/// The fields of an issue that [`Issue`] holds.
macro_rules! issue_fields {
    () => {
        "number title body url state author { __typename login }"
    };
}

/// What a page of the search returns: its count, where the next page starts, and its issues.
macro_rules! search_fields {
    () => {
        concat!(
            "    issueCount\n",
            "    pageInfo { hasNextPage endCursor }\n",
            "    nodes { ... on Issue { ",
            issue_fields!(),
            " } }\n"
        )
    };
}

/// The newest 100 issues (open and closed; pull requests are not issues here), the first page of
/// the search, and the account Dispatch acts as (what tells its own issues from others').
const LOOKUP: &str = concat!(
    "query Lookup($owner: String!, $name: String!, $search: String!) {\n",
    "  repository(owner: $owner, name: $name) {\n",
    "    issues(first: 100, orderBy: {field: CREATED_AT, direction: DESC}) {\n",
    "      pageInfo { hasNextPage }\n",
    "      nodes { ",
    issue_fields!(),
    " }\n",
    "    }\n",
    "  }\n",
    "  search(type: ISSUE, query: $search, first: 100) {\n",
    search_fields!(),
    "  }\n",
    "  viewer { __typename login }\n",
    "}\n"
);

/// The account Dispatch acts as (a token's user, or an App's `name[bot]`).
const VIEWER: &str = "query Viewer { viewer { __typename login } }\n";

/// A further page of the search.
const SEARCH_PAGE: &str = concat!(
    "query SearchPage($search: String!, $after: String!) {\n",
    "  search(type: ISSUE, query: $search, first: 100, after: $after) {\n",
    search_fields!(),
    "  }\n",
    "}\n"
);

/// Why a GraphQL answer (or a part of it) is not used: the lookup then asks the REST API.
#[derive(Debug, thiserror::Error)]
pub(super) enum Unusable {
    /// The request failed: no GraphQL here (404), credentials refused, 5xx or a timeout after the
    /// retries, or a secondary rate limit (not waited out).
    #[error("{0}")]
    Request(GitHubError),
    /// GitHub's primary GraphQL rate limit (an error in the answer).
    #[error("GraphQL rate limit: {0}")]
    RateLimited(String),
    /// Errors in the answer (a refused query, a timeout inside GitHub, a repository not found).
    #[error("GraphQL errors: {0}")]
    Errors(String),
    /// More results than the search returns, so some could not be examined.
    #[error("more search results ({0}) than the search returns")]
    TooMany(u64),
}

/// The lookup query's answer.
pub(super) struct Answer {
    /// The newest 100 issues, newest first.
    pub(super) recent: Vec<Issue>,
    /// Whether the repository has older issues than those.
    pub(super) more_issues: bool,
    /// The search's first page, or why it cannot be trusted.
    pub(super) search: Result<SearchPage, Unusable>,
    /// The account Dispatch acts as, when GitHub said.
    pub(super) viewer: Option<String>,
}

/// One page of search results.
pub(super) struct SearchPage {
    issues: Vec<Issue>,
    /// The cursor of the next page, when there is one.
    next: Option<String>,
}

#[derive(Deserialize)]
struct Response<D> {
    data: Option<D>,
    #[serde(default)]
    errors: Vec<Error>,
}

#[derive(Deserialize)]
struct Error {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    message: String,
    #[serde(default)]
    path: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct LookupData {
    repository: Option<Repository>,
    search: Option<Search>,
    #[serde(default)]
    viewer: Option<Actor>,
}

#[derive(Deserialize)]
struct ViewerData {
    viewer: Option<Actor>,
}

/// `GET /app`: the App's slug, the name of its bot.
#[derive(Deserialize)]
struct App {
    slug: String,
}

/// An account as GraphQL names it. A GitHub App's bot is a `Bot` whose login GraphQL gives bare
/// (`my-app`) where the REST API, and so every comment and issue Dispatch reads there, says
/// `my-app[bot]`: read into the REST form, so that Dispatch knows its own writes whichever API
/// told it. The type decides, not the name: a user called `my-app` stays `my-app`, never
/// Dispatch's App.
#[derive(Deserialize)]
struct Actor {
    #[serde(rename = "__typename", default)]
    typename: Option<String>,
    login: String,
}

impl From<Actor> for Account {
    fn from(actor: Actor) -> Self {
        let bare_bot = actor.typename.as_deref() == Some("Bot") && !actor.login.ends_with("[bot]");
        Account { login: if bare_bot { format!("{}[bot]", actor.login) } else { actor.login } }
    }
}

#[derive(Deserialize)]
struct SearchData {
    search: Option<Search>,
}

#[derive(Deserialize)]
struct Repository {
    issues: Connection<Option<Node>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Search {
    issue_count: u64,
    #[serde(flatten)]
    connection: Connection<Option<SearchNode>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Connection<N> {
    page_info: PageInfo,
    nodes: Vec<N>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    has_next_page: bool,
    #[serde(default)]
    end_cursor: Option<String>,
}

/// A search result: an issue, or anything else (`{}`: only issues' fields are asked for).
#[derive(Deserialize)]
#[serde(untagged)]
enum SearchNode {
    Issue(Node),
    Other(IgnoredAny),
}

#[derive(Deserialize)]
struct Node {
    number: u64,
    title: String,
    #[serde(default)]
    body: Option<String>,
    url: String,
    state: String,
    #[serde(default)]
    author: Option<Actor>,
}

impl From<Node> for Issue {
    fn from(node: Node) -> Self {
        Issue {
            number: node.number,
            title: node.title,
            html_url: node.url,
            state: node.state.to_ascii_lowercase(),
            body: node.body,
            pull_request: None,
            user: node.author.map(Account::from),
        }
    }
}

/// The errors of an answer as one reason; a rate limit is told apart (it is not waited out).
fn unusable(errors: &[&Error]) -> Unusable {
    let rate_limited = errors
        .iter()
        .any(|e| e.kind.as_deref() == Some("RATE_LIMITED") || e.message.to_lowercase().contains("rate limit"));
    let text = errors.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("; ");
    if rate_limited { Unusable::RateLimited(text) } else { Unusable::Errors(text) }
}

/// Whether an error concerns the part `field` alone (its path starts there).
fn in_part(error: &Error, field: &str) -> bool {
    error.path.first().and_then(serde_json::Value::as_str) == Some(field)
}

impl SearchPage {
    fn read(search: Option<Search>, errors: &[&Error]) -> Result<Self, Unusable> {
        if !errors.is_empty() {
            return Err(unusable(errors));
        }
        let search = search.ok_or_else(|| Unusable::Errors("no search results".to_owned()))?;
        let limit = (SEARCH_PAGE_LIMIT * 100) as u64;
        if search.issue_count > limit {
            return Err(Unusable::TooMany(search.issue_count));
        }
        let issues = search
            .connection
            .nodes
            .into_iter()
            .filter_map(|node| match node {
                Some(SearchNode::Issue(node)) => Some(node.into()),
                _ => None,
            })
            .collect();
        let info = search.connection.page_info;
        Ok(Self { issues, next: info.end_cursor.filter(|_| info.has_next_page) })
    }
}

/// Reads the lookup query's answer: the listing part must be whole; the search part may have
/// failed alone, and then only it is not trusted.
fn read_lookup(response: Response<LookupData>) -> Result<Answer, Unusable> {
    // The viewer is a bonus: without it the lookup still stands.
    let (search_errors, other_errors): (Vec<&Error>, Vec<&Error>) =
        response.errors.iter().filter(|e| !in_part(e, "viewer")).partition(|e| in_part(e, "search"));
    if !other_errors.is_empty() {
        return Err(unusable(&other_errors));
    }
    let data = response.data.ok_or_else(|| Unusable::Errors("no data".to_owned()))?;
    let repository = data.repository.ok_or_else(|| Unusable::Errors("no repository".to_owned()))?;
    Ok(Answer {
        recent: repository.issues.nodes.into_iter().flatten().map(Issue::from).collect(),
        more_issues: repository.issues.page_info.has_next_page,
        search: SearchPage::read(data.search, &search_errors),
        viewer: data.viewer.map(|v| Account::from(v).login).filter(|l| !l.is_empty()),
    })
}

impl GitHub {
    /// The GraphQL endpoint as a target under the configured base, or `None` where it is not
    /// under it (GitHub Enterprise Server's `/api/graphql` beside `/api/v3`): octocrab joins every
    /// request to the base path, so there the lookup uses the REST API.
    pub(super) fn graphql_target(&self) -> Option<String> {
        (self.base.path() == "/").then(|| Self::target("graphql"))
    }

    /// One GraphQL request: transient failures are retried; a rate limit is not waited out.
    async fn query<D: serde::de::DeserializeOwned>(
        &self,
        document: &str,
        variables: serde_json::Value,
        deadline: Deadline,
    ) -> Result<Response<D>, Unusable> {
        let target = self.graphql_target().ok_or_else(|| Unusable::Errors("no GraphQL endpoint".to_owned()))?;
        let body = json!({ "query": document, "variables": variables });
        let reply = self
            .call(Method::POST, &target, Some(&body), deadline, Retry::TransientOnly)
            .await
            .map_err(Unusable::Request)?;
        parse(&reply).map_err(Unusable::Request)
    }

    /// The newest 100 issues of `repo` and the first page of the search `search`, in one request.
    pub(super) async fn lookup_query(&self, repo: &Repo, search: &str, deadline: Deadline) -> Result<Answer, Unusable> {
        let variables = json!({ "owner": repo.owner.as_str(), "name": repo.name.as_str(), "search": search });
        read_lookup(self.query(LOOKUP, variables, deadline).await?)
    }

    /// The login of the account Dispatch acts as, in the REST form its issues and comments carry
    /// (`dispatch-bot`, `my-app[bot]`): GraphQL's `viewer` (which answers for a token and for an
    /// App's installation alike), else, where there is no GraphQL under the base URL (GitHub
    /// Enterprise Server), REST `GET /user` for a token and `GET /app` for an App. Asked once per
    /// process; a lookup that read it already tells it.
    pub async fn own_login(&self, deadline: Deadline) -> Result<String, GitHubError> {
        self.login
            .get_or_try_init(|| async {
                if self.graphql_target().is_some() {
                    match self.query::<ViewerData>(VIEWER, json!({}), deadline).await {
                        Ok(Response { data: Some(ViewerData { viewer: Some(viewer) }), .. }) => {
                            return Ok(Account::from(viewer).login);
                        }
                        Ok(_) => warn!("GraphQL did not say who Dispatch is; asking the REST API"),
                        Err(e) => warn!(reason = %e, "GraphQL did not say who Dispatch is; asking the REST API"),
                    }
                }
                let Some(app) = &self.app else {
                    let reply = self.call(Method::GET, &Self::target("user"), None, deadline, Retry::Safe).await?;
                    return Ok(parse::<Account>(&reply)?.login);
                };
                // An App's installation may not ask `GET /user` (GitHub answers 403); the App, with
                // its JWT, may ask `GET /app`, and its bot writes as `<slug>[bot]`.
                let as_app = Self { crab: app.clone(), app: None, login: std::sync::Arc::default(), ..self.clone() };
                let reply = as_app.call(Method::GET, &Self::target("app"), None, deadline, Retry::Safe).await?;
                Ok(format!("{}[bot]", parse::<App>(&reply)?.slug))
            })
            .await
            .cloned()
    }

    /// Every result of the search whose first page is `first`, reading its further pages.
    pub(super) async fn search_rest_of(
        &self,
        search: &str,
        first: SearchPage,
        deadline: Deadline,
    ) -> Result<Vec<Issue>, Unusable> {
        let SearchPage { mut issues, mut next } = first;
        for _ in 1..SEARCH_PAGE_LIMIT {
            let Some(after) = next.take() else { break };
            let response: Response<SearchData> =
                self.query(SEARCH_PAGE, json!({ "search": search, "after": after }), deadline).await?;
            let errors: Vec<&Error> = response.errors.iter().collect();
            let page = SearchPage::read(response.data.and_then(|d| d.search), &errors)?;
            issues.extend(page.issues);
            next = page.next;
        }
        match next {
            Some(_) => Err(Unusable::TooMany((SEARCH_PAGE_LIMIT * 100) as u64)),
            None => Ok(issues),
        }
    }
}

#[cfg(test)]
#[path = "graphql_tests.rs"]
mod tests;
