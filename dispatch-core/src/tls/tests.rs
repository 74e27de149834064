//! The trust store and the `ExtraCaCerts` value, and a real TLS handshake over loopback with a
//! private CA made here (rcgen).

use std::sync::Arc;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::*;

/// A private CA and a server certificate for 127.0.0.1 that it signed.
pub(crate) struct PrivateCa {
    pub(crate) pem: String,
    server_chain: Vec<CertificateDer<'static>>,
    server_key: PrivateKeyDer<'static>,
}

pub(crate) fn private_ca() -> PrivateCa {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let server_key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap().signed_by(&server_key, &ca).unwrap();
    PrivateCa {
        pem: ca.pem(),
        server_chain: vec![server.der().clone()],
        server_key: PrivatePkcs8KeyDer::from(server_key.serialize_der()).into(),
    }
}

#[test]
fn the_compiled_in_roots_are_mozillas_and_nothing_else() {
    let trust = Trust::compiled_in();
    assert_eq!(trust.extra_certificates(), 0);
    assert!(webpki_roots::TLS_SERVER_ROOTS.len() > 100, "webpki-roots ships Mozilla's list");
}

#[test]
fn pem_text_in_the_setting_adds_its_certificates_to_the_compiled_in_roots() {
    let ca = private_ca();
    let other = private_ca();
    let certificates = read_extra_certificates(&format!("{}\n{}", ca.pem, other.pem)).unwrap();
    assert_eq!(certificates.len(), 2);
    assert_eq!(Trust::with_extra(&certificates).unwrap().extra_certificates(), 2);
}

#[test]
fn the_setting_may_name_a_pem_file_instead() {
    let ca = private_ca();
    let path = std::env::temp_dir().join(format!("dispatch-extra-ca-{}.pem", std::process::id()));
    std::fs::write(&path, &ca.pem).unwrap();
    let certificates = read_extra_certificates(&format!("  {}\n", path.display()));
    std::fs::remove_file(&path).unwrap();
    assert_eq!(certificates.unwrap().len(), 1);
}

#[test]
fn a_missing_file_text_without_a_certificate_and_broken_pem_are_refused_with_the_reason() {
    let missing = read_extra_certificates("/nonexistent/ca.pem").unwrap_err();
    assert!(missing.contains("neither PEM text") && missing.contains("nor a readable file"), "{missing}");
    let key_only = KeyPair::generate().unwrap().serialize_pem();
    let no_certificate = read_extra_certificates(&key_only).unwrap_err();
    assert_eq!(no_certificate, "holds no -----BEGIN CERTIFICATE----- block");
    let broken = read_extra_certificates("-----BEGIN CERTIFICATE-----\nnot base64!\n").unwrap_err();
    assert!(broken.starts_with("is not valid PEM"), "{broken}");
}

#[test]
fn a_certificate_block_that_is_not_a_certificate_is_refused_naming_which() {
    let ca = private_ca();
    let garbage = "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n";
    let certificates = read_extra_certificates(&format!("{}{garbage}", ca.pem)).unwrap();
    let error = Trust::with_extra(&certificates).unwrap_err();
    assert!(error.starts_with("certificate 2 of 2 is not usable as a CA"), "{error}");
}

#[test]
fn the_process_trust_is_built_once_and_shared_by_every_client() {
    let first = process_trust();
    let again = process_trust();
    assert!(Arc::ptr_eq(&first.config, &again.config), "one configuration, not one per client");
}

/// Serves `connections` HTTPS requests on loopback with the private CA's server certificate,
/// answering each with `200 ok`; returns the port.
async fn https_server(ca: &PrivateCa, connections: usize) -> u16 {
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(ca.server_chain.clone(), ca.server_key.clone_key())
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        for _ in 0..connections {
            let (tcp, _) = listener.accept().await.unwrap();
            // A client that refuses the certificate ends the handshake: not the server's failure.
            let Ok(mut tls) = acceptor.accept(tcp).await else { continue };
            let mut request = [0u8; 1024];
            let _ = tls.read(&mut request).await;
            let _ = tls.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok").await;
            let _ = tls.shutdown().await;
        }
    });
    port
}

#[tokio::test]
async fn a_client_reaches_a_server_of_the_private_ca_given_in_the_setting_and_not_without_it() {
    let ca = private_ca();
    let port = https_server(&ca, 2).await;
    let url = format!("https://127.0.0.1:{port}/");
    let timeout = Duration::from_secs(5);

    let without = crate::http::client_trusting(timeout, &Trust::compiled_in()).unwrap();
    let refused = format!("{:?}", without.get(&url).send().await.unwrap_err());
    assert!(refused.contains("UnknownIssuer"), "{refused}");

    let trust = Trust::with_extra(&read_extra_certificates(&ca.pem).unwrap()).unwrap();
    let with = crate::http::client_trusting(timeout, &trust).unwrap();
    let response = with.get(&url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "ok");
}
