//! What one HTTP/2 connection has been doing, for the supervisor that enforces
//! its timeouts: whether the client's hello has arrived, how many streams this
//! server is still working on, and when a stream last opened or was answered.
//! (Answers written but not yet taken by the client are h2's to know about: the
//! supervisor asks the connection.)
//!
//! Streams that wait (for a request body, or for `-delay`) run as tasks of their
//! own, so streams report through atomics; the reading side is watched by
//! [`Observed`], a wrapper around the connection's IO.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Duration, Instant};

/// The client's preface (RFC 9113 §3.4), which its first SETTINGS frame follows.
const PREFACE_LEN: usize = 24;
const FRAME_HEADER_LEN: usize = 9;

/// Shared by the supervisor, the IO wrapper and the streams that wait.
#[derive(Debug)]
pub struct Activity {
    opened: Instant,
    /// The preface and the first SETTINGS frame have arrived whole.
    hello_done: AtomicBool,
    /// Streams that wait in a task of their own, from their request's HEADERS
    /// until their answer is handed to h2 or the stream is reset.
    open_streams: AtomicUsize,
    /// Milliseconds after `opened` of the last stream event: opened, answered,
    /// closed. Every event that can bring a deadline closer updates it.
    last_event_ms: AtomicU64,
}

/// One moment's view of a connection, as [`super::deadline`] judges it.
#[derive(Clone, Copy, Debug)]
pub struct Snapshot {
    pub opened: Instant,
    pub hello_done: bool,
    /// Streams open: waiting for their request or answer, or answered and
    /// waiting for the client to take the answer.
    pub open_streams: usize,
    /// Of those, the ones whose answer is written and waits for the client.
    pub answers_waiting: usize,
    pub last_event: Instant,
}

impl Activity {
    pub fn new() -> Arc<Activity> {
        Arc::new(Activity {
            opened: Instant::now(),
            hello_done: AtomicBool::new(false),
            open_streams: AtomicUsize::new(0),
            last_event_ms: AtomicU64::new(0),
        })
    }

    /// A stream will wait in a task; it counts as open until the returned guard
    /// drops.
    pub fn stream_opened(self: &Arc<Self>) -> OpenStream {
        self.open_streams.fetch_add(1, Ordering::AcqRel);
        self.event();
        OpenStream {
            activity: Arc::clone(self),
        }
    }

    /// The connection now. `h2_has_streams`: whether h2 still holds streams,
    /// which, when none of this server's own are open, are answers written and
    /// waiting for the client to take them.
    pub fn snapshot(&self, h2_has_streams: bool) -> Snapshot {
        let open_streams = self.open_streams.load(Ordering::Acquire);
        let answers_waiting = usize::from(h2_has_streams && open_streams == 0);
        Snapshot {
            opened: self.opened,
            hello_done: self.hello_done.load(Ordering::Acquire),
            open_streams: open_streams + answers_waiting,
            answers_waiting,
            last_event: self.opened
                + Duration::from_millis(self.last_event_ms.load(Ordering::Acquire)),
        }
    }

    /// Something happened to a stream: one arrived, or was answered.
    pub fn event(&self) {
        let elapsed = self.opened.elapsed().as_millis() as u64;
        self.last_event_ms.fetch_max(elapsed, Ordering::AcqRel);
    }
}

/// Held by a stream that waits in a task of its own, until its answer is handed
/// to h2 or the stream ends.
#[derive(Debug)]
pub struct OpenStream {
    activity: Arc<Activity>,
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        self.activity.open_streams.fetch_sub(1, Ordering::AcqRel);
        self.activity.event();
    }
}

/// The connection's IO, watched until the client's hello has arrived.
pub struct Observed<S> {
    io: S,
    activity: Arc<Activity>,
    /// The first frame header after the preface, as far as it has arrived;
    /// `None` once the hello is complete.
    hello: Option<Hello>,
}

struct Hello {
    /// Bytes of the connection read so far.
    seen: usize,
    first_frame: [u8; FRAME_HEADER_LEN],
}

impl Hello {
    /// Takes note of `bytes`, the next ones read; true once the preface and the
    /// whole first frame (SETTINGS, or h2 refuses the connection) are in.
    fn read(&mut self, bytes: &[u8]) -> bool {
        for &b in bytes {
            let at = self.seen;
            self.seen += 1;
            if (PREFACE_LEN..PREFACE_LEN + FRAME_HEADER_LEN).contains(&at) {
                self.first_frame[at - PREFACE_LEN] = b;
            }
        }
        if self.seen < PREFACE_LEN + FRAME_HEADER_LEN {
            return false;
        }
        let [a, b, c, ..] = self.first_frame;
        let payload = u32::from_be_bytes([0, a, b, c]) as usize;
        self.seen >= PREFACE_LEN + FRAME_HEADER_LEN + payload
    }
}

impl<S> Observed<S> {
    pub fn new(io: S, activity: Arc<Activity>) -> Observed<S> {
        Observed {
            io,
            activity,
            hello: Some(Hello {
                seen: 0,
                first_frame: [0; FRAME_HEADER_LEN],
            }),
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Observed<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.io).poll_read(cx, buf);
        if let Some(hello) = &mut this.hello {
            if hello.read(&buf.filled()[before..]) {
                this.hello = None;
                this.activity.hello_done.store(true, Ordering::Release);
            }
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Observed<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

    fn hello() -> Hello {
        Hello {
            seen: 0,
            first_frame: [0; FRAME_HEADER_LEN],
        }
    }

    #[test]
    fn the_hello_is_the_preface_and_the_whole_first_frame() {
        let settings = [0, 0, 6, 4, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 100];
        let whole = [PREFACE, &settings].concat();
        for split in 0..whole.len() {
            let mut h = hello();
            assert!(!h.read(&whole[..split]), "done after {split} bytes");
            assert!(
                h.read(&whole[split..]),
                "not done after all, split at {split}"
            );
        }
        // An empty SETTINGS frame is done with its header.
        let mut h = hello();
        assert!(h.read(&[PREFACE, &[0, 0, 0, 4, 0, 0, 0, 0, 0]].concat()));
    }

    #[tokio::test]
    async fn waiting_streams_count_until_their_guard_drops() {
        let activity = Activity::new();
        let first = activity.stream_opened();
        let second = activity.stream_opened();
        assert_eq!(activity.snapshot(false).open_streams, 2);
        drop(first);
        assert_eq!(activity.snapshot(false).open_streams, 1);
        drop(second);
        let seen = activity.snapshot(false);
        assert_eq!((seen.open_streams, seen.answers_waiting), (0, 0));
    }
}
