//! TLS for the client modes: the probe and the watcher. Both use ring, as the
//! server does, so no second crypto provider ends up in the binary.
//!
//! Two ways to trust a server: the certificate authorities of a PEM bundle
//! (verified by webpki, the same code rustls always links), or no check at all,
//! for a probe of the server's own port or a self-signed test certificate.

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A client that accepts any certificate. The handshake signature is still
/// checked, so the peer holds the key of the certificate it showed; only who
/// issued it, and for which name, goes unchecked.
pub fn unverified() -> ClientConfig {
    let provider = provider();
    ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
        .with_no_client_auth()
}

/// A client that trusts the certificate authorities in the PEM file `bundle`.
/// Fails with one line naming the file when it cannot be read or holds none.
pub fn verified_by(bundle: &Path) -> Result<ClientConfig, String> {
    let shown = bundle.display();
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(bundle)
        .and_then(|certs| certs.collect::<Result<_, _>>())
        .map_err(|e| format!("cannot read CA certificates from {shown}: {e}"))?;
    let mut roots = RootCertStore::empty();
    // A system bundle may hold a certificate webpki cannot use; skip it, as
    // every TLS client does, rather than refuse the whole bundle.
    let (added, _skipped) = roots.add_parsable_certificates(certs);
    if added == 0 {
        return Err(format!("no usable CA certificate in {shown}"));
    }
    Ok(ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// Where Linux distributions keep their bundle of trusted authorities:
/// Debian, Ubuntu, Alpine and Arch; Fedora, RHEL and Amazon Linux; openSUSE.
pub const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
];

/// The first of [`SYSTEM_BUNDLES`] that exists on this machine.
pub fn system_bundle() -> Option<&'static Path> {
    SYSTEM_BUNDLES
        .iter()
        .map(Path::new)
        .find(|path| path.is_file())
}

#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
