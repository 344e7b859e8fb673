//! What the watch saw: every request's outcome, counted. Failures by kind;
//! each distinct version (X-App-Version and body text) and replica (X-Served-By)
//! with when it was first and last seen; latency percentiles.

use std::collections::BTreeMap;
use std::time::Duration;

use super::exchange::{Answer, Failure, FailureKind};
use super::latency::Histogram;
use super::ExpectedStatus;

/// What makes an answer a success.
pub struct Expectation {
    pub status: ExpectedStatus,
    /// The body must contain this; empty: any body.
    pub text: String,
}

/// One finished request.
pub struct Outcome {
    /// When it was sent, from the start of the watch.
    pub sent_at: Duration,
    /// From sending to the end of the answer (or the failure).
    pub latency: Duration,
    /// It went over a connection that had carried an earlier request.
    pub reused: bool,
    pub result: Result<Answer, Failure>,
}

/// Why a request failed: a transport failure or an answer that was not expected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Why {
    Transport(FailureKind),
    /// A 5xx that `-watch-expect-status` does not allow.
    ServerError(u16),
    /// Any other status it does not allow.
    UnexpectedStatus(u16),
    /// The body lacks `-watch-expect-text`.
    UnexpectedBody,
}

/// Distinct values kept per table; answers with further values are counted in
/// `unlisted`, so a server that answers with a new text every time cannot make
/// the watcher grow without bound.
pub const MAX_DISTINCT: usize = 64;
/// Failures described one by one in the summary (the first ones).
pub const MAX_SAMPLES: usize = 10;
/// Longest text kept for a version, a replica or a failure detail, in characters.
const MAX_TEXT_CHARS: usize = 200;

/// One distinct value and when it was seen.
pub struct Seen {
    pub requests: u64,
    /// Of those, how many failed (an unexpected status or body).
    pub failed: u64,
    pub first: Duration,
    pub last: Duration,
}

/// The key of a version: (X-App-Version, body text).
pub type Version = (Option<String>, String);

pub struct Sample {
    pub sent_at: Duration,
    pub why: Why,
    pub reused: bool,
    pub detail: String,
}

/// Something worth a line on stderr at once, not only in the next progress line.
pub enum Event {
    NewVersion(Version),
    NewReplica(String),
    FirstFailure(Why, String),
}

#[derive(Default)]
pub struct Tally {
    pub requests: u64,
    pub failed: u64,
    pub reused: u64,
    /// Requests not sent because too many were still waiting for an answer.
    pub skipped: u64,
    pub failures: BTreeMap<Why, u64>,
    pub versions: Table<Version>,
    pub replicas: Table<String>,
    pub latency: Histogram,
    pub samples: Vec<Sample>,
}

/// Distinct values in the order first seen.
pub struct Table<K> {
    pub entries: Vec<(K, Seen)>,
    /// Answers whose value did not fit in [`MAX_DISTINCT`].
    pub unlisted: u64,
}

impl<K> Default for Table<K> {
    fn default() -> Table<K> {
        Table {
            entries: Vec::new(),
            unlisted: 0,
        }
    }
}

impl<K: PartialEq + Clone> Table<K> {
    /// Counts one answer with `key`; true when the key is new.
    fn see(&mut self, key: K, at: Duration, failed: bool) -> bool {
        if let Some((_, seen)) = self.entries.iter_mut().find(|(k, _)| *k == key) {
            seen.requests += 1;
            seen.failed += u64::from(failed);
            seen.first = seen.first.min(at);
            seen.last = seen.last.max(at);
            return false;
        }
        if self.entries.len() >= MAX_DISTINCT {
            self.unlisted += 1;
            return false;
        }
        self.entries.push((
            key,
            Seen {
                requests: 1,
                failed: u64::from(failed),
                first: at,
                last: at,
            },
        ));
        true
    }
}

impl Tally {
    /// Counts `outcome`; returns what deserves a line of its own.
    pub fn record(&mut self, outcome: Outcome, expect: &Expectation) -> Vec<Event> {
        let mut events = Vec::new();
        self.requests += 1;
        self.reused += u64::from(outcome.reused);
        let (why, detail) = match &outcome.result {
            Err(failure) => (Some(Why::Transport(failure.kind)), failure.detail.clone()),
            Ok(answer) => {
                self.latency.record(outcome.latency);
                let why = judge(answer, expect);
                let text = body_text(&answer.body);
                let version = (answer.app_version.as_deref().map(shorten), text);
                if self
                    .versions
                    .see(version.clone(), outcome.sent_at, why.is_some())
                {
                    events.push(Event::NewVersion(version.clone()));
                }
                if let Some(replica) = answer.served_by.as_deref().map(shorten) {
                    if self
                        .replicas
                        .see(replica.clone(), outcome.sent_at, why.is_some())
                    {
                        events.push(Event::NewReplica(replica));
                    }
                }
                let detail = format!("status {}, body {:?}", answer.status, version.1);
                (why, detail)
            }
        };
        if let Some(why) = why {
            self.failed += 1;
            let count = self.failures.entry(why).or_insert(0);
            *count += 1;
            if *count == 1 {
                events.push(Event::FirstFailure(why, detail.clone()));
            }
            if self.samples.len() < MAX_SAMPLES {
                self.samples.push(Sample {
                    sent_at: outcome.sent_at,
                    why,
                    reused: outcome.reused,
                    detail: shorten(&detail),
                });
            }
        }
        events
    }

    /// Failures of one transport kind.
    pub fn count(&self, kind: FailureKind) -> u64 {
        self.failures
            .get(&Why::Transport(kind))
            .copied()
            .unwrap_or(0)
    }
}

/// Why `answer` is not a success, if it is not.
fn judge(answer: &Answer, expect: &Expectation) -> Option<Why> {
    if !expect.status.matches(answer.status) {
        return Some(if (500..600).contains(&answer.status) {
            Why::ServerError(answer.status)
        } else {
            Why::UnexpectedStatus(answer.status)
        });
    }
    let contains = expect.text.is_empty()
        || answer
            .body
            .windows(expect.text.len())
            .any(|window| window == expect.text.as_bytes());
    (!contains).then_some(Why::UnexpectedBody)
}

/// The body as text, without http-echo's final newline, shortened.
fn body_text(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    shorten(text.strip_suffix('\n').unwrap_or(&text))
}

fn shorten(text: &str) -> String {
    match text.char_indices().nth(MAX_TEXT_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

impl Why {
    /// As a progress line says it: `refused`, `503`, `unexpected status 404`.
    pub fn describe(self) -> String {
        match self {
            Why::Transport(kind) => kind.name().to_owned(),
            Why::ServerError(status) => format!("status {status}"),
            Why::UnexpectedStatus(status) => format!("unexpected status {status}"),
            Why::UnexpectedBody => "unexpected body".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str, served_by: Option<&str>) -> Result<Answer, Failure> {
        Ok(Answer {
            status,
            app_version: Some("1.0.0".to_owned()),
            served_by: served_by.map(str::to_owned),
            body: body.as_bytes().to_vec(),
        })
    }

    fn outcome(at_ms: u64, result: Result<Answer, Failure>) -> Outcome {
        Outcome {
            sent_at: Duration::from_millis(at_ms),
            latency: Duration::from_millis(1),
            reused: false,
            result,
        }
    }

    fn expect(status: &str, text: &str) -> Expectation {
        Expectation {
            status: ExpectedStatus::parse(status).unwrap(),
            text: text.to_owned(),
        }
    }

    #[test]
    fn counts_failures_by_kind_and_versions_over_time() {
        let mut tally = Tally::default();
        let expect = expect("2xx", "");
        let events = tally.record(outcome(0, answer(200, "v1\n", Some("a"))), &expect);
        assert_eq!(events.len(), 2, "a new version and a new replica");
        assert!(tally
            .record(outcome(50, answer(200, "v1\n", Some("a"))), &expect)
            .is_empty());
        tally.record(outcome(100, answer(503, "down\n", Some("b"))), &expect);
        tally.record(outcome(150, answer(404, "v2\n", None)), &expect);
        let refused = Failure {
            kind: FailureKind::Refused,
            detail: "Connection refused".to_owned(),
        };
        tally.record(outcome(200, Err(refused.clone())), &expect);
        let events = tally.record(outcome(250, Err(refused)), &expect);
        assert!(events.is_empty(), "only the first refusal is an event");

        assert_eq!((tally.requests, tally.failed), (6, 4));
        assert_eq!(tally.count(FailureKind::Refused), 2);
        assert_eq!(tally.failures[&Why::ServerError(503)], 1);
        assert_eq!(tally.failures[&Why::UnexpectedStatus(404)], 1);
        let (v1, seen) = &tally.versions.entries[0];
        assert_eq!(v1, &(Some("1.0.0".to_owned()), "v1".to_owned()));
        assert_eq!((seen.requests, seen.failed), (2, 0));
        assert_eq!(
            (seen.first, seen.last),
            (Duration::ZERO, Duration::from_millis(50))
        );
        assert_eq!(tally.versions.entries.len(), 3);
        assert_eq!(tally.replicas.entries[1].0, "b");
        assert_eq!(tally.replicas.entries[1].1.failed, 1);
        assert_eq!(tally.samples.len(), 4);
        assert_eq!(tally.latency.max_micros(), Some(1_000), "answers only");
    }

    #[test]
    fn expected_status_and_text() {
        let fine = answer(503, "maintenance\n", None).unwrap();
        assert_eq!(judge(&fine, &expect("503", "maint")), None);
        assert_eq!(
            judge(&fine, &expect("503", "v2")),
            Some(Why::UnexpectedBody)
        );
        assert_eq!(
            judge(&fine, &expect("2xx", "")),
            Some(Why::ServerError(503))
        );
        let moved = answer(301, "", None).unwrap();
        assert_eq!(
            judge(&moved, &expect("200", "")),
            Some(Why::UnexpectedStatus(301))
        );
    }

    #[test]
    fn tables_are_bounded() {
        let mut tally = Tally::default();
        let expect = expect("2xx", "");
        for n in 0..(MAX_DISTINCT + 5) {
            tally.record(outcome(0, answer(200, &format!("text {n}"), None)), &expect);
        }
        assert_eq!(tally.versions.entries.len(), MAX_DISTINCT);
        assert_eq!(tally.versions.unlisted, 5);
        let long = "x".repeat(MAX_TEXT_CHARS + 10);
        assert_eq!(
            body_text(long.as_bytes()).chars().count(),
            MAX_TEXT_CHARS + 1
        );
    }
}
