//! `http-echo -healthcheck`: the image has no shell and no curl, so the binary
//! probes itself. Exit 0 when the URL answers 2xx within the deadline, 1 otherwise,
//! with one line saying which.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use crate::config::Probe;
use crate::version::VERSION;

/// The whole probe, connect to status line, must fit in this.
pub const DEADLINE: Duration = Duration::from_secs(2);

/// Runs the probe and returns the exit code.
pub fn run(probe: &Probe) -> i32 {
    match check(&probe.url, DEADLINE) {
        Ok(status) => {
            println!("healthy: {} answered {status}", probe.url);
            0
        }
        Err(why) => {
            eprintln!("unhealthy: {}: {why}", probe.url);
            1
        }
    }
}

/// GETs `url` and returns its status code if it is 2xx.
pub fn check(url: &str, deadline: Duration) -> Result<u16, String> {
    let started = Instant::now();
    let left = || {
        deadline
            .checked_sub(started.elapsed())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| format!("no answer within {deadline:?}"))
    };
    let target = Target::parse(url)?;
    let addr = target.resolve()?;
    let mut tcp = TcpStream::connect_timeout(&addr, left()?).map_err(|e| e.to_string())?;
    tcp.set_read_timeout(Some(left()?))
        .map_err(|e| e.to_string())?;
    tcp.set_write_timeout(Some(left()?))
        .map_err(|e| e.to_string())?;
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: http-echo-healthcheck/{VERSION}\r\nConnection: close\r\n\r\n",
        target.path, target.authority
    );
    let status_line = if target.tls {
        let config = probe_tls_config();
        let name = ServerName::try_from(target.host.clone()).map_err(|e| e.to_string())?;
        let mut session = rustls::ClientConnection::new(config, name).map_err(|e| e.to_string())?;
        let mut stream = rustls::Stream::new(&mut session, &mut tcp);
        exchange(&mut stream, request.as_bytes())?
    } else {
        exchange(&mut tcp, request.as_bytes())?
    };
    let status = parse_status(&status_line)?;
    if (200..300).contains(&status) {
        Ok(status)
    } else {
        Err(format!("status {status}"))
    }
}

/// Sends the request and reads up to the end of the status line.
fn exchange(stream: &mut impl ReadWrite, request: &[u8]) -> Result<String, String> {
    stream.write_all(request).map_err(|e| e.to_string())?;
    let mut received = Vec::with_capacity(256);
    let mut chunk = [0u8; 256];
    while !received.contains(&b'\n') {
        let n = stream.read(&mut chunk).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed before a status line".to_owned());
        }
        received.extend_from_slice(&chunk[..n]);
        if received.len() > 4096 {
            return Err("status line too long".to_owned());
        }
    }
    let end = received
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(received.len());
    Ok(String::from_utf8_lossy(&received[..end])
        .trim_end()
        .to_owned())
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

fn parse_status(line: &str) -> Result<u16, String> {
    let mut parts = line.split(' ');
    match (parts.next(), parts.next()) {
        (Some(version), Some(code)) if version.starts_with("HTTP/") => code
            .parse()
            .map_err(|_| format!("malformed status line {line:?}")),
        _ => Err(format!("malformed status line {line:?}")),
    }
}

struct Target {
    tls: bool,
    host: String,
    port: u16,
    authority: String,
    path: String,
}

impl Target {
    fn parse(url: &str) -> Result<Target, String> {
        let (tls, rest) = if let Some(rest) = url.strip_prefix("http://") {
            (false, rest)
        } else if let Some(rest) = url.strip_prefix("https://") {
            (true, rest)
        } else {
            return Err("the URL must start with http:// or https://".to_owned());
        };
        let split = rest.find('/').unwrap_or(rest.len());
        let (authority, path) = rest.split_at(split);
        let path = if path.is_empty() { "/" } else { path };
        let default_port = if tls { 443 } else { 80 };
        let (host, port) = match authority.strip_prefix('[') {
            Some(v6) => {
                let (host, after) = v6.split_once(']').ok_or("malformed IPv6 host")?;
                let port = match after.strip_prefix(':') {
                    Some(port) => port.parse().map_err(|_| "malformed port")?,
                    None => default_port,
                };
                (host.to_owned(), port)
            }
            None => match authority.rsplit_once(':') {
                Some((host, port)) => {
                    (host.to_owned(), port.parse().map_err(|_| "malformed port")?)
                }
                None => (authority.to_owned(), default_port),
            },
        };
        if host.is_empty() {
            return Err("the URL has no host".to_owned());
        }
        Ok(Target {
            tls,
            host,
            port,
            authority: authority.to_owned(),
            path: path.to_owned(),
        })
    }

    fn resolve(&self) -> Result<SocketAddr, String> {
        if let Ok(ip) = self.host.parse::<IpAddr>() {
            return Ok(SocketAddr::new(ip, self.port));
        }
        if self.host.eq_ignore_ascii_case("localhost") {
            return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), self.port));
        }
        (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| format!("lookup {}: {e}", self.host))?
            .next()
            .ok_or_else(|| format!("lookup {}: no address", self.host))
    }
}

/// TLS for the probe. The probe asks a server on this host whether it is alive;
/// its certificate is issued for a public name (or self-signed for the ALB hop),
/// never for 127.0.0.1, and the probe sends nothing secret. So the certificate
/// is not verified: checking it would fail healthy servers.
fn probe_tls_config() -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
        .with_no_client_auth();
    Arc::new(config)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls() {
        let t = Target::parse("http://127.0.0.1:5678/health").unwrap();
        assert_eq!(
            (t.tls, t.host.as_str(), t.port, t.path.as_str()),
            (false, "127.0.0.1", 5678, "/health")
        );
        let t = Target::parse("https://[::1]/").unwrap();
        assert_eq!((t.tls, t.host.as_str(), t.port), (true, "::1", 443));
        assert_eq!(Target::parse("http://h").unwrap().path, "/");
        assert!(Target::parse("ftp://h/").is_err());
        assert!(Target::parse("http://:80/").is_err());
        assert!(Target::parse("http://h:x/").is_err());
    }

    #[test]
    fn reads_status_lines() {
        assert_eq!(parse_status("HTTP/1.1 200 OK"), Ok(200));
        assert_eq!(parse_status("HTTP/1.0 503 Service Unavailable"), Ok(503));
        assert!(parse_status("SSH-2.0-OpenSSH").is_err());
    }
}
