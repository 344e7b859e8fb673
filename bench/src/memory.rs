//! Memory figures: a server's resident memory at rest, what each idle keep-alive
//! connection adds to it, and whether it gives that back once they close.

use std::thread;
use std::time::{Duration, Instant};

use crate::idle_connections::HeldConnections;
use crate::server::{self, Contender, Setup, Transport};
use crate::{procfs, Result};

/// Pause before reading RSS, so that work still under way after the last response
/// (freeing buffers, a log flush) has finished.
const SETTLE: Duration = Duration::from_millis(300);
/// Bound on opening all idle connections.
const HOLD_TIME_LIMIT: Duration = Duration::from_secs(60);
/// Pause after the held connections close before reading RSS again: every close
/// must reach the server and be handled.
const AFTER_CLOSE: Duration = Duration::from_secs(1);

/// RSS, in bytes, of `contender` in its default configuration, at rest after
/// answering its first request.
pub fn idle_rss(setup: &Setup, contender: Contender) -> Result<u64> {
    let mut server = server::start_ready(setup, contender, Transport::Plain, None)?;
    thread::sleep(SETTLE);
    server.check_alive()?;
    let rss = procfs::rss_bytes(&server.pids());
    server.stop()?;
    Ok(rss)
}

/// What holding many idle connections cost a server.
pub struct ConnectionFigures {
    pub transport: Transport,
    pub requested: usize,
    /// RSS at rest, with the server set up to hold `requested` connections.
    pub rss_before: u64,
    /// RSS while holding them.
    pub rss_holding: u64,
    /// Connections the server still had open after the RSS was read.
    pub still_open: usize,
    /// RSS once they had all closed again.
    pub rss_after_close: u64,
}

impl ConnectionFigures {
    pub fn rss_per_connection(&self) -> f64 {
        self.rss_holding.saturating_sub(self.rss_before) as f64 / self.requested as f64
    }

    /// What the connections left behind once closed, in bytes (negative when the
    /// server holds less than before).
    pub fn rss_kept_after_close(&self) -> f64 {
        self.rss_after_close as f64 - self.rss_before as f64
    }
}

/// Starts `contender` over `transport` set up to hold `count` connections, opens them
/// (one request each), and reads its RSS before, while holding them, and after they
/// closed.
pub fn per_idle_connection(
    setup: &Setup,
    contender: Contender,
    transport: Transport,
    count: usize,
) -> Result<ConnectionFigures> {
    let mut server = server::start_ready(setup, contender, transport, Some(count as u64))?;
    thread::sleep(SETTLE);
    let rss_before = procfs::rss_bytes(&server.pids());

    let tls = match transport {
        Transport::Plain => None,
        Transport::Tls(_) => Some(&setup.tls_client),
    };
    let held = HeldConnections::open(server.port, tls, count, Instant::now() + HOLD_TIME_LIMIT)
        .map_err(|e| format!("{}: {e}", contender.label()))?;
    thread::sleep(SETTLE);
    server.check_alive()?;
    let rss_holding = procfs::rss_bytes(&server.pids());
    let still_open = held.still_open();
    let requested = held.len();
    drop(held);
    thread::sleep(AFTER_CLOSE);
    server.check_alive()?;
    let figures = ConnectionFigures {
        transport,
        requested,
        rss_before,
        rss_holding,
        still_open,
        rss_after_close: procfs::rss_bytes(&server.pids()),
    };
    server.stop()?;
    if figures.still_open < figures.requested {
        return Err(format!(
            "{} closed {} of {} idle connections while its memory was read, so the \
             per-connection figure would be wrong",
            contender.label(),
            figures.requested - figures.still_open,
            figures.requested
        ));
    }
    Ok(figures)
}
