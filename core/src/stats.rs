//! Striped counters for INFO stats. A plain shared `AtomicU64` bounced
//! between cores costs tens of nanoseconds per command and stops threads
//! from scaling; each thread here adds to its own cache line, and readers
//! (INFO) sum the stripes. The methods mirror `AtomicU64`'s.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

const STRIPES: usize = 16;

#[derive(Debug, Default)]
#[repr(align(64))]
struct Padded(AtomicU64);

/// A counter that many threads update cheaply.
#[derive(Debug, Default)]
pub struct Counter([Padded; STRIPES]);

static NEXT_STRIPE: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static STRIPE: Cell<usize> = Cell::new(NEXT_STRIPE.fetch_add(1, Ordering::Relaxed) % STRIPES);
}

impl Counter {
    /// Adds `n` (on the calling thread's stripe).
    #[inline]
    pub fn fetch_add(&self, n: u64, order: Ordering) {
        let i = STRIPE.with(Cell::get);
        self.0[i].0.fetch_add(n, order);
    }

    /// The total.
    pub fn load(&self, order: Ordering) -> u64 {
        self.0
            .iter()
            .map(|p| p.0.load(order))
            .fold(0, u64::wrapping_add)
    }

    /// Resets to `n` (CONFIG RESETSTAT, or after a save).
    pub fn store(&self, n: u64, order: Ordering) {
        for (i, p) in self.0.iter().enumerate() {
            p.0.store(if i == 0 { n } else { 0 }, order);
        }
    }
}

/// The allocator INFO's `mem_allocator` names (see [`set_allocator`]).
static ALLOCATOR: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();

/// Names the process's global allocator for INFO's `mem_allocator`, once
/// (`kvstore-server` links mimalloc; a process embedding the engine keeps
/// its own allocator, reported as `libc`).
pub fn set_allocator(name: &'static str) {
    let _ = ALLOCATOR.set(name);
}

/// The allocator INFO reports.
pub fn allocator() -> &'static str {
    ALLOCATOR.get().copied().unwrap_or("libc")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_across_threads() {
        let c = Counter::default();
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..1000 {
                        c.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
        });
        assert_eq!(c.load(Ordering::Relaxed), 4000);
        c.store(0, Ordering::Relaxed);
        assert_eq!(c.load(Ordering::Relaxed), 0);
    }
}
