//! HTTP/2 over TLS, served by the h2 crate and held to the same limits as HTTP/1.
//!
//! h2 drives the protocol; each stream is answered by [`stream`] from the same
//! replies as HTTP/1. A request that arrives whole and is not held by `-delay`
//! (nearly all of them) is answered right here, in the connection's own task, as
//! it is accepted: no task, no allocation beyond the answer's header map. The
//! rest (a request body still arriving, a delayed answer) get a task of their
//! own. Building on h2 directly rather than through hyper's server saves that
//! per-stream task and hyper's service layer: 18 % of the instructions of an
//! HTTP/2 request under callgrind (bench/README.md).
//!
//! h2 has no timeouts of its own for a client that never sends its preface,
//! idles with no stream, leaves an answer unread, or never acknowledges the PING
//! of a graceful GOAWAY, so each connection is supervised here: [`activity`]
//! records what the connection and its streams do, and [`deadline`] decides when
//! it has had long enough.

mod activity;
mod deadline;
mod stream;

use std::future::{poll_fn, Future};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{Instant, Sleep};

use self::activity::{Activity, Observed};
use self::deadline::Next;
use crate::shared::{Limits, Shared};
use crate::shutdown::Phase;

/// The flow-control windows offered to clients, for request bodies: large
/// enough that an upload is not throttled by round trips, as hyper's defaults.
const WINDOW: u32 = 1024 * 1024;
/// Streams a client may have open at once (hyper's default; RFC 9113 suggests
/// no fewer than 100).
const MAX_CONCURRENT_STREAMS: u32 = 200;
/// Answer bytes buffered per stream before h2 waits for the client's window.
const MAX_SEND_BUFFER: usize = 400 * 1024;
/// Streams the server may reset for a client's errors before it ends the
/// connection (the rapid-reset attacks).
const MAX_LOCAL_ERROR_RESETS: usize = 1024;

type Connection<S> = h2::server::Connection<Observed<S>, Bytes>;

/// Serves HTTP/2 on `io` until the client leaves, a limit closes the
/// connection, or shutdown sends GOAWAY and the open streams finish.
pub async fn serve<S>(io: S, remote: SocketAddr, shared: Arc<Shared>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let remote = SocketAddr::new(remote.ip().to_canonical(), remote.port());
    let activity = Activity::new();
    let mut builder = h2::server::Builder::new();
    builder
        .initial_window_size(WINDOW)
        .initial_connection_window_size(WINDOW)
        .max_concurrent_streams(MAX_CONCURRENT_STREAMS)
        .max_send_buffer_size(MAX_SEND_BUFFER)
        .max_local_error_reset_streams(Some(MAX_LOCAL_ERROR_RESETS))
        .max_header_list_size(u32::try_from(shared.limits.max_header_bytes).unwrap_or(u32::MAX));
    let io = Observed::new(io, Arc::clone(&activity));
    let leaving = shared.shutdown.serving_ended();
    // The first look is at the hello's deadline; each look sets the next.
    let timer = tokio::time::sleep_until(Instant::now());
    tokio::pin!(leaving, timer);
    let mut supervisor = Supervisor {
        activity,
        leaving,
        timer,
        goodbye: None,
        limits: &shared.limits,
    };
    if shared.shutdown.phase() != Phase::Serving {
        supervisor.goodbye = Some(Instant::now());
    }

    // The handshake: our SETTINGS out, the client's preface in. Its future is
    // gone once it completes, so that the connection does not sit beside it.
    let handshaken = {
        let mut handshake = builder.handshake::<_, Bytes>(io);
        poll_fn(|cx| {
            if let Poll::Ready(result) = Pin::new(&mut handshake).poll(cx) {
                return Poll::Ready(result.ok());
            }
            match supervisor.poll::<S>(cx, None) {
                Poll::Ready(()) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            }
        })
        .await
    };
    let Some(mut connection) = handshaken else {
        return;
    };
    if supervisor.goodbye.is_some() {
        connection.graceful_shutdown();
    }

    // Requests taken but not answered yet. Each turn of h2 writes out what has
    // been answered, so a turn answers every request that has arrived, all at
    // once: their answers then leave in one write, not one each.
    let mut arrived = Vec::new();
    poll_fn(|cx| {
        loop {
            loop {
                match connection.poll_accept(cx) {
                    Poll::Ready(Some(Ok(request))) => arrived.push(request),
                    // The connection is closed, or failed (and h2 has sent its
                    // GOAWAY).
                    Poll::Ready(None | Some(Err(_))) => return Poll::Ready(()),
                    Poll::Pending => break,
                }
            }
            if arrived.is_empty() {
                break;
            }
            supervisor.activity.event();
            for (request, respond) in arrived.drain(..) {
                stream::answer(request, respond, remote, &shared, &supervisor.activity);
            }
            // Round again: h2 writes the answers out, and may bring more.
        }
        supervisor.poll(cx, Some(&mut connection))
    })
    .await;
    // Dropping the connection closes the socket; the streams' tasks see the
    // connection gone and end.
}

/// Applies the connection's limits: [`deadline::next`] at each look, a GOAWAY
/// when shutdown starts.
struct Supervisor<'a, L> {
    activity: Arc<Activity>,
    /// Ready once shutdown starts.
    leaving: Pin<&'a mut L>,
    timer: Pin<&'a mut Sleep>,
    /// When the connection was told GOAWAY, if it was.
    goodbye: Option<Instant>,
    limits: &'a Limits,
}

impl<L: Future<Output = ()>> Supervisor<'_, L> {
    /// Ready when the connection must be dropped now. `connection` is None while
    /// the handshake is still under way.
    fn poll<S>(
        &mut self,
        cx: &mut Context<'_>,
        mut connection: Option<&mut Connection<S>>,
    ) -> Poll<()>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        if self.goodbye.is_none() && self.leaving.as_mut().poll(cx).is_ready() {
            let now = Instant::now();
            self.goodbye = Some(now);
            if let Some(connection) = connection.as_deref_mut() {
                connection.graceful_shutdown();
            }
            self.timer.as_mut().reset(now);
        }
        while self.timer.as_mut().poll(cx).is_ready() {
            let now = Instant::now();
            let has_streams = connection.as_deref().is_some_and(|c| c.has_streams());
            let seen = self.activity.snapshot(has_streams);
            match deadline::next(&seen, self.goodbye, self.limits, now) {
                Next::LookAgainAt(when) => self.timer.as_mut().reset(when),
                Next::SayGoodbye => {
                    if let Some(connection) = connection.as_deref_mut() {
                        connection.graceful_shutdown();
                    }
                    self.goodbye = Some(now);
                    self.timer.as_mut().reset(now + deadline::GOAWAY_GRACE);
                }
                Next::Close => return Poll::Ready(()),
            }
        }
        Poll::Pending
    }
}
