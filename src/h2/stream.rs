//! One HTTP/2 stream: its request body read and discarded under the same limits
//! as HTTP/1's, then its answer from the app's replies (held first for
//! `-delay`), and its log line (proto `HTTP/2.0`).
//!
//! A request that arrived whole, with an answer that is not held, is answered at
//! once by the connection's task; the others get a task of their own, counted
//! as an open stream until their answer is handed to h2.

use std::borrow::Cow;
use std::future::poll_fn;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use h2::server::SendResponse;
use h2::RecvStream;
use http::header::{HeaderName, HeaderValue, DATE, HOST, USER_AGENT};
use http::request::Parts;
use http::{Method, Request, Response, StatusCode};
use tokio::time::Instant;

use super::activity::{Activity, OpenStream};
use crate::app::Reply;
use crate::clock;
use crate::http1::{percent_decode, MALFORMED_PERCENT_ENCODING};
use crate::shared::Shared;
use crate::shutdown::ShutdownState;
use crate::telemetry::Entry;

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_AMZN_TRACE_ID: HeaderName = HeaderName::from_static("x-amzn-trace-id");

/// Answers one request: now, when it is whole and its answer is not held;
/// otherwise from a task of its own.
pub fn answer(
    request: Request<RecvStream>,
    mut respond: SendResponse<Bytes>,
    remote: SocketAddr,
    shared: &Arc<Shared>,
    activity: &Arc<Activity>,
) {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    // A CONNECT's stream stays open for the tunnel it asks for: it has no body
    // to wait for, and is refused at once (its reply is never delayed).
    if body.is_end_stream() || parts.method == Method::CONNECT {
        let Some((reply, path)) = choose(&parts, shared) else {
            return send(&mut respond, &malformed(shared), &parts);
        };
        if reply.delay.is_none() {
            send(&mut respond, reply, &parts);
            return log(&parts, &path, reply, remote, started, shared);
        }
    }
    let shared = Arc::clone(shared);
    let open = activity.stream_opened();
    tokio::spawn(answer_later(
        parts, body, respond, remote, shared, open, started,
    ));
}

/// A stream whose body is still arriving, or whose answer `-delay` holds.
async fn answer_later(
    parts: Parts,
    mut body: RecvStream,
    mut respond: SendResponse<Bytes>,
    remote: SocketAddr,
    shared: Arc<Shared>,
    open: OpenStream,
    started: Instant,
) {
    if let Err(status) = discard_body(&mut body, &shared).await {
        return send(&mut respond, &shared.app.error(status, None), &parts);
    }
    drop(body);
    let Some((reply, path)) = choose(&parts, &shared) else {
        return send(&mut respond, &malformed(&shared), &parts);
    };
    if let Some(delay) = reply.delay {
        // A client that gives up on the stream ends the wait.
        tokio::select! {
            () = hold(delay, &shared.shutdown) => {}
            _ = poll_fn(|cx| respond.poll_reset(cx)) => return,
        }
    }
    send(&mut respond, reply, &parts);
    drop(open);
    log(&parts, &path, reply, remote, started, &shared);
}

/// Reads and discards the request body, up to the limit, as HTTP/1 does; and as
/// over HTTP/1, a body that stops arriving for the idle timeout gets 408. The
/// error is the status to answer with.
async fn discard_body(body: &mut RecvStream, shared: &Shared) -> Result<(), u16> {
    let mut received: u64 = 0;
    while !body.is_end_stream() {
        let next = tokio::time::timeout(shared.limits.idle_timeout, body.data()).await;
        let data = match next {
            Err(_) => return Err(408),
            Ok(None) => break,
            Ok(Some(Err(_))) => return Err(400),
            Ok(Some(Ok(data))) => data,
        };
        received += data.len() as u64;
        if received > shared.limits.max_body_bytes {
            return Err(413);
        }
        // Discarded: the client may send as much again.
        let _ = body.flow_control().release_capacity(data.len());
    }
    Ok(())
}

/// The reply for a whole request and its percent-decoded path; None for a path
/// that cannot be decoded.
fn choose<'p, 's>(parts: &'p Parts, shared: &'s Shared) -> Option<(&'s Reply, Cow<'p, [u8]>)> {
    let path = percent_decode(parts.uri.path().as_bytes())?;
    let reply = shared
        .app
        .reply(parts.method.as_str(), &path, shared.shutdown.phase());
    Some((reply, path))
}

/// The refusal of a path that cannot be percent-decoded.
fn malformed(shared: &Shared) -> Reply {
    shared.app.error(400, Some(MALFORMED_PERCENT_ENCODING))
}

/// `-delay`: waits `delay`, or until the drain starts if that is sooner, so that
/// shutdown stays bounded.
async fn hold(delay: Duration, shutdown: &ShutdownState) {
    let drain = shutdown.drain_started();
    if !shutdown.is_draining() {
        let _ = tokio::time::timeout(delay, drain).await;
    }
}

/// Hands h2 the HTTP/2 form of `reply`: its ready-made header map, cloned, with
/// `Date`; and its body unless the request was HEAD. A stream the client has
/// reset takes nothing, which is no error of ours.
fn send(respond: &mut SendResponse<Bytes>, reply: &Reply, request: &Parts) {
    let body = if request.method == Method::HEAD {
        Bytes::new()
    } else {
        reply.body.clone()
    };
    let mut response = Response::new(());
    *response.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
    let headers = response.headers_mut();
    *headers = reply.headers.clone();
    if let Ok(date) = clock::with_now(|second, _| HeaderValue::from_bytes(&second.http_date)) {
        headers.insert(DATE, date);
    }
    if let Ok(mut sending) = respond.send_response(response, body.is_empty()) {
        if !body.is_empty() {
            // h2 sends it as the client's window allows.
            let _ = sending.send_data(body, true);
        }
    }
}

/// The access-log line of an answered request.
fn log(
    parts: &Parts,
    path: &[u8],
    reply: &Reply,
    remote: SocketAddr,
    started: Instant,
    shared: &Shared,
) {
    if !reply.logged || !shared.log.is_enabled() {
        return;
    }
    let header = |name: &HeaderName| {
        parts
            .headers
            .get(name)
            .map_or(&b""[..], HeaderValue::as_bytes)
    };
    let host = match parts.uri.authority() {
        Some(authority) => authority.as_str().as_bytes(),
        None => header(&HOST),
    };
    shared.log.record(&Entry {
        host,
        remote,
        method: parts.method.as_str(),
        path,
        proto: "HTTP/2.0",
        status: reply.logged_status,
        bytes: reply.logged_bytes,
        user_agent: header(&USER_AGENT),
        forwarded_for: header(&X_FORWARDED_FOR),
        trace_id: header(&X_AMZN_TRACE_ID),
        duration: started.elapsed(),
    });
}
