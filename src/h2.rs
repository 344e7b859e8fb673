//! HTTP/2 over TLS, served by hyper and answered from the same [`App`] replies
//! as HTTP/1, with the same log line (proto `HTTP/2.0`).
//!
//! [`App`]: crate::app::App

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, DATE, HOST};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;

use crate::app::Reply;
use crate::clock;
use crate::http1::{percent_decode, MALFORMED_PERCENT_ENCODING};
use crate::shared::Shared;
use crate::shutdown::Phase;
use crate::telemetry::Entry;

/// Activity of one connection, for closing it when idle.
struct Activity {
    opened: Instant,
    in_flight: AtomicUsize,
    /// Milliseconds after `opened` when the last request ended.
    last_ms: AtomicU64,
}

/// Serves HTTP/2 on `io` until the client leaves, the connection idles out, or
/// shutdown sends GOAWAY and the open streams finish.
pub async fn serve<S>(io: S, remote: SocketAddr, shared: Arc<Shared>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let remote = SocketAddr::new(remote.ip().to_canonical(), remote.port());
    let activity = Arc::new(Activity {
        opened: Instant::now(),
        in_flight: AtomicUsize::new(0),
        last_ms: AtomicU64::new(0),
    });
    let service = {
        let shared = Arc::clone(&shared);
        let activity = Arc::clone(&activity);
        hyper::service::service_fn(move |request| {
            let shared = Arc::clone(&shared);
            let activity = Arc::clone(&activity);
            activity.in_flight.fetch_add(1, Ordering::AcqRel);
            async move {
                let response = respond(request, remote, &shared).await;
                let elapsed = activity.opened.elapsed().as_millis() as u64;
                activity.last_ms.store(elapsed, Ordering::Release);
                activity.in_flight.fetch_sub(1, Ordering::AcqRel);
                Ok::<_, Infallible>(response)
            }
        })
    };
    let mut builder = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
    builder
        .timer(TokioTimer::new())
        // Every answer carries the Date the reply put on it.
        .auto_date_header(false)
        .max_header_list_size(u32::try_from(shared.limits.max_header_bytes).unwrap_or(u32::MAX));
    let connection = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(connection);

    let leaving = shared.shutdown.serving_ended();
    tokio::pin!(leaving);
    let mut goodbye_sent = false;
    if shared.shutdown.phase() != Phase::Serving {
        connection.as_mut().graceful_shutdown();
        goodbye_sent = true;
    }
    let idle = shared.limits.idle_timeout;
    let mut idle_check = activity.opened + idle;
    loop {
        tokio::select! {
            _ = connection.as_mut() => return,
            () = &mut leaving, if !goodbye_sent => {
                connection.as_mut().graceful_shutdown();
                goodbye_sent = true;
            }
            () = tokio::time::sleep_until(idle_check), if !goodbye_sent => {
                let last = activity.opened
                    + std::time::Duration::from_millis(activity.last_ms.load(Ordering::Acquire));
                if activity.in_flight.load(Ordering::Acquire) == 0 && last + idle <= Instant::now() {
                    connection.as_mut().graceful_shutdown();
                    goodbye_sent = true;
                } else {
                    idle_check = last.max(Instant::now()) + idle;
                }
            }
        }
    }
}

async fn respond(
    request: Request<Incoming>,
    remote: SocketAddr,
    shared: &Shared,
) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let (parts, mut body) = request.into_parts();
    let head_only = parts.method == Method::HEAD;
    let refuse = |status, detail| answer(&shared.app.error(status, detail), head_only);
    // Read and discard the body, up to the limit, as HTTP/1 does.
    let mut received: u64 = 0;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return refuse(400, None);
        };
        if let Some(data) = frame.data_ref() {
            received += data.len() as u64;
            if received > shared.limits.max_body_bytes {
                return refuse(413, None);
            }
        }
    }
    let Some(path) = percent_decode(parts.uri.path().as_bytes()) else {
        return refuse(400, Some(MALFORMED_PERCENT_ENCODING));
    };
    let reply = shared
        .app
        .reply(parts.method.as_str(), &path, shared.shutdown.phase());
    let response = answer(reply, head_only);

    if reply.logged && shared.log.is_enabled() {
        let host = match parts.uri.authority() {
            Some(authority) => authority.as_str().as_bytes(),
            None => header_bytes(&parts.headers, HOST.as_str()),
        };
        shared.log.record(&Entry {
            host,
            remote,
            method: parts.method.as_str(),
            path: &path,
            proto: "HTTP/2.0",
            status: reply.logged_status,
            bytes: reply.logged_bytes,
            user_agent: header_bytes(&parts.headers, "user-agent"),
            forwarded_for: header_bytes(&parts.headers, "x-forwarded-for"),
            trace_id: header_bytes(&parts.headers, "x-amzn-trace-id"),
            duration: started.elapsed(),
        });
    }
    response
}

fn header_bytes<'h>(headers: &'h hyper::HeaderMap, name: &str) -> &'h [u8] {
    headers.get(name).map_or(&b""[..], HeaderValue::as_bytes)
}

/// The HTTP/2 form of `reply`: its ready-made header map, cloned, and `Date`.
fn answer(reply: &Reply, head_only: bool) -> Response<Full<Bytes>> {
    let body = if head_only {
        Bytes::new()
    } else {
        reply.body.clone()
    };
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
    let headers = response.headers_mut();
    *headers = reply.headers.clone();
    let date = clock::with_now(|second, _| HeaderValue::from_bytes(&second.http_date));
    if let Ok(date) = date {
        headers.insert(DATE, date);
    }
    response
}
