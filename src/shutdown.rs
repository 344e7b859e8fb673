//! The server's lifecycle after a shutdown request: serving, delaying, draining.
//!
//! A load balancer keeps sending requests to a target for a while after the
//! target starts to stop. `-shutdown-delay` covers that window: the server keeps
//! answering, but `/health` fails and every response says `Connection: close`, so
//! clients and balancers move away. Then the drain: the listener closes, idle
//! connections close, in-flight requests finish.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use tokio::sync::futures::OwnedNotified;
use tokio::sync::{mpsc, Notify};

/// Where the server is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Serving = 0,
    /// Shutdown requested; still serving during `-shutdown-delay`.
    Delaying = 1,
    /// Not accepting; finishing what is in flight.
    Draining = 2,
}

/// Shared by the accept loop and every connection.
#[derive(Debug, Default)]
pub struct ShutdownState {
    phase: AtomicU8,
    /// Fires when serving ends: at the delay, or at the drain if there is none.
    leaving: Notify,
    /// Shared with every idle HTTP/1 connection's task, which owns its wait.
    drain_started: Arc<Notify>,
}

impl ShutdownState {
    pub fn phase(&self) -> Phase {
        match self.phase.load(Ordering::Acquire) {
            0 => Phase::Serving,
            1 => Phase::Delaying,
            _ => Phase::Draining,
        }
    }

    pub fn is_draining(&self) -> bool {
        self.phase() == Phase::Draining
    }

    pub(crate) fn start_delay(&self) {
        self.phase.store(Phase::Delaying as u8, Ordering::Release);
        self.leaving.notify_waiters();
    }

    pub(crate) fn start_drain(&self) {
        self.phase.store(Phase::Draining as u8, Ordering::Release);
        self.leaving.notify_waiters();
        self.drain_started.notify_waiters();
    }

    /// Completes when serving ends (delay or drain). HTTP/2 connections use it to
    /// send GOAWAY, their equivalent of `Connection: close`. Same creation rule
    /// as [`ShutdownState::drain_started`].
    pub fn serving_ended(&self) -> tokio::sync::futures::Notified<'_> {
        self.leaving.notified()
    }

    /// Completes when the drain starts. A future created before the drain started
    /// completes even if it was never polled, so create it early and check
    /// [`ShutdownState::is_draining`] for the time before it existed.
    pub fn drain_started(&self) -> tokio::sync::futures::Notified<'_> {
        self.drain_started.notified()
    }

    /// [`ShutdownState::drain_started`] for a future that cannot borrow this
    /// state: it holds its own reference.
    pub fn drain_started_owned(&self) -> OwnedNotified {
        Arc::clone(&self.drain_started).notified_owned()
    }
}

/// A request to stop, as the signal that carried it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    /// SIGTERM: what orchestrators send, possibly more than once.
    Terminate,
    /// SIGINT: an operator at a terminal (Ctrl-C).
    Interrupt,
}

/// Sends shutdown requests: the signal handler in the binary, or a test.
#[derive(Clone, Debug)]
pub struct ShutdownTrigger(mpsc::UnboundedSender<Request>);

/// Receives shutdown requests. Any request starts the shutdown. During the delay an
/// interrupt (a second Ctrl-C) skips the rest of it, as an impatient operator
/// expects; a repeated SIGTERM does not, since orchestrators may send it twice and
/// the delay is what keeps their load balancer from sending to a closed port.
#[derive(Debug)]
pub struct ShutdownSignal(mpsc::UnboundedReceiver<Request>);

/// A connected trigger and signal.
pub fn channel() -> (ShutdownTrigger, ShutdownSignal) {
    let (tx, rx) = mpsc::unbounded_channel();
    (ShutdownTrigger(tx), ShutdownSignal(rx))
}

impl ShutdownTrigger {
    pub fn send(&self, request: Request) {
        // The server may already be gone; then there is nothing to stop.
        let _ = self.0.send(request);
    }

    /// As SIGTERM.
    pub fn request_shutdown(&self) {
        self.send(Request::Terminate);
    }
}

impl ShutdownSignal {
    /// Waits for the next request. If every trigger is dropped this waits forever:
    /// losing the signal source is no reason to stop serving.
    pub async fn recv(&mut self) -> Request {
        match self.0.recv().await {
            Some(request) => request,
            None => std::future::pending().await,
        }
    }

    /// Waits for an interrupt, ignoring repeated terminate requests.
    pub async fn interrupted(&mut self) {
        while self.recv().await != Request::Interrupt {}
    }
}
