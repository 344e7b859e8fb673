//! Accepting connections, the connection cap, and the shutdown sequence.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

use crate::admission::Admission;
use crate::config::Config;
use crate::http1;
use crate::listener::go_error_text;
use crate::served_by::Replica;
use crate::shared::Shared;
use crate::shutdown::ShutdownSignal;
use crate::telemetry::{self, AccessLog};
use crate::{duration, h2, tls};

/// A configured server, ready to run on a listener.
pub struct Server {
    shared: Arc<Shared>,
    tls: Option<TlsAcceptor>,
    max_connections: usize,
    shutdown_delay: Duration,
    shutdown_timeout: Duration,
}

/// The drain did not finish within `-shutdown-timeout`.
#[derive(Debug, PartialEq, Eq)]
pub struct DrainTimedOut;

impl Server {
    /// `served_by`: the replica's name for `X-Served-By`, found by
    /// [`crate::served_by::identify`] when `-served-by` is on. Fails when the TLS
    /// certificate or key cannot be loaded.
    pub fn new(
        config: &Config,
        served_by: Option<&Replica>,
        log: AccessLog,
    ) -> Result<Server, String> {
        let tls = match &config.tls {
            Some(files) => Some(TlsAcceptor::from(tls::server_config(files)?)),
            None => None,
        };
        Ok(Server {
            shared: Arc::new(Shared::new(config, served_by, log)),
            tls,
            max_connections: config.max_connections,
            shutdown_delay: config.shutdown_delay,
            shutdown_timeout: config.shutdown_timeout,
        })
    }

    /// Serves `listener` until `signal` fires, then delays, drains and returns:
    /// `Ok` when every connection closed in time.
    pub async fn run(
        self,
        listener: TcpListener,
        mut signal: ShutdownSignal,
    ) -> Result<(), DrainTimedOut> {
        let admission = Admission::new(self.max_connections);
        let accepting = tokio::spawn(accept_loop(
            listener,
            Arc::clone(&self.shared),
            self.tls.clone(),
            Arc::clone(&admission),
        ));

        signal.recv().await;
        telemetry::info("received interrupt, shutting down...");
        let shutdown = &self.shared.shutdown;
        if !self.shutdown_delay.is_zero() {
            shutdown.start_delay();
            telemetry::info(&format!(
                "shutdown delay: serving for {} more with /health answering 503 \
                 and every answer closing its connection",
                duration::go_string(self.shutdown_delay)
            ));
            tokio::select! {
                () = tokio::time::sleep(self.shutdown_delay) => {}
                () = signal.interrupted() => {
                    telemetry::info("interrupted again, skipping the rest of the shutdown delay");
                }
            }
            telemetry::info(&format!(
                "draining: the listener is closed; open connections have {} to finish",
                duration::go_string(self.shutdown_timeout)
            ));
        }
        shutdown.start_drain();
        // The accept loop ends on the drain and drops the listener with it.
        let _ = accepting.await;

        if admission.all_closed(self.shutdown_timeout).await {
            Ok(())
        } else {
            Err(DrainTimedOut)
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    tls: Option<TlsAcceptor>,
    admission: Arc<Admission>,
) {
    let drain = shared.shutdown.drain_started();
    tokio::pin!(drain);
    if shared.shutdown.is_draining() {
        return;
    }
    let mut last_warning: Option<tokio::time::Instant> = None;
    loop {
        // At the cap, stop accepting: new clients wait in the kernel's backlog
        // instead of costing memory here, and existing ones are served as usual.
        let slot = tokio::select! {
            biased;
            () = &mut drain => return,
            slot = admission.admit() => match slot {
                Some(slot) => slot,
                None => return,
            },
        };
        let accepted = tokio::select! {
            biased;
            () = &mut drain => return,
            accepted = listener.accept() => accepted,
        };
        let (stream, remote) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                back_off_after(&error, &mut last_warning).await;
                continue;
            }
        };
        let shared = Arc::clone(&shared);
        // Two separate tasks, so a plain connection's future does not carry the
        // size of the TLS one.
        match &tls {
            None => {
                let task = http1::ConnectionTask::new(stream, remote, shared, slot);
                tokio::spawn(task);
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    serve_tls(acceptor, stream, remote, shared).await;
                    drop(slot);
                });
            }
        }
    }
}

async fn serve_tls(
    acceptor: TlsAcceptor,
    stream: TcpStream,
    remote: SocketAddr,
    shared: Arc<Shared>,
) {
    // A task is as large as its largest step, and an idle HTTPS connection
    // keeps its task: the handshake, large and brief, runs boxed, and its TLS
    // stream is moved into what serves the connection in a scope of its own,
    // so that no binding of it stays beside that in the task.
    let mut protocol = {
        let handshaken = Box::pin(handshake(acceptor, stream, remote, &shared)).await;
        let Some(stream) = handshaken else {
            return;
        };
        if stream.get_ref().1.alpn_protocol() == Some(b"h2") {
            // Boxed too: an HTTP/2 connection's state is several KiB.
            Protocol::Http2(Box::pin(h2::serve(stream, remote, shared)))
        } else {
            Protocol::Http1(http1::Connection::new(stream, remote, shared))
        }
    };
    match &mut protocol {
        Protocol::Http2(connection) => connection.as_mut().await,
        Protocol::Http1(connection) => connection.run().await,
    }
}

/// What a TLS connection speaks, by ALPN.
// The HTTP/1 connection is kept inline on purpose: it is what an idle HTTPS
// connection's task holds, and boxing it would add an allocation beside it.
#[allow(clippy::large_enum_variant)]
enum Protocol {
    Http2(Pin<Box<dyn Future<Output = ()> + Send>>),
    Http1(http1::Connection<TlsStream<TcpStream>>),
}

/// The TLS handshake, within `-header-read-timeout`; None when it failed, or
/// when the client spoke plain HTTP and was told so.
async fn handshake(
    acceptor: TlsAcceptor,
    mut stream: TcpStream,
    remote: SocketAddr,
    shared: &Arc<Shared>,
) -> Option<TlsStream<TcpStream>> {
    // A client that never finishes the handshake is a slow client like any other.
    let deadline = tokio::time::Instant::now() + shared.limits.header_read_timeout;
    let mut first = [0u8; tls::RECORD_HEADER_LEN];
    let Ok(Ok(seen)) = tokio::time::timeout_at(deadline, read_up_to(&mut stream, &mut first)).await
    else {
        return None;
    };
    let first = &first[..seen];
    if tls::looks_like_plain_http(first) {
        // As Go does: say so in plain HTTP, rather than with a TLS alert.
        let reply = shared.app.refusal(400, PLAIN_HTTP_ON_TLS_PORT.to_owned());
        let head_only = http1::is_head(first);
        http1::refuse(stream, remote, Arc::clone(shared), &reply, head_only).await;
        return None;
    }
    // rustls reads what was already taken off the socket before the rest.
    let accept = acceptor.accept_with(stream, |session| {
        let _ = session.read_tls(&mut &first[..]);
    });
    tokio::time::timeout_at(deadline, accept).await.ok()?.ok()
}

/// What Go's server answers to plain HTTP on its TLS port.
const PLAIN_HTTP_ON_TLS_PORT: &str = "Client sent an HTTP request to an HTTPS server.\n";

/// Reads until `buffer` is full or the client stops sending (EOF); returns how
/// many bytes were read.
async fn read_up_to(stream: &mut TcpStream, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match stream.read(&mut buffer[filled..]).await? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// Accept errors: out of file descriptors (or memory) is worth a warning and a
/// pause, so that the loop does not spin while connections are full; a client
/// that gave up before we accepted it is not worth either.
async fn back_off_after(error: &io::Error, last_warning: &mut Option<tokio::time::Instant>) {
    let exhausted = matches!(
        error.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
    );
    if !exhausted {
        return;
    }
    let now = tokio::time::Instant::now();
    if last_warning.is_none_or(|at| now.duration_since(at) > Duration::from_secs(10)) {
        *last_warning = Some(now);
        telemetry::warn(&format!(
            "accept: {}; raise the open-file limit or lower -max-connections",
            go_error_text(error)
        ));
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
}
