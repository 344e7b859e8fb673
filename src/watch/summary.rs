//! The watch's result as one line of JSON, the last line on stdout, for a deploy
//! script to read. Written by hand: a serializer would cost the binary more than
//! these few fields.
//!
//! Every field is always present, so a reader need not guess: counts are 0,
//! tables empty, latencies `null` when no answer came. Times (`*_s`) are seconds
//! from the start of the watch, whose wall-clock time is `started`.

use std::fmt::Write;
use std::time::Duration;

use super::exchange::FailureKind;
use super::tally::{Seen, Tally, Why};

/// What the summary says about the watch itself, besides what it saw.
pub struct Header<'a> {
    pub url: &'a str,
    /// `2026-11-26T13:11:05Z`.
    pub started: &'a str,
    pub elapsed: Duration,
    pub rate: u32,
    pub expect_status: &'a str,
    pub expect_text: &'a str,
}

pub fn json(header: &Header<'_>, tally: &Tally) -> String {
    let mut out = String::with_capacity(1024);
    out.push_str("{\"url\":");
    string(&mut out, header.url);
    out.push_str(",\"started\":");
    string(&mut out, header.started);
    let _ = write!(
        out,
        ",\"duration_s\":{},\"rate\":{},\"expect_status\":",
        seconds(header.elapsed),
        header.rate
    );
    string(&mut out, header.expect_status);
    out.push_str(",\"expect_text\":");
    string(&mut out, header.expect_text);
    let _ = write!(
        out,
        ",\"requests\":{},\"failed\":{},\"failures\":{{",
        tally.requests, tally.failed
    );
    for kind in FailureKind::ALL {
        let _ = write!(out, "\"{}\":{},", kind.name(), tally.count(kind));
    }
    status_counts(&mut out, "status_5xx", tally, |why| match why {
        Why::ServerError(status) => Some(status),
        _ => None,
    });
    out.push(',');
    status_counts(&mut out, "unexpected_status", tally, |why| match why {
        Why::UnexpectedStatus(status) => Some(status),
        _ => None,
    });
    let unexpected_body = tally.failures.get(&Why::UnexpectedBody).unwrap_or(&0);
    let _ = write!(
        out,
        ",\"unexpected_body\":{unexpected_body}}},\"skipped\":{},\
         \"connections\":{{\"new\":{},\"reused\":{}}},\"latency_ms\":{{\"p50\":{},\"p99\":{},\"max\":{}}}",
        tally.skipped,
        tally.requests - tally.reused,
        tally.reused,
        millis(tally.latency.percentile_micros(500)),
        millis(tally.latency.percentile_micros(990)),
        millis(tally.latency.max_micros()),
    );
    out.push_str(",\"versions\":[");
    for (index, ((app_version, text), seen)) in tally.versions.entries.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push_str("{\"app_version\":");
        match app_version {
            Some(version) => string(&mut out, version),
            None => out.push_str("null"),
        }
        out.push_str(",\"text\":");
        string(&mut out, text);
        seen_fields(&mut out, seen);
    }
    out.push_str("],\"served_by\":[");
    for (index, (replica, seen)) in tally.replicas.entries.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push_str("{\"served_by\":");
        string(&mut out, replica);
        seen_fields(&mut out, seen);
    }
    let _ = write!(
        out,
        "],\"unlisted\":{{\"versions\":{},\"served_by\":{}}},\"first_failures\":[",
        tally.versions.unlisted, tally.replicas.unlisted
    );
    for (index, sample) in tally.samples.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        let _ = write!(
            out,
            "{{\"at_s\":{},\"kind\":\"{}\",\"connection\":\"{}\",\"detail\":",
            seconds(sample.sent_at),
            kind_key(sample.why),
            if sample.reused { "reused" } else { "new" }
        );
        string(&mut out, &sample.detail);
        out.push('}');
    }
    out.push_str("]}");
    out
}

/// The key under `failures` that counts `why`.
pub fn kind_key(why: Why) -> &'static str {
    match why {
        Why::Transport(kind) => kind.name(),
        Why::ServerError(_) => "status_5xx",
        Why::UnexpectedStatus(_) => "unexpected_status",
        Why::UnexpectedBody => "unexpected_body",
    }
}

/// `"name":{"503":2,...}`, for the failures `status_of` picks.
fn status_counts(out: &mut String, name: &str, tally: &Tally, status_of: fn(Why) -> Option<u16>) {
    let _ = write!(out, "\"{name}\":{{");
    let mut first = true;
    for (&why, count) in &tally.failures {
        if let Some(status) = status_of(why) {
            if !first {
                out.push(',');
            }
            first = false;
            let _ = write!(out, "\"{status}\":{count}");
        }
    }
    out.push('}');
}

fn seen_fields(out: &mut String, seen: &Seen) {
    let _ = write!(
        out,
        ",\"requests\":{},\"failed\":{},\"first_s\":{},\"last_s\":{}}}",
        seen.requests,
        seen.failed,
        seconds(seen.first),
        seconds(seen.last)
    );
}

/// Seconds with millisecond precision.
fn seconds(d: Duration) -> String {
    decimal(d.as_millis().try_into().unwrap_or(u64::MAX), 3)
}

/// Milliseconds with microsecond precision, or `null`.
fn millis(micros: Option<u64>) -> String {
    micros.map_or_else(|| "null".to_owned(), |micros| decimal(micros, 3))
}

/// `units` / 10^`digits` with exactly `digits` decimals: `decimal(1500, 3)` is
/// `1.500`. Integer arithmetic: float formatting would add its tables to the
/// binary for three numbers.
pub fn decimal(units: u64, digits: u32) -> String {
    let scale = 10u64.pow(digits);
    format!(
        "{}.{:0width$}",
        units / scale,
        units % scale,
        width = digits as usize
    )
}

/// A JSON string (RFC 8259): quotes, backslashes and control characters escaped.
fn string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_without_floats() {
        assert_eq!(decimal(1500, 3), "1.500");
        assert_eq!(decimal(7, 3), "0.007");
        assert_eq!(decimal(12, 1), "1.2");
    }

    #[test]
    fn strings_are_escaped() {
        let mut out = String::new();
        string(&mut out, "a\"b\\c\nd\u{1}é");
        assert_eq!(out, r#""a\"b\\c\nd\u0001é""#);
    }

    #[test]
    fn a_busy_watch_is_valid_json() {
        use super::super::exchange::{Answer, Failure};
        use super::super::tally::{Expectation, Outcome};
        use super::super::ExpectedStatus;

        let expect = Expectation {
            status: ExpectedStatus::parse("2xx").unwrap(),
            text: String::new(),
        };
        let mut tally = Tally::default();
        for (ms, status, body) in [(0, 200, "v1\n"), (10, 503, "\"down\"\n"), (20, 200, "v2\n")] {
            tally.record(
                Outcome {
                    sent_at: Duration::from_millis(ms),
                    latency: Duration::from_micros(1500),
                    reused: ms > 0,
                    result: Ok(Answer {
                        status,
                        app_version: None,
                        served_by: Some(format!("task={ms}")),
                        body: body.as_bytes().to_vec(),
                    }),
                },
                &expect,
            );
        }
        tally.record(
            Outcome {
                sent_at: Duration::from_millis(30),
                latency: Duration::ZERO,
                reused: false,
                result: Err(Failure {
                    kind: FailureKind::Reset,
                    detail: "Connection reset by peer".to_owned(),
                }),
            },
            &expect,
        );
        let header = Header {
            url: "http://h/",
            started: "2026-11-26T13:11:05Z",
            elapsed: Duration::from_secs(1),
            rate: 20,
            expect_status: "2xx",
            expect_text: "",
        };
        let summary: serde_json::Value = serde_json::from_str(&json(&header, &tally)).unwrap();
        assert_eq!(summary["requests"], 4);
        assert_eq!(summary["failed"], 2);
        assert_eq!(summary["failures"]["reset"], 1);
        assert_eq!(summary["failures"]["status_5xx"]["503"], 1);
        assert_eq!(summary["connections"]["reused"], 2);
        assert_eq!(summary["latency_ms"]["max"], 1.5);
        assert_eq!(summary["versions"][1]["text"], "\"down\"");
        assert_eq!(summary["versions"][1]["failed"], 1);
        assert_eq!(summary["versions"][2]["first_s"], 0.02);
        assert_eq!(
            summary["versions"][0]["app_version"],
            serde_json::Value::Null
        );
        assert_eq!(summary["served_by"][2]["served_by"], "task=20");
        assert_eq!(summary["first_failures"][0]["kind"], "status_5xx");
        assert_eq!(summary["first_failures"][1]["kind"], "reset");
        assert_eq!(summary["first_failures"][1]["connection"], "new");
    }

    #[test]
    fn an_empty_watch_has_every_field() {
        let header = Header {
            url: "http://127.0.0.1:1/",
            started: "2026-11-26T13:11:05Z",
            elapsed: Duration::from_millis(1500),
            rate: 2,
            expect_status: "2xx",
            expect_text: "",
        };
        assert_eq!(
            json(&header, &Tally::default()),
            "{\"url\":\"http://127.0.0.1:1/\",\"started\":\"2026-11-26T13:11:05Z\",\
             \"duration_s\":1.500,\"rate\":2,\"expect_status\":\"2xx\",\"expect_text\":\"\",\
             \"requests\":0,\"failed\":0,\"failures\":{\"refused\":0,\"reset\":0,\"closed\":0,\
             \"timeout\":0,\"dns\":0,\"connect\":0,\"tls\":0,\"protocol\":0,\"other\":0,\
             \"status_5xx\":{},\"unexpected_status\":{},\"unexpected_body\":0},\"skipped\":0,\
             \"connections\":{\"new\":0,\"reused\":0},\
             \"latency_ms\":{\"p50\":null,\"p99\":null,\"max\":null},\"versions\":[],\
             \"served_by\":[],\"unlisted\":{\"versions\":0,\"served_by\":0},\"first_failures\":[]}"
        );
    }
}
