//! What Dispatch reads and writes on GitHub: issues, comments, accounts, and a repository with the
//! caller's permissions, as far as Dispatch needs them.

use serde::Deserialize;
use serde_json::Value;

/// An issue, as far as Dispatch needs it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Issue {
    /// Issue number.
    pub number: u64,
    /// Title.
    pub title: String,
    /// Web address.
    pub html_url: String,
    /// `open` or `closed`.
    pub state: String,
    /// Body, when it has one.
    #[serde(default)]
    pub body: Option<String>,
    /// Present on pull requests, which the issues API also lists.
    #[serde(default, skip_serializing)]
    pub pull_request: Option<Value>,
    /// Who opened it.
    #[serde(default)]
    pub user: Option<Account>,
}

impl Issue {
    /// Whether the issue is open.
    pub fn is_open(&self) -> bool {
        self.state == "open"
    }

    /// The login of who opened it.
    pub fn author(&self) -> Option<&str> {
        self.user.as_ref().map(|u| u.login.as_str())
    }

    /// An issue for unit tests: no address, no author.
    #[cfg(test)]
    pub(crate) fn sample(number: u64, title: &str, state: &str, body: &str) -> Self {
        Self {
            number,
            title: title.into(),
            html_url: String::new(),
            state: state.into(),
            body: Some(body.into()),
            pull_request: None,
            user: None,
        }
    }
}

/// A GitHub account (user, machine account or App bot), as far as Dispatch needs it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Account {
    /// Login (`alice`, `dispatch-bot`, `my-app[bot]`).
    pub login: String,
}

/// An issue to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIssue {
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
    /// Label names.
    pub labels: Vec<String>,
}

/// A comment on an issue.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Comment {
    /// Comment id.
    pub id: u64,
    /// Web address.
    pub html_url: String,
    /// Text.
    #[serde(default)]
    pub body: Option<String>,
    /// Who wrote it.
    #[serde(default)]
    pub user: Option<Account>,
}

impl Comment {
    /// The login of who wrote it.
    pub fn author(&self) -> Option<&str> {
        self.user.as_ref().map(|u| u.login.as_str())
    }
}

/// A repository, as far as `dispatch doctor` needs it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RepoInfo {
    /// `owner/name`.
    pub full_name: String,
    /// What the caller may do there; GitHub includes it for an authenticated user's token.
    #[serde(default)]
    pub permissions: Option<RepoPermissions>,
}

/// The caller's role on a repository (`permissions` of `GET /repos/{o}/{r}`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub struct RepoPermissions {
    /// Admin.
    #[serde(default)]
    pub admin: bool,
    /// Maintain.
    #[serde(default)]
    pub maintain: bool,
    /// Write.
    #[serde(default)]
    pub push: bool,
    /// Triage.
    #[serde(default)]
    pub triage: bool,
    /// Read.
    #[serde(default)]
    pub pull: bool,
}

impl RepoPermissions {
    /// Whether issues may be opened, labelled and closed: triage, write, maintain or admin.
    pub fn can_write_issues(&self) -> bool {
        self.push || self.triage || self.maintain || self.admin
    }
}
