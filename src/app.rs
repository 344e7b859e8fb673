//! What each request gets: the echo, the health answer, or an error.
//!
//! A reply is described once, protocol-free: its status, its header fields and its
//! body. From that one description both protocols' forms are made at startup:
//! the HTTP/1 status line and header bytes, and the HTTP/2 header map that is
//! cloned for each answer. Only `Date` (and, over HTTP/1, `Connection`) is added
//! per answer, so a header added here reaches both protocols or neither.
//!
//! The opt-in features are decided here too, once: `-served-by` is one more
//! common field, and the fault flags are replies of their own (and a delay on
//! the echo), so that with none of them set every reply is upstream's.

use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue};

use crate::faults::{Faults, Health, Schedule};
use crate::served_by::Replica;
use crate::shutdown::Phase;
use crate::sniff;
use crate::version::{NAME, VERSION};

/// One ready-made answer.
#[derive(Debug)]
pub struct Reply {
    /// The final status sent. A configured 1xx is sent as 200, as Go ends up
    /// sending; never 101, since this server switches to no other protocol.
    pub status: u16,
    /// The status the access log reports: upstream logs the configured code even
    /// when Go turns a 1xx into an interim response followed by 200.
    pub logged_status: u16,
    /// Empty when the status forbids a body (204, 304).
    pub body: Bytes,
    /// Body length as the access log reports it: what upstream's handler wrote,
    /// also when the body is not sent (HEAD, 204, 304).
    pub logged_bytes: usize,
    /// Upstream logs echo requests but not `/health`.
    pub logged: bool,
    /// HTTP/1 only: close the connection after this answer.
    pub closes_connection: bool,
    /// `-delay`: how long the answer waits, once the request is complete.
    pub delay: Option<Duration>,
    /// The header fields of every answer of this reply, without `Date`: what an
    /// HTTP/2 answer clones.
    pub headers: HeaderMap,
    /// For a configured 1xx (but 101): sent first over HTTP/1.1, as Go does.
    pub h1_interim: Option<Vec<u8>>,
    /// HTTP/1 bytes after `HTTP/1.x`: ` 200 OK\r\n` and the same header fields as
    /// [`Reply::headers`], each ending in CRLF, without `Date`, `Connection` or the
    /// blank line.
    pub h1_head: Vec<u8>,
}

/// Which of an [`App`]'s replies a request gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyId {
    Echo,
    Health,
    HealthShuttingDown,
    ConnectRefused,
    /// `-error-rate`'s 503.
    Unavailable,
    /// `/health` before `-ready-after` has passed.
    HealthStarting,
    /// `/health` once `-unhealthy-after` has passed.
    HealthUnhealthy,
}

/// The replies of one server configuration.
#[derive(Debug)]
pub struct App {
    /// Header fields on every answer, errors included.
    common: Vec<Field>,
    echo: Reply,
    health: Reply,
    health_shutting_down: Reply,
    /// For CONNECT, which asks for a tunnel this server never opens.
    connect_refused: Reply,
    /// Only with a fault flag set: without, the echo costs one check for it.
    faults: Option<Box<FaultReplies>>,
}

/// The replies the fault flags add, and when each is due.
#[derive(Debug)]
struct FaultReplies {
    schedule: Schedule,
    /// `-error-rate`'s answer: the echo's text and fields, with 503.
    unavailable: Reply,
    /// `/health` before `-ready-after` has passed.
    health_starting: Reply,
    /// `/health` once `-unhealthy-after` has passed.
    health_unhealthy: Reply,
}

/// One header field: the name as HTTP/1 spells it (HTTP/2 lowercases it).
#[derive(Clone, Debug)]
struct Field {
    name: &'static str,
    value: HeaderValue,
}

/// The only path with its own handler, matched exactly as Go's ServeMux does.
pub const HEALTH_PATH: &[u8] = b"/health";

/// The application's name on every answer, as upstream sends it.
pub const APP_NAME_HEADER: &str = "X-App-Name";
/// The version of the server that answered, on every answer.
pub const APP_VERSION_HEADER: &str = "X-App-Version";
/// The replica that answered, on every answer with `-served-by`. The watcher
/// (`src/watch`) reads the same two names back.
pub const SERVED_BY_HEADER: &str = "X-Served-By";

/// The type of every text this server writes itself (health, errors).
const PLAIN_TEXT: &str = "text/plain; charset=utf-8";

impl App {
    /// Upstream's replies for `text` (a newline is appended) with `status_code`
    /// (100..=999).
    pub fn new(text: &str, status_code: u16) -> App {
        App::with(text, status_code, None, Faults::default())
    }

    /// The replies, naming `served_by` on every answer when given, with the
    /// fault flags `faults`; their times count from now.
    pub fn with(text: &str, status_code: u16, served_by: Option<&Replica>, faults: Faults) -> App {
        let mut common = vec![
            Field {
                name: APP_NAME_HEADER,
                value: HeaderValue::from_static(NAME),
            },
            Field {
                name: APP_VERSION_HEADER,
                value: HeaderValue::from_static(VERSION),
            },
        ];
        // A replica's name is made of header-safe bytes only.
        if let Some(value) = served_by.and_then(|r| HeaderValue::from_str(r.as_str()).ok()) {
            common.push(Field {
                name: SERVED_BY_HEADER,
                value,
            });
        }
        let mut body = Vec::with_capacity(text.len() + 1);
        body.extend_from_slice(text.as_bytes());
        body.push(b'\n');
        // Go sends a configured 1xx as an interim response and then 200 with the
        // text. A 101 cannot be interim: it would announce a protocol switch that
        // never happens (and a proxy would make the connection a tunnel), so it
        // is answered with the 200 alone.
        let informational = (100..200).contains(&status_code);
        let status = if informational { 200 } else { status_code };
        let content_type = sniff::content_type(&body);
        let injected = faults.any().then(|| {
            let mut unavailable = Reply::build(&common, 503, body.clone(), content_type, &[]);
            unavailable.logged = true;
            unavailable.delay = faults.delay;
            let health = |status: &str| {
                let body = format!("{{\"status\":\"{status}\"}}\n").into_bytes();
                Reply::build(&common, 503, body, PLAIN_TEXT, &[])
            };
            Box::new(FaultReplies {
                schedule: Schedule::start(faults),
                unavailable,
                health_starting: health("starting"),
                health_unhealthy: health("unhealthy"),
            })
        });
        let mut echo = Reply::build(&common, status, body, content_type, &[]);
        echo.logged = true;
        echo.logged_status = status_code;
        echo.delay = faults.delay;
        if informational && status_code != 101 {
            echo.h1_interim = Some(interim_bytes(&common, status_code));
        }
        let health = Reply::build(
            &common,
            200,
            b"{\"status\":\"ok\"}\n".to_vec(),
            PLAIN_TEXT,
            &[],
        );
        let health_shutting_down = Reply::build(
            &common,
            503,
            b"{\"status\":\"shutting down\"}\n".to_vec(),
            PLAIN_TEXT,
            &[],
        );
        // Go's ServeMux answers CONNECT (no path to match) with http.NotFound.
        let mut connect_refused = Reply::build(
            &common,
            404,
            b"404 page not found\n".to_vec(),
            PLAIN_TEXT,
            &[Field {
                name: "X-Content-Type-Options",
                value: HeaderValue::from_static("nosniff"),
            }],
        );
        connect_refused.logged = true;
        // No proxy in front may take what follows on the connection for a tunnel.
        connect_refused.closes_connection = true;
        App {
            common,
            echo,
            health,
            health_shutting_down,
            connect_refused,
            faults: injected,
        }
    }

    /// The reply for a request with `method` to `path` (percent-decoded, without
    /// the query). With `-error-rate`, each call for a path but /health counts
    /// as one answer of the rate.
    pub fn reply(&self, method: &str, path: &[u8], phase: Phase) -> &Reply {
        self.get(self.choose(method, path, phase))
    }

    /// [`App::reply`], named rather than borrowed: for a connection that answers
    /// later and should not hold a borrow of the app meanwhile.
    pub fn choose(&self, method: &str, path: &[u8], phase: Phase) -> ReplyId {
        if method == "CONNECT" {
            // A 2xx would tell every proxy in front that the connection is now a
            // tunnel (RFC 9110 §9.3.6), and carry the next request past it.
            ReplyId::ConnectRefused
        } else if path != HEALTH_PATH {
            match &self.faults {
                Some(faults) if faults.schedule.next_answer_fails() => ReplyId::Unavailable,
                _ => ReplyId::Echo,
            }
        } else if phase != Phase::Serving {
            // Load balancers stop sending new requests once their check fails.
            ReplyId::HealthShuttingDown
        } else {
            match self.faults.as_deref().map(|f| f.schedule.health()) {
                Some(Health::Starting) => ReplyId::HealthStarting,
                Some(Health::Unhealthy) => ReplyId::HealthUnhealthy,
                _ => ReplyId::Health,
            }
        }
    }

    /// The reply `id` names. The fault flags' replies exist only with a fault
    /// flag set, and [`App::choose`] names them only then.
    pub fn get(&self, id: ReplyId) -> &Reply {
        let faults = self.faults.as_deref();
        match (id, faults) {
            (ReplyId::Echo, _) => &self.echo,
            (ReplyId::Health, _) => &self.health,
            (ReplyId::HealthShuttingDown, _) => &self.health_shutting_down,
            (ReplyId::ConnectRefused, _) => &self.connect_refused,
            (ReplyId::Unavailable, Some(faults)) => &faults.unavailable,
            (ReplyId::HealthStarting, Some(faults)) => &faults.health_starting,
            (ReplyId::HealthUnhealthy, Some(faults)) => &faults.health_unhealthy,
            (_, None) => &self.echo,
        }
    }

    /// The answer to a request refused before it reached [`App::reply`], worded as
    /// Go's server words them (`400 Bad Request: missing required Host header`).
    /// Built when needed: refusals are rare and most carry their own detail.
    pub fn error(&self, status: u16, detail: Option<&str>) -> Reply {
        let reason = reason(status);
        let body = match detail {
            Some(detail) => format!("{status} {reason}: {detail}"),
            None => format!("{status} {reason}"),
        };
        self.refusal(status, body)
    }

    /// A refusal with a text of its own, after which the connection closes.
    pub fn refusal(&self, status: u16, text: String) -> Reply {
        let mut reply = Reply::build(&self.common, status, text.into_bytes(), PLAIN_TEXT, &[]);
        reply.closes_connection = true;
        reply
    }
}

impl Reply {
    /// A reply with the `common` fields, then `extra`, then the body's type and
    /// length when `status` allows a body.
    fn build(
        common: &[Field],
        status: u16,
        body: Vec<u8>,
        content_type: &'static str,
        extra: &[Field],
    ) -> Reply {
        let logged_bytes = body.len();
        let mut fields: Vec<Field> = common.iter().chain(extra).cloned().collect();
        let body = if body_allowed(status) {
            fields.push(Field {
                name: "Content-Type",
                value: HeaderValue::from_static(content_type),
            });
            fields.push(Field {
                name: "Content-Length",
                value: HeaderValue::from(body.len()),
            });
            Bytes::from(body)
        } else {
            Bytes::new()
        };
        let mut h1_head = format!(" {status} {}\r\n", reason(status)).into_bytes();
        write_h1_fields(&mut h1_head, &fields);
        Reply {
            status,
            logged_status: status,
            body,
            logged_bytes,
            logged: false,
            closes_connection: false,
            delay: None,
            headers: header_map(&fields),
            h1_interim: None,
            h1_head,
        }
    }
}

/// `HTTP/1.1 103 Early Hints` with the common fields, as Go sends the handler's
/// headers on an interim response.
fn interim_bytes(common: &[Field], status: u16) -> Vec<u8> {
    let mut bytes = format!("HTTP/1.1 {status} {}\r\n", reason(status)).into_bytes();
    write_h1_fields(&mut bytes, common);
    bytes.extend_from_slice(b"\r\n");
    bytes
}

fn write_h1_fields(out: &mut Vec<u8>, fields: &[Field]) {
    for field in fields {
        out.extend_from_slice(field.name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(field.value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
}

fn header_map(fields: &[Field]) -> HeaderMap {
    let mut map = HeaderMap::with_capacity(fields.len() + 1);
    for field in fields {
        // Every name here is a fixed, valid header name.
        if let Ok(name) = HeaderName::from_bytes(field.name.as_bytes()) {
            map.append(name, field.value.clone());
        }
    }
    map
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

    /// The fields of the HTTP/2 form, as `Name: value` lines in the HTTP/1 form's order.
    fn h2_fields(reply: &Reply) -> Vec<String> {
        reply
            .headers
            .iter()
            .map(|(name, value)| format!("{}: {}", name, value.to_str().unwrap()))
            .collect()
    }

    #[test]
    fn echo_and_health() {
        let app = App::new("hello", 200);
        let echo = app.reply("GET", b"/", Phase::Serving);
        assert_eq!(&echo.body[..], b"hello\n");
        assert!(echo.logged);
        assert_eq!(
            head(echo),
            format!(
                " 200 OK\r\nX-App-Name: http-echo\r\nX-App-Version: {VERSION}\r\n\
                 Content-Type: text/plain; charset=utf-8\r\nContent-Length: 6\r\n"
            )
        );
        let health = app.reply("GET", b"/health", Phase::Serving);
        assert_eq!(
            (health.status, &health.body[..]),
            (200, &b"{\"status\":\"ok\"}\n"[..])
        );
        assert!(!health.logged);
        // Only the exact path is the health check.
        assert_eq!(app.reply("GET", b"/health/", Phase::Serving).status, 200);
        assert!(app.reply("GET", b"/healthz", Phase::Serving).logged);
        assert_eq!(app.reply("GET", b"/health", Phase::Delaying).status, 503);
        assert_eq!(app.reply("POST", b"/health", Phase::Draining).status, 503);
    }

    #[test]
    fn both_protocols_get_the_same_fields_in_the_same_order() {
        let app = App::new("hello", 200);
        for reply in [
            app.reply("GET", b"/", Phase::Serving),
            app.reply("GET", b"/health", Phase::Serving),
            app.reply("GET", b"/health", Phase::Draining),
            app.reply("CONNECT", b"", Phase::Serving),
            &app.error(413, None),
        ] {
            let h1: Vec<String> = head(reply)
                .split("\r\n")
                .skip(1)
                .filter(|line| !line.is_empty())
                .map(str::to_ascii_lowercase)
                .collect();
            let h2: Vec<String> = h2_fields(reply)
                .iter()
                .map(|line| line.to_ascii_lowercase())
                .collect();
            assert_eq!(h1, h2, "{}", head(reply));
        }
    }

    #[test]
    fn served_by_is_on_every_reply_errors_and_interim_ones_included() {
        let replica = Replica::from_pairs(&[("task", "abc"), ("az", "z1")]);
        let app = App::with("x", 103, Some(&replica), Faults::default());
        let line = "X-Served-By: task=abc az=z1\r\n";
        for reply in [
            app.reply("GET", b"/", Phase::Serving),
            app.reply("GET", b"/health", Phase::Serving),
            app.reply("GET", b"/health", Phase::Draining),
            app.reply("CONNECT", b"", Phase::Serving),
            &app.error(400, Some("bad")),
            &app.refusal(400, "plain".to_owned()),
        ] {
            assert!(head(reply).contains(line), "{}", head(reply));
            assert_eq!(reply.headers["x-served-by"], "task=abc az=z1");
        }
        let interim = app.reply("GET", b"/", Phase::Serving).h1_interim.clone();
        assert!(String::from_utf8(interim.unwrap()).unwrap().contains(line));
        // Without it, no such field anywhere.
        let app = App::new("x", 200);
        assert!(!head(app.reply("GET", b"/", Phase::Serving)).contains("X-Served-By"));
    }

    #[test]
    fn fault_replies_exist_only_with_a_fault_flag() {
        let app = App::new("x", 200);
        assert!(app.faults.is_none());
        assert_eq!(app.reply("GET", b"/", Phase::Serving).delay, None);
        let faults = Faults {
            delay: Some(std::time::Duration::from_millis(5)),
            error_rate: crate::faults::ErrorRate::parse("0.5").unwrap(),
            ..Faults::default()
        };
        let app = App::with("x", 201, None, faults);
        let statuses: Vec<u16> = (0..4)
            .map(|_| app.reply("GET", b"/", Phase::Serving).status)
            .collect();
        assert_eq!(statuses, [201, 503, 201, 503]);
        // Both wait; /health does not, and does not count.
        assert_eq!(app.reply("GET", b"/", Phase::Serving).delay, faults.delay);
        assert_eq!(app.reply("GET", b"/", Phase::Serving).delay, faults.delay);
        assert_eq!(app.reply("GET", b"/health", Phase::Serving).delay, None);
        assert_eq!(app.reply("GET", b"/", Phase::Serving).status, 201);
        let unavailable = app.reply("GET", b"/", Phase::Serving);
        assert_eq!((unavailable.status, unavailable.logged), (503, true));
        assert_eq!(&unavailable.body[..], b"x\n");
    }

    #[test]
    fn health_ignores_the_status_code() {
        let app = App::new("x", 418);
        assert_eq!(app.reply("GET", b"/", Phase::Serving).status, 418);
        assert_eq!(app.reply("GET", b"/health", Phase::Serving).status, 200);
    }

    #[test]
    fn statuses_without_a_body() {
        for code in [204, 304] {
            let app = App::new("hello", code);
            let reply = app.reply("GET", b"/", Phase::Serving);
            assert!(reply.body.is_empty());
            assert!(!head(reply).contains("Content-Length"));
            assert!(!head(reply).contains("Content-Type"));
            // Logged as upstream logs it: what its handler wrote.
            assert_eq!(reply.logged_bytes, 6);
        }
        // Go sends a configured 1xx as an interim response, then 200 with the body.
        let app = App::new("x", 103);
        let reply = app.reply("GET", b"/", Phase::Serving);
        assert_eq!((reply.status, reply.logged_status), (200, 103));
        assert!(reply
            .h1_interim
            .as_ref()
            .unwrap()
            .starts_with(b"HTTP/1.1 103 Early Hints\r\n"));
    }

    #[test]
    fn errors_are_worded_like_go() {
        let app = App::new("x", 200);
        let reply = app.error(400, Some("missing required Host header"));
        assert_eq!(
            &reply.body[..],
            b"400 Bad Request: missing required Host header"
        );
        assert!(reply.closes_connection);
        assert!(head(&reply).starts_with(" 400 Bad Request\r\nX-App-Name: http-echo\r\n"));
        assert_eq!(&app.error(408, None).body[..], b"408 Request Timeout");
    }

    #[test]
    fn a_configured_101_never_announces_a_protocol_switch() {
        let app = App::new("x", 101);
        let reply = app.reply("GET", b"/", Phase::Serving);
        assert_eq!((reply.status, reply.logged_status), (200, 101));
        assert_eq!(reply.h1_interim, None);
        assert!(!reply.closes_connection);
        assert_eq!(&reply.body[..], b"x\n");
    }

    #[test]
    fn connect_gets_gos_not_found_and_closes() {
        let app = App::new("x", 200);
        for path in [&b""[..], b"/", b"/health"] {
            let reply = app.reply("CONNECT", path, Phase::Serving);
            assert_eq!(reply.status, 404);
            assert_eq!(&reply.body[..], b"404 page not found\n");
            assert!(reply.closes_connection && reply.logged);
        }
    }

    #[test]
    fn unknown_codes_use_gos_fallback_reason() {
        assert_eq!(reason(599), "status code 599");
        let app = App::new("x", 999);
        assert!(
            head(app.reply("GET", b"/", Phase::Serving)).starts_with(" 999 status code 999\r\n")
        );
    }

    #[test]
    fn html_text_is_served_as_html() {
        let app = App::new("<h1>hi</h1>", 200);
        assert!(head(app.reply("GET", b"/", Phase::Serving))
            .contains("Content-Type: text/html; charset=utf-8\r\n"));
    }
}
