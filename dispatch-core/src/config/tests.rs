//! `ExtraCaCerts`: read first, refused at start-up naming the setting when it does not parse.

use super::*;
use crate::tls::tests::private_ca;

async fn trust_of(value: &str) -> Result<Option<Trust>, ConfigError> {
    extra_trust(&Resolved::load(&Env::new([("ExtraCaCerts", value)]), None).await?)
}

#[tokio::test]
async fn extra_ca_certs_holding_a_pem_certificate_is_trusted_besides_the_compiled_in_roots() {
    let trust = trust_of(&private_ca().pem).await.unwrap().expect("the setting is given");
    assert_eq!(trust.extra_certificates(), 1);
}

#[tokio::test]
async fn without_extra_ca_certs_the_compiled_in_roots_stay_the_only_ones() {
    assert!(trust_of("").await.unwrap().is_none());
}

#[tokio::test]
async fn a_malformed_extra_ca_certs_stops_either_function_at_start_naming_the_setting() {
    let env = Env::new([("ExtraCaCerts", "MIIB-not-a-certificate")]);
    let incoming = IncomingConfig::load(&env, None).await.unwrap_err();
    let triage = TriageConfig::load(&env, None).await.unwrap_err();
    for error in [incoming, triage] {
        assert!(matches!(error, ConfigError::Invalid { name: "ExtraCaCerts", .. }), "{error:?}");
        assert!(error.to_string().starts_with("invalid setting ExtraCaCerts: is neither PEM text"), "{error}");
        assert!(!error.to_string().contains("MIIB"), "the value is not quoted: {error}");
    }
}
