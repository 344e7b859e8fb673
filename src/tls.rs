//! HTTPS: certificate loading and the rustls server configuration.
//!
//! ALPN offers `h2` first, then `http/1.1`, so an ALB target group with protocol
//! version HTTP2 (or gRPC-free HTTPS clients) get HTTP/2 and everyone else HTTP/1.1.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;

use crate::config::TlsFiles;

/// Bytes in a TLS record header: content type, version, length.
pub const RECORD_HEADER_LEN: usize = 5;

/// Whether the first bytes of a connection to the TLS port are plain HTTP: a
/// request line's method (upper-case letters, then a space, or five letters as
/// in `OPTIO`) where a TLS record would start with its content type (20 to 24).
pub fn looks_like_plain_http(first: &[u8]) -> bool {
    let letters = first.iter().take_while(|b| b.is_ascii_uppercase()).count();
    first.len() == RECORD_HEADER_LEN
        && (letters == RECORD_HEADER_LEN || (letters >= 3 && first[letters] == b' '))
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_told_from_a_tls_record() {
        for http in [
            &b"GET /"[..],
            b"HEAD ",
            b"POST ",
            b"PUT /",
            b"OPTIO",
            b"DELET",
            b"PRI *",
        ] {
            assert!(looks_like_plain_http(http), "{http:?}");
        }
        // A ClientHello record, too little to tell, and lower case.
        for other in [
            &b"\x16\x03\x01\x02\x00"[..],
            b"GET",
            b"get /",
            b"A /xx",
            b"SSH-2",
        ] {
            assert!(!looks_like_plain_http(other), "{other:?}");
        }
    }
}
