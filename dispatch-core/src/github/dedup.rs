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

/// Most pages of 100 search results read: the search API returns at most 1,000 results.
const SEARCH_PAGE_LIMIT: usize = 10;

/// What a dedup lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    /// The issue that decides: the earliest one carrying `own_marker` if any (open or closed), else
    /// the newest issue with exactly the title that counts under the dedup rule.
    pub found: Option<Issue>,
    /// Whether `found` carries `own_marker`: this alarm's own issue, from an earlier attempt (the
    /// earliest, when GitHub applied a create late and there are several).
    pub ours: bool,
    /// This alarm's other own issues, later than `found`: they step aside as its duplicates.
    pub also_ours: Vec<Issue>,
    /// Whether every issue that counts was examined. `false` only when search failed and the
    /// fallback listing stopped at its page limit.
    pub complete: bool,
    /// The highest issue or pull request number in the repository when it was looked at: an
    /// issue created next with a higher number than `newest + 1` means others were created in
    /// between, possibly the same alarm concurrently.
    pub newest: Option<u64>,
}

/// How to recognise the alarm's own issue, created by an earlier attempt of the same event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OwnIssue<'a> {
    /// What the last line of its body starts with (the marker Dispatch appends).
    pub marker: &'a str,
    /// Whether it may be closed and older than the newest 100 issues: a late retry or a replay
    /// from the failure queue. Then the search includes closed issues even when only open ones
    /// count; a first attempt searches open issues only.
    pub maybe_closed: bool,
}

/// Exact-title matches seen so far, and which of them decides.
struct Matches<'a> {
    title: &'a str,
    dedup: Dedup,
    own_marker: Option<&'a str>,
    ours: Vec<Issue>,
    counted: Option<Issue>,
    newest: Option<u64>,
}

/// Whether `issue` is this event's own: the last line of its body (the marker Dispatch appends
/// after the sender's text) starts with `own_marker`. A marker anywhere else in the body is the
/// sender's text, not Dispatch's.
pub(crate) fn is_own(issue: &Issue, own_marker: Option<&str>) -> bool {
    let Some(marker) = own_marker else { return false };
    let last = issue.body.as_deref().and_then(|b| b.lines().rev().map(str::trim).find(|l| !l.is_empty()));
    last.is_some_and(|line| line.starts_with(marker))
}

impl Matches<'_> {
    fn add(&mut self, issues: Vec<Issue>) {
        for issue in issues.into_iter().filter(|i| i.pull_request.is_none() && i.title == self.title) {
            if is_own(&issue, self.own_marker) {
                if !self.ours.iter().any(|o| o.number == issue.number) {
                    self.ours.push(issue);
                }
            } else if (self.dedup == Dedup::OpenAndClosed || issue.is_open())
                && self.counted.as_ref().is_none_or(|kept| kept.number < issue.number)
            {
                self.counted = Some(issue);
            }
        }
    }

    fn decided(&self) -> bool {
        !self.ours.is_empty() || self.counted.is_some()
    }

    fn lookup(mut self, complete: bool) -> Lookup {
        self.ours.sort_by_key(|i| i.number);
        let mut ours = self.ours.into_iter();
        match ours.next() {
            Some(first) => {
                Lookup { found: Some(first), ours: true, also_ours: ours.collect(), complete, newest: self.newest }
            }
            None => Lookup { found: self.counted, ours: false, also_ours: Vec::new(), complete, newest: self.newest },
        }
    }
}

/// The earliest issue created before another with the same title: see [`GitHub::earlier_twin`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Twin {
    /// This event's own issue: an earlier attempt's create that GitHub applied late.
    Ours(Issue),
    /// Another event's: the same alarm arrived more than once at the same time.
    Other(Issue),
}

impl GitHub {
    /// Looks for an issue titled exactly `title` in `repo`. An issue that is `own` (from an earlier
    /// attempt of the same event) is found whatever its state; any other counts when open, or also
    /// when closed under [`Dedup::OpenAndClosed`]. Pull requests never count.
    pub async fn find_duplicate(
        &self,
        repo: &Repo,
        title: &str,
        dedup: Dedup,
        own: Option<OwnIssue<'_>>,
        deadline: Deadline,
    ) -> Result<Lookup, GitHubError> {
        let own_marker = own.map(|o| o.marker);
        let mut matches = Matches { title, dedup, own_marker, ours: Vec::new(), counted: None, newest: None };
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
        let open_only = dedup == Dedup::OpenOnly && !own.is_some_and(|o| o.maybe_closed);
        match self.search(repo, title, open_only, deadline).await {
            Ok(found) => {
                matches.add(found);
                return Ok(matches.lookup(true));
            }
            Err(reason) => warn!(repo = %repo, reason = %reason, "issue search unusable; listing issues instead"),
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

    /// The earliest issue other than `number`, created before it, with exactly `title`, that is
    /// this event's own (its body's last line starts with `own_marker`, whatever its state) or
    /// counts under `dedup`, among the newest 100: when the same alarm was created more than once,
    /// the earliest issue wins and the others step aside.
    pub async fn earlier_twin(
        &self,
        repo: &Repo,
        title: &str,
        dedup: Dedup,
        own_marker: Option<&str>,
        number: u64,
        deadline: Deadline,
    ) -> Result<Option<Twin>, GitHubError> {
        let recent = self.recent_issues(repo, "all", deadline).await?;
        Ok(recent
            .into_iter()
            .filter(|i| i.title == title && i.number < number)
            .filter(|i| dedup == Dedup::OpenAndClosed || i.is_open() || is_own(i, own_marker))
            .min_by_key(|i| i.number)
            .map(|i| if is_own(&i, own_marker) { Twin::Ours(i) } else { Twin::Other(i) }))
    }

    /// The search API: issues whose title contains the words (open ones only if `open_only`); the
    /// caller keeps exact matches. Every page of results is read, up to
    /// the API's 1,000. A rate limit is not waited out and incomplete results are not trusted:
    /// either makes this an error, so that the caller lists issues at once instead.
    async fn search(
        &self,
        repo: &Repo,
        title: &str,
        open_only: bool,
        deadline: Deadline,
    ) -> Result<Vec<Issue>, String> {
        let words: String =
            title.chars().map(|c| if c == '"' || c == '\\' { ' ' } else { c }).take(SEARCH_TITLE_CHARS).collect();
        let state = if open_only { " is:open" } else { "" };
        let query = format!("repo:{}/{} is:issue in:title \"{}\"{state}", repo.owner, repo.name, words.trim());
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &query)
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
            let results: Results = super::parse(&reply).map_err(|e| e.to_string())?;
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
