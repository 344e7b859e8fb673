//! HTTPS: certificate loading and the rustls server configuration.
//!
//! ALPN offers `h2` first, then `http/1.1`, so an ALB target group with protocol
//! version HTTP2 (or gRPC-free HTTPS clients) get HTTP/2 and everyone else HTTP/1.1.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;

use crate::config::TlsFiles;

/// Loads the PEM chain and key. The error is one line naming the file at fault.
pub fn server_config(files: &TlsFiles) -> Result<Arc<ServerConfig>, String> {
    let cert_path = files.cert.display();
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .and_then(|certs| certs.collect::<Result<_, _>>())
        .map_err(|e| format!("failed to load TLS certificate {cert_path}: {e}"))?;
    if certs.is_empty() {
        return Err(format!(
            "failed to load TLS certificate {cert_path}: no certificate in file"
        ));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .map_err(|e| format!("failed to load TLS key {}: {e}", files.key.display()))?;
    let mut config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS setup: {e}"))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| match e {
                rustls::Error::InconsistentKeys(_) => format!(
                    "TLS key {} does not belong to certificate {cert_path}: {e}",
                    files.key.display()
                ),
                _ => format!("failed to load TLS key {}: {e}", files.key.display()),
            })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
