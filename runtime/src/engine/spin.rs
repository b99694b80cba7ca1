//! The engine's spin locks, made fork-safe so that a child never inherits
//! one held by a thread that does not exist there.
//!
//! The free lists of heap sites and of call trees ([`SITES`], [`TREES`])
//! and the allocator's slot classes ([`SLABS`]) are held for a few
//! instructions with nothing inside that allocates or blocks: `fork` takes
//! them all first (after the fold lock, which a folder holds while it takes
//! them) and gives them back in parent and child. Callsite names take no
//! lock at all (see `Callsite::named`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;

/// A lock held for a few instructions, usable inside the allocator.
pub(crate) struct SpinLock(AtomicBool);

/// Held while alive.
pub(crate) struct SpinGuard(&'static SpinLock);

impl SpinLock {
    const fn new() -> SpinLock {
        SpinLock(AtomicBool::new(false))
    }

    /// Takes the lock (spinning: it is only ever held for a moment).
    pub(crate) fn lock(&'static self) -> SpinGuard {
        ensure_atfork();
        self.acquire();
        SpinGuard(self)
    }

    fn acquire(&self) {
        let mut spins = 0u32;
        while self
            .0
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            spins += 1;
            if spins < 64 {
                std::hint::spin_loop();
            } else {
                // Held longer than a few instructions (its holder was
                // preempted): let the holder run.
                std::thread::yield_now();
            }
        }
    }

    fn release(&self) {
        self.0.store(false, Ordering::Release);
    }
}

impl Drop for SpinGuard {
    fn drop(&mut self) {
        self.0.release();
    }
}

/// The free list of heap sites.
pub(crate) static SITES: SpinLock = SpinLock::new();
/// The free list of call trees.
pub(crate) static TREES: SpinLock = SpinLock::new();
/// The allocator's slot classes (`profiles::slab`).
pub(crate) static SLABS: [SpinLock; 3] = [SpinLock::new(), SpinLock::new(), SpinLock::new()];

static ATFORK: Once = Once::new();

extern "C" fn before_fork() {
    crate::engine::fold::before_fork();
    TREES.acquire();
    SITES.acquire();
    for l in &SLABS {
        l.acquire();
    }
}

extern "C" fn after_fork_parent() {
    for l in &SLABS {
        l.release();
    }
    SITES.release();
    TREES.release();
    crate::engine::fold::after_fork();
}

extern "C" fn after_fork_child() {
    for l in &SLABS {
        l.release();
    }
    SITES.release();
    TREES.release();
    crate::engine::fold::after_fork();
}

/// Registers the fork handlers (once; every lock above and the fold lock
/// take this path before first use).
pub(crate) fn ensure_atfork() {
    ATFORK.call_once(register_atfork);
}

fn register_atfork() {
    #[cfg(unix)]
    // SAFETY: the handlers take the locks in a fixed order (fold, trees,
    // sites) and give them back; pthread_atfork copies the function
    // pointers, which are plain `extern "C"` functions living forever.
    unsafe {
        libc::pthread_atfork(
            Some(before_fork),
            Some(after_fork_parent),
            Some(after_fork_child),
        );
    }
}
