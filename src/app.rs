//! What each request gets: the echo, or the health answer.
//!
//! The replies never change while the server runs (only the `Date` header does),
//! so they are built once at startup, including the HTTP/1 status line and fixed
//! headers, and every request just picks one. Both the HTTP/1 engine and the
//! HTTP/2 path answer from here, so they cannot drift apart.

use bytes::Bytes;

use crate::shutdown::Phase;
use crate::sniff;
use crate::version::{NAME, VERSION};

/// One ready-made answer.
#[derive(Debug)]
pub struct Reply {
    /// The status sent.
    pub status: u16,
    /// The status the access log reports: upstream logs the configured code even
    /// when Go turns a 1xx into an interim response followed by 200.
    pub logged_status: u16,
    pub body: Bytes,
    /// `None` when the status forbids a body (1xx, 204, 304).
    pub content_type: Option<&'static str>,
    /// Upstream logs echo requests but not `/health`.
    pub logged: bool,
    /// For a configured 1xx (but 101): sent first, as Go does, before the 200.
    pub h1_interim: Option<Vec<u8>>,
    /// HTTP/1 bytes after `HTTP/1.x`: ` 200 OK\r\n` and the fixed headers, each
    /// ending in CRLF, without `Date`, `Connection` or the blank line.
    pub h1_head: Vec<u8>,
}

/// The replies of one server configuration.
#[derive(Debug)]
pub struct App {
    echo: Reply,
    health: Reply,
    health_shutting_down: Reply,
}

/// The only path with its own handler, matched exactly as Go's ServeMux does.
pub const HEALTH_PATH: &[u8] = b"/health";

impl App {
    /// Replies for `text` (a newline is appended) with `status_code` (100..=999).
    pub fn new(text: &str, status_code: u16) -> App {
        let mut body = Vec::with_capacity(text.len() + 1);
        body.extend_from_slice(text.as_bytes());
        body.push(b'\n');
        App {
            echo: Reply::new(status_code, body, true),
            health: Reply::new(200, b"{\"status\":\"ok\"}\n".to_vec(), false),
            health_shutting_down: Reply::new(
                503,
                b"{\"status\":\"shutting down\"}\n".to_vec(),
                false,
            ),
        }
    }

    /// The reply for a request to `path` (percent-decoded, without the query).
    pub fn reply(&self, path: &[u8], phase: Phase) -> &Reply {
        if path != HEALTH_PATH {
            &self.echo
        } else if phase == Phase::Serving {
            &self.health
        } else {
            // Load balancers stop sending new requests once their check fails.
            &self.health_shutting_down
        }
    }
}

impl Reply {
    fn new(configured: u16, body: Vec<u8>, logged: bool) -> Reply {
        let interim = (100..200).contains(&configured) && configured != 101;
        let status = if interim { 200 } else { configured };
        let body_allowed = body_allowed(status);
        let content_type = body_allowed.then(|| sniff::content_type(&body));

        let mut h1_head = format!(" {status} {}\r\n", reason(status)).into_bytes();
        h1_head.extend_from_slice(app_headers().as_bytes());
        if let Some(content_type) = content_type {
            h1_head.extend_from_slice(
                format!(
                    "Content-Type: {content_type}\r\nContent-Length: {}\r\n",
                    body.len()
                )
                .as_bytes(),
            );
        }
        let h1_interim = interim.then(|| {
            format!(
                "HTTP/1.1 {configured} {}\r\n{}\r\n",
                reason(configured),
                app_headers()
            )
            .into_bytes()
        });
        Reply {
            status,
            logged_status: configured,
            body: if body_allowed {
                Bytes::from(body)
            } else {
                Bytes::new()
            },
            content_type,
            logged,
            h1_interim,
            h1_head,
        }
    }

    /// After a 101 without an upgrade there is no sensible next request.
    pub fn closes_connection(&self) -> bool {
        self.status == 101
    }

    /// Body length as the access log reports it: what the handler wrote, as upstream
    /// logs it (also for HEAD, where the body is not sent).
    pub fn logged_bytes(&self) -> usize {
        self.body.len()
    }
}

/// The headers every response carries.
pub fn app_headers() -> String {
    format!("X-App-Name: {NAME}\r\nX-App-Version: {VERSION}\r\n")
}

/// Whether a response with this status may have a body (RFC 9110 §6.4.1).
pub fn body_allowed(status: u16) -> bool {
    !((100..200).contains(&status) || status == 204 || status == 304)
}

/// The reason phrase Go's `http.StatusText` gives, or Go's fallback for unknown codes.
pub fn reason(status: u16) -> std::borrow::Cow<'static, str> {
    let known = match status {
        100 => "Continue",
        101 => "Switching Protocols",
        102 => "Processing",
        103 => "Early Hints",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        203 => "Non-Authoritative Information",
        204 => "No Content",
        205 => "Reset Content",
        206 => "Partial Content",
        207 => "Multi-Status",
        208 => "Already Reported",
        226 => "IM Used",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        305 => "Use Proxy",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Request Entity Too Large",
        414 => "Request URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Requested Range Not Satisfiable",
        417 => "Expectation Failed",
        418 => "I'm a teapot",
        421 => "Misdirected Request",
        422 => "Unprocessable Entity",
        423 => "Locked",
        424 => "Failed Dependency",
        425 => "Too Early",
        426 => "Upgrade Required",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        451 => "Unavailable For Legal Reasons",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        506 => "Variant Also Negotiates",
        507 => "Insufficient Storage",
        508 => "Loop Detected",
        510 => "Not Extended",
        511 => "Network Authentication Required",
        _ => return format!("status code {status}").into(),
    };
    known.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(reply: &Reply) -> String {
        String::from_utf8(reply.h1_head.clone()).unwrap()
    }

    #[test]
    fn echo_and_health() {
        let app = App::new("hello", 200);
        let echo = app.reply(b"/", Phase::Serving);
        assert_eq!(&echo.body[..], b"hello\n");
        assert!(echo.logged);
        assert_eq!(
            head(echo),
            format!(
                " 200 OK\r\nX-App-Name: http-echo\r\nX-App-Version: {VERSION}\r\n\
                 Content-Type: text/plain; charset=utf-8\r\nContent-Length: 6\r\n"
            )
        );
        let health = app.reply(b"/health", Phase::Serving);
        assert_eq!(
            (health.status, &health.body[..]),
            (200, &b"{\"status\":\"ok\"}\n"[..])
        );
        assert!(!health.logged);
        // Only the exact path is the health check.
        assert_eq!(app.reply(b"/health/", Phase::Serving).status, 200);
        assert!(app.reply(b"/healthz", Phase::Serving).logged);
        assert_eq!(app.reply(b"/health", Phase::Delaying).status, 503);
        assert_eq!(app.reply(b"/health", Phase::Draining).status, 503);
    }

    #[test]
    fn health_ignores_the_status_code() {
        let app = App::new("x", 418);
        assert_eq!(app.reply(b"/", Phase::Serving).status, 418);
        assert_eq!(app.reply(b"/health", Phase::Serving).status, 200);
    }

    #[test]
    fn statuses_without_a_body() {
        for code in [204, 304] {
            let app = App::new("x", code);
            let reply = app.reply(b"/", Phase::Serving);
            assert!(reply.body.is_empty());
            assert_eq!(reply.content_type, None);
            assert!(!head(reply).contains("Content-Length"));
        }
        // Go sends a configured 1xx as an interim response, then 200 with the body.
        let app = App::new("x", 103);
        let reply = app.reply(b"/", Phase::Serving);
        assert_eq!((reply.status, reply.logged_status), (200, 103));
        assert!(reply
            .h1_interim
            .as_ref()
            .unwrap()
            .starts_with(b"HTTP/1.1 103 Early Hints\r\n"));
    }

    #[test]
    fn unknown_codes_use_gos_fallback_reason() {
        assert_eq!(reason(599), "status code 599");
        let app = App::new("x", 999);
        assert!(head(app.reply(b"/", Phase::Serving)).starts_with(" 999 status code 999\r\n"));
    }

    #[test]
    fn html_text_is_served_as_html() {
        let app = App::new("<h1>hi</h1>", 200);
        assert_eq!(
            app.reply(b"/", Phase::Serving).content_type,
            Some("text/html; charset=utf-8")
        );
    }
}
