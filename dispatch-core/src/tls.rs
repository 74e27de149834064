//! Which certificate authorities the HTTP clients trust: Mozilla's roots compiled in
//! (`webpki-roots`, so start-up reads no certificate file and parses no bundle) plus, for a
//! private CA (GitHub Enterprise behind one, a TLS-inspecting proxy), the certificates of the
//! `ExtraCaCerts` setting. One rustls configuration per process, shared by every client: the
//! GitHub client and the Slack and PagerDuty clients all run on reqwest with it.

use std::sync::{Arc, Mutex, PoisonError};

use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// The certificate authorities a client trusts, as a ready rustls configuration: cheap to clone.
#[derive(Clone)]
pub struct Trust {
    config: Arc<rustls::ClientConfig>,
    extra: usize,
}

impl std::fmt::Debug for Trust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trust").field("extra_certificates", &self.extra).finish_non_exhaustive()
    }
}

impl Trust {
    /// Mozilla's roots only.
    pub fn compiled_in() -> Self {
        Self::build(compiled_in_roots(), 0)
    }

    /// Mozilla's roots and `extra`, each of which must be a certificate rustls can use as a
    /// trust anchor.
    pub fn with_extra(extra: &[CertificateDer<'static>]) -> Result<Self, String> {
        let mut roots = compiled_in_roots();
        for (index, certificate) in extra.iter().enumerate() {
            roots
                .add(certificate.clone())
                .map_err(|e| format!("certificate {} of {} is not usable as a CA: {e}", index + 1, extra.len()))?;
        }
        Ok(Self::build(roots, extra.len()))
    }

    fn build(roots: RootCertStore, extra: usize) -> Self {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("aws-lc-rs's default provider supports TLS 1.2 and 1.3")
            .with_root_certificates(roots)
            .with_no_client_auth();
        // What reqwest offers when it builds the configuration itself (its `http2` feature is on).
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Self { config: Arc::new(config), extra }
    }

    /// The number of certificates trusted besides the compiled-in roots.
    pub fn extra_certificates(&self) -> usize {
        self.extra
    }

    /// The rustls configuration, for `reqwest::ClientBuilder::tls_backend_preconfigured` (which
    /// takes it by value; the root store inside is shared, not copied).
    pub fn client_config(&self) -> rustls::ClientConfig {
        rustls::ClientConfig::clone(&self.config)
    }
}

fn compiled_in_roots() -> RootCertStore {
    RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() }
}

/// Reads the value of the `ExtraCaCerts` setting: PEM text (one or more
/// `-----BEGIN CERTIFICATE-----` blocks, line breaks kept), or the path of a file holding it
/// (for example in a Lambda layer, under `/opt`). The error says why, never quoting the text.
pub fn read_extra_certificates(value: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let value = value.trim();
    let pem = if value.starts_with("-----BEGIN") {
        value.as_bytes().to_vec()
    } else {
        std::fs::read(value)
            .map_err(|e| format!("is neither PEM text (-----BEGIN CERTIFICATE-----) nor a readable file ({e})"))?
    };
    let certificates = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("is not valid PEM ({e})"))?;
    if certificates.is_empty() {
        return Err("holds no -----BEGIN CERTIFICATE----- block".to_owned());
    }
    Ok(certificates)
}

/// The trust of clients built from now on when none is given: see [`process_trust`].
static PROCESS_TRUST: Mutex<Option<Trust>> = Mutex::new(None);

/// The trust every client built without one uses: what [`set_process_trust`] gave, else the
/// compiled-in roots (built on first use, then shared).
pub fn process_trust() -> Trust {
    PROCESS_TRUST.lock().unwrap_or_else(PoisonError::into_inner).get_or_insert_with(Trust::compiled_in).clone()
}

/// Makes `trust` the process's, for every client built afterwards. The configuration loader
/// calls it at start-up, before the clients are built, when `ExtraCaCerts` is set.
pub fn set_process_trust(trust: Trust) {
    *PROCESS_TRUST.lock().unwrap_or_else(PoisonError::into_inner) = Some(trust);
}

#[cfg(test)]
pub(crate) mod tests;
