//! Finding an existing issue with exactly the same title (DESIGN.md §3) in a bounded number of
//! requests, whatever the repository's history: the newest 100 issues first (this also covers issues
//! too recent for the search index), then the search API, and only if search fails a listing capped
//! at [`LIST_PAGE_LIMIT`] pages.

use http::Method;
use tracing::warn;
use url::Url;

use super::{GitHub, GitHubError, Issue, Retry};
use crate::deadline::Deadline;
use crate::ids::Repo;
use crate::routing::Dedup;

/// Most pages of 100 issues read when search is unavailable.
pub const LIST_PAGE_LIMIT: usize = 10;

/// Characters of the title put in the search query (GitHub caps queries at 256 characters).
const SEARCH_TITLE_CHARS: usize = 120;

/// What a dedup lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    /// The issue that decides: the one carrying `own_marker` if any (open or closed), else the
    /// newest issue with exactly the title that counts under the dedup rule.
    pub found: Option<Issue>,
    /// Whether `found` carries `own_marker`: this alarm's own issue, from an earlier attempt.
    pub ours: bool,
    /// Whether every issue that counts was examined. `false` only when search failed and the
    /// fallback listing stopped at its page limit.
    pub complete: bool,
    /// The highest issue or pull request number in the repository when it was looked at: an
    /// issue created next with a higher number than `newest + 1` means others were created in
    /// between, possibly the same alarm concurrently.
    pub newest: Option<u64>,
}

/// Exact-title matches seen so far, and which of them decides.
struct Matches<'a> {
    title: &'a str,
    dedup: Dedup,
    own_marker: Option<&'a str>,
    ours: Option<Issue>,
    counted: Option<Issue>,
    newest: Option<u64>,
}

impl Matches<'_> {
    fn add(&mut self, issues: Vec<Issue>) {
        for issue in issues.into_iter().filter(|i| i.pull_request.is_none() && i.title == self.title) {
            let is_ours = self.own_marker.is_some_and(|m| issue.body.as_deref().is_some_and(|b| b.contains(m)));
            let slot = if is_ours {
                &mut self.ours
            } else if self.dedup == Dedup::OpenAndClosed || issue.is_open() {
                &mut self.counted
            } else {
                continue;
            };
            if slot.as_ref().is_none_or(|kept| kept.number < issue.number) {
                *slot = Some(issue);
            }
        }
    }

    fn decided(&self) -> bool {
        self.ours.is_some() || self.counted.is_some()
    }

    fn lookup(self, complete: bool) -> Lookup {
        match (self.ours, self.counted) {
            (Some(ours), _) => Lookup { found: Some(ours), ours: true, complete, newest: self.newest },
            (None, counted) => Lookup { found: counted, ours: false, complete, newest: self.newest },
        }
    }
}

impl GitHub {
    /// Looks for an issue titled exactly `title` in `repo`. An issue whose body contains
    /// `own_marker` is this alarm's own (from an earlier attempt) whatever its state; any other
    /// counts when open, or also when closed under [`Dedup::OpenAndClosed`]. Pull requests never
    /// count.
    pub async fn find_duplicate(
        &self,
        repo: &Repo,
        title: &str,
        dedup: Dedup,
        own_marker: Option<&str>,
        deadline: Deadline,
    ) -> Result<Lookup, GitHubError> {
        let mut matches = Matches { title, dedup, own_marker, ours: None, counted: None, newest: None };
        let first = Self::target(&format!(
            "repos/{}/{}/issues?state=all&sort=created&direction=desc&per_page=100",
            repo.owner, repo.name
        ));
        let (issues, mut next) = self.list_page(&first, deadline).await?;
        matches.newest = issues.iter().map(|i| i.number).max();
        matches.add(issues);
        if matches.decided() || next.is_none() {
            return Ok(matches.lookup(true));
        }
        match self.search(repo, title, deadline).await {
            Ok(found) => {
                matches.add(found);
                return Ok(matches.lookup(true));
            }
            Err(error) => warn!(repo = %repo, error = %error, "issue search failed; listing issues instead"),
        }
        for _ in 1..LIST_PAGE_LIMIT {
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

    /// The earliest issue other than `number` with exactly `title` that counts under `dedup` and
    /// was created before it, among the newest 100: when the same alarm was created concurrently,
    /// the earliest issue wins and the others step aside.
    pub async fn earlier_twin(
        &self,
        repo: &Repo,
        title: &str,
        dedup: Dedup,
        number: u64,
        deadline: Deadline,
    ) -> Result<Option<Issue>, GitHubError> {
        let recent = self.recent_issues(repo, "all", deadline).await?;
        Ok(recent
            .into_iter()
            .filter(|i| i.title == title && i.number < number)
            .filter(|i| dedup == Dedup::OpenAndClosed || i.is_open())
            .min_by_key(|i| i.number))
    }

    /// The search API: issues (open or closed) whose title contains the words; the caller keeps
    /// exact matches.
    async fn search(&self, repo: &Repo, title: &str, deadline: Deadline) -> Result<Vec<Issue>, GitHubError> {
        let words: String =
            title.chars().map(|c| if c == '"' || c == '\\' { ' ' } else { c }).take(SEARCH_TITLE_CHARS).collect();
        let query = format!("repo:{}/{} is:issue in:title \"{}\"", repo.owner, repo.name, words.trim());
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &query)
            .append_pair("per_page", "100")
            .finish();
        let url = Self::target(&format!("search/issues?{query}"));
        let reply = self.call(Method::GET, &url, None, deadline, Retry::Safe).await?;
        #[derive(serde::Deserialize)]
        struct Results {
            items: Vec<Issue>,
        }
        let results: Results = super::parse(&reply)?;
        Ok(results.items)
    }

    /// One page of the issues listing and the address of the next, from the `Link` header.
    async fn list_page(&self, target: &str, deadline: Deadline) -> Result<(Vec<Issue>, Option<String>), GitHubError> {
        let reply = self.call(Method::GET, target, None, deadline, Retry::Safe).await?;
        let issues: Vec<Issue> = super::parse(&reply)?;
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
