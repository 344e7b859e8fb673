//! One HTTP/1 connection, from accept to close.
//!
//! The connection is a small state machine polled by hand rather than an `async`
//! body, for two reasons: the read buffer can then be borrowed per thread only
//! while bytes are being handled (an idle connection holds none), and timeouts
//! cost nothing per request (the timer is only moved when it fires early, never
//! on the hot path).
//!
//! An idle connection is its task and its socket's registration, nothing else,
//! and the task is kept to one 512-byte allocation (tokio rounds tasks up to
//! 128 bytes): the connection owns what it needs, so that the task's future is
//! this struct plus the timer and the drain notice, with no argument kept twice;
//! and what only a busy connection needs is boxed. bench/README.md shows where
//! each byte goes.

use std::cell::RefCell;
use std::future::{poll_fn, Future};
use std::mem;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::futures::OwnedNotified;
use tokio::time::{Instant, Sleep};

use super::body::{BodyReader, Progress};
use super::request::{self, Head, Parsed, Rejection};
use super::response::{self, CONTINUE};
use crate::admission::Slot;
use crate::app::{Reply, ReplyId};
use crate::shared::Shared;
use crate::shutdown::Phase;
use crate::telemetry::Entry;

/// What a connection runs over.
pub trait Transport: AsyncRead + AsyncWrite + Unpin + Send {
    /// Whether a clean close needs a goodbye in the protocol (TLS close_notify).
    const CLOSE_NOTIFY: bool;
}

impl Transport for TcpStream {
    const CLOSE_NOTIFY: bool = false;
}

impl Transport for tokio_rustls::server::TlsStream<TcpStream> {
    const CLOSE_NOTIFY: bool = true;
}

/// Size of each thread's read buffer: a typical request head many times over, and
/// large enough that big bodies are discarded in few reads.
const READ_BUFFER: usize = 16 * 1024;

/// After an error answer the client may still be sending; we read and discard for
/// this long (or this much) so that closing does not reset the connection and
/// destroy the answer before the client reads it.
const LINGER_TIME: Duration = Duration::from_secs(1);
const LINGER_BYTES: usize = 1 << 20;

struct ThreadBuffers {
    input: Box<[u8]>,
    output: Vec<u8>,
}

thread_local! {
    static BUFFERS: RefCell<ThreadBuffers> = RefCell::new(ThreadBuffers {
        input: vec![0; READ_BUFFER].into_boxed_slice(),
        output: Vec::with_capacity(4096),
    });
}

/// Answers `reply` on a connection that cannot be read as HTTP/1 at all (plain
/// HTTP sent to the TLS port), then closes it as every refusal does: the answer,
/// our FIN, then what the client still sends is read and dropped for a while, so
/// that closing does not destroy the answer before the client reads it.
pub async fn refuse<S: Transport>(
    io: S,
    remote: SocketAddr,
    shared: Arc<Shared>,
    reply: &Reply,
    head_only: bool,
) {
    let mut conn = Connection::new(io, remote, shared);
    response::write_error(&mut conn.unwritten, reply, head_only);
    conn.closing = Closing::lingering();
    conn.run().await;
}

pin_project_lite::pin_project! {
    /// The whole task of a plain connection: the connection, its timer, its
    /// wait for the drain, and its place under `-max-connections`, in one
    /// future written out rather than an `async` block, which would keep
    /// references to each part besides the parts.
    pub struct ConnectionTask {
        connection: Connection<TcpStream>,
        // Held for its drop: the connection's place under -max-connections.
        slot: Slot,
        #[pin]
        timer: Sleep,
        #[pin]
        drain: OwnedNotified,
    }
}

impl ConnectionTask {
    /// `slot` is released when the connection closes.
    pub fn new(
        io: TcpStream,
        remote: SocketAddr,
        shared: Arc<Shared>,
        slot: Slot,
    ) -> ConnectionTask {
        let connection = Connection::new(io, remote, shared);
        ConnectionTask {
            // Made before the first look at the phase: a drain that starts in
            // between still completes it.
            drain: connection.shared.shutdown.drain_started_owned(),
            timer: tokio::time::sleep_until(connection.deadline()),
            connection,
            slot,
        }
    }
}

impl Future for ConnectionTask {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        this.connection.poll(cx, this.timer, this.drain)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Closing {
    No,
    /// Close once the output is written.
    AfterWrite,
    /// Send our FIN once the output is written, then discard input until the
    /// client closes or the deadline passes. Boxed: only a refused connection
    /// lingers.
    Linger(Box<Linger>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Linger {
    until: Instant,
    fin_sent: bool,
    discarded: usize,
}

impl Closing {
    fn lingering() -> Closing {
        Closing::Linger(Box::new(Linger {
            until: Instant::now() + LINGER_TIME,
            fin_sent: false,
            discarded: 0,
        }))
    }
}

enum Step {
    /// Bytes were handled; go round again.
    Again,
    /// Nothing to read now.
    Wait,
    Close,
}

/// One connection's state. It owns its share of the server's state rather
/// than borrowing it, so that it can be built before its task and moved in
/// whole.
pub struct Connection<S> {
    io: S,
    shared: Arc<Shared>,
    remote: SocketAddr,
    /// The start of a request head that has not fully arrived. Empty, with no
    /// allocation, between requests.
    carry: Vec<u8>,
    /// Response bytes the socket has not taken yet.
    unwritten: Vec<u8>,
    /// A request not answered yet: its body is still arriving, or `-delay`
    /// holds its answer. Boxed because it is rare.
    pending: Option<Box<PendingRequest>>,
    /// When the first byte of the current request head arrived.
    head_started: Option<Instant>,
    /// When bytes last arrived.
    last_active: Instant,
    /// Nothing has arrived yet: the first request head is awaited from the
    /// start, within `-header-read-timeout`, as Go awaits it; only between
    /// requests does a connection wait the idle timeout.
    fresh: bool,
    closing: Closing,
}

/// The request fields the answer and the log need, copied out of the read buffer
/// because the answer cannot be written yet.
struct PendingRequest {
    waiting_for: WaitingFor,
    reply: ReplyId,
    keep_alive: bool,
    started: Instant,
    minor_version: u8,
    method: String,
    path: Vec<u8>,
    host: Vec<u8>,
    user_agent: Vec<u8>,
    forwarded_for: Vec<u8>,
    trace_id: Vec<u8>,
}

/// What a pending request waits for.
enum WaitingFor {
    /// The rest of its body.
    Body(BodyReader),
    /// `-delay`: its answer is held until this instant, or until the drain
    /// starts. Nothing more is read meanwhile: requests sent behind it wait in
    /// the socket's buffer, as they must be answered after it.
    Delay(Instant),
}

/// A request as the answer and the log see it, borrowed from a head or a
/// pending request.
struct RequestView<'r> {
    minor_version: u8,
    method: &'r str,
    path: &'r [u8],
    host: &'r [u8],
    user_agent: &'r [u8],
    forwarded_for: &'r [u8],
    trace_id: &'r [u8],
}

impl<'r> RequestView<'r> {
    fn of_head(head: &'r Head<'r>) -> Self {
        RequestView {
            minor_version: head.minor_version,
            method: head.method,
            path: &head.path,
            host: head.host,
            user_agent: head.user_agent,
            forwarded_for: head.forwarded_for,
            trace_id: head.trace_id,
        }
    }

    fn of_pending(p: &'r PendingRequest) -> Self {
        RequestView {
            minor_version: p.minor_version,
            method: &p.method,
            path: &p.path,
            host: &p.host,
            user_agent: &p.user_agent,
            forwarded_for: &p.forwarded_for,
            trace_id: &p.trace_id,
        }
    }
}

impl<S: Transport> Connection<S> {
    pub fn new(io: S, remote: SocketAddr, shared: Arc<Shared>) -> Self {
        Connection {
            io,
            shared,
            remote: SocketAddr::new(remote.ip().to_canonical(), remote.port()),
            carry: Vec::new(),
            unwritten: Vec::new(),
            pending: None,
            head_started: None,
            last_active: Instant::now(),
            fresh: true,
            closing: Closing::No,
        }
    }

    /// Serves HTTP/1 until the client leaves, a timeout fires, or the drain
    /// closes the connection; then, over TLS, says goodbye (close_notify).
    pub async fn run(&mut self) {
        self.serve().await;
        if S::CLOSE_NOTIFY {
            // Awaited after `serve` has finished, so that its future and this
            // one share their room in the task, and the plain connection's task
            // is no larger for it.
            let _ = tokio::time::timeout(LINGER_TIME, self.io.shutdown()).await;
        }
    }

    async fn serve(&mut self) {
        let drain = self.shared.shutdown.drain_started_owned();
        let timer = tokio::time::sleep_until(self.deadline());
        tokio::pin!(drain, timer);
        poll_fn(|cx| self.poll(cx, timer.as_mut(), drain.as_mut())).await;
    }

    fn poll(
        &mut self,
        cx: &mut Context<'_>,
        mut timer: Pin<&mut Sleep>,
        mut drain: Pin<&mut OwnedNotified>,
    ) -> Poll<()> {
        loop {
            match self.poll_write_unwritten(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(())) => return Poll::Ready(()),
                // The client is not reading: close if it stays so for an idle timeout.
                Poll::Pending => return self.poll_deadline(cx, timer.as_mut()),
            }
            match self.closing {
                Closing::No => {}
                Closing::AfterWrite => return Poll::Ready(()),
                Closing::Linger(_) => return self.poll_linger(cx, timer.as_mut()),
            }
            if self.is_idle() && self.shared.shutdown.is_draining() {
                return Poll::Ready(());
            }
            let released = match self.held_until() {
                None => None,
                Some(due) => {
                    // The drain ends the wait at once, so that shutdown stays bounded.
                    let waiting = !self.shared.shutdown.is_draining()
                        && drain.as_mut().poll(cx).is_pending()
                        && self.poll_until(cx, timer.as_mut(), |_| due).is_pending();
                    if waiting {
                        return Poll::Pending;
                    }
                    self.pending.take()
                }
            };
            match self.read_and_answer(cx, released) {
                Step::Again => continue,
                Step::Close => return Poll::Ready(()),
                Step::Wait => {
                    if self.is_idle() && drain.as_mut().poll(cx).is_ready() {
                        return Poll::Ready(());
                    }
                    if self.poll_deadline(cx, timer.as_mut()).is_pending() {
                        return Poll::Pending;
                    }
                    if !self.answer_timeout() {
                        return Poll::Ready(());
                    }
                }
            }
        }
    }

    /// No request in progress and nothing owed to the client.
    fn is_idle(&self) -> bool {
        self.head_started.is_none()
            && self.pending.is_none()
            && self.unwritten.is_empty()
            && self.closing == Closing::No
    }

    /// Reads once and answers every complete request in what arrived. Or, with
    /// `released` (a request whose answer `-delay` held, now due), answers it
    /// and then the requests carried behind it, without reading.
    fn read_and_answer(
        &mut self,
        cx: &mut Context<'_>,
        released: Option<Box<PendingRequest>>,
    ) -> Step {
        BUFFERS.with(|cell| {
            let mut buffers = cell.borrow_mut();
            let ThreadBuffers { input, output } = &mut *buffers;
            let n = match released {
                None => {
                    let mut read_buf = ReadBuf::new(input);
                    match Pin::new(&mut self.io).poll_read(cx, &mut read_buf) {
                        Poll::Pending => return Step::Wait,
                        Poll::Ready(Err(_)) => return Step::Close,
                        Poll::Ready(Ok(())) => {}
                    }
                    let n = read_buf.filled().len();
                    self.fresh = false;
                    if n == 0 {
                        // The client closed. A half-sent request gets no answer:
                        // there is nobody left to read it.
                        return Step::Close;
                    }
                    self.last_active = Instant::now();
                    output.clear();
                    n
                }
                Some(held) => {
                    // The connection was busy until now: its timeouts count from here.
                    self.last_active = Instant::now();
                    output.clear();
                    let request = RequestView::of_pending(&held);
                    self.answer(&request, held.reply, held.keep_alive, held.started, output);
                    0
                }
            };
            if self.carry.is_empty() {
                let used = self.consume(&input[..n], output);
                self.carry.extend_from_slice(&input[used..n]);
            } else {
                let mut carry = mem::take(&mut self.carry);
                carry.extend_from_slice(&input[..n]);
                let used = self.consume(&carry, output);
                carry.drain(..used);
                // Keep the allocation only while a head is still arriving, or
                // requests wait behind a held answer.
                if !carry.is_empty() {
                    self.carry = carry;
                }
            }
            if self.write_now(cx, output).is_err() {
                return Step::Close;
            }
            Step::Again
        })
    }

    /// When the answer `-delay` holds is due, if one is held.
    fn held_until(&self) -> Option<Instant> {
        match self.pending.as_deref()?.waiting_for {
            WaitingFor::Delay(due) => Some(due),
            WaitingFor::Body(_) => None,
        }
    }

    /// Handles requests at the front of `input`; returns how many bytes were
    /// used. What is left is the start of a head that has not fully arrived,
    /// or requests that wait behind an answer `-delay` holds.
    fn consume(&mut self, input: &[u8], out: &mut Vec<u8>) -> usize {
        let limits = self.shared.limits;
        let mut used = 0;
        while self.closing == Closing::No {
            if let Some(pending) = self.pending.as_mut() {
                let WaitingFor::Body(body) = &mut pending.waiting_for else {
                    // Held: what follows waits until the answer is written.
                    return used;
                };
                match body.feed(
                    &input[used..],
                    limits.max_body_bytes,
                    limits.max_header_bytes,
                ) {
                    Progress::NeedMore => return input.len(),
                    Progress::Done(n) => {
                        used += n;
                        if let Some(delay) = self.shared.app.get(pending.reply).delay {
                            pending.waiting_for = WaitingFor::Delay(self.last_active + delay);
                        } else if let Some(pending) = self.pending.take() {
                            let request = RequestView::of_pending(&pending);
                            self.answer(
                                &request,
                                pending.reply,
                                pending.keep_alive,
                                pending.started,
                                out,
                            );
                        }
                    }
                    Progress::TooLarge => {
                        let head_only = pending.method == "HEAD";
                        self.reject(Rejection::BodyTooLarge, head_only, out);
                    }
                    Progress::Invalid => {
                        let head_only = pending.method == "HEAD";
                        let rejection = Rejection::BadRequest("malformed chunked body");
                        self.reject(rejection, head_only, out);
                    }
                }
                continue;
            }
            if used == input.len() {
                break;
            }
            match request::parse(
                &input[used..],
                limits.max_header_bytes,
                limits.max_body_bytes,
            ) {
                Parsed::Partial => {
                    self.head_started.get_or_insert(self.last_active);
                    return used;
                }
                Parsed::Rejected(rejection) => {
                    let head_only = request::is_head(&input[used..]);
                    self.reject(rejection, head_only, out);
                }
                Parsed::Complete(head) => {
                    used += head.len;
                    self.head_started = None;
                    self.start(&head, out);
                }
            }
        }
        // Closing: whatever else the client sent will not be answered.
        input.len()
    }

    /// A complete head: answer now, or first read its body.
    fn start(&mut self, head: &Head<'_>, out: &mut Vec<u8>) {
        let app = &self.shared.app;
        let reply = app.choose(head.method, &head.path, self.shared.shutdown.phase());
        let waiting_for = match (BodyReader::new(head.framing), app.get(reply).delay) {
            (None, None) => {
                let started = self.last_active;
                let request = RequestView::of_head(head);
                return self.answer(&request, reply, head.keep_alive, started, out);
            }
            (None, Some(delay)) => WaitingFor::Delay(self.last_active + delay),
            (Some(body), _) => {
                if head.expects_continue {
                    out.extend_from_slice(CONTINUE);
                }
                WaitingFor::Body(body)
            }
        };
        self.pending = Some(Box::new(PendingRequest {
            waiting_for,
            reply,
            keep_alive: head.keep_alive,
            started: self.last_active,
            minor_version: head.minor_version,
            method: head.method.to_owned(),
            path: head.path.to_vec(),
            host: head.host.to_vec(),
            user_agent: head.user_agent.to_vec(),
            forwarded_for: head.forwarded_for.to_vec(),
            trace_id: head.trace_id.to_vec(),
        }));
    }

    fn answer(
        &mut self,
        request: &RequestView<'_>,
        reply: ReplyId,
        // What the client asked for.
        keep_alive: bool,
        started: Instant,
        out: &mut Vec<u8>,
    ) {
        let reply = self.shared.app.get(reply);
        // Decided now, not when the head arrived: a body may have taken long
        // enough for shutdown to begin, and then the client must be told.
        let keep_alive = keep_alive
            && !reply.closes_connection
            && self.shared.shutdown.phase() == Phase::Serving;
        let head_only = request.method == "HEAD";
        response::write_reply(out, request.minor_version, reply, keep_alive, head_only);
        if reply.logged && self.shared.log.is_enabled() {
            self.shared.log.record(&Entry {
                host: request.host,
                remote: self.remote,
                method: request.method,
                path: request.path,
                proto: if request.minor_version == 1 {
                    "HTTP/1.1"
                } else {
                    "HTTP/1.0"
                },
                status: reply.logged_status,
                bytes: reply.logged_bytes,
                user_agent: request.user_agent,
                forwarded_for: request.forwarded_for,
                trace_id: request.trace_id,
                duration: started.elapsed(),
            });
        }
        if !keep_alive {
            self.closing = Closing::AfterWrite;
        }
    }

    /// Answers a request that never reaches the app, then closes. An answer to
    /// HEAD has no body, errors included (RFC 9110 §9.3.2).
    fn reject(&mut self, rejection: Rejection, head_only: bool, out: &mut Vec<u8>) {
        let (status, detail) = response::rejection_status(rejection);
        let reply = self.shared.app.error(status, detail);
        response::write_error(out, &reply, head_only);
        self.pending = None;
        self.head_started = None;
        self.carry = Vec::new();
        self.closing = Closing::lingering();
    }

    /// The deadline fired. Returns false to close at once; true when a 408 was
    /// queued for a request that was too slow to arrive.
    fn answer_timeout(&mut self) -> bool {
        let request_in_progress = self.head_started.is_some() || self.pending.is_some();
        if !request_in_progress || !self.unwritten.is_empty() || self.closing != Closing::No {
            return false;
        }
        let head_only = match &self.pending {
            Some(pending) => pending.method == "HEAD",
            None => request::is_head(&self.carry),
        };
        let mut out = Vec::new();
        response::write_error(&mut out, &self.shared.app.error(408, None), head_only);
        self.unwritten = out;
        self.pending = None;
        self.head_started = None;
        self.carry = Vec::new();
        self.closing = Closing::AfterWrite;
        true
    }

    /// Writes as much of `out` as the socket takes now; keeps the rest.
    fn write_now(&mut self, cx: &mut Context<'_>, out: &[u8]) -> Result<(), ()> {
        let mut written = 0;
        if self.unwritten.is_empty() {
            while written < out.len() {
                match Pin::new(&mut self.io).poll_write(cx, &out[written..]) {
                    Poll::Ready(Ok(0)) | Poll::Ready(Err(_)) => return Err(()),
                    Poll::Ready(Ok(n)) => written += n,
                    Poll::Pending => break,
                }
            }
        }
        self.unwritten.extend_from_slice(&out[written..]);
        Ok(())
    }

    /// Writes what is owed, then flushes (TLS keeps records until flushed).
    fn poll_write_unwritten(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ()>> {
        while !self.unwritten.is_empty() {
            match ready!(Pin::new(&mut self.io).poll_write(cx, &self.unwritten)) {
                Ok(0) | Err(_) => return Poll::Ready(Err(())),
                Ok(n) => {
                    self.unwritten.drain(..n);
                }
            }
        }
        if self.unwritten.capacity() > 0 {
            self.unwritten = Vec::new();
        }
        Pin::new(&mut self.io).poll_flush(cx).map_err(|_| ())
    }

    fn deadline(&self) -> Instant {
        let limits = &self.shared.limits;
        match (&self.closing, self.head_started) {
            (Closing::Linger(linger), _) => linger.until,
            (_, Some(started)) => started + limits.header_read_timeout,
            // A client that connects and says nothing is a slow client too.
            (_, None) if self.fresh => self.last_active + limits.header_read_timeout,
            (_, None) => self.last_active + limits.idle_timeout,
        }
    }

    /// Ready when the current deadline has passed. The timer is moved earlier at
    /// once when needed; when the deadline moved later (the usual case: another
    /// request arrived) the timer fires early and is re-armed then, so requests
    /// never touch the timer wheel.
    fn poll_deadline(&self, cx: &mut Context<'_>, timer: Pin<&mut Sleep>) -> Poll<()> {
        self.poll_until(cx, timer, Self::deadline)
    }

    /// Ready when `deadline` (asked again each time the timer fires) has passed.
    fn poll_until(
        &self,
        cx: &mut Context<'_>,
        mut timer: Pin<&mut Sleep>,
        deadline: impl Fn(&Self) -> Instant,
    ) -> Poll<()> {
        let due = deadline(self);
        if due < timer.deadline() {
            timer.as_mut().reset(due);
        }
        loop {
            ready!(timer.as_mut().poll(cx));
            let due = deadline(self);
            if Instant::now() >= due {
                return Poll::Ready(());
            }
            timer.as_mut().reset(due);
        }
    }

    /// After an error answer: FIN, then discard input until the client closes.
    fn poll_linger(&mut self, cx: &mut Context<'_>, mut timer: Pin<&mut Sleep>) -> Poll<()> {
        loop {
            let Closing::Linger(linger) = &self.closing else {
                return Poll::Ready(());
            };
            let Linger {
                fin_sent,
                discarded,
                ..
            } = **linger;
            if !fin_sent {
                if ready!(Pin::new(&mut self.io).poll_shutdown(cx)).is_err() {
                    return Poll::Ready(());
                }
                if let Closing::Linger(linger) = &mut self.closing {
                    linger.fin_sent = true;
                }
                continue;
            }
            let read = BUFFERS.with(|cell| {
                let mut buffers = cell.borrow_mut();
                let mut read_buf = ReadBuf::new(&mut buffers.input);
                match Pin::new(&mut self.io).poll_read(cx, &mut read_buf) {
                    Poll::Ready(Ok(())) => Poll::Ready(Ok(read_buf.filled().len())),
                    Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                    Poll::Pending => Poll::Pending,
                }
            });
            match read {
                Poll::Ready(Ok(n)) if n > 0 && discarded + n <= LINGER_BYTES => {
                    if let Closing::Linger(linger) = &mut self.closing {
                        linger.discarded = discarded + n;
                    }
                }
                Poll::Ready(_) => return Poll::Ready(()),
                Poll::Pending => return self.poll_deadline(cx, timer.as_mut()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// tokio allocates a task as its own 96 bytes (header, scheduler, id,
    /// trailer) plus the future, rounded up to 128 bytes on x86-64. At 416
    /// bytes or less, an idle connection's task takes one 512-byte block.
    #[test]
    fn a_plain_connection_task_fits_in_a_512_byte_block() {
        let size = mem::size_of::<ConnectionTask>();
        assert!(size <= 512 - 96, "ConnectionTask is {size} bytes");
    }
}
