//! The access log: one line per request, in upstream's text format or as JSON.
//!
//! Text (upstream's format, byte for byte; a field that would break the line is
//! escaped as Go's `%q` escapes it, see `go_quote`):
//! `2026/11/26 13:11:05 localhost:5678 127.0.0.1:50312 "GET /a HTTP/1.1" 200 12 "curl/8.5.0" 41.2µs`
//!
//! JSON (one object per line, for CloudWatch Logs Insights):
//! `{"time":"2026-11-26T13:11:05.123Z","method":"GET","path":"/a","proto":"HTTP/1.1",
//! "status":200,"bytes":12,"duration_ms":0.041,"remote":"127.0.0.1:50312",
//! "host":"localhost:5678","user_agent":"curl/8.5.0","x_forwarded_for":"",
//! "x_amzn_trace_id":""}`; with `-served-by`, a last field `"served_by":"task=..."`.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use super::go_quote::{write_field, Place};
use super::writer::{Buffer, LogWriter};
use crate::clock;
use crate::config::LogFormat;
use crate::duration::{write_go, write_uint};

/// What one request leaves in the log. Byte fields are raw header values.
pub struct Entry<'a> {
    pub host: &'a [u8],
    pub remote: SocketAddr,
    pub method: &'a str,
    /// Percent-decoded, without the query, as Go's `r.URL.Path`.
    pub path: &'a [u8],
    pub proto: &'static str,
    pub status: u16,
    pub bytes: usize,
    pub user_agent: &'a [u8],
    pub forwarded_for: &'a [u8],
    pub trace_id: &'a [u8],
    pub duration: Duration,
}

/// A cheap handle to the log; clone it into every connection.
#[derive(Clone)]
pub struct AccessLog {
    format: LogFormat,
    buffer: Option<Arc<Buffer>>,
    /// What ends every JSON line before its `}`: empty, or with `-served-by` the
    /// `,"served_by":"..."` field, written once here rather than per line.
    json_tail: Arc<[u8]>,
}

impl AccessLog {
    /// A log written to stdout by a background thread.
    pub fn stdout(format: LogFormat) -> (AccessLog, Option<LogWriter>) {
        AccessLog::to_writer(format, Box::new(std::io::stdout()))
    }

    /// A log written to `out` by a background thread (tests pass a buffer).
    pub fn to_writer(
        format: LogFormat,
        out: Box<dyn Write + Send>,
    ) -> (AccessLog, Option<LogWriter>) {
        if format == LogFormat::Off {
            return (AccessLog::off(), None);
        }
        let buffer = Arc::new(Buffer::default());
        let writer = LogWriter::start(Arc::clone(&buffer), out);
        (
            AccessLog {
                format,
                buffer: Some(buffer),
                json_tail: Arc::from(&b""[..]),
            },
            Some(writer),
        )
    }

    /// A log that records nothing.
    pub fn off() -> AccessLog {
        AccessLog {
            format: LogFormat::Off,
            buffer: None,
            json_tail: Arc::from(&b""[..]),
        }
    }

    /// Names the replica in every JSON line (`served_by`); the text line stays
    /// upstream's.
    pub fn serving_as(mut self, replica: &str) -> AccessLog {
        let mut tail = b",\"served_by\":".to_vec();
        write_json_string(&mut tail, replica.as_bytes());
        self.json_tail = Arc::from(tail);
        self
    }

    /// False when the format is `off`: callers skip building entries.
    pub fn is_enabled(&self) -> bool {
        self.buffer.is_some()
    }

    pub fn record(&self, entry: &Entry<'_>) {
        let Some(buffer) = &self.buffer else { return };
        match self.format {
            LogFormat::Text => buffer.append(|out| write_text(out, entry)),
            LogFormat::Json => buffer.append(|out| write_json(out, entry, &self.json_tail)),
            LogFormat::Off => {}
        }
    }
}

fn write_text(out: &mut Vec<u8>, e: &Entry<'_>) {
    clock::with_now(|second, _| out.extend_from_slice(&second.go_local));
    out.push(b' ');
    write_field(out, e.host, Place::Bare);
    out.push(b' ');
    write_remote(out, e.remote);
    out.extend_from_slice(b" \"");
    write_field(out, e.method.as_bytes(), Place::Bare);
    out.push(b' ');
    write_field(out, e.path, Place::InQuotes);
    out.push(b' ');
    out.extend_from_slice(e.proto.as_bytes());
    out.extend_from_slice(b"\" ");
    write_uint(out, u64::from(e.status));
    out.push(b' ');
    write_uint(out, e.bytes as u64);
    out.extend_from_slice(b" \"");
    write_field(out, e.user_agent, Place::InQuotes);
    out.extend_from_slice(b"\" ");
    write_go(out, e.duration);
    out.push(b'\n');
}

/// `tail` goes after the last field, before the closing brace.
fn write_json(out: &mut Vec<u8>, e: &Entry<'_>, tail: &[u8]) {
    out.extend_from_slice(b"{\"time\":\"");
    clock::with_now(|second, millis| {
        out.extend_from_slice(&second.utc_iso);
        out.push(b'.');
        out.push(b'0' + (millis / 100) as u8);
        out.push(b'0' + (millis / 10 % 10) as u8);
        out.push(b'0' + (millis % 10) as u8);
    });
    out.extend_from_slice(b"Z\",\"method\":");
    write_json_string(out, e.method.as_bytes());
    out.extend_from_slice(b",\"path\":");
    write_json_string(out, e.path);
    out.extend_from_slice(b",\"proto\":\"");
    out.extend_from_slice(e.proto.as_bytes());
    out.extend_from_slice(b"\",\"status\":");
    write_uint(out, u64::from(e.status));
    out.extend_from_slice(b",\"bytes\":");
    write_uint(out, e.bytes as u64);
    out.extend_from_slice(b",\"duration_ms\":");
    let micros = e.duration.as_micros().min(u128::from(u64::MAX)) as u64;
    write_uint(out, micros / 1000);
    out.push(b'.');
    let fraction = micros % 1000;
    out.push(b'0' + (fraction / 100) as u8);
    out.push(b'0' + (fraction / 10 % 10) as u8);
    out.push(b'0' + (fraction % 10) as u8);
    out.extend_from_slice(b",\"remote\":\"");
    write_remote(out, e.remote);
    out.extend_from_slice(b"\",\"host\":");
    write_json_string(out, e.host);
    out.extend_from_slice(b",\"user_agent\":");
    write_json_string(out, e.user_agent);
    out.extend_from_slice(b",\"x_forwarded_for\":");
    write_json_string(out, e.forwarded_for);
    out.extend_from_slice(b",\"x_amzn_trace_id\":");
    write_json_string(out, e.trace_id);
    out.extend_from_slice(tail);
    out.extend_from_slice(b"}\n");
}

/// `1.2.3.4:5678` or `[::1]:5678`, as Go's `RemoteAddr`. IPv4 clients of a
/// dual-stack socket arrive as `::ffff:1.2.3.4`; Go shows them as plain IPv4.
fn write_remote(out: &mut Vec<u8>, addr: SocketAddr) {
    match addr.ip().to_canonical() {
        IpAddr::V4(ip) => {
            for (i, octet) in ip.octets().into_iter().enumerate() {
                if i > 0 {
                    out.push(b'.');
                }
                write_uint(out, u64::from(octet));
            }
        }
        IpAddr::V6(ip) => {
            let _ = write!(out, "[{ip}]");
        }
    }
    out.push(b':');
    write_uint(out, u64::from(addr.port()));
}

/// A JSON string. Header bytes need not be UTF-8: invalid sequences become U+FFFD
/// so that every line stays valid JSON.
fn write_json_string(out: &mut Vec<u8>, raw: &[u8]) {
    out.push(b'"');
    for chunk in raw.utf8_chunks() {
        for &b in chunk.valid().as_bytes() {
            match b {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                0..=0x1f | 0x7f => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    out.extend_from_slice(b"\\u00");
                    out.push(HEX[usize::from(b >> 4)]);
                    out.push(HEX[usize::from(b & 0xf)]);
                }
                _ => out.push(b),
            }
        }
        if !chunk.invalid().is_empty() {
            out.extend_from_slice("\u{fffd}".as_bytes());
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Entry<'static> {
        Entry {
            host: b"localhost:5678",
            remote: "[::ffff:10.0.0.7]:40000".parse().unwrap(),
            method: "GET",
            path: b"/a b",
            proto: "HTTP/1.1",
            status: 200,
            bytes: 12,
            user_agent: b"curl/8.5.0",
            forwarded_for: b"203.0.113.9",
            trace_id: b"Root=1-abc",
            duration: Duration::from_nanos(41_200),
        }
    }

    #[test]
    fn text_line_matches_upstream() {
        let mut out = Vec::new();
        write_text(&mut out, &entry());
        let line = String::from_utf8(out).unwrap();
        let (stamp, rest) = line.split_at(19);
        assert_eq!(stamp.len(), 19);
        assert_eq!(
            rest,
            " localhost:5678 10.0.0.7:40000 \"GET /a b HTTP/1.1\" 200 12 \"curl/8.5.0\" 41.2µs\n"
        );
    }

    #[test]
    fn json_line_escapes_and_keeps_fields() {
        let mut e = entry();
        e.user_agent = b"say \"hi\"\\\x01\xff";
        e.remote = "[2001:db8::1]:443".parse().unwrap();
        let mut out = Vec::new();
        write_json(&mut out, &e, b"");
        let line = String::from_utf8(out).unwrap();
        assert!(line.ends_with("}\n"));
        assert!(line.starts_with("{\"time\":\""));
        assert!(line.contains(
            "\"method\":\"GET\",\"path\":\"/a b\",\"proto\":\"HTTP/1.1\",\"status\":200,\
             \"bytes\":12,\"duration_ms\":0.041,\"remote\":\"[2001:db8::1]:443\""
        ));
        assert!(line.contains("\"user_agent\":\"say \\\"hi\\\"\\\\\\u0001\u{fffd}\""));
        assert!(
            line.contains("\"x_forwarded_for\":\"203.0.113.9\",\"x_amzn_trace_id\":\"Root=1-abc\"")
        );
    }
}
