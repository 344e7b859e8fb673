//! TLS for the encrypted rows: the certificates both servers present (made once per
//! run with the openssl command, so both read the very same files), and the harness's
//! own TLS client for readiness checks and the idle TLS connections.
//!
//! The client is the one the server's probe uses with a self-signed certificate: it
//! trusts any certificate, since it only opens connections to a server this harness
//! started, and still checks the handshake's signature, as any real client would.

use std::io;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use rustls::client::Resumption;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};

use crate::Result;

/// The key of a server certificate: the two an ALB target is likely to have.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum KeyKind {
    /// ECDSA on P-256: the cheaper signature, and what new certificates mostly use.
    Ecdsa,
    /// RSA-2048: the most common certificate, whose signature costs the server most.
    Rsa,
}

impl KeyKind {
    pub const ALL: [KeyKind; 2] = [KeyKind::Ecdsa, KeyKind::Rsa];

    pub fn key(self) -> &'static str {
        match self {
            KeyKind::Ecdsa => "ecdsa",
            KeyKind::Rsa => "rsa",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            KeyKind::Ecdsa => "ECDSA P-256",
            KeyKind::Rsa => "RSA-2048",
        }
    }

    fn openssl_key_options(self) -> &'static [&'static str] {
        match self {
            KeyKind::Ecdsa => &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
            KeyKind::Rsa => &["-newkey", "rsa:2048"],
        }
    }
}

/// A certificate and its key, as PEM files.
#[derive(Clone, Debug)]
pub struct CertificateFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Makes a self-signed certificate for 127.0.0.1 with a `kind` key in `dir`.
pub fn make_certificate(openssl: &Path, kind: KeyKind, dir: &Path) -> Result<CertificateFiles> {
    let files = CertificateFiles {
        cert: dir.join(format!("{}.crt", kind.key())),
        key: dir.join(format!("{}.key", kind.key())),
    };
    let output = Command::new(openssl)
        .args([
            "req",
            "-x509",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
        ])
        .args(kind.openssl_key_options())
        .args(["-addext", "subjectAltName=IP:127.0.0.1"])
        .arg("-keyout")
        .arg(&files.key)
        .arg("-out")
        .arg(&files.cert)
        .output()
        .map_err(|e| format!("running {}: {e}", openssl.display()))?;
    if !output.status.success() {
        return Err(format!(
            "openssl could not make the {} certificate: {}",
            kind.label(),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(files)
}

/// The harness's client: TLS 1.3 or 1.2 as the server prefers, no ALPN (so
/// HTTP/1.1), and no session resumption, so that every connection costs the server
/// a full handshake.
pub fn client_config() -> Arc<ClientConfig> {
    let mut config = http_echo::client_tls::unverified();
    config.resumption = Resumption::disabled();
    Arc::new(config)
}

/// A TLS connection made by the harness, over a blocking socket.
pub type TlsStream = StreamOwned<ClientConnection, TcpStream>;

/// Wraps a connected `socket` in TLS; the handshake completes on the first read or
/// write.
pub fn wrap(config: &Arc<ClientConfig>, socket: TcpStream) -> io::Result<TlsStream> {
    let name = ServerName::IpAddress(std::net::Ipv4Addr::LOCALHOST.into());
    let connection = ClientConnection::new(Arc::clone(config), name).map_err(io::Error::other)?;
    Ok(StreamOwned::new(connection, socket))
}
