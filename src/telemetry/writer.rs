//! The access log's buffer and the thread that empties it.
//!
//! Request handling appends finished lines to an in-memory buffer and moves on; a
//! background thread writes the buffer out every few milliseconds in one large
//! write. So a slow or blocked stdout (a full pipe, a stalled log driver) never
//! delays a response. The buffer has a ceiling: past it, lines are dropped and
//! counted, and the thread reports the count on stderr, rather than letting memory
//! grow without bound or stalling the server.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

/// How much the buffer may hold before lines are dropped.
pub const BUFFER_LIMIT: usize = 1 << 20;

/// The writer waits this long between writes while lines keep coming, so that a
/// busy server pays for one write per interval instead of one per line.
const FLUSH_INTERVAL: Duration = Duration::from_millis(10);

#[derive(Default)]
struct State {
    lines: Vec<u8>,
    dropped: u64,
    /// The writer is asleep on the condvar and must be woken for new lines.
    writer_parked: bool,
    closing: bool,
}

/// The shared buffer. Request handling calls [`Buffer::append`].
#[derive(Default)]
pub(super) struct Buffer {
    state: Mutex<State>,
    wake: Condvar,
}

impl Buffer {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves only log bytes behind; keep going.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Formats one line straight into the buffer with `format`. Drops the line if
    /// it would take the buffer past its limit.
    pub(super) fn append(&self, format: impl FnOnce(&mut Vec<u8>)) {
        let mut state = self.lock();
        let before = state.lines.len();
        format(&mut state.lines);
        if state.lines.len() > BUFFER_LIMIT {
            state.lines.truncate(before);
            state.dropped += 1;
        }
        if state.writer_parked {
            state.writer_parked = false;
            self.wake.notify_one();
        }
    }
}

/// Owns the writer thread; [`LogWriter::finish`] writes what is left and stops it.
pub struct LogWriter {
    buffer: Arc<Buffer>,
    thread: Option<JoinHandle<()>>,
}

impl LogWriter {
    /// Starts the thread that writes `buffer` to `out`.
    pub(super) fn start(buffer: Arc<Buffer>, out: Box<dyn Write + Send>) -> LogWriter {
        let for_thread = Arc::clone(&buffer);
        let thread = std::thread::Builder::new()
            .name("access-log".to_owned())
            .spawn(move || write_until_closed(&for_thread, out))
            .expect("spawning the access-log thread");
        LogWriter {
            buffer,
            thread: Some(thread),
        }
    }

    /// Writes every line appended so far, then stops the thread.
    pub fn finish(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        {
            let mut state = self.buffer.lock();
            state.closing = true;
            state.writer_parked = false;
        }
        self.buffer.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for LogWriter {
    fn drop(&mut self) {
        self.stop();
    }
}

fn write_until_closed(buffer: &Buffer, mut out: Box<dyn Write + Send>) {
    let mut batch = Vec::new();
    loop {
        let (dropped, closing) = {
            let mut state = buffer.lock();
            while state.lines.is_empty() && state.dropped == 0 && !state.closing {
                state.writer_parked = true;
                state = buffer
                    .wake
                    .wait(state)
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
            }
            std::mem::swap(&mut state.lines, &mut batch);
            (std::mem::take(&mut state.dropped), state.closing)
        };
        if !batch.is_empty() {
            // A closed stdout (EPIPE) loses the lines; the server keeps serving.
            let _ = out.write_all(&batch).and_then(|()| out.flush());
            batch.clear();
            if batch.capacity() > BUFFER_LIMIT {
                batch = Vec::new();
            }
        }
        if dropped > 0 {
            super::warn(&format!(
                "access log: {dropped} lines dropped because stdout could not keep up"
            ));
        }
        if closing && buffer.lock().lines.is_empty() {
            return;
        }
        if !closing {
            std::thread::sleep(FLUSH_INTERVAL);
        }
    }
}
