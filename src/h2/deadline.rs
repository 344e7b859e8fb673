//! The HTTP/2 connection limits, as one decision: given what the connection has
//! been doing, what happens next and when. They match HTTP/1's:
//!
//! - the client's preface and first SETTINGS must arrive within
//!   `-header-read-timeout` of the TLS handshake, as a request head must;
//! - a connection with no open stream gets a GOAWAY after `-idle-timeout`;
//! - an answer the client does not take (it keeps the flow-control window shut)
//!   closes the connection once nothing has happened for `-idle-timeout`, as an
//!   HTTP/1 client that stops reading is dropped;
//! - after a GOAWAY (idle, or shutdown) the connection closes [`GOAWAY_GRACE`]
//!   after its last stream ends, whether or not the client acknowledges the PING
//!   that goes with the GOAWAY.
//!
//! A stream's request body has its own limit (see `stream`): `-idle-timeout`
//! between its bytes, as over HTTP/1.

use tokio::time::{Duration, Instant};

use super::activity::Snapshot;
use crate::shared::Limits;

/// How long a connection that was told GOAWAY may stay open with no stream: the
/// time for the GOAWAY to reach the client and the connection to close cleanly.
pub const GOAWAY_GRACE: Duration = Duration::from_secs(1);

/// What the supervisor does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Nothing yet: look again at this instant.
    LookAgainAt(Instant),
    /// Send GOAWAY: the connection has been idle for the idle timeout.
    SayGoodbye,
    /// Drop the connection now.
    Close,
}

/// The decision for a connection in state `seen` at `now`; `goodbye` is when it
/// was told GOAWAY, if it was.
pub fn next(seen: &Snapshot, goodbye: Option<Instant>, limits: &Limits, now: Instant) -> Next {
    let at = |deadline: Instant, then: Next| {
        if now >= deadline {
            then
        } else {
            Next::LookAgainAt(deadline)
        }
    };
    let idle = limits.idle_timeout;
    if let Some(goodbye) = goodbye {
        if seen.open_streams == 0 {
            return at(goodbye.max(seen.last_event) + GOAWAY_GRACE, Next::Close);
        }
        // Streams are finishing; look often enough to close soon after the last.
        return match streams(seen, idle, now) {
            Next::LookAgainAt(when) => Next::LookAgainAt(when.min(now + GOAWAY_GRACE)),
            other => other,
        };
    }
    if !seen.hello_done {
        return at(seen.opened + limits.header_read_timeout, Next::Close);
    }
    if seen.open_streams == 0 {
        return at(seen.last_event + idle, Next::SayGoodbye);
    }
    streams(seen, idle, now)
}

/// With streams open: only answers left waiting on the client are limited
/// here; request bodies are limited by each stream.
fn streams(seen: &Snapshot, idle: Duration, now: Instant) -> Next {
    let quiet_until = seen.last_event + idle;
    if seen.answers_waiting > 0 && now >= quiet_until {
        return Next::Close;
    }
    Next::LookAgainAt(if quiet_until > now {
        quiet_until
    } else {
        now + idle
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    fn limits() -> Limits {
        Limits {
            header_read_timeout: 10 * SECOND,
            idle_timeout: 75 * SECOND,
            max_header_bytes: 65_536,
            max_body_bytes: 1 << 20,
        }
    }

    fn seen(opened: Instant) -> Snapshot {
        Snapshot {
            opened,
            hello_done: true,
            open_streams: 0,
            answers_waiting: 0,
            last_event: opened,
        }
    }

    #[test]
    fn the_hello_must_arrive_within_the_header_read_timeout() {
        let t = Instant::now();
        let mut s = seen(t);
        s.hello_done = false;
        assert_eq!(
            next(&s, None, &limits(), t),
            Next::LookAgainAt(t + 10 * SECOND)
        );
        assert_eq!(next(&s, None, &limits(), t + 10 * SECOND), Next::Close);
    }

    #[test]
    fn no_open_stream_for_the_idle_timeout_says_goodbye() {
        let t = Instant::now();
        let mut s = seen(t);
        s.last_event = t + 5 * SECOND;
        assert_eq!(
            next(&s, None, &limits(), t + 6 * SECOND),
            Next::LookAgainAt(t + 80 * SECOND)
        );
        assert_eq!(next(&s, None, &limits(), t + 80 * SECOND), Next::SayGoodbye);
    }

    #[test]
    fn an_open_stream_keeps_the_connection() {
        let t = Instant::now();
        let mut s = seen(t);
        s.open_streams = 1;
        // A request body still arriving is the stream's own business.
        assert_eq!(
            next(&s, None, &limits(), t + 100 * SECOND),
            Next::LookAgainAt(t + 175 * SECOND)
        );
    }

    #[test]
    fn an_answer_the_client_never_takes_closes_the_connection() {
        let t = Instant::now();
        let mut s = seen(t);
        (s.open_streams, s.answers_waiting) = (1, 1);
        assert_eq!(
            next(&s, None, &limits(), t + SECOND),
            Next::LookAgainAt(t + 75 * SECOND)
        );
        assert_eq!(next(&s, None, &limits(), t + 75 * SECOND), Next::Close);
    }

    #[test]
    fn after_goodbye_the_connection_closes_a_grace_after_its_last_stream() {
        let t = Instant::now();
        let goodbye = t + 2 * SECOND;
        let mut s = seen(t);
        assert_eq!(
            next(&s, Some(goodbye), &limits(), goodbye),
            Next::LookAgainAt(goodbye + GOAWAY_GRACE)
        );
        assert_eq!(
            next(&s, Some(goodbye), &limits(), goodbye + GOAWAY_GRACE),
            Next::Close
        );
        // With a stream still open: looked at every grace, closed a grace after it ends.
        s.open_streams = 1;
        assert_eq!(
            next(&s, Some(goodbye), &limits(), goodbye),
            Next::LookAgainAt(goodbye + GOAWAY_GRACE)
        );
        (s.open_streams, s.last_event) = (0, t + 9 * SECOND);
        assert_eq!(
            next(&s, Some(goodbye), &limits(), t + 9 * SECOND),
            Next::LookAgainAt(t + 10 * SECOND)
        );
        // Also before the client's hello: a shutdown does not wait for it.
        let mut s = seen(t);
        s.hello_done = false;
        assert_eq!(next(&s, Some(t), &limits(), t + GOAWAY_GRACE), Next::Close);
    }
}
