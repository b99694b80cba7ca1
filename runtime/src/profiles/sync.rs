//! Locks that record contention: drop-in `Mutex`, `RwLock`, `Condvar` and
//! `Barrier`, built on parking_lot through `lock_api`, so guards, mapping,
//! `try_lock_for` and `const fn new` work as parking_lot users expect (and,
//! like parking_lot, locks are not poisoned by a panic).
//!
//! Uncontended, a lock costs parking_lot's plus one load and branch on
//! unlock. When a thread has to wait, its wait goes to the block profile at
//! its call path, and the holder is charged, when it unlocks, with the wait
//! it caused, at its call path (the mutex profile).
//!
//! ```
//! use inprof::sync::Mutex;
//! use std::sync::Arc;
//!
//! inprof::set_mutex_profile_fraction(1);
//! inprof::set_block_profile_rate(1);
//! let counter = Arc::new(Mutex::new(0u64));
//! let c = counter.clone();
//! let t = inprof::thread::spawn(move || *c.lock() += 1);
//! *counter.lock() += 1;
//! t.join().unwrap();
//! assert_eq!(*counter.lock(), 2);
//! // Waits, if any, are in inprof::lookup("block") and ("mutex").
//! # inprof::set_mutex_profile_fraction(0);
//! # inprof::set_block_profile_rate(0);
//! ```

use crate::profiles::contention::{BlockKind, Contention, Wait};
use lock_api::{GuardNoSend, RawMutex as _, RawMutexTimed as _, RawRwLock as _};
use std::time::{Duration, Instant};

/// The raw mutex behind [`Mutex`]: parking_lot's, with contention recorded.
pub struct RawMutex {
    inner: parking_lot::RawMutex,
    cont: Contention,
}

/// Spins briefly for a lock that is about to be free before counting a
/// wait: a lock handed over within a few hundred cycles is not a blocking
/// event (Go's mutex spins too before it sleeps).
#[inline]
fn spin_until(mut try_take: impl FnMut() -> bool) -> bool {
    for i in 0..10u32 {
        for _ in 0..(1u32 << i.min(6)) {
            std::hint::spin_loop();
        }
        if try_take() {
            return true;
        }
    }
    false
}

impl RawMutex {
    #[cold]
    #[inline(never)]
    fn lock_slow(&self) {
        if spin_until(|| self.inner.try_lock()) {
            self.acquired();
            return;
        }
        let w = self.cont.wait_begin(BlockKind::Mutex);
        self.inner.lock();
        self.cont.wait_end(w, true);
    }

    #[cold]
    #[inline(never)]
    fn lock_timed_slow(&self, deadline: Instant) -> bool {
        let w = self.cont.wait_begin(BlockKind::Mutex);
        let ok = self.inner.try_lock_until(deadline);
        self.cont.wait_end(w, ok);
        ok
    }

    #[inline(always)]
    fn acquired(&self) {
        if self.cont.has_waiters() {
            self.cont.acquired_with_waiters();
        }
    }
}

// SAFETY: mutual exclusion is parking_lot's RawMutex's; this type only adds
// bookkeeping around its calls and forwards them one to one.
unsafe impl lock_api::RawMutex for RawMutex {
    #[allow(clippy::declare_interior_mutable_const)]
    const INIT: RawMutex = RawMutex {
        inner: <parking_lot::RawMutex as lock_api::RawMutex>::INIT,
        cont: Contention::new(),
    };
    type GuardMarker = GuardNoSend;

    #[inline]
    fn lock(&self) {
        if self.inner.try_lock() {
            self.acquired();
        } else {
            self.lock_slow();
        }
    }

    #[inline]
    fn try_lock(&self) -> bool {
        let ok = self.inner.try_lock();
        if ok {
            self.acquired();
        }
        ok
    }

    #[inline]
    unsafe fn unlock(&self) {
        if self.cont.has_waiters() {
            self.cont.unlock_with_waiters();
        }
        // SAFETY: the caller holds the lock (lock_api's contract).
        unsafe { self.inner.unlock() }
    }

    #[inline]
    fn is_locked(&self) -> bool {
        self.inner.is_locked()
    }
}

// SAFETY: as above; timed variants forward to parking_lot's.
unsafe impl lock_api::RawMutexTimed for RawMutex {
    type Duration = Duration;
    type Instant = Instant;

    fn try_lock_for(&self, timeout: Duration) -> bool {
        self.try_lock() || self.lock_timed_slow(Instant::now() + timeout)
    }

    fn try_lock_until(&self, timeout: Instant) -> bool {
        self.try_lock() || self.lock_timed_slow(timeout)
    }
}

/// A mutual exclusion lock that records contention (parking_lot's, wrapped).
///
/// ```
/// static COUNT: inprof::sync::Mutex<u64> = inprof::sync::Mutex::new(0);
/// *COUNT.lock() += 1;
/// assert_eq!(*COUNT.lock(), 1);
/// ```
pub type Mutex<T> = lock_api::Mutex<RawMutex, T>;
/// The guard of a [`Mutex`].
pub type MutexGuard<'a, T> = lock_api::MutexGuard<'a, RawMutex, T>;
/// A [`MutexGuard`] mapped to a part of the data.
pub type MappedMutexGuard<'a, T> = lock_api::MappedMutexGuard<'a, RawMutex, T>;

/// A new [`Mutex`] in a `const` context.
pub const fn const_mutex<T>(t: T) -> Mutex<T> {
    Mutex::const_new(<RawMutex as lock_api::RawMutex>::INIT, t)
}

/// The raw reader-writer lock behind [`RwLock`].
pub struct RawRwLock {
    inner: parking_lot::RawRwLock,
    cont: Contention,
}

impl RawRwLock {
    #[cold]
    #[inline(never)]
    fn slow(&self, kind: BlockKind, f: impl FnOnce(&parking_lot::RawRwLock) -> bool) -> bool {
        let spun = match kind {
            BlockKind::RwRead => spin_until(|| self.inner.try_lock_shared()),
            _ => spin_until(|| self.inner.try_lock_exclusive()),
        };
        if spun {
            self.acquired();
            return true;
        }
        let w = self.cont.wait_begin(kind);
        let ok = f(&self.inner);
        self.cont.wait_end(w, ok);
        ok
    }

    #[inline(always)]
    fn acquired(&self) {
        if self.cont.has_waiters() {
            self.cont.acquired_with_waiters();
        }
    }
}

// SAFETY: reader-writer exclusion is parking_lot's RawRwLock's; calls are
// forwarded one to one.
unsafe impl lock_api::RawRwLock for RawRwLock {
    #[allow(clippy::declare_interior_mutable_const)]
    const INIT: RawRwLock = RawRwLock {
        inner: <parking_lot::RawRwLock as lock_api::RawRwLock>::INIT,
        cont: Contention::new(),
    };
    type GuardMarker = GuardNoSend;

    #[inline]
    fn lock_shared(&self) {
        if self.inner.try_lock_shared() {
            self.acquired();
        } else {
            self.slow(BlockKind::RwRead, |l| {
                l.lock_shared();
                true
            });
        }
    }

    #[inline]
    fn try_lock_shared(&self) -> bool {
        let ok = self.inner.try_lock_shared();
        if ok {
            self.acquired();
        }
        ok
    }

    #[inline]
    unsafe fn unlock_shared(&self) {
        if self.cont.has_waiters() {
            self.cont.unlock_with_waiters();
        }
        // SAFETY: the caller holds a shared lock.
        unsafe { self.inner.unlock_shared() }
    }

    #[inline]
    fn lock_exclusive(&self) {
        if self.inner.try_lock_exclusive() {
            self.acquired();
        } else {
            self.slow(BlockKind::RwWrite, |l| {
                l.lock_exclusive();
                true
            });
        }
    }

    #[inline]
    fn try_lock_exclusive(&self) -> bool {
        let ok = self.inner.try_lock_exclusive();
        if ok {
            self.acquired();
        }
        ok
    }

    #[inline]
    unsafe fn unlock_exclusive(&self) {
        if self.cont.has_waiters() {
            self.cont.unlock_with_waiters();
        }
        // SAFETY: the caller holds the exclusive lock.
        unsafe { self.inner.unlock_exclusive() }
    }

    #[inline]
    fn is_locked(&self) -> bool {
        self.inner.is_locked()
    }
}

// SAFETY: as above; timed variants forward to parking_lot's.
unsafe impl lock_api::RawRwLockTimed for RawRwLock {
    type Duration = Duration;
    type Instant = Instant;

    fn try_lock_shared_for(&self, timeout: Duration) -> bool {
        self.try_lock_shared_until(Instant::now() + timeout)
    }

    fn try_lock_shared_until(&self, timeout: Instant) -> bool {
        self.try_lock_shared() || self.slow(BlockKind::RwRead, |l| l.try_lock_shared_until(timeout))
    }

    fn try_lock_exclusive_for(&self, timeout: Duration) -> bool {
        self.try_lock_exclusive_until(Instant::now() + timeout)
    }

    fn try_lock_exclusive_until(&self, timeout: Instant) -> bool {
        self.try_lock_exclusive()
            || self.slow(BlockKind::RwWrite, |l| l.try_lock_exclusive_until(timeout))
    }
}

/// A reader-writer lock that records contention (parking_lot's, wrapped).
pub type RwLock<T> = lock_api::RwLock<RawRwLock, T>;
/// Shared guard of an [`RwLock`].
pub type RwLockReadGuard<'a, T> = lock_api::RwLockReadGuard<'a, RawRwLock, T>;
/// Exclusive guard of an [`RwLock`].
pub type RwLockWriteGuard<'a, T> = lock_api::RwLockWriteGuard<'a, RawRwLock, T>;

/// A new [`RwLock`] in a `const` context.
pub const fn const_rwlock<T>(t: T) -> RwLock<T> {
    RwLock::const_new(<RawRwLock as lock_api::RawRwLock>::INIT, t)
}

/// Whether a timed wait on a [`Condvar`] timed out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitTimeoutResult(bool);

impl WaitTimeoutResult {
    /// Whether the wait ended because the timeout passed.
    pub fn timed_out(self) -> bool {
        self.0
    }
}

/// A condition variable for [`Mutex`]; its waits go to the block profile.
#[derive(Default)]
pub struct Condvar {
    m: parking_lot::Mutex<()>,
    cv: parking_lot::Condvar,
}

impl std::fmt::Debug for Condvar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Condvar { .. }")
    }
}

impl Condvar {
    /// A new condition variable.
    pub const fn new() -> Condvar {
        Condvar {
            m: parking_lot::const_mutex(()),
            cv: parking_lot::Condvar::new(),
        }
    }

    /// Blocks until notified; the mutex is unlocked while waiting and
    /// locked again before returning.
    pub fn wait<T: ?Sized>(&self, guard: &mut MutexGuard<'_, T>) {
        self.wait_inner(guard, None);
    }

    /// Blocks until notified or `timeout` passes.
    pub fn wait_for<T: ?Sized>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        timeout: Duration,
    ) -> WaitTimeoutResult {
        self.wait_inner(guard, Some(Instant::now() + timeout))
    }

    /// Blocks while `condition` holds.
    pub fn wait_while<T: ?Sized, F: FnMut(&mut T) -> bool>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        mut condition: F,
    ) {
        while condition(&mut **guard) {
            self.wait(guard);
        }
    }

    fn wait_inner<T: ?Sized>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        deadline: Option<Instant>,
    ) -> WaitTimeoutResult {
        let w = Wait::begin(BlockKind::Condvar, self as *const Condvar as usize);
        // Take the inner lock before releasing the user's mutex, so that a
        // notify in between cannot be lost; release it before locking the
        // user's mutex again, so a notifier holding that one cannot
        // deadlock with us.
        let mut inner = self.m.lock();
        let timed_out = MutexGuard::unlocked(guard, move || {
            let t = match deadline {
                Some(d) => self.cv.wait_until(&mut inner, d).timed_out(),
                None => {
                    self.cv.wait(&mut inner);
                    false
                }
            };
            drop(inner);
            t
        });
        w.end();
        WaitTimeoutResult(timed_out)
    }

    /// Wakes one waiter; returns whether one was woken.
    pub fn notify_one(&self) -> bool {
        let _g = self.m.lock();
        self.cv.notify_one()
    }

    /// Wakes every waiter; returns how many were woken.
    pub fn notify_all(&self) -> usize {
        let _g = self.m.lock();
        self.cv.notify_all()
    }
}

/// A barrier (std's, wrapped): each `wait` goes to the block profile.
#[derive(Debug)]
pub struct Barrier {
    inner: std::sync::Barrier,
}

impl Barrier {
    /// A barrier for `n` threads.
    pub fn new(n: usize) -> Barrier {
        Barrier {
            inner: std::sync::Barrier::new(n),
        }
    }

    /// Blocks until `n` threads have called `wait`.
    pub fn wait(&self) -> std::sync::BarrierWaitResult {
        let w = Wait::begin(BlockKind::Barrier, self as *const Barrier as usize);
        let r = self.inner.wait();
        w.end();
        r
    }
}
