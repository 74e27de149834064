//! The configuration loader: names, aliases, defaults, errors naming the setting, `secure:` values.

use dispatch_core::config::{ConfigError, Env, IncomingConfig, SlackVerification, TriageConfig};
use dispatch_core::github::GitHubAuth;
use secrecy::ExposeSecret;

use super::helpers::{fake_kms, kms_client, secure};
use crate::support::settings::Settings;

/// Every setting incoming requires, with this suite's tokens.
pub fn settings() -> Settings {
    Settings::required()
        .set("GitHubToken", "ghp-config-token")
        .set("SlackBotToken", "xoxb-config-token")
        .set("PagerDutyApiKey", "pd-config-key")
}

/// [`settings`] with `changes` made (`None` removes a setting).
fn env_with(changes: &[(&'static str, Option<&str>)]) -> Env {
    let changed = changes.iter().fold(settings(), |settings, (name, value)| match value {
        Some(value) => settings.set(name, *value),
        None => settings.unset(name),
    });
    changed.env()
}

#[tokio::test]
async fn incoming_reads_every_setting_with_public_api_defaults() {
    let config = IncomingConfig::load(&env_with(&[]), None).await.unwrap();
    assert_eq!(config.github.repo.to_string(), "acme/dispatch-alarms");
    assert_eq!(config.github.api_url.as_str(), "https://api.github.com/");
    assert_eq!(config.slack_api_url.as_str(), "https://slack.com/api");
    assert_eq!(config.pagerduty.api_url.as_str(), "https://api.pagerduty.com/");
    assert_eq!(config.defaults.github_user.as_str(), "acme/security");
    assert_eq!(config.defaults.slack_channel.as_str(), "#security-alerts");
    assert_eq!(config.defaults.pagerduty_service.as_str(), "PDEFAULT");
    assert_eq!(config.pagerduty.from, "oncall@example.com");
    assert_eq!(config.slack_bot_token.expose_secret(), "xoxb-config-token");
    assert!(matches!(config.github.auth, GitHubAuth::Token(ref t) if t.expose_secret() == "ghp-config-token"));
}

#[tokio::test]
async fn the_readme_spellings_are_accepted_as_aliases() {
    let env = env_with(&[
        ("GitHubOwner", None),
        ("GitHubRepo", None),
        ("GitHubToken", None),
        ("SlackDefaultChannel", None),
        ("GithubOwner", Some("octo")),
        ("GithubRepo", Some("audit")),
        ("GithubToken", Some("ghp-alias")),
        ("SlackChannel", Some("C012AB3CD")),
    ]);
    let config = IncomingConfig::load(&env, None).await.unwrap();
    assert_eq!(config.github.repo.to_string(), "octo/audit");
    assert_eq!(config.defaults.slack_channel.as_str(), "C012AB3CD");
}

#[tokio::test]
async fn base_urls_can_be_overridden() {
    let env = env_with(&[
        ("GitHubApiUrl", Some("http://127.0.0.1:9001/api/v3")),
        ("SlackApiUrl", Some("http://127.0.0.1:9002/api")),
        ("PagerDutyApiUrl", Some("http://127.0.0.1:9003")),
    ]);
    let config = IncomingConfig::load(&env, None).await.unwrap();
    assert_eq!(config.github.api_url.as_str(), "http://127.0.0.1:9001/api/v3");
    assert_eq!(config.slack_api_url.as_str(), "http://127.0.0.1:9002/api");
    assert_eq!(config.pagerduty.api_url.as_str(), "http://127.0.0.1:9003/");
}

#[tokio::test]
async fn every_missing_required_setting_is_named() {
    for (name, _) in settings().vars() {
        let error = IncomingConfig::load(&env_with(&[(name, None)]), None).await.unwrap_err();
        assert!(matches!(error, ConfigError::Missing { name: missing, .. } if missing == name), "{name}: {error:?}");
        assert!(error.to_string().starts_with(&format!("missing required setting {name}")), "{error}");
    }
}

#[tokio::test]
async fn an_empty_value_counts_as_missing_and_the_error_lists_aliases() {
    let error = IncomingConfig::load(&env_with(&[("GitHubOwner", Some("  "))]), None).await.unwrap_err();
    assert_eq!(error.to_string(), "missing required setting GitHubOwner (also accepted as GithubOwner)");
}

#[tokio::test]
async fn malformed_settings_are_named_with_the_reason() {
    let cases = [
        ("GitHubApiUrl", "ftp://example.com", "must be an http or https URL"),
        ("SlackApiUrl", "not a url", "relative URL without a base"),
        ("PagerDutyFromAddress", "oncall", "email address"),
        ("GitHubRepo", "a/b", "may contain only"),
        ("SlackDefaultChannel", "security alerts", "letters and digits"),
        ("PagerDutyServiceId", "P 1", "letters and digits"),
    ];
    for (name, value, reason) in cases {
        let error = IncomingConfig::load(&env_with(&[(name, Some(value))]), None).await.unwrap_err();
        let ConfigError::Invalid { name: invalid, reason: why } = &error else { panic!("{name}: {error:?}") };
        assert_eq!(*invalid, name);
        assert!(why.contains(reason), "{name}: {why}");
    }
}

#[tokio::test]
async fn github_app_settings_select_app_authentication() {
    let env = env_with(&[
        ("GitHubToken", None),
        ("GitHubAppId", Some("17")),
        ("GitHubAppPrivateKey", Some("-----BEGIN RSA PRIVATE KEY-----")),
        ("GitHubAppInstallationId", Some("4242")),
    ]);
    let config = IncomingConfig::load(&env, None).await.unwrap();
    assert!(matches!(config.github.auth, GitHubAuth::App { app_id: 17, installation_id: 4242, .. }));
    let error = IncomingConfig::load(&env_with(&[("GitHubAppId", Some("17"))]), None).await.unwrap_err();
    assert!(matches!(error, ConfigError::Missing { name: "GitHubAppPrivateKey", .. }), "{error:?}");
}

#[tokio::test]
async fn triage_prefers_the_signing_secret_and_accepts_the_legacy_token_only_without_it() {
    let both = env_with(&[("SlackSigningSecret", Some("sign")), ("SlackVerificationToken", Some("legacy"))]);
    let config = TriageConfig::load(&both, None).await.unwrap();
    assert!(matches!(config.verification, SlackVerification::SigningSecret(ref s) if s.expose_secret() == "sign"));
    let legacy = env_with(&[("SlackVerificationToken", Some("legacy"))]);
    let config = TriageConfig::load(&legacy, None).await.unwrap();
    assert!(matches!(config.verification, SlackVerification::LegacyToken(_)));
    let neither = TriageConfig::load(&env_with(&[]), None).await.unwrap_err();
    assert!(matches!(neither, ConfigError::Missing { name: "SlackSigningSecret", .. }));
}

#[tokio::test]
async fn triage_does_not_need_incoming_only_settings() {
    let env = env_with(&[
        ("GitHubDefaultUser", None),
        ("SlackDefaultChannel", None),
        ("SlackBotToken", None),
        ("SlackSigningSecret", Some("sign")),
    ]);
    let config = TriageConfig::load(&env, None).await.unwrap();
    assert!(config.slack_bot_token.is_none());
}

#[tokio::test]
async fn secure_values_are_decrypted_with_kms_once_each() {
    let server = fake_kms().await;
    let kms = kms_client(&server);
    let env = env_with(&[
        ("GitHubToken", Some(&secure("ghp-from-kms"))),
        ("SlackBotToken", Some(&secure("xoxb-from-kms"))),
        ("PagerDutyApiKey", Some(&secure("pd-from-kms"))),
    ]);
    assert!(env.needs_kms());
    let config = IncomingConfig::load(&env, Some(&kms)).await.unwrap();
    assert!(matches!(config.github.auth, GitHubAuth::Token(ref t) if t.expose_secret() == "ghp-from-kms"));
    assert_eq!(config.slack_bot_token.expose_secret(), "xoxb-from-kms");
    assert_eq!(config.pagerduty.api_key.expose_secret(), "pd-from-kms");
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn plain_values_need_no_kms() {
    assert!(!env_with(&[]).needs_kms());
}

#[tokio::test]
async fn a_kms_failure_names_the_setting_and_never_the_ciphertext() {
    let server = fake_kms().await;
    let kms = kms_client(&server);
    let env = env_with(&[("SlackBotToken", Some("secure:Ym9ndXMtY2lwaGVydGV4dA=="))]);
    let error = IncomingConfig::load(&env, Some(&kms)).await.unwrap_err();
    let ConfigError::Decrypt { name, reason } = &error else { panic!("{error:?}") };
    assert_eq!(*name, "SlackBotToken");
    assert!(reason.contains("InvalidCiphertextException"), "{reason}");
    assert!(!format!("{error} {error:?}").contains("Ym9ndXMtY2lwaGVydGV4dA"));
}

#[tokio::test]
async fn a_secure_value_without_kms_is_a_clean_error() {
    let env = env_with(&[("PagerDutyApiKey", Some(&secure("x")))]);
    let error = IncomingConfig::load(&env, None).await.unwrap_err();
    assert_eq!(error.to_string(), "setting PagerDutyApiKey is encrypted (secure:) but KMS is not available");
}

#[tokio::test]
async fn without_a_routing_key_there_is_no_events_api_and_its_url_defaults_to_the_public_one() {
    let config = IncomingConfig::load(&env_with(&[]), None).await.unwrap();
    assert!(config.pagerduty_events.is_none());

    let key = "e93facc04764012d7bfb002500d5d1a6";
    let config = IncomingConfig::load(&env_with(&[("PagerDutyRoutingKey", Some(key))]), None).await.unwrap();
    let events = config.pagerduty_events.expect("a routing key turns the Events API on");
    assert_eq!(events.events_url.as_str(), "https://events.pagerduty.com/");
    assert!(!format!("{events:?}").contains(key), "the routing key's Debug is hidden");

    let env = env_with(&[("PagerDutyRoutingKey", Some(key)), ("PagerDutyEventsUrl", Some("http://127.0.0.1:9004"))]);
    let events = IncomingConfig::load(&env, None).await.unwrap().pagerduty_events.unwrap();
    assert_eq!(events.events_url.as_str(), "http://127.0.0.1:9004/");
}

#[tokio::test]
async fn a_routing_key_that_is_not_32_letters_and_digits_is_named_without_its_value() {
    for bad in ["pd-routing-key", "e93facc04764012d7bfb002500d5d1a6f", "e93facc04764012d7bfb002500d5d1a-"] {
        let error = IncomingConfig::load(&env_with(&[("PagerDutyRoutingKey", Some(bad))]), None).await.unwrap_err();
        let ConfigError::Invalid { name, reason } = &error else { panic!("{bad}: {error:?}") };
        assert_eq!(*name, "PagerDutyRoutingKey");
        assert!(reason.contains("integration key"), "{reason}");
        assert!(!format!("{error} {error:?}").contains(bad), "{error}");
    }
    let error = IncomingConfig::load(&env_with(&[("PagerDutyEventsUrl", Some("ftp://x"))]), None).await.unwrap_err();
    assert!(matches!(error, ConfigError::Invalid { name: "PagerDutyEventsUrl", .. }), "{error:?}");
}

#[tokio::test]
async fn a_secure_routing_key_is_decrypted_and_triage_does_not_read_it() {
    let server = fake_kms().await;
    let kms = kms_client(&server);
    let key = "0123456789abcdef0123456789abcdef";
    let env = env_with(&[("PagerDutyRoutingKey", Some(&secure(key))), ("SlackSigningSecret", Some("s"))]);
    let config = IncomingConfig::load(&env, Some(&kms)).await.unwrap();
    assert!(config.pagerduty_events.is_some());
    let env = env_with(&[("PagerDutyRoutingKey", Some("not a key")), ("SlackSigningSecret", Some("s"))]);
    assert!(TriageConfig::load(&env, None).await.is_ok(), "triage's No stays on the REST API");
}
