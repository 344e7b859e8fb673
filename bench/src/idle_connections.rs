//! The holder: opens many keep-alive connections to a server, plain or over TLS,
//! completes one request on each, and keeps them open and silent, so the server's
//! memory per idle connection can be read. A connection that has served a request is
//! what a load balancer's pool holds, unlike one that was only accepted.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::ClientConfig;

use crate::tls::{self, TlsStream};
use crate::{http, Result};

enum Held {
    Plain(TcpStream),
    /// Boxed: a client TLS connection is large, and the holder keeps thousands.
    Tls(Box<TlsStream>),
}

impl Held {
    fn socket(&self) -> &TcpStream {
        match self {
            Held::Plain(stream) => stream,
            Held::Tls(stream) => stream.get_ref(),
        }
    }
}

pub struct HeldConnections {
    held: Vec<Held>,
}

impl HeldConnections {
    /// Opens `count` connections to 127.0.0.1:`port`, one after another, over TLS
    /// when `tls` is given, each with one completed `GET /`. Fails when one cannot be
    /// opened or answered, or when it takes past `deadline`.
    pub fn open(
        port: u16,
        tls: Option<&Arc<ClientConfig>>,
        count: usize,
        deadline: Instant,
    ) -> Result<Self> {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let mut held = Vec::with_capacity(count);
        for _ in 0..count {
            if Instant::now() > deadline {
                return Err(format!(
                    "opened only {} of {count} idle connections before the time limit",
                    held.len()
                ));
            }
            let failed = |e: io::Error, opened: usize| {
                format!("idle connection {} of {count} failed: {e}", opened + 1)
            };
            let stream = TcpStream::connect_timeout(&address, Duration::from_secs(2))
                .map_err(|e| failed(e, held.len()))?;
            let timeout = Some(Duration::from_secs(2));
            let _ = stream.set_read_timeout(timeout);
            let _ = stream.set_write_timeout(timeout);
            let (connection, response) = match tls {
                None => {
                    let mut stream = stream;
                    let response = http::get(&mut stream, true);
                    (Held::Plain(stream), response)
                }
                Some(config) => {
                    let mut stream =
                        Box::new(tls::wrap(config, stream).map_err(|e| failed(e, held.len()))?);
                    let response = http::get(&mut *stream, true);
                    (Held::Tls(stream), response)
                }
            };
            let response = response.map_err(|e| failed(e, held.len()))?;
            if response.status != 200 {
                return Err(format!("idle connection answered {}", response.status));
            }
            held.push(connection);
        }
        Ok(HeldConnections { held })
    }

    pub fn len(&self) -> usize {
        self.held.len()
    }

    /// How many connections the server has not closed (nor sent anything on).
    pub fn still_open(&self) -> usize {
        let mut byte = [0u8; 1];
        self.held
            .iter()
            .map(Held::socket)
            .filter(|stream| {
                if stream.set_nonblocking(true).is_err() {
                    return false;
                }
                // Nothing to read yet is the only sign of a quiet, open connection.
                matches!(stream.peek(&mut byte), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
            })
            .count()
    }
}
