//! Connections admitted under `-max-connections`, and the memory given back once
//! a surge of them is over.
//!
//! Each connection holds a [`Slot`] until it closes. The accept loop waits for a
//! free slot before it accepts, so at the cap new clients wait in the kernel's
//! backlog, and the drain waits until every slot is back.
//!
//! glibc's malloc keeps freed memory for reuse, and returns it to the system only
//! from the top of its heap. After thousands of connections close, what they held
//! stays resident if anything still lives above it (measured by the benchmark:
//! 8.8 MiB kept after 10,000 idle connections closed). So once a surge has
//! happened, each time the connections open fall to half what they were when
//! memory was last handed back, down to none, the freed pages are handed back
//! with `malloc_trim`: a walk over the free memory that takes a fraction of a
//! millisecond and happens a dozen times per surge, never per request.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

/// Below this many connections at the peak, a surge is too small to be worth a
/// walk over the heap (about 1 MiB held).
const SURGE: usize = 1024;

/// The connections a server admits.
#[derive(Debug)]
pub struct Admission {
    slots: Semaphore,
    max: usize,
    /// The most connections open at once since memory was last given back.
    peak: AtomicUsize,
    /// A surge has happened whose memory is not all given back yet.
    surged: AtomicBool,
}

/// One connection's place, released when dropped.
#[derive(Debug)]
pub struct Slot(Arc<Admission>);

impl Admission {
    pub fn new(max_connections: usize) -> Arc<Admission> {
        // The semaphore's own bound is far above any real cap.
        let max = max_connections.min(Semaphore::MAX_PERMITS);
        Arc::new(Admission {
            slots: Semaphore::new(max),
            max,
            peak: AtomicUsize::new(0),
            surged: AtomicBool::new(false),
        })
    }

    /// Waits for a free slot. None once the admission is closed.
    pub async fn admit(self: &Arc<Self>) -> Option<Slot> {
        self.slots.acquire().await.ok()?.forget();
        let open = self.open();
        self.peak.fetch_max(open, Ordering::Relaxed);
        if open >= SURGE {
            self.surged.store(true, Ordering::Relaxed);
        }
        Some(Slot(Arc::clone(self)))
    }

    /// Waits until every connection has closed, at most `within`; false when
    /// some were still open then.
    pub async fn all_closed(&self, within: Duration) -> bool {
        let all = u32::try_from(self.max).unwrap_or(u32::MAX);
        tokio::time::timeout(within, self.slots.acquire_many(all))
            .await
            .is_ok()
    }

    fn open(&self) -> usize {
        self.max - self.slots.available_permits()
    }

    fn closed(&self) {
        if !self.surged.load(Ordering::Relaxed) {
            return;
        }
        let open = self.open();
        let peak = self.peak.load(Ordering::Relaxed);
        if halved(open, peak)
            && self
                .peak
                .compare_exchange(peak, open, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            if open == 0 {
                self.surged.store(false, Ordering::Relaxed);
            }
            give_back_free_memory();
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.slots.add_permits(1);
        self.0.closed();
    }
}

/// Whether, during a surge, enough connections have closed since memory was
/// last given back (with `peak` open at most since then) to give it back again.
fn halved(open: usize, peak: usize) -> bool {
    peak > 0 && open <= peak / 2
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn give_back_free_memory() {
    // SAFETY: malloc_trim only walks and releases the allocator's free memory.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn give_back_free_memory() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_is_given_back_each_time_half_have_closed() {
        assert!(!halved(6000, 10_000));
        assert!(halved(5000, 10_000));
        // After giving back at 5000, the peak is 5000: again at 2500, and so
        // on down to the last one.
        assert!(!halved(2600, 5000));
        assert!(halved(2500, 5000));
        assert!(halved(0, 1));
        assert!(!halved(0, 0), "nothing left to give back");
    }

    #[tokio::test]
    async fn only_a_surge_gives_memory_back_and_then_down_to_none() {
        let admission = Admission::new(2 * SURGE);
        let mut slots = Vec::new();
        for _ in 0..SURGE - 1 {
            slots.push(admission.admit().await.unwrap());
        }
        assert!(!admission.surged.load(Ordering::Relaxed), "below a surge");
        slots.push(admission.admit().await.unwrap());
        assert!(admission.surged.load(Ordering::Relaxed));
        slots.clear();
        // The last close gave everything back and ended the surge.
        assert!(!admission.surged.load(Ordering::Relaxed));
        assert_eq!(admission.peak.load(Ordering::Relaxed), 0);
    }

    #[tokio::test]
    async fn slots_are_counted_until_dropped_and_the_drain_waits_for_them() {
        let admission = Admission::new(3);
        let first = admission.admit().await.unwrap();
        let second = admission.admit().await.unwrap();
        assert_eq!(admission.open(), 2);
        assert_eq!(admission.peak.load(Ordering::Relaxed), 2);
        assert!(!admission.all_closed(Duration::from_millis(10)).await);
        drop(first);
        drop(second);
        assert_eq!(admission.open(), 0);
        assert!(admission.all_closed(Duration::from_millis(10)).await);
    }

    #[tokio::test]
    async fn at_the_cap_the_next_connection_waits() {
        let admission = Admission::new(1);
        let only = admission.admit().await.unwrap();
        let waiting = tokio::time::timeout(Duration::from_millis(20), admission.admit()).await;
        assert!(waiting.is_err(), "admitted past the cap");
        drop(only);
        assert!(admission.admit().await.is_some());
    }
}
