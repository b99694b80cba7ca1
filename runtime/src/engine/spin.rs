//! The engine's two spin locks (the free lists of heap sites and of call
//! trees), made fork-safe: each is held for a few instructions with nothing
//! inside that allocates or blocks, and `fork` takes both first and gives
//! them back in parent and child, so a child never inherits one held by a
//! thread that does not exist there.

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
        ATFORK.call_once(register_atfork);
        self.acquire();
        SpinGuard(self)
    }

    fn acquire(&self) {
        while self
            .0
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            std::hint::spin_loop();
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

static ATFORK: Once = Once::new();

extern "C" fn before_fork() {
    TREES.acquire();
    SITES.acquire();
}

extern "C" fn after_fork() {
    SITES.release();
    TREES.release();
}

fn register_atfork() {
    #[cfg(unix)]
    // SAFETY: the handlers take and give back the two locks in a fixed
    // order; pthread_atfork copies the function pointers.
    unsafe {
        libc::pthread_atfork(Some(before_fork), Some(after_fork), Some(after_fork));
    }
}
