//! Issues and their comments: create (never twice), fetch, close, comment, delete a comment, and
//! read an issue's comments.

use std::time::Duration;

use http::Method;
use serde_json::json;
use tracing::{debug, warn};

use super::request::{Retry, parse};
use super::{Comment, GitHub, GitHubError, Issue, NewIssue};
use crate::deadline::Deadline;
use crate::ids::Repo;

impl GitHub {
    /// Creates an issue. The create is not idempotent: when it fails in a way that may have been
    /// applied (timeout, 5xx), the newest issues are searched for the exact title and body before
    /// it is sent again, so a retry never opens a second issue (DESIGN.md §5).
    pub async fn create_issue(&self, repo: &Repo, issue: &NewIssue, deadline: Deadline) -> Result<Issue, GitHubError> {
        let url = Self::target(&format!("repos/{}/{}/issues", repo.owner, repo.name));
        let body = json!({ "title": issue.title, "body": issue.body, "labels": issue.labels });
        let mut attempt = 1;
        loop {
            match self.call(Method::POST, &url, Some(&body), deadline, Retry::RateLimitOnly).await {
                Ok(reply) => return parse(&reply),
                Err(error @ GitHubError::Transient(_)) if attempt < self.policy.attempts => {
                    warn!(repo = %repo, error = %error, "issue create may not have been applied; looking it up before retrying");
                    let wait = self.policy.backoff_before(attempt + 1);
                    if !deadline.allows(wait, Duration::ZERO) {
                        return Err(error);
                    }
                    tokio::time::sleep(wait).await;
                    if let Some(existing) = self.find_created(repo, issue, deadline).await? {
                        debug!(repo = %repo, issue = existing.number, "the earlier create had been applied");
                        return Ok(existing);
                    }
                    attempt += 1;
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// The newest issue with exactly this title and body, if one of the latest 100 matches.
    async fn find_created(
        &self,
        repo: &Repo,
        issue: &NewIssue,
        deadline: Deadline,
    ) -> Result<Option<Issue>, GitHubError> {
        let recent = self.recent_issues(repo, deadline).await?;
        Ok(recent.into_iter().find(|i| i.title == issue.title && i.body.as_deref() == Some(issue.body.as_str())))
    }

    /// The latest 100 issues of a repository, open and closed (pull requests removed), newest first.
    pub(super) async fn recent_issues(&self, repo: &Repo, deadline: Deadline) -> Result<Vec<Issue>, GitHubError> {
        let url = Self::target(&format!(
            "repos/{}/{}/issues?state=all&sort=created&direction=desc&per_page=100",
            repo.owner, repo.name
        ));
        let reply = self.call(Method::GET, &url, None, deadline, Retry::Safe).await?;
        let issues: Vec<Issue> = parse(&reply)?;
        Ok(issues.into_iter().filter(|i| i.pull_request.is_none()).collect())
    }

    /// Fetches one issue.
    pub async fn issue(&self, repo: &Repo, number: u64, deadline: Deadline) -> Result<Issue, GitHubError> {
        let url = Self::target(&format!("repos/{}/{}/issues/{number}", repo.owner, repo.name));
        parse(&self.call(Method::GET, &url, None, deadline, Retry::Safe).await?)
    }

    /// Closes an issue as completed. Idempotent, so retried like a read.
    pub async fn close_issue(&self, repo: &Repo, number: u64, deadline: Deadline) -> Result<Issue, GitHubError> {
        self.close_issue_as(repo, number, "completed", deadline).await
    }

    /// Closes an issue with a `state_reason` (`completed` or `not_planned`).
    pub async fn close_issue_as(
        &self,
        repo: &Repo,
        number: u64,
        reason: &str,
        deadline: Deadline,
    ) -> Result<Issue, GitHubError> {
        let url = Self::target(&format!("repos/{}/{}/issues/{number}", repo.owner, repo.name));
        let body = json!({ "state": "closed", "state_reason": reason });
        parse(&self.call(Method::PATCH, &url, Some(&body), deadline, Retry::Safe).await?)
    }

    /// Closes an issue as completed and sets its body, in one request. Idempotent.
    pub async fn close_with_body(
        &self,
        repo: &Repo,
        number: u64,
        text: &str,
        deadline: Deadline,
    ) -> Result<Issue, GitHubError> {
        let url = Self::target(&format!("repos/{}/{}/issues/{number}", repo.owner, repo.name));
        let body = json!({ "state": "closed", "state_reason": "completed", "body": text });
        parse(&self.call(Method::PATCH, &url, Some(&body), deadline, Retry::Safe).await?)
    }

    /// Comments on an issue. Not idempotent: only a rate-limited attempt is repeated.
    pub async fn comment(
        &self,
        repo: &Repo,
        number: u64,
        text: &str,
        deadline: Deadline,
    ) -> Result<Comment, GitHubError> {
        let url = Self::target(&format!("repos/{}/{}/issues/{number}/comments", repo.owner, repo.name));
        let body = json!({ "body": text });
        parse(&self.call(Method::POST, &url, Some(&body), deadline, Retry::RateLimitOnly).await?)
    }

    /// Deletes a comment. Idempotent: a comment already gone counts as deleted.
    pub async fn delete_comment(&self, repo: &Repo, id: u64, deadline: Deadline) -> Result<(), GitHubError> {
        let url = Self::target(&format!("repos/{}/{}/issues/comments/{id}", repo.owner, repo.name));
        match self.call(Method::DELETE, &url, None, deadline, Retry::Safe).await {
            Ok(_) | Err(GitHubError::NotFound(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The comments of an issue, oldest first: the first 100, or the first 100 updated at or
    /// after `since` (ISO 8601).
    pub async fn comments(
        &self,
        repo: &Repo,
        number: u64,
        since: Option<&str>,
        deadline: Deadline,
    ) -> Result<Vec<Comment>, GitHubError> {
        // Built in a block: the serializer is not Send and must not live across an await.
        let query = {
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            query.append_pair("per_page", "100");
            if let Some(since) = since {
                query.append_pair("since", since);
            }
            query.finish()
        };
        let url = Self::target(&format!("repos/{}/{}/issues/{number}/comments?{query}", repo.owner, repo.name));
        parse(&self.call(Method::GET, &url, None, deadline, Retry::Safe).await?)
    }
}
