//! Read-only calls for checking a deployment (`dispatch doctor`): the repository with the caller's
//! permissions, and a GitHub App installation's permissions.

use http::Method;
use octocrab::Octocrab;
use secrecy::ExposeSecret;
use serde::Deserialize;
use url::Url;

use super::request::{Retry, parse};
use super::{GitHub, GitHubAuth, GitHubError, RepoInfo};
use crate::deadline::{Deadline, RetryPolicy};
use crate::ids::Repo;

impl GitHub {
    /// `GET /repos/{o}/{r}`: the repository and the caller's permissions on it.
    pub async fn repository(&self, repo: &Repo, deadline: Deadline) -> Result<RepoInfo, GitHubError> {
        let url = Self::target(&format!("repos/{}/{}", repo.owner, repo.name));
        parse(&self.call(Method::GET, &url, None, deadline, Retry::Safe).await?)
    }

    /// The permissions of a GitHub App installation (`GET /app/installations/{id}`, authenticated
    /// as the App with its JWT), such as `issues: write`; `None` for token authentication.
    pub async fn installation_permissions(
        base_url: &Url,
        auth: &GitHubAuth,
        policy: RetryPolicy,
        deadline: Deadline,
    ) -> Result<Option<std::collections::BTreeMap<String, String>>, GitHubError> {
        let GitHubAuth::App { app_id, private_key, installation_id } = auth else { return Ok(None) };
        let key = octocrab::EncodingKey::from_rsa_pem(private_key.expose_secret().as_bytes())
            .map_err(|_| GitHubError::Setup("GitHubAppPrivateKey is not an RSA private key in PEM".into()))?;
        let http = crate::http::client(policy.request_timeout).map_err(|e| GitHubError::Setup(e.to_string()))?;
        let crab = Octocrab::builder()
            .base_uri(base_url.as_str())
            .map_err(|e| GitHubError::Setup(format!("base URL {base_url}: {e}")))?
            .app((*app_id).into(), key)
            .build_with_reqwest(http)
            .map_err(|e| GitHubError::Setup(e.to_string()))?;
        let app = Self { crab, base: base_url.clone(), policy, login: std::sync::Arc::default(), app: None };
        #[derive(Deserialize)]
        struct Installation {
            #[serde(default)]
            permissions: std::collections::BTreeMap<String, String>,
        }
        let url = Self::target(&format!("app/installations/{installation_id}"));
        let installation: Installation = parse(&app.call(Method::GET, &url, None, deadline, Retry::Safe).await?)?;
        Ok(Some(installation.permissions))
    }
}
