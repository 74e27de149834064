//! The GitHub checks: the credentials, the repository, and the permission to write issues.

use dispatch_core::config::GitHubConfig;
use dispatch_core::deadline::Deadline;
use dispatch_core::github::{GitHub, GitHubAuth, GitHubError};

use super::{CHECK_BUDGET, Doctor, POLICY, UNREACHABLE_FIX};

impl Doctor {
    pub(super) async fn github(&mut self, config: &GitHubConfig) {
        let repo = &config.repo;
        let github = match GitHub::new(&config.api_url, &config.auth, POLICY) {
            Ok(github) => github,
            Err(e) => {
                self.fail("GitHub", format!("the client cannot be set up: {e}"), github_credentials_fix(&config.auth));
                return;
            }
        };
        let info = match github.repository(repo, Deadline::after(CHECK_BUDGET)).await {
            Ok(info) => info,
            Err(GitHubError::NotFound(_)) => {
                self.fail(
                    "GitHub",
                    format!("repository {repo} was not found, or the credentials cannot see it"),
                    "check GitHubOwner and GitHubRepo, and give the token (or the App installation) access to the repository",
                );
                return;
            }
            Err(GitHubError::Unauthorized(status)) => {
                self.fail(
                    "GitHub",
                    format!("the credentials were refused (HTTP {status}: wrong, expired or revoked)"),
                    github_credentials_fix(&config.auth),
                );
                return;
            }
            Err(e) => {
                self.fail("GitHub", format!("repository {repo} cannot be read: {e}"), UNREACHABLE_FIX);
                return;
            }
        };
        self.pass("GitHub", format!("repository {repo} exists"));
        match &config.auth {
            GitHubAuth::Token(_) => match info.permissions {
                Some(permissions) if permissions.can_write_issues() => {
                    self.pass("GitHub", format!("repository {repo} is writable (issues and labels)"))
                }
                Some(_) => self.fail(
                    "GitHub",
                    format!("the token may read {repo} but not open or label issues there"),
                    format!(
                        "give the token's account the Triage or Write role on {repo} (a fine-grained token also needs Issues: Read and write)"
                    ),
                ),
                None => self.warn(
                    "GitHub",
                    format!("GitHub did not say whether the token may write issues in {repo}"),
                    "make sure the token has Issues: Read and write on the repository",
                ),
            },
            GitHubAuth::App { .. } => {
                let permissions = GitHub::installation_permissions(
                    &config.api_url,
                    &config.auth,
                    POLICY,
                    Deadline::after(CHECK_BUDGET),
                )
                .await;
                match permissions {
                    Ok(Some(permissions)) if permissions.get("issues").is_some_and(|p| p == "write") => self.pass(
                        "GitHub",
                        format!("repository {repo} is writable: the App installation has Issues: Read and write"),
                    ),
                    Ok(_) => self.fail(
                        "GitHub",
                        "the GitHub App installation may not write issues or labels",
                        "grant Issues: Read and write under the App's Permissions & events, then accept the new permissions on the installation",
                    ),
                    Err(e) => self.fail(
                        "GitHub",
                        format!("the App installation's permissions cannot be read: {e}"),
                        "check GitHubAppId, GitHubAppPrivateKey and GitHubAppInstallationId",
                    ),
                }
            }
        }
    }
}

fn github_credentials_fix(auth: &GitHubAuth) -> &'static str {
    match auth {
        GitHubAuth::Token(_) => {
            "create a new token with Issues: Read and write on the repository and put it in GitHubToken"
        }
        GitHubAuth::App { .. } => {
            "check GitHubAppId, GitHubAppPrivateKey (the App's PEM key) and GitHubAppInstallationId"
        }
    }
}
