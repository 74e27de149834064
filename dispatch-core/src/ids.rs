//! Validated identifiers shared by messages, configuration and the clients. Each can only be built
//! through `parse`, so the rest of the code never sees a malformed id (for example a repository
//! name that would change the path of a GitHub URL).

use std::fmt;

use rand::RngCore;

macro_rules! string_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The id as sent to the services.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

fn check_len(value: &str, min: usize, max: usize) -> Result<(), String> {
    let n = value.chars().count();
    if n < min {
        Err(if min == 1 { "must not be empty".to_owned() } else { format!("must be at least {min} characters") })
    } else if n > max {
        Err(format!("must be at most {max} characters, got {n}"))
    } else {
        Ok(())
    }
}

fn check_chars(value: &str, allowed: impl Fn(char) -> bool, what: &str) -> Result<(), String> {
    match value.chars().find(|c| !allowed(*c)) {
        Some(c) => Err(format!("may contain only {what}, found {c:?}")),
        None => Ok(()),
    }
}

string_id!(
    /// The id of one alarm, used in logs, incident keys, issue markers and Slack callbacks.
    RequestId
);

impl RequestId {
    /// Characters allowed in a request id, as documented in MESSAGE-SPEC.md.
    pub const ALLOWED: &'static str = "letters, digits and . _ - : / @ + =";

    /// Validates a sender-supplied request id: 1 to 128 characters from [`Self::ALLOWED`].
    pub fn parse(value: &str) -> Result<Self, String> {
        check_len(value, 1, 128)?;
        check_chars(value, |c| c.is_ascii_alphanumeric() || "._-:/@+=".contains(c), Self::ALLOWED)?;
        Ok(Self(value.to_owned()))
    }

    /// A stable id for a message that has none, from its delivery's id (the SNS `MessageId`):
    /// 12 lowercase hex characters, the same on every retry of the same event, so a retried
    /// high-priority alarm reuses its incident key.
    pub fn derive(event_id: &str) -> Self {
        use sha2::Digest;
        Self(hex::encode(&sha2::Sha256::digest(event_id.as_bytes())[..6]))
    }

    /// A fresh id: 12 lowercase hex characters from 6 random bytes.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 6];
        rand::rng().fill_bytes(&mut bytes);
        Self(hex::encode(bytes))
    }
}

string_id!(
    /// A GitHub user or organisation login (the owner part of a repository).
    GitHubOwner
);

fn github_login(value: &str) -> Result<(), String> {
    check_len(value, 1, 39)?;
    check_chars(value, |c| c.is_ascii_alphanumeric() || c == '-', "letters, digits and -")?;
    if value.starts_with('-') {
        return Err("must not start with -".to_owned());
    }
    Ok(())
}

impl GitHubOwner {
    /// Validates a login: 1 to 39 letters, digits or hyphens, not starting with a hyphen.
    pub fn parse(value: &str) -> Result<Self, String> {
        github_login(value)?;
        Ok(Self(value.to_owned()))
    }
}

string_id!(
    /// A repository name, without its owner.
    RepoName
);

impl RepoName {
    /// Validates a repository name: 1 to 100 letters, digits, `.`, `_` or `-`, and not `.` or `..`.
    pub fn parse(value: &str) -> Result<Self, String> {
        check_len(value, 1, 100)?;
        check_chars(value, |c| c.is_ascii_alphanumeric() || "._-".contains(c), "letters, digits, . _ and -")?;
        if value == "." || value == ".." {
            return Err("must not be . or ..".to_owned());
        }
        Ok(Self(value.to_owned()))
    }
}

/// A repository: owner and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Repo {
    /// The owning user or organisation.
    pub owner: GitHubOwner,
    /// The repository name.
    pub name: RepoName,
}

impl Repo {
    /// Builds a repository from its parts.
    pub fn new(owner: GitHubOwner, name: RepoName) -> Self {
        Self { owner, name }
    }
}

impl fmt::Display for Repo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// A message's `githubRepo`: a name under the default owner, or `owner/name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoOverride {
    /// The owner, when the message named one.
    pub owner: Option<GitHubOwner>,
    /// The repository name.
    pub name: RepoName,
}

impl RepoOverride {
    /// Parses `name` or `owner/name`.
    pub fn parse(value: &str) -> Result<Self, String> {
        match value.split_once('/') {
            Some((owner, name)) => Ok(Self {
                owner: Some(GitHubOwner::parse(owner).map_err(|e| format!("owner {e}"))?),
                name: RepoName::parse(name).map_err(|e| format!("repository name {e}"))?,
            }),
            None => Ok(Self { owner: None, name: RepoName::parse(value)? }),
        }
    }

    /// The repository this override names, with `default_owner` when it named none.
    pub fn resolve(&self, default_owner: &GitHubOwner) -> Repo {
        Repo::new(self.owner.clone().unwrap_or_else(|| default_owner.clone()), self.name.clone())
    }
}

string_id!(
    /// Who an issue tags: a login (`alice`) or a team (`org/team`), without the `@`.
    GitHubMention
);

impl GitHubMention {
    /// Validates a login or `org/team`; a leading `@` is dropped.
    pub fn parse(value: &str) -> Result<Self, String> {
        let value = value.strip_prefix('@').unwrap_or(value);
        match value.split_once('/') {
            Some((org, team)) => {
                github_login(org)?;
                check_len(team, 1, 100)?;
                check_chars(team, |c| c.is_ascii_alphanumeric() || "._-".contains(c), "letters, digits, . _ and -")?;
            }
            None => github_login(value)?,
        }
        Ok(Self(value.to_owned()))
    }
}

string_id!(
    /// A Slack user, channel or conversation id such as `U012ABCDEF`.
    SlackUserId
);

impl SlackUserId {
    /// Validates a Slack id: 2 to 32 letters or digits.
    pub fn parse(value: &str) -> Result<Self, String> {
        check_len(value, 2, 32)?;
        check_chars(value, |c| c.is_ascii_alphanumeric(), "letters and digits (a Slack id such as U012ABCDEF)")?;
        Ok(Self(value.to_owned()))
    }

    /// Whether this names a conversation (a public `C…` or private `G…` channel, a `D…` DM) rather
    /// than a person (`U…`, or `W…` in Enterprise Grid).
    pub fn is_conversation(&self) -> bool {
        self.0.starts_with(['C', 'G', 'D'])
    }
}

string_id!(
    /// Where a Slack message can be posted: a channel id, or a `#name`.
    SlackChannel
);

impl SlackChannel {
    /// Validates a channel: a Slack id, or `#` followed by a channel name.
    pub fn parse(value: &str) -> Result<Self, String> {
        match value.strip_prefix('#') {
            Some(name) => {
                check_len(name, 1, 80)?;
                check_chars(name, |c| c.is_alphanumeric() || "-_.".contains(c), "letters, digits, - _ and . after #")?;
            }
            None => {
                SlackUserId::parse(value)?;
            }
        }
        Ok(Self(value.to_owned()))
    }
}

impl From<SlackUserId> for SlackChannel {
    fn from(id: SlackUserId) -> Self {
        Self(id.0)
    }
}

string_id!(
    /// An email address by which a Slack user is looked up (`users.lookupByEmail`).
    Email
);

impl Email {
    /// Longest address accepted (RFC 5321's limit for a path).
    pub const MAX: usize = 254;

    /// Validates an address: at most [`Self::MAX`] characters, no whitespace or control
    /// characters, and something on each side of its last `@`. Nothing more: Slack decides whether
    /// someone has it.
    pub fn parse(value: &str) -> Result<Self, String> {
        check_len(value, 3, Self::MAX)?;
        check_chars(
            value,
            |c| !c.is_whitespace() && !c.is_control(),
            "characters other than spaces and control characters",
        )?;
        match value.rsplit_once('@') {
            Some((local, domain)) if !local.is_empty() && !domain.is_empty() => Ok(Self(value.to_owned())),
            _ => Err("must be an email address such as alice@example.com".to_owned()),
        }
    }

    /// The address as Slack compares it, without regard to case: two spellings that differ only
    /// in case are looked up once.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

string_id!(
    /// A PagerDuty service id such as `PABC123`.
    ServiceId
);

impl ServiceId {
    /// Validates a service id: 1 to 64 letters or digits.
    pub fn parse(value: &str) -> Result<Self, String> {
        check_len(value, 1, 64)?;
        check_chars(value, |c| c.is_ascii_alphanumeric(), "letters and digits")?;
        Ok(Self(value.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_request_ids_are_twelve_lowercase_hex_characters() {
        for _ in 0..100 {
            let id = RequestId::generate();
            assert_eq!(id.as_str().len(), 12);
            assert!(id.as_str().chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')), "{id}");
        }
        assert_ne!(RequestId::generate(), RequestId::generate());
    }

    #[test]
    fn repo_override_takes_a_bare_name_or_owner_and_name() {
        let default = GitHubOwner::parse("acme").unwrap();
        assert_eq!(RepoOverride::parse("alarms").unwrap().resolve(&default).to_string(), "acme/alarms");
        assert_eq!(RepoOverride::parse("sec/audit").unwrap().resolve(&default).to_string(), "sec/audit");
    }

    #[test]
    fn ids_that_could_change_a_url_path_are_rejected() {
        for bad in ["../x", "a/b/c", "a b", "..", "", "a?b", "a#b"] {
            assert!(RepoOverride::parse(bad).is_err(), "{bad}");
        }
        assert!(GitHubOwner::parse("-acme").is_err());
        assert!(SlackUserId::parse("U1 2").is_err());
        assert!(ServiceId::parse("P/1").is_err());
    }

    #[test]
    fn mentions_accept_logins_teams_and_drop_a_leading_at() {
        assert_eq!(GitHubMention::parse("@alice").unwrap().as_str(), "alice");
        assert_eq!(GitHubMention::parse("acme/security-team").unwrap().as_str(), "acme/security-team");
        assert!(GitHubMention::parse("alice bob").is_err());
    }

    #[test]
    fn channel_and_dm_ids_are_conversations_and_user_ids_are_people() {
        for id in ["C012AB3CD", "G0PRIVATE", "D024BE91L"] {
            assert!(SlackUserId::parse(id).unwrap().is_conversation(), "{id}");
        }
        for id in ["U012ABCDEF", "W012A3CDE"] {
            assert!(!SlackUserId::parse(id).unwrap().is_conversation(), "{id}");
        }
    }

    #[test]
    fn emails_need_something_on_each_side_of_an_at_and_no_spaces() {
        for good in ["alice@example.com", "a@b", "first.last+tag@sub.example.co.uk", "\"odd@local\"@example.com"] {
            assert!(Email::parse(good).is_ok(), "{good}");
        }
        let long = format!("{}@example.com", "a".repeat(243));
        assert_eq!(long.len(), 255);
        for bad in
            ["", "alice", "alice@", "@example.com", "alice @example.com", "alice@exa\u{7}mple.com", long.as_str()]
        {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(Email::parse("Alice@Example.COM").unwrap().key(), "alice@example.com");
    }

    #[test]
    fn channels_are_ids_or_hash_names() {
        assert!(SlackChannel::parse("#security-alerts").is_ok());
        assert!(SlackChannel::parse("C012AB3CD").is_ok());
        assert!(SlackChannel::parse("security alerts").is_err());
        assert!(SlackChannel::parse("#").is_err());
    }
}
