//! Response bytes: the app's ready-made replies with a fresh `Date` and the
//! `Connection` header HTTP/1 needs.

use super::request::Rejection;
use crate::app::Reply;
use crate::clock;

/// Sent before reading a body the client is waiting to send.
pub const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// Appends the response for `reply`.
pub fn write_reply(
    out: &mut Vec<u8>,
    minor_version: u8,
    reply: &Reply,
    keep_alive: bool,
    head_only: bool,
) {
    if minor_version == 1 {
        // HTTP/1.0 clients do not understand interim responses.
        if let Some(interim) = &reply.h1_interim {
            out.extend_from_slice(interim);
        }
        out.extend_from_slice(b"HTTP/1.1");
    } else {
        out.extend_from_slice(b"HTTP/1.0");
    }
    out.extend_from_slice(&reply.h1_head);
    write_date(out);
    // As Go: `Connection: close` tells an HTTP/1.1 client we are closing; an
    // HTTP/1.0 client that asked for keep-alive is told it got it.
    match (keep_alive, minor_version) {
        (false, 1) => out.extend_from_slice(b"Connection: close\r\n"),
        (true, 0) => out.extend_from_slice(b"Connection: keep-alive\r\n"),
        _ => {}
    }
    out.extend_from_slice(b"\r\n");
    if !head_only {
        out.extend_from_slice(&reply.body);
    }
}

/// Appends an error reply (from [`crate::app::App::error`]): HTTP/1.1, and the
/// connection closes after it.
pub fn write_error(out: &mut Vec<u8>, reply: &Reply, head_only: bool) {
    write_reply(out, 1, reply, false, head_only);
}

/// The status and detail for a refused request.
pub fn rejection_status(rejection: Rejection) -> (u16, Option<&'static str>) {
    match rejection {
        Rejection::BadRequest(detail) => (400, Some(detail)),
        Rejection::HeadersTooLarge => (431, None),
        Rejection::BodyTooLarge => (413, None),
        Rejection::ExpectationFailed => (417, None),
        Rejection::NotImplemented => (501, Some("unsupported transfer encoding")),
        Rejection::VersionNotSupported => (505, None),
    }
}

fn write_date(out: &mut Vec<u8>) {
    out.extend_from_slice(b"Date: ");
    clock::with_now(|second, _| out.extend_from_slice(&second.http_date));
    out.extend_from_slice(b"\r\n");
}
