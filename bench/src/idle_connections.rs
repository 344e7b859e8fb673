//! The holder: opens many keep-alive connections to a server, completes one request
//! on each, and keeps them open and silent, so the server's memory per idle
//! connection can be read. A connection that has served a request is what a load
//! balancer's pool holds, unlike one that was only accepted.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::{http, Result};

pub struct HeldConnections {
    streams: Vec<TcpStream>,
}

impl HeldConnections {
    /// Opens `count` connections to 127.0.0.1:`port`, one after another, each with one
    /// completed `GET /`. Fails when one cannot be opened or answered, or when it
    /// takes past `deadline`.
    pub fn open(port: u16, count: usize, deadline: Instant) -> Result<Self> {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let mut streams = Vec::with_capacity(count);
        for _ in 0..count {
            if Instant::now() > deadline {
                return Err(format!(
                    "opened only {} of {count} idle connections before the time limit",
                    streams.len()
                ));
            }
            let failed = |e: io::Error, held: usize| {
                format!("idle connection {} of {count} failed: {e}", held + 1)
            };
            let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(2))
                .map_err(|e| failed(e, streams.len()))?;
            let timeout = Some(Duration::from_secs(2));
            let _ = stream.set_read_timeout(timeout);
            let _ = stream.set_write_timeout(timeout);
            let response = http::get(&mut stream, true).map_err(|e| failed(e, streams.len()))?;
            if response.status != 200 {
                return Err(format!("idle connection answered {}", response.status));
            }
            streams.push(stream);
        }
        Ok(HeldConnections { streams })
    }

    pub fn len(&self) -> usize {
        self.streams.len()
    }

    /// How many connections the server has not closed (nor sent anything on).
    pub fn still_open(&self) -> usize {
        let mut byte = [0u8; 1];
        self.streams
            .iter()
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
