//! One HTTP/2 stream: its request body read and discarded under the same limits
//! as HTTP/1's, then its answer from the app's replies (held first for
//! `-delay`), and its log line (proto `HTTP/2.0`).

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Incoming};
use hyper::header::{HeaderValue, DATE, HOST};
use hyper::{Method, Request, Response, StatusCode};
use tokio::time::Instant;

use crate::app::Reply;
use crate::clock;
use crate::http1::{percent_decode, MALFORMED_PERCENT_ENCODING};
use crate::shared::Shared;
use crate::shutdown::ShutdownState;
use crate::telemetry::Entry;

/// Answers one request.
pub async fn respond(
    request: Request<Incoming>,
    remote: SocketAddr,
    shared: &Shared,
) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let (parts, mut body) = request.into_parts();
    let head_only = parts.method == Method::HEAD;
    let refuse = |status, detail| answer(&shared.app.error(status, detail), head_only);
    // Read and discard the body, up to the limit, as HTTP/1 does; and as over
    // HTTP/1, a body that stops arriving for the idle timeout gets 408.
    let mut received: u64 = 0;
    while !body.is_end_stream() {
        let next = tokio::time::timeout(shared.limits.idle_timeout, body.frame()).await;
        let frame = match next {
            Err(_) => return refuse(408, None),
            Ok(None) => break,
            Ok(Some(Err(_))) => return refuse(400, None),
            Ok(Some(Ok(frame))) => frame,
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
    if let Some(delay) = reply.delay {
        hold(delay, &shared.shutdown).await;
    }
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

/// `-delay`: waits `delay`, or until the drain starts if that is sooner, so that
/// shutdown stays bounded.
async fn hold(delay: Duration, shutdown: &ShutdownState) {
    let drain = shutdown.drain_started();
    if !shutdown.is_draining() {
        let _ = tokio::time::timeout(delay, drain).await;
    }
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
