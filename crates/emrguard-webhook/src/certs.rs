//! A private CA and a serving certificate for clusters without cert-manager. The CA key is
//! used once and never written: nobody can issue further certificates from it, and rotating
//! means generating a new pair and updating the webhook configuration's `caBundle`.

use std::path::Path;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use time::{Duration, OffsetDateTime};

/// The certificate authority, the serving certificate and its key, in PEM.
#[derive(Clone)]
pub struct GeneratedCerts {
    /// `ca.crt`: the `caBundle` of the webhook configuration.
    pub ca_cert_pem: String,
    /// `tls.crt`: the serving certificate.
    pub cert_pem: String,
    /// `tls.key`: the serving key (PKCS#8).
    pub key_pem: String,
}

impl std::fmt::Debug for GeneratedCerts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key stays out of debug output.
        f.debug_struct("GeneratedCerts").finish_non_exhaustive()
    }
}

/// Why certificates could not be made or written.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    /// No DNS name was given.
    #[error("at least one DNS name is needed")]
    NoNames,
    /// A certificate could not be generated.
    #[error("cannot generate the certificate: {0}")]
    Generate(#[from] rcgen::Error),
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
}

/// The names the API server uses to reach the webhook's Service.
pub fn service_dns_names(service: &str, namespace: &str) -> Vec<String> {
    vec![
        format!("{service}.{namespace}.svc"),
        format!("{service}.{namespace}.svc.cluster.local"),
    ]
}

/// Generates a CA and a serving certificate for `dns_names`, valid for `days` from now.
///
/// # Errors
/// [`CertError`] when no name is given or generation fails.
pub fn generate(dns_names: &[String], days: u32) -> Result<GeneratedCerts, CertError> {
    if dns_names.is_empty() {
        return Err(CertError::NoNames);
    }
    // A little slack for clocks that run behind.
    let not_before = OffsetDateTime::now_utc() - Duration::minutes(5);
    let not_after = OffsetDateTime::now_utc() + Duration::days(i64::from(days.max(1)));

    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.distinguished_name = DistinguishedName::new();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "emrguard webhook CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca_params.not_before = not_before;
    ca_params.not_after = not_after;
    let ca_cert = ca_params.self_signed(&ca_key)?;

    let key = KeyPair::generate()?;
    let mut params = CertificateParams::new(dns_names.to_vec())?;
    params.distinguished_name = DistinguishedName::new();
    if let Some(first) = dns_names.first() {
        params
            .distinguished_name
            .push(DnType::CommonName, first.as_str());
    }
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.not_before = not_before;
    params.not_after = not_after;
    let cert = params.signed_by(&key, &ca_cert, &ca_key)?;

    Ok(GeneratedCerts {
        ca_cert_pem: ca_cert.pem(),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// Writes `ca.crt`, `tls.crt` and `tls.key` (owner-only) into `dir`, creating it if needed.
///
/// # Errors
/// [`CertError::Write`] naming the file.
pub fn write_to_dir(dir: &Path, certs: &GeneratedCerts) -> Result<(), CertError> {
    let fail = |path: &Path| {
        let path = path.display().to_string();
        move |source| CertError::Write { path, source }
    };
    std::fs::create_dir_all(dir).map_err(fail(dir))?;
    for (name, text, private) in [
        ("ca.crt", &certs.ca_cert_pem, false),
        ("tls.crt", &certs.cert_pem, false),
        ("tls.key", &certs.key_pem, true),
    ] {
        let path = dir.join(name);
        write_file(&path, text.as_bytes(), private).map_err(fail(&path))?;
    }
    Ok(())
}

fn write_file(path: &Path, bytes: &[u8], private: bool) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if private { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_pair_is_usable_and_matches() {
        let names = service_dns_names("emrguard-webhook", "emrguard");
        let certs = generate(&names, 30).unwrap();
        assert!(certs.ca_cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(certs.key_pem.contains("PRIVATE KEY"));
        crate::tls::certified_key(certs.cert_pem.as_bytes(), certs.key_pem.as_bytes()).unwrap();
        // A key from another pair does not match.
        let other = generate(&names, 30).unwrap();
        assert!(
            crate::tls::certified_key(certs.cert_pem.as_bytes(), other.key_pem.as_bytes()).is_err()
        );
        assert!(matches!(generate(&[], 30), Err(CertError::NoNames)));
        assert!(!format!("{certs:?}").contains("PRIVATE"));
    }
}
