//! Finding an existing issue with exactly the same title (DESIGN.md §3) in one request, whatever
//! the repository's history: one GraphQL query asks for the newest 100 issues (which also covers
//! issues too recent for the search index) and the search for the title together. More requests
//! only when the search has more than 100 results (its further pages), when the search part is
//! not trusted (the REST listing of older issues, capped at
//! [`LIST_PAGE_LIMIT`](super::LIST_PAGE_LIMIT) pages), or when GraphQL is unusable (the REST
//! lookup: listing, search, listing; see [`super::listing`]).

use tracing::warn;

use super::graphql::Unusable;
use super::{GitHub, GitHubError, Issue};
use crate::deadline::Deadline;
use crate::ids::Repo;

/// Characters of the title put in the search query (GitHub caps queries at 256 characters).
const SEARCH_TITLE_CHARS: usize = 120;

/// Which other issues with the same title count as a duplicate (the alarm's own issue, from an
/// earlier attempt, counts whatever its state).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// Open issues only: a closed one means the alarm may fire again.
    Open,
    /// Open and closed issues: a title seen once never alerts again.
    OpenAndClosed,
}

/// What a dedup lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    /// The issue that decides: the earliest one carrying `own_marker` if any (open or closed), else
    /// the newest issue with exactly the title that counts under the [`Counted`] rule.
    pub found: Option<Issue>,
    /// Whether `found` carries `own_marker`: this alarm's own issue, from an earlier attempt (the
    /// earliest, when GitHub applied a create late and there are several).
    pub ours: bool,
    /// This alarm's other own issues, later than `found`: they step aside as its duplicates.
    pub also_ours: Vec<Issue>,
    /// Whether every issue that counts was examined. `false` only when search failed and the
    /// fallback listing stopped at its page limit.
    pub complete: bool,
    /// The highest issue number in the repository when it was looked at (pull requests included
    /// when the REST listing answered): an issue created next with a higher number than
    /// `newest + 1` means others were created in between, possibly the same alarm concurrently.
    pub newest: Option<u64>,
    /// Every issue with exactly the title that was examined (pull requests never), whatever its
    /// state and whether or not it counts, newest first: for what a caller reads beyond the dedup
    /// rule, such as a record Dispatch keeps in the body of a closed issue.
    pub same_title: Vec<Issue>,
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

/// The earliest issue created before another with the same title: see [`GitHub::earlier_twin`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Twin {
    /// This event's own issue: an earlier attempt's create that GitHub applied late.
    Ours(Issue),
    /// Another event's: the same alarm arrived more than once at the same time.
    Other(Issue),
}

/// Exact-title matches seen so far, and which of them decides.
pub(super) struct Matches<'a> {
    title: &'a str,
    counted: Counted,
    own_marker: Option<&'a str>,
    ours: Vec<Issue>,
    decides: Option<Issue>,
    same_title: Vec<Issue>,
    pub(super) newest: Option<u64>,
}

/// Whether `issue` is this event's own: the last line of its body (the marker Dispatch appends
/// after the sender's text) starts with `own_marker`. A marker anywhere else in the body is the
/// sender's text, not Dispatch's.
fn is_own(issue: &Issue, own_marker: Option<&str>) -> bool {
    let Some(marker) = own_marker else { return false };
    let last = issue.body.as_deref().and_then(|b| b.lines().rev().map(str::trim).find(|l| !l.is_empty()));
    last.is_some_and(|line| line.starts_with(marker))
}

impl<'a> Matches<'a> {
    fn new(title: &'a str, counted: Counted, own_marker: Option<&'a str>) -> Self {
        Self { title, counted, own_marker, ours: Vec::new(), decides: None, same_title: Vec::new(), newest: None }
    }

    pub(super) fn add(&mut self, issues: Vec<Issue>) {
        for issue in issues.into_iter().filter(|i| i.pull_request.is_none() && i.title == self.title) {
            if !self.same_title.iter().any(|seen| seen.number == issue.number) {
                self.same_title.push(issue.clone());
            }
            if is_own(&issue, self.own_marker) {
                if !self.ours.iter().any(|o| o.number == issue.number) {
                    self.ours.push(issue);
                }
            } else if (self.counted == Counted::OpenAndClosed || issue.is_open())
                && self.decides.as_ref().is_none_or(|kept| kept.number < issue.number)
            {
                self.decides = Some(issue);
            }
        }
    }

    pub(super) fn decided(&self) -> bool {
        !self.ours.is_empty() || self.decides.is_some()
    }

    pub(super) fn lookup(mut self, complete: bool) -> Lookup {
        self.ours.sort_by_key(|i| i.number);
        self.same_title.sort_by_key(|i| std::cmp::Reverse(i.number));
        let (newest, same_title) = (self.newest, self.same_title);
        let mut ours = self.ours.into_iter();
        match ours.next() {
            Some(first) => {
                Lookup { found: Some(first), ours: true, also_ours: ours.collect(), complete, newest, same_title }
            }
            None => Lookup { found: self.decides, ours: false, also_ours: Vec::new(), complete, newest, same_title },
        }
    }
}

/// The search for issues whose title contains the title's words (`is:open` when only open issues
/// can decide); the caller keeps exact matches. Quotes and backslashes cannot be escaped inside a
/// quoted search term, so they become spaces.
pub(super) fn search_query(repo: &Repo, title: &str, open_only: bool) -> String {
    let words: String =
        title.chars().map(|c| if c == '"' || c == '\\' { ' ' } else { c }).take(SEARCH_TITLE_CHARS).collect();
    let state = if open_only { " is:open" } else { "" };
    format!("repo:{}/{} is:issue in:title \"{}\"{state}", repo.owner, repo.name, words.trim())
}

impl GitHub {
    /// Looks for an issue titled exactly `title` in `repo`. An issue that is `own` (from an earlier
    /// attempt of the same event) is found whatever its state; any other counts when open, or also
    /// when closed under [`Counted::OpenAndClosed`]. Pull requests never count.
    ///
    /// One request on GitHub.com at any repository size (see the module's documentation for when
    /// more are needed); the REST API answers when GraphQL does not, so nothing is missed.
    pub async fn find_duplicate(
        &self,
        repo: &Repo,
        title: &str,
        counted: Counted,
        own: Option<OwnIssue<'_>>,
        deadline: Deadline,
    ) -> Result<Lookup, GitHubError> {
        let mut matches = Matches::new(title, counted, own.map(|o| o.marker));
        let open_only = counted == Counted::Open && !own.is_some_and(|o| o.maybe_closed);
        let search = search_query(repo, title, open_only);
        if self.graphql_target().is_none() {
            return self.find_duplicate_rest(repo, &search, matches, deadline).await;
        }
        let answer = match self.lookup_query(repo, &search, deadline).await {
            Ok(answer) => answer,
            Err(reason) => {
                warn!(repo = %repo, rate_limited = reason.is_rate_limit(), reason = %reason, "GraphQL lookup unusable; asking the REST API instead");
                return self.find_duplicate_rest(repo, &search, matches, deadline).await;
            }
        };
        matches.newest = answer.recent.iter().map(|i| i.number).max();
        if let Some(viewer) = answer.viewer {
            let _ = self.login.set(viewer);
        }
        matches.add(answer.recent);
        if matches.decided() || !answer.more_issues {
            return Ok(matches.lookup(true));
        }
        let found = match answer.search {
            Ok(first) => self.search_rest_of(&search, first, deadline).await,
            Err(reason) => Err(reason),
        };
        match found {
            Ok(found) => {
                matches.add(found);
                Ok(matches.lookup(true))
            }
            Err(reason) => {
                warn!(repo = %repo, rate_limited = reason.is_rate_limit(), reason = %reason, "issue search unusable; listing issues instead");
                // The newest 100 were the GraphQL answer: the listing goes on from its second page.
                let second = Self::target(&format!(
                    "repos/{}/{}/issues?state=all&sort=created&direction=desc&per_page=100&page=2",
                    repo.owner, repo.name
                ));
                self.list_from(repo, matches, Some(second), 1, deadline).await
            }
        }
    }

    /// The earliest issue other than `number`, created before it, with exactly `title`, that is
    /// this event's own (its body's last line starts with `own_marker`, whatever its state) or
    /// counts under `counted`, among the newest 100: when the same alarm was created more than
    /// once, the earliest issue wins and the others step aside.
    pub async fn earlier_twin(
        &self,
        repo: &Repo,
        title: &str,
        counted: Counted,
        own_marker: Option<&str>,
        number: u64,
        deadline: Deadline,
    ) -> Result<Option<Twin>, GitHubError> {
        let recent = self.recent_issues(repo, deadline).await?;
        Ok(recent
            .into_iter()
            .filter(|i| i.title == title && i.number < number)
            .filter(|i| counted == Counted::OpenAndClosed || i.is_open() || is_own(i, own_marker))
            .min_by_key(|i| i.number)
            .map(|i| if is_own(&i, own_marker) { Twin::Ours(i) } else { Twin::Other(i) }))
    }
}

/// Why a search was not used, for the log line of the fallback.
impl Unusable {
    /// Whether GitHub asked to slow down (the fallback runs at once rather than waiting).
    pub(super) fn is_rate_limit(&self) -> bool {
        matches!(self, Self::RateLimited(_) | Self::Request(GitHubError::RateLimited { .. }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{GitHubOwner, RepoName};

    fn issue(number: u64, title: &str, state: &str, body: &str) -> Issue {
        Issue::sample(number, title, state, body)
    }

    #[test]
    fn the_search_query_drops_quotes_and_asks_for_open_issues_only_when_told() {
        let repo = Repo::new(GitHubOwner::parse("acme").unwrap(), RepoName::parse("alarms").unwrap());
        assert_eq!(
            search_query(&repo, r#"Disk "full" \ db-1"#, true),
            r#"repo:acme/alarms is:issue in:title "Disk  full    db-1" is:open"#
        );
        assert_eq!(search_query(&repo, "x", false), r#"repo:acme/alarms is:issue in:title "x""#);
        let long = "a".repeat(300);
        assert_eq!(
            search_query(&repo, &long, false).matches('a').count(),
            SEARCH_TITLE_CHARS + 3,
            "three in `acme/alarms`"
        );
    }

    #[test]
    fn only_a_marker_on_the_last_line_makes_an_issue_ours() {
        let mut matches = Matches::new("t", Counted::Open, Some("<!-- dispatch:event=e1 "));
        matches.add(vec![
            issue(3, "t", "open", "quoting <!-- dispatch:event=e1 request=r -->\n\nsender text"),
            issue(2, "t", "closed", "body\n\n<!-- dispatch:event=e1 request=r -->\n"),
        ]);
        let lookup = matches.lookup(true);
        assert!(lookup.ours);
        assert_eq!(lookup.found.map(|i| i.number), Some(2));
    }

    #[test]
    fn closed_issues_decide_only_when_closed_ones_count() {
        let issues = || vec![issue(5, "t", "closed", "b"), issue(4, "t", "open", "b"), issue(6, "t ", "open", "b")];
        let mut open = Matches::new("t", Counted::Open, None);
        open.add(issues());
        assert_eq!(open.lookup(true).found.map(|i| i.number), Some(4));
        let mut all = Matches::new("t", Counted::OpenAndClosed, None);
        all.add(issues());
        assert_eq!(all.lookup(true).found.map(|i| i.number), Some(5), "the newest exact match");
    }

    #[test]
    fn every_exact_title_match_is_kept_newest_first_whatever_counts() {
        let mut open = Matches::new("t", Counted::Open, None);
        open.add(vec![issue(4, "t", "open", "b"), issue(5, "t", "closed", "b"), issue(6, "t ", "open", "b")]);
        open.add(vec![issue(5, "t", "closed", "b"), issue(2, "t", "closed", "b")]);
        let numbers: Vec<u64> = open.lookup(true).same_title.iter().map(|i| i.number).collect();
        assert_eq!(numbers, [5, 4, 2]);
    }
}
