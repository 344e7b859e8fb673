//! Request heads: parse with httparse, then decide framing and keep-alive the way
//! RFC 9112 requires, refusing anything that could let two parties disagree about
//! where a request ends (the root of request smuggling).

use std::borrow::Cow;
use std::mem::MaybeUninit;

/// Most headers a request may have; more gets 431, like a head that is too long.
pub const MAX_HEADERS: usize = 100;

/// How the request body is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    None,
    Length(u64),
    Chunked,
}

/// A parsed request head; byte fields borrow from the input.
#[derive(Debug)]
pub struct Head<'a> {
    /// Bytes of the head, including the blank line.
    pub len: usize,
    pub method: &'a str,
    /// Percent-decoded path without the query, like Go's `r.URL.Path`.
    pub path: Cow<'a, [u8]>,
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub minor_version: u8,
    /// The Host header, or the authority of an absolute-form target.
    pub host: &'a [u8],
    pub user_agent: &'a [u8],
    pub forwarded_for: &'a [u8],
    pub trace_id: &'a [u8],
    /// What the client asked for; the server may still close.
    pub keep_alive: bool,
    pub framing: Framing,
    pub expects_continue: bool,
}

/// Why a request is refused before it reaches the app.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// 400 with a short reason in the body.
    BadRequest(&'static str),
    /// 431: the head is larger than `-max-header-bytes` or has too many headers.
    HeadersTooLarge,
    /// 413: the declared body is larger than `-max-body-bytes`.
    BodyTooLarge,
    /// 417: an `Expect` other than `100-continue`.
    ExpectationFailed,
    /// 501: a transfer coding other than `chunked`.
    NotImplemented,
    /// 505: not HTTP/1.0 or HTTP/1.1.
    VersionNotSupported,
}

#[derive(Debug)]
pub enum Parsed<'a> {
    Complete(Head<'a>),
    /// More bytes are needed.
    Partial,
    Rejected(Rejection),
}

/// Whether `request` (a whole or partial head) is a HEAD request, known from its
/// first bytes: also for heads too broken or too slow to parse.
pub fn is_head(request: &[u8]) -> bool {
    request.starts_with(b"HEAD ")
}

/// Parses one request head at the start of `input`.
pub fn parse(input: &[u8], max_head: usize, max_body: u64) -> Parsed<'_> {
    let mut headers = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut []);
    let len = match request.parse_with_uninit_headers(input, &mut headers) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => {
            return if input.len() > max_head {
                Parsed::Rejected(Rejection::HeadersTooLarge)
            } else {
                Parsed::Partial
            };
        }
        Err(httparse::Error::TooManyHeaders) => {
            return Parsed::Rejected(Rejection::HeadersTooLarge)
        }
        Err(httparse::Error::Version) => return Parsed::Rejected(Rejection::VersionNotSupported),
        Err(_) => return Parsed::Rejected(Rejection::BadRequest("malformed request")),
    };
    if len > max_head {
        return Parsed::Rejected(Rejection::HeadersTooLarge);
    }
    let (Some(method), Some(target), Some(minor_version)) =
        (request.method, request.path, request.version)
    else {
        return Parsed::Rejected(Rejection::BadRequest("malformed request"));
    };

    let mut host: Option<&[u8]> = None;
    let mut user_agent: &[u8] = b"";
    let mut forwarded_for: &[u8] = b"";
    let mut trace_id: &[u8] = b"";
    let mut content_length: Option<u64> = None;
    let mut chunked = false;
    let mut connection_close = false;
    let mut connection_keep_alive = false;
    let mut expects_continue = false;

    for header in request.headers.iter() {
        let name = header.name.as_bytes();
        let value = trim(header.value);
        if name.eq_ignore_ascii_case(b"host") {
            if host.is_some() {
                return Parsed::Rejected(Rejection::BadRequest("too many Host headers"));
            }
            host = Some(value);
        } else if name.eq_ignore_ascii_case(b"content-length") {
            let Some(length) = parse_length(value) else {
                return Parsed::Rejected(Rejection::BadRequest("bad Content-Length"));
            };
            if content_length.is_some_and(|seen| seen != length) {
                return Parsed::Rejected(Rejection::BadRequest("conflicting Content-Length"));
            }
            content_length = Some(length);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            if chunked || !value.eq_ignore_ascii_case(b"chunked") {
                return Parsed::Rejected(Rejection::NotImplemented);
            }
            chunked = true;
        } else if name.eq_ignore_ascii_case(b"connection") {
            for token in value.split(|&b| b == b',').map(trim) {
                connection_close |= token.eq_ignore_ascii_case(b"close");
                connection_keep_alive |= token.eq_ignore_ascii_case(b"keep-alive");
            }
        } else if name.eq_ignore_ascii_case(b"expect") {
            if !value.eq_ignore_ascii_case(b"100-continue") {
                return Parsed::Rejected(Rejection::ExpectationFailed);
            }
            expects_continue = true;
        } else if name.eq_ignore_ascii_case(b"user-agent") {
            if user_agent.is_empty() {
                user_agent = value;
            }
        } else if name.eq_ignore_ascii_case(b"x-forwarded-for") {
            if forwarded_for.is_empty() {
                forwarded_for = value;
            }
        } else if name.eq_ignore_ascii_case(b"x-amzn-trace-id") && trace_id.is_empty() {
            trace_id = value;
        }
    }

    let framing = match (chunked, content_length) {
        (true, Some(_)) => {
            return Parsed::Rejected(Rejection::BadRequest(
                "both Transfer-Encoding and Content-Length",
            ))
        }
        (true, None) if minor_version == 0 => {
            return Parsed::Rejected(Rejection::BadRequest("Transfer-Encoding in HTTP/1.0"))
        }
        (true, None) => Framing::Chunked,
        (false, Some(0) | None) => Framing::None,
        (false, Some(n)) if n > max_body => return Parsed::Rejected(Rejection::BodyTooLarge),
        (false, Some(n)) => Framing::Length(n),
    };

    let Some((path, authority)) = split_target(method, target.as_bytes()) else {
        return Parsed::Rejected(Rejection::BadRequest("malformed request target"));
    };
    let Some(path) = percent_decode(path) else {
        return Parsed::Rejected(Rejection::BadRequest(MALFORMED_PERCENT_ENCODING));
    };
    // RFC 9112 §3.2: every HTTP/1.1 request has exactly one valid Host, even
    // when the target names the authority (which then wins).
    if host.is_some_and(|host| !super::host::is_valid(host)) {
        return Parsed::Rejected(Rejection::BadRequest("malformed Host header"));
    }
    if host.is_none() && minor_version == 1 {
        return Parsed::Rejected(Rejection::BadRequest("missing required Host header"));
    }
    if authority.is_some_and(|authority| !super::host::is_valid(authority)) {
        return Parsed::Rejected(Rejection::BadRequest("malformed request target"));
    }
    let host = authority.or(host).unwrap_or_default();

    let keep_alive = if minor_version == 1 {
        !connection_close
    } else {
        connection_keep_alive && !connection_close
    };

    Parsed::Complete(Head {
        len,
        method,
        path,
        minor_version,
        host,
        user_agent,
        forwarded_for,
        trace_id,
        keep_alive,
        framing,
        expects_continue: expects_continue && minor_version == 1 && framing != Framing::None,
    })
}

fn trim(value: &[u8]) -> &[u8] {
    let start = value
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(start, |i| i + 1);
    &value[start..end]
}

/// Digits only: no sign, no list, at most 19 digits.
fn parse_length(value: &[u8]) -> Option<u64> {
    if value.is_empty() || value.len() > 19 || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        value
            .iter()
            .fold(0u64, |n, &d| n * 10 + u64::from(d - b'0')),
    )
}

/// Splits a request target into (path before the query, authority if absolute-form).
fn split_target<'a>(method: &str, target: &'a [u8]) -> Option<(&'a [u8], Option<&'a [u8]>)> {
    let without_query = |t: &'a [u8]| &t[..t.iter().position(|&b| b == b'?').unwrap_or(t.len())];
    if target.first() == Some(&b'/') || target == b"*" {
        return Some((without_query(target), None));
    }
    if method == "CONNECT" {
        // authority-form: no path at all, as Go reports it.
        return Some((b"", Some(target)));
    }
    // absolute-form: scheme "://" authority [path]
    let scheme_end = target.windows(3).position(|w| w == b"://")?;
    let scheme = &target[..scheme_end];
    if scheme.is_empty() || !scheme[0].is_ascii_alphabetic() {
        return None;
    }
    let rest = &target[scheme_end + 3..];
    let authority_end = rest
        .iter()
        .position(|&b| b == b'/' || b == b'?')
        .unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let path = if path.first() == Some(&b'/') {
        without_query(path)
    } else {
        b""
    };
    Some((path, Some(authority)))
}

/// Why a path that [`percent_decode`] refuses gets 400, over either protocol.
pub(crate) const MALFORMED_PERCENT_ENCODING: &str = "malformed percent-encoding";

/// Decodes `%XX`; `None` for a malformed escape (Go answers 400 too).
pub(crate) fn percent_decode(path: &[u8]) -> Option<Cow<'_, [u8]>> {
    if !path.contains(&b'%') {
        return Some(Cow::Borrowed(path));
    }
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut decoded = Vec::with_capacity(path.len());
    let mut i = 0;
    while i < path.len() {
        if path[i] == b'%' {
            let high = hex(*path.get(i + 1)?)?;
            let low = hex(*path.get(i + 2)?)?;
            decoded.push(high << 4 | low);
            i += 3;
        } else {
            decoded.push(path[i]);
            i += 1;
        }
    }
    Some(Cow::Owned(decoded))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(input: &[u8]) -> Head<'_> {
        match parse(input, 65_536, 1_000) {
            Parsed::Complete(head) => head,
            other => panic!("expected a head, got {other:?}"),
        }
    }

    fn rejection(input: &[u8]) -> Rejection {
        match parse(input, 256, 1_000) {
            Parsed::Rejected(r) => r,
            other => panic!("expected a rejection, got {other:?}"),
        }
    }

    #[test]
    fn simple_get() {
        let input = b"GET /a/b?x=1 HTTP/1.1\r\nHost: h:1\r\nUser-Agent: t/1\r\n\r\nNEXT";
        let head = complete(input);
        assert_eq!(head.len, input.len() - 4);
        assert_eq!(
            (head.method, &head.path[..], head.host),
            ("GET", &b"/a/b"[..], &b"h:1"[..])
        );
        assert_eq!(head.user_agent, b"t/1");
        assert!(head.keep_alive);
        assert_eq!(head.framing, Framing::None);
    }

    #[test]
    fn keep_alive_rules() {
        assert!(!complete(b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").keep_alive);
        assert!(!complete(b"GET / HTTP/1.0\r\n\r\n").keep_alive);
        assert!(complete(b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keep_alive);
        assert!(
            !complete(b"GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, close\r\n\r\n")
                .keep_alive
        );
    }

    #[test]
    fn framing() {
        let head = complete(
            b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
        );
        assert_eq!(head.framing, Framing::Length(5));
        assert!(head.expects_continue);
        let head = complete(b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
        assert_eq!(head.framing, Framing::Chunked);
        assert_eq!(
            complete(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n").framing,
            Framing::None
        );
        assert_eq!(
            complete(
                b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n"
            )
            .framing,
            Framing::Length(5)
        );
    }

    #[test]
    fn smuggling_shapes_are_refused() {
        assert!(matches!(
            rejection(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"),
            Rejection::BadRequest(_)
        ));
        assert!(matches!(
            rejection(
                b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"
            ),
            Rejection::BadRequest(_)
        ));
        assert!(matches!(
            rejection(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\n"),
            Rejection::BadRequest(_)
        ));
        assert_eq!(
            rejection(b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
            Rejection::NotImplemented
        );
        assert_eq!(
            rejection(b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"),
            Rejection::NotImplemented
        );
    }

    #[test]
    fn host_rules() {
        assert_eq!(
            rejection(b"GET / HTTP/1.1\r\n\r\n"),
            Rejection::BadRequest("missing required Host header")
        );
        assert_eq!(
            rejection(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
            Rejection::BadRequest("too many Host headers")
        );
        assert_eq!(complete(b"GET / HTTP/1.0\r\n\r\n").host, b"");
        let head = complete(b"GET http://example.com:8/p?q HTTP/1.1\r\nHost: other\r\n\r\n");
        assert_eq!(
            (&head.path[..], head.host),
            (&b"/p"[..], &b"example.com:8"[..])
        );
        // RFC 9112 §3.2: one valid Host, in absolute-form too.
        for bad_host in ["a, b", "a b", "a/b", "u@b", "a:99x"] {
            assert_eq!(
                rejection(format!("GET / HTTP/1.1\r\nHost: {bad_host}\r\n\r\n").as_bytes()),
                Rejection::BadRequest("malformed Host header"),
                "{bad_host}"
            );
        }
        assert_eq!(
            rejection(b"GET http://a/ HTTP/1.1\r\n\r\n"),
            Rejection::BadRequest("missing required Host header")
        );
        assert_eq!(
            rejection(b"GET http://u@a/ HTTP/1.1\r\nHost: a\r\n\r\n"),
            Rejection::BadRequest("malformed request target")
        );
        assert_eq!(complete(b"GET http://a/ HTTP/1.0\r\n\r\n").host, b"a");
    }

    #[test]
    fn limits_and_garbage() {
        assert_eq!(
            rejection(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1001\r\n\r\n"),
            Rejection::BodyTooLarge
        );
        assert_eq!(
            rejection(b"POST / HTTP/1.1\r\nHost: h\r\nExpect: magic\r\n\r\n"),
            Rejection::ExpectationFailed
        );
        let long = [b"GET / HTTP/1.1\r\nX: ".as_slice(), &[b'a'; 300]].concat();
        assert!(matches!(
            parse(&long, 256, 0),
            Parsed::Rejected(Rejection::HeadersTooLarge)
        ));
        assert!(matches!(
            parse(b"GET / HTTP/1.1\r\nHost:", 256, 0),
            Parsed::Partial
        ));
        assert!(matches!(
            rejection(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"),
            Rejection::BadRequest(_)
        ));
        assert_eq!(
            rejection(b"GET / HTTP/2.0\r\n\r\n"),
            Rejection::VersionNotSupported
        );
        assert!(matches!(
            rejection(b"GET nopath HTTP/1.1\r\nHost: h\r\n\r\n"),
            Rejection::BadRequest(_)
        ));
        let many: Vec<u8> = [
            b"GET / HTTP/1.1\r\n".to_vec(),
            b"A: b\r\n".repeat(MAX_HEADERS + 1),
            b"\r\n".to_vec(),
        ]
        .concat();
        assert!(matches!(
            parse(&many, 65_536, 0),
            Parsed::Rejected(Rejection::HeadersTooLarge)
        ));
    }

    #[test]
    fn paths_are_decoded_like_go() {
        assert_eq!(
            &complete(b"GET /he%61lth HTTP/1.1\r\nHost: h\r\n\r\n").path[..],
            b"/health"
        );
        assert_eq!(
            rejection(b"GET /%zz HTTP/1.1\r\nHost: h\r\n\r\n"),
            Rejection::BadRequest(MALFORMED_PERCENT_ENCODING)
        );
        assert_eq!(
            &complete(b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n").path[..],
            b"*"
        );
    }
}
