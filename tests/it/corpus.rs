//! The conformance corpus: raw HTTP/1 bytes in; the statuses of the answers, in
//! order, and whether the connection is kept or closed, out. Each case names the
//! rule it checks, mostly RFC 9112 (HTTP/1.1 message syntax) and RFC 9110 (HTTP
//! semantics).
//!
//! Data only, with no dependency on the test harness: the fuzz targets (fuzz/)
//! start from the same cases. The HTTP/2 cases, frames written by hand,
//! are in `http2.rs`.

/// What happens to the connection after the answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Then {
    /// Still open and in step: a further request gets the echo next.
    Kept,
    /// Closed by the server, with nothing after the answers.
    Closed,
}

pub struct Case {
    /// What is checked and the rule it comes from.
    pub name: &'static str,
    pub sent: &'static [u8],
    /// Statuses of every answer, interim ones included, in order.
    pub answers: &'static [u16],
    /// The requests are HEAD: their answers have no body.
    pub head: bool,
    pub then: Then,
}

/// The limits the corpus is written for (the runner configures the server so).
pub const MAX_BODY_BYTES: u64 = 1024;
pub const MAX_HEADER_BYTES: usize = 1024;

const fn case(
    name: &'static str,
    sent: &'static [u8],
    answers: &'static [u16],
    then: Then,
) -> Case {
    Case {
        name,
        sent,
        answers,
        head: false,
        then,
    }
}

const fn head_case(
    name: &'static str,
    sent: &'static [u8],
    answers: &'static [u16],
    then: Then,
) -> Case {
    Case {
        name,
        sent,
        answers,
        head: true,
        then,
    }
}

use Then::{Closed, Kept};

/// A chunked body whose 20 one-byte chunks carry 100 bytes of extensions each:
/// about 2 KiB on the wire for 20 bytes of data, over the corpus's 1 KiB limit.
const EXTENSION_FLOOD: &[u8] = b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n\
1;e=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nx\r\n\
1;e=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nx\r\n\
1;e=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nx\r\n\
1;e=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nx\r\n\
1;e=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nx\r\n\
1;e=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nx\r\n\
1;e=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nx\r\n\
1;e=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nx\r\n\
1;e=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nx\r\n\
1;e=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nx\r\n\
1;e=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nx\r\n\
1;e=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nx\r\n\
1;e=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nx\r\n\
1;e=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nx\r\n\
1;e=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nx\r\n\
1;e=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nx\r\n\
1;e=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nx\r\n\
1;e=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nx\r\n\
1;e=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nx\r\n\
1;e=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nx\r\n\
0\r\n\r\n";

#[rustfmt::skip]
pub const HTTP1: &[Case] = &[
    // Message framing: RFC 9112 §6.
    case("a Content-Length body, then the next request (§6.2)",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello", &[200], Kept),
    case("a body on a GET is read and discarded too (§6.3)",
        b"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc", &[200], Kept),
    case("Content-Length with leading zeros is still digits (§6.2)",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 003\r\n\r\nabc", &[200], Kept),
    case("two identical Content-Length lines are one length (RFC 9110 §8.6)",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", &[200], Kept),
    case("two different Content-Length lines are refused (§6.3 item 5)",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", &[400], Closed),
    case("a Content-Length list in one line is refused (§6.3 item 5)",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 3\r\n\r\nabc", &[400], Closed),
    case("a signed Content-Length is refused (RFC 9110 §8.6)",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +3\r\n\r\nabc", &[400], Closed),
    case("a Content-Length with a letter is refused (RFC 9110 §8.6)",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3a\r\n\r\nabc", &[400], Closed),
    case("a Content-Length of 20 digits is refused",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 00000000000000000003\r\n\r\nabc", &[400], Closed),
    case("Content-Length and Transfer-Encoding together are refused (§6.1, §6.3 item 3)",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nX", &[400], Closed),
    case("Transfer-Encoding and Content-Length together, the other order (§6.1)",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n", &[400], Closed),
    case("a transfer coding other than chunked gets 501 (§6.1)",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", &[501], Closed),
    case("chunked must be the only coding here (§6.1)",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", &[501], Closed),
    case("chunked twice is refused (§7)",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", &[501], Closed),
    case("a look-alike coding is not chunked (§6.1)",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", &[501], Closed),
    case("Transfer-Encoding in HTTP/1.0 is faulty framing (§6.1)",
        b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", &[400], Closed),
    case("whitespace before the colon is refused (§5.1)",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n", &[400], Closed),
    case("a folded Transfer-Encoding (obs-fold) is refused (§5.2)",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n", &[400], Closed),
    case("a folded header line (obs-fold) is refused (§5.2)",
        b"GET / HTTP/1.1\r\nHost: h\r\nX-A: one\r\n two\r\n\r\n", &[400], Closed),
    case("whitespace before the first header line is refused (§2.2)",
        b"GET / HTTP/1.1\r\n Host: h\r\n\r\n", &[400], Closed),
    case("a bare CR in a header value is refused (§2.2)",
        b"GET / HTTP/1.1\r\nHost: h\r\nX-A: a\rb\r\n\r\n", &[400], Closed),
    case("a NUL in a header value is refused (RFC 9110 §5.5)",
        b"GET / HTTP/1.1\r\nHost: h\r\nX-A: a\x00b\r\n\r\n", &[400], Closed),
    case("lines ending in a bare LF are recognised (§2.2 MAY)",
        b"GET / HTTP/1.1\nHost: h\n\n", &[200], Kept),
    case("two spaces in the request line are refused (§3)",
        b"GET  / HTTP/1.1\r\nHost: h\r\n\r\n", &[400], Closed),
    case("pipelined requests are answered in order (§9.3.2)",
        b"GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n", &[200, 200], Kept),

    // Chunked transfer coding: RFC 9112 §7.1.
    case("a chunked body, then the next request (§7.1)",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", &[200], Kept),
    case("chunk extensions, with token and quoted values, are skipped (§7.1.1)",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;a;b=c;q=\"x \\\" y\"\r\nhello\r\n0;last\r\n\r\n", &[200], Kept),
    case("whitespace around the extension's ; and = (BWS, §7.1.1)",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5 ; a = b\r\nhello\r\n0\r\n\r\n", &[200], Kept),
    case("trailer fields are read and discarded (§7.1.2)",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nX-Trailer: t\r\nX-Two: 2\r\n\r\n", &[200], Kept),
    case("upper-case hex chunk sizes (§7.1)",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n", &[200], Kept),
    case("junk after a chunk size is refused (§7.1.1)",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5 junk\r\nhello\r\n0\r\n\r\n", &[400], Closed),
    case("a NUL in a chunk extension is refused (§7.1.1)",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;x\x00\r\nhello\r\n0\r\n\r\n", &[400], Closed),
    case("an extension without a name is refused (§7.1.1)",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;=v\r\nhello\r\n0\r\n\r\n", &[400], Closed),
    case("an unterminated quoted extension value is refused (§7.1.1)",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\"open\r\nhello\r\n0\r\n\r\n", &[400], Closed),
    case("a 0x prefix is not hex (§7.1)",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n", &[400], Closed),
    case("a chunk size past 64 bits is refused (§7.1)",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000005\r\nhello\r\n0\r\n\r\n", &[400], Closed),
    case("an empty chunk-size line is refused (§7.1)",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n\r\nhello\r\n0\r\n\r\n", &[400], Closed),
    case("a bare LF after a chunk size is refused (§7.1)",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n", &[400], Closed),
    case("chunk data longer than its size is refused (§7.1)",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n", &[400], Closed),
    case("a trailer line without a colon is refused (§7.1.2)",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nnot a field\r\n\r\n", &[400], Closed),
    case("a NUL in a trailer field is refused (§7.1.2)",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: a\x00\r\n\r\n", &[400], Closed),
    case("chunk extensions count against the body limit (RFC 9112 §7.1.1)",
        EXTENSION_FLOOD, &[413], Closed),
    case("chunked data over the body limit gets 413",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n401\r\n", &[413], Closed),

    // Host: RFC 9112 §3.2, RFC 9110 §7.2, RFC 3986 §3.2.2.
    case("HTTP/1.1 without Host is refused (§3.2)",
        b"GET / HTTP/1.1\r\n\r\n", &[400], Closed),
    case("two Host lines are refused (§3.2)",
        b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", &[400], Closed),
    case("a Host list is refused (§3.2)",
        b"GET / HTTP/1.1\r\nHost: a, b\r\n\r\n", &[400], Closed),
    case("a Host with a space is refused (§3.2)",
        b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", &[400], Closed),
    case("a Host with a path is refused (§3.2)",
        b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", &[400], Closed),
    case("a Host with userinfo is refused (§3.2)",
        b"GET / HTTP/1.1\r\nHost: u@b\r\n\r\n", &[400], Closed),
    case("a Host whose port is not digits is refused (§3.2)",
        b"GET / HTTP/1.1\r\nHost: a:99x\r\n\r\n", &[400], Closed),
    case("a Host with an unclosed IPv6 literal is refused (§3.2)",
        b"GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", &[400], Closed),
    case("a Host with a broken percent-escape is refused (§3.2)",
        b"GET / HTTP/1.1\r\nHost: a%4g\r\n\r\n", &[400], Closed),
    case("a Host with a name and port (§3.2)",
        b"GET / HTTP/1.1\r\nHost: example.test:8080\r\n\r\n", &[200], Kept),
    case("a Host with an IPv6 literal and port (§3.2)",
        b"GET / HTTP/1.1\r\nHost: [2001:db8::1]:443\r\n\r\n", &[200], Kept),
    case("a Host with sub-delims and percent-escapes (RFC 3986 §3.2.2)",
        b"GET / HTTP/1.1\r\nHost: a-b_c~d!e$f&g'h(i)j*k+l,m;n=o%41\r\n\r\n", &[200], Kept),
    case("a Host with an empty port (RFC 3986 §3.2.3)",
        b"GET / HTTP/1.1\r\nHost: a:\r\n\r\n", &[200], Kept),
    case("an empty Host (RFC 9110 §7.2)",
        b"GET / HTTP/1.1\r\nHost:\r\n\r\n", &[200], Kept),
    case("HTTP/1.0 needs no Host, and closes (§3.2, §9.3)",
        b"GET / HTTP/1.0\r\n\r\n", &[200], Closed),
    case("absolute-form still needs a Host line in HTTP/1.1 (§3.2)",
        b"GET http://a/ HTTP/1.1\r\n\r\n", &[400], Closed),
    case("absolute-form: the target's authority wins over Host (§3.2.2)",
        b"GET http://a/ HTTP/1.1\r\nHost: b\r\n\r\n", &[200], Kept),
    case("absolute-form with userinfo is refused (RFC 9110 §4.2.4)",
        b"GET http://u@a/ HTTP/1.1\r\nHost: a\r\n\r\n", &[400], Closed),
    case("absolute-form with a bad port is refused (§3.2.2)",
        b"GET http://a:8x/ HTTP/1.1\r\nHost: a\r\n\r\n", &[400], Closed),

    // Request targets: RFC 9112 §3.2.
    case("origin-form with a query (§3.2.1)",
        b"GET /a/b?c=d HTTP/1.1\r\nHost: h\r\n\r\n", &[200], Kept),
    case("asterisk-form for OPTIONS (§3.2.4)",
        b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", &[200], Kept),
    case("authority-form is only for CONNECT (§3.2.3)",
        b"GET a:443 HTTP/1.1\r\nHost: a\r\n\r\n", &[400], Closed),
    case("CONNECT opens no tunnel: 404, closed, nothing after it answered (RFC 9110 §9.3.6)",
        b"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n", &[404], Closed),
    case("CONNECT in origin-form gets the same 404 (RFC 9110 §9.3.6)",
        b"CONNECT / HTTP/1.1\r\nHost: a\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n", &[404], Closed),
    case("a malformed percent-escape in the path is refused",
        b"GET /%zz HTTP/1.1\r\nHost: h\r\n\r\n", &[400], Closed),

    // Upgrade: RFC 9110 §7.8. The server never switches protocols.
    case("Upgrade: websocket is ignored, never 101 (RFC 9110 §7.8)",
        b"GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", &[200], Kept),
    case("Upgrade: h2c is ignored, never 101 (RFC 9110 §7.8)",
        b"GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n", &[200], Kept),
    case("the HTTP/2 preface on the plain port gets 505 (RFC 9113 §3.3)",
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", &[505], Closed),

    // Error answers to HEAD have no body: RFC 9110 §9.3.2.
    head_case("HEAD without Host: 400 without a body (RFC 9110 §9.3.2)",
        b"HEAD / HTTP/1.1\r\n\r\n", &[400], Closed),
    head_case("HEAD with a body over the limit: 413 without a body",
        b"HEAD / HTTP/1.1\r\nHost: h\r\nContent-Length: 1025\r\n\r\n", &[413], Closed),
    head_case("HEAD with an unknown expectation: 417 without a body",
        b"HEAD / HTTP/1.1\r\nHost: h\r\nExpect: magic\r\n\r\n", &[417], Closed),
    head_case("HEAD with an unknown coding: 501 without a body",
        b"HEAD / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", &[501], Closed),
    head_case("HEAD with a bad Host: 400 without a body",
        b"HEAD / HTTP/1.1\r\nHost: a b\r\n\r\n", &[400], Closed),
    head_case("HEAD: the echo's headers without its body (RFC 9110 §9.3.2)",
        b"HEAD / HTTP/1.1\r\nHost: h\r\n\r\n", &[200], Kept),

    // Expect: RFC 9110 §10.1.1.
    case("100-continue, then the body (RFC 9110 §10.1.1)",
        b"POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi", &[100, 200], Kept),
    case("an unknown expectation gets 417 (RFC 9110 §10.1.1)",
        b"POST / HTTP/1.1\r\nHost: h\r\nExpect: magic\r\nContent-Length: 2\r\n\r\nhi", &[417], Closed),

    // Connection persistence: RFC 9112 §9.3.
    case("Connection: close closes after the answer (§9.6)",
        b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", &[200], Closed),
    case("HTTP/1.0 with keep-alive stays open (§9.3)",
        b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &[200], Kept),

    // Limits and garbage.
    case("a head over -max-header-bytes gets 431",
        b"GET / HTTP/1.1\r\nHost: h\r\nX-Big: \
aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\
aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\
aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\
aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\
aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\
aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\
aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\
aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\
aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\
aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\
aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n", &[431], Closed),
    case("a body over -max-body-bytes gets 413",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1025\r\n\r\n", &[413], Closed),
    case("a TLS ClientHello on the plain port gets 400",
        b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", &[400], Closed),
    case("binary garbage gets 400",
        b"\x00\x01\x02\x03garbage\r\n\r\n", &[400], Closed),
];
