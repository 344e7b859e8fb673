//! `http-echo -healthcheck`: the image has no shell and no curl, so the binary
//! probes itself. Exit 0 when the URL answers 2xx within the deadline, 1 otherwise,
//! with one line saying which.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;

use crate::client_tls;
use crate::config::Probe;
use crate::url::Url;
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
    let target = Url::parse(url)?;
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

/// TLS for the probe. The probe asks a server on this host whether it is alive;
/// its certificate is issued for a public name (or self-signed for the ALB hop),
/// never for 127.0.0.1, and the probe sends nothing secret. So the certificate
/// is not verified: checking it would fail healthy servers.
fn probe_tls_config() -> Arc<rustls::ClientConfig> {
    Arc::new(client_tls::unverified())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_status_lines() {
        assert_eq!(parse_status("HTTP/1.1 200 OK"), Ok(200));
        assert_eq!(parse_status("HTTP/1.0 503 Service Unavailable"), Ok(503));
        assert!(parse_status("SSH-2.0-OpenSSH").is_err());
    }
}
