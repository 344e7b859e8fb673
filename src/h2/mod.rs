//! HTTP/2 over TLS, served by hyper and held to the same limits as HTTP/1.
//!
//! hyper drives the protocol; each stream is answered by [`stream::respond`] from
//! the same replies as HTTP/1. hyper has no timeouts of its own for a client
//! that never sends its preface, idles with no stream, leaves an answer
//! unread, or never acknowledges the PING of a graceful GOAWAY, so each
//! connection is supervised here: [`activity`] records what the connection and
//! its streams do, and [`deadline`] decides when it has had long enough.

mod activity;
mod deadline;
mod stream;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;

use self::activity::{Activity, AnswerBody, Observed};
use self::deadline::Next;
use crate::shared::Shared;
use crate::shutdown::Phase;

/// Serves HTTP/2 on `io` until the client leaves, a limit closes the
/// connection, or shutdown sends GOAWAY and the open streams finish.
pub async fn serve<S>(io: S, remote: SocketAddr, shared: Arc<Shared>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let remote = SocketAddr::new(remote.ip().to_canonical(), remote.port());
    let activity = Activity::new();
    let service = {
        let shared = Arc::clone(&shared);
        let activity = Arc::clone(&activity);
        hyper::service::service_fn(move |request| {
            let shared = Arc::clone(&shared);
            let open = activity.stream_opened();
            async move {
                let response = stream::respond(request, remote, &shared).await;
                Ok::<_, Infallible>(response.map(|body| AnswerBody::new(body, open)))
            }
        })
    };
    let mut builder = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
    builder
        .timer(TokioTimer::new())
        // Every answer carries the Date the reply put on it.
        .auto_date_header(false)
        .max_header_list_size(u32::try_from(shared.limits.max_header_bytes).unwrap_or(u32::MAX));
    let io = Observed::new(io, Arc::clone(&activity));
    let connection = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(connection);

    let leaving = shared.shutdown.serving_ended();
    tokio::pin!(leaving);
    let mut goodbye: Option<Instant> = None;
    if shared.shutdown.phase() != Phase::Serving {
        connection.as_mut().graceful_shutdown();
        goodbye = Some(Instant::now());
    }
    // The first look is at the hello's deadline; each look sets the next.
    let timer = tokio::time::sleep_until(Instant::now());
    tokio::pin!(timer);
    loop {
        tokio::select! {
            _ = connection.as_mut() => return,
            () = &mut leaving, if goodbye.is_none() => {
                connection.as_mut().graceful_shutdown();
                let now = Instant::now();
                goodbye = Some(now);
                timer.as_mut().reset(now);
            }
            () = timer.as_mut() => {
                let now = Instant::now();
                match deadline::next(&activity.snapshot(), goodbye, &shared.limits, now) {
                    Next::LookAgainAt(when) => timer.as_mut().reset(when),
                    Next::SayGoodbye => {
                        connection.as_mut().graceful_shutdown();
                        goodbye = Some(now);
                        timer.as_mut().reset(now + deadline::GOAWAY_GRACE);
                    }
                    // Dropping the connection closes the socket; its streams'
                    // tasks see the connection gone and end.
                    Next::Close => return,
                }
            }
        }
    }
}
