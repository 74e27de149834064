//! Settings with every `secure:` value decrypted, and the typed readers that name the setting in
//! their errors.

use std::collections::HashMap;

use futures::future::try_join_all;
use secrecy::SecretString;
use url::Url;

use super::{ALL_SETTINGS, ConfigError, Env, Setting};
use crate::kms::{Kms, SECURE_PREFIX};

/// Settings with every `secure:` value decrypted.
pub(super) struct Resolved {
    values: HashMap<&'static str, SecretString>,
}

impl Resolved {
    /// Decrypts every `secure:` value concurrently, once.
    pub(super) async fn load(env: &Env, kms: Option<&Kms>) -> Result<Self, ConfigError> {
        let mut values = HashMap::new();
        let mut encrypted = Vec::new();
        for setting in ALL_SETTINGS {
            if let Some(value) = env.get(*setting) {
                match value.strip_prefix(SECURE_PREFIX) {
                    Some(ciphertext) => encrypted.push((setting.name, ciphertext)),
                    None => {
                        values.insert(setting.name, SecretString::from(value.trim().to_owned()));
                    }
                }
            }
        }
        if let Some((name, _)) = encrypted.first()
            && kms.is_none()
        {
            return Err(ConfigError::NoKms { name });
        }
        if let Some(kms) = kms {
            let decrypted = try_join_all(encrypted.into_iter().map(|(name, ciphertext)| async move {
                kms.decrypt(ciphertext)
                    .await
                    .map(|plain| (name, plain))
                    .map_err(|reason| ConfigError::Decrypt { name, reason })
            }))
            .await?;
            values.extend(decrypted);
        }
        Ok(Self { values })
    }

    pub(super) fn secret(&self, setting: Setting) -> Option<SecretString> {
        self.values.get(setting.name).cloned()
    }

    pub(super) fn required_secret(&self, setting: Setting) -> Result<SecretString, ConfigError> {
        self.secret(setting).ok_or(ConfigError::Missing { name: setting.name, aliases: setting.aliases })
    }

    pub(super) fn text(&self, setting: Setting) -> Option<String> {
        use secrecy::ExposeSecret;
        self.values.get(setting.name).map(|v| v.expose_secret().to_owned())
    }

    pub(super) fn required<T>(
        &self,
        setting: Setting,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        let value = self.text(setting).ok_or(ConfigError::Missing { name: setting.name, aliases: setting.aliases })?;
        parse(&value).map_err(|reason| ConfigError::Invalid { name: setting.name, reason })
    }

    pub(super) fn optional<T>(
        &self,
        setting: Setting,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ConfigError> {
        self.text(setting)
            .map(|v| parse(&v).map_err(|reason| ConfigError::Invalid { name: setting.name, reason }))
            .transpose()
    }

    pub(super) fn url(&self, setting: Setting, default: &str) -> Result<Url, ConfigError> {
        let value = self.text(setting).unwrap_or_else(|| default.to_owned());
        let url = Url::parse(&value).map_err(|e| ConfigError::Invalid { name: setting.name, reason: e.to_string() })?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(ConfigError::Invalid { name: setting.name, reason: "must be an http or https URL".into() });
        }
        Ok(url)
    }
}
