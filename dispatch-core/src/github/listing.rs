//! The dedup lookup through the REST API, for when GraphQL is unusable (a GitHub Enterprise Server,
//! whose GraphQL endpoint lies outside the REST base; a query refused; a 5xx after retries; a rate
//! limit): the newest 100 issues, then the search API (every page), and only if search fails too
//! a listing capped at [`LIST_PAGE_LIMIT`] pages. Also the listing that follows a GraphQL answer
//! whose search part was not trusted.

use http::Method;
use tracing::warn;
use url::Url;

use super::lookup::Matches;
use super::request::{Retry, parse};
use super::{GitHub, GitHubError, Issue, Lookup};
use crate::deadline::Deadline;
use crate::ids::Repo;

/// Most pages of 100 issues read when search is unavailable.
pub const LIST_PAGE_LIMIT: usize = 10;

/// Most pages of 100 search results read: the search API returns at most 1,000 results.
pub(super) const SEARCH_PAGE_LIMIT: usize = 10;

impl GitHub {
    /// The lookup as the REST API answers it: the newest 100 issues; the search, if they do not
    /// decide and there are more; the listing, if search fails.
    pub(super) async fn find_duplicate_rest(
        &self,
        repo: &Repo,
        search: &str,
        mut matches: Matches<'_>,
        deadline: Deadline,
    ) -> Result<Lookup, GitHubError> {
        let first = Self::target(&format!(
            "repos/{}/{}/issues?state=all&sort=created&direction=desc&per_page=100",
            repo.owner, repo.name
        ));
        let (issues, next) = self.list_page(&first, deadline).await?;
        matches.newest = issues.iter().map(|i| i.number).max();
        matches.add(issues);
        if matches.decided() || next.is_none() {
            return Ok(matches.lookup(true));
        }
        match self.rest_search(search, deadline).await {
            Ok(found) => {
                matches.add(found);
                return Ok(matches.lookup(true));
            }
            Err(reason) => warn!(repo = %repo, reason = %reason, "issue search unusable; listing issues instead"),
        }
        self.list_from(repo, matches, next, 1, deadline).await
    }

    /// Lists the issues from `next` on, `read` pages having been read already, until one decides,
    /// the listing ends, or [`LIST_PAGE_LIMIT`] pages in all were read (then the lookup is
    /// incomplete, and says so).
    pub(super) async fn list_from(
        &self,
        repo: &Repo,
        mut matches: Matches<'_>,
        mut next: Option<String>,
        read: usize,
        deadline: Deadline,
    ) -> Result<Lookup, GitHubError> {
        for _ in read..LIST_PAGE_LIMIT {
            let Some(url) = next.take() else { break };
            let (issues, following) = self.list_page(&url, deadline).await?;
            matches.add(issues);
            if matches.decided() {
                return Ok(matches.lookup(true));
            }
            next = following;
        }
        let complete = next.is_none();
        if !complete {
            warn!(repo = %repo, pages = LIST_PAGE_LIMIT, "dedup listing stopped at its page limit; older issues were not examined");
        }
        Ok(matches.lookup(complete))
    }

    /// The search API: issues answering `query` (see [`super::lookup::search_query`]). Every page
    /// of results is read, up to the API's 1,000. A rate limit is not waited out and incomplete
    /// results are not trusted: either makes this an error, so that the caller lists issues at
    /// once instead.
    async fn rest_search(&self, query: &str, deadline: Deadline) -> Result<Vec<Issue>, String> {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("q", query)
            .append_pair("per_page", "100")
            .finish();
        let mut next = Some(Self::target(&format!("search/issues?{query}")));
        let mut items = Vec::new();
        for _ in 0..SEARCH_PAGE_LIMIT {
            let Some(url) = next.take() else { return Ok(items) };
            let reply = self.call(Method::GET, &url, None, deadline, Retry::Never).await.map_err(|e| e.to_string())?;
            #[derive(serde::Deserialize)]
            struct Results {
                #[serde(default)]
                incomplete_results: bool,
                items: Vec<Issue>,
            }
            let results: Results = parse(&reply).map_err(|e| e.to_string())?;
            if results.incomplete_results {
                return Err("GitHub's search timed out and returned incomplete results".to_owned());
            }
            items.extend(results.items);
            next = reply
                .headers
                .get(http::header::LINK)
                .and_then(|v| v.to_str().ok())
                .and_then(next_link)
                .and_then(|n| self.relative(&n));
        }
        if next.is_some() { Err("more search results than the search API returns".to_owned()) } else { Ok(items) }
    }

    /// One page of the issues listing and the address of the next, from the `Link` header.
    async fn list_page(&self, target: &str, deadline: Deadline) -> Result<(Vec<Issue>, Option<String>), GitHubError> {
        let reply = self.call(Method::GET, target, None, deadline, Retry::Safe).await?;
        let issues: Vec<Issue> = parse(&reply)?;
        let next = reply.headers.get(http::header::LINK).and_then(|v| v.to_str().ok()).and_then(next_link);
        // Follow only links under the configured API: the credentials go nowhere else.
        Ok((issues, next.and_then(|n| self.relative(&n))))
    }
}

/// The `rel="next"` target of a `Link` header.
fn next_link(header: &str) -> Option<Url> {
    header.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|p| p.trim() == "rel=\"next\"")
            .then(|| target.trim().trim_start_matches('<').trim_end_matches('>'))
            .and_then(|t| Url::parse(t).ok())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_link_is_found_among_others() {
        let header = r#"<https://api.github.com/repositories/1/issues?page=1>; rel="prev", <https://api.github.com/repositories/1/issues?page=3>; rel="next", <https://api.github.com/repositories/1/issues?page=50>; rel="last""#;
        assert_eq!(next_link(header).unwrap().as_str(), "https://api.github.com/repositories/1/issues?page=3");
        assert_eq!(next_link(r#"<https://x/y?page=1>; rel="first""#), None);
        assert_eq!(next_link("garbage"), None);
    }
}
