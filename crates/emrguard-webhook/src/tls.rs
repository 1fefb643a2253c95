//! The serving certificate: loaded from PEM files and swapped in when the files change. Each
//! TLS handshake asks the resolver for the current certificate, so open connections keep the
//! session they have and new ones get the new certificate; nothing restarts.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// Why the certificate or key could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TlsError(pub String);

/// The crypto provider (ring).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Parses a PEM certificate chain and private key into a checked pair.
///
/// # Errors
/// [`TlsError`] when either is missing or unreadable, or the key does not match the
/// certificate.
pub fn certified_key(cert_pem: &[u8], key_pem: &[u8]) -> Result<CertifiedKey, TlsError> {
    let chain = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError(format!("certificate: {e}")))?;
    if chain.is_empty() {
        return Err(TlsError("certificate: no PEM certificate found".into()));
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| TlsError(format!("key: {e}")))?;
    CertifiedKey::from_der(chain, key, &provider())
        .map_err(|e| TlsError(format!("certificate and key: {e}")))
}

/// Serves the current certificate and reloads it from its files on request.
#[derive(Debug)]
pub struct ReloadingCertResolver {
    cert_path: PathBuf,
    key_path: PathBuf,
    current: RwLock<Arc<CertifiedKey>>,
    // The file contents last loaded and last rejected, so unchanged files are not re-parsed
    // and a broken pair is reported once.
    seen: Mutex<Seen>,
}

#[derive(Debug, Default)]
struct Seen {
    loaded: (Vec<u8>, Vec<u8>),
    rejected: Option<(Vec<u8>, Vec<u8>)>,
}

/// What a reload check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reload {
    /// The files are as last loaded (or as last rejected).
    Unchanged,
    /// New files were loaded and are served from now on.
    Reloaded,
    /// The files changed but cannot be used; the previous certificate stays.
    Rejected(TlsError),
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|e| TlsError(format!("{}: {e}", path.display())))
}

impl ReloadingCertResolver {
    /// Loads the certificate and key.
    ///
    /// # Errors
    /// [`TlsError`] when the files cannot be read or used.
    pub fn load(cert_path: &Path, key_path: &Path) -> Result<Self, TlsError> {
        let cert = read(cert_path)?;
        let key = read(key_path)?;
        let pair = certified_key(&cert, &key).map_err(|e| {
            TlsError(format!(
                "{} / {}: {}",
                cert_path.display(),
                key_path.display(),
                e.0
            ))
        })?;
        Ok(Self {
            cert_path: cert_path.to_owned(),
            key_path: key_path.to_owned(),
            current: RwLock::new(Arc::new(pair)),
            seen: Mutex::new(Seen {
                loaded: (cert, key),
                rejected: None,
            }),
        })
    }

    /// Re-reads the files and swaps the certificate in if they changed and are usable.
    pub fn reload_if_changed(&self) -> Reload {
        let files = match (read(&self.cert_path), read(&self.key_path)) {
            (Ok(cert), Ok(key)) => (cert, key),
            // Mid-rotation a file can be briefly missing; try again on the next tick.
            (Err(e), _) | (_, Err(e)) => return Reload::Rejected(e),
        };
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.loaded == files || seen.rejected.as_ref() == Some(&files) {
            return Reload::Unchanged;
        }
        match certified_key(&files.0, &files.1) {
            Ok(pair) => {
                *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(pair);
                seen.loaded = files;
                seen.rejected = None;
                Reload::Reloaded
            }
            Err(e) => {
                seen.rejected = Some(files);
                Reload::Rejected(e)
            }
        }
    }

    /// The certificate served now.
    pub fn current(&self) -> Arc<CertifiedKey> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl ResolvesServerCert for ReloadingCertResolver {
    fn resolve(&self, _client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

/// A rustls server configuration (TLS 1.2 and 1.3, HTTP/1.1) serving `resolver`'s certificate.
///
/// # Errors
/// [`TlsError`] if the provider rejects the protocol versions (it does not for ring).
pub fn server_config(
    resolver: Arc<ReloadingCertResolver>,
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError(e.to_string()))?
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
