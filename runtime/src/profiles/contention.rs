//! Recording of block and mutex events (Go's block and mutex profiles), and
//! what each thread is blocked on (for the threads dump).

use crate::engine::clock;
use crate::engine::counters::{bump, rand};
use crate::engine::tree::{self, Tree};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

static BLOCK_RATE: AtomicU64 = AtomicU64::new(0);
static MUTEX_FRACTION: AtomicU64 = AtomicU64::new(0);

/// Sets the block profile rate, like Go's `runtime.SetBlockProfileRate`:
/// 0 records nothing (the default), 1 every blocking event; otherwise an
/// event of at least `ns` nanoseconds is always recorded and a shorter one
/// with probability `delay / ns`, scaled back so totals stay unbiased.
///
/// ```
/// inprof::set_block_profile_rate(1); // every wait on inprof's primitives
/// assert_eq!(inprof::block_profile_rate(), 1);
/// # inprof::set_block_profile_rate(0);
/// ```
pub fn set_block_profile_rate(ns: u64) {
    BLOCK_RATE.store(ns, Ordering::Relaxed);
}

/// Sets the mutex profile fraction, like Go's
/// `runtime.SetMutexProfileFraction`: 0 records nothing (the default), `n`
/// records one contended unlock in `n` on average, scaled back by `n`.
/// Returns the previous fraction.
///
/// ```
/// inprof::set_mutex_profile_fraction(1); // every contended unlock
/// assert_eq!(inprof::mutex_profile_fraction(), 1);
/// # inprof::set_mutex_profile_fraction(0);
/// ```
pub fn set_mutex_profile_fraction(n: u64) -> u64 {
    MUTEX_FRACTION.swap(n, Ordering::Relaxed)
}

/// The mutex profile fraction in force.
pub fn mutex_profile_fraction() -> u64 {
    MUTEX_FRACTION.load(Ordering::Relaxed)
}

/// The block profile rate in force.
pub fn block_profile_rate() -> u64 {
    BLOCK_RATE.load(Ordering::Relaxed)
}

/// What a thread can be blocked on, for the threads dump.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum BlockKind {
    /// Running (not blocked in an inprof type).
    Running = 0,
    /// `inprof::sync::Mutex` lock.
    Mutex = 1,
    /// `inprof::sync::RwLock` read lock.
    RwRead = 2,
    /// `inprof::sync::RwLock` write lock.
    RwWrite = 3,
    /// `inprof::sync::Condvar` wait.
    Condvar = 4,
    /// `inprof::sync::Barrier` wait.
    Barrier = 5,
    /// Channel send on a full channel.
    ChanSend = 6,
    /// Channel receive on an empty channel.
    ChanRecv = 7,
    /// Joining a thread.
    Join = 8,
}

impl BlockKind {
    pub(crate) fn from_u8(v: u8) -> BlockKind {
        match v {
            1 => BlockKind::Mutex,
            2 => BlockKind::RwRead,
            3 => BlockKind::RwWrite,
            4 => BlockKind::Condvar,
            5 => BlockKind::Barrier,
            6 => BlockKind::ChanSend,
            7 => BlockKind::ChanRecv,
            8 => BlockKind::Join,
            _ => BlockKind::Running,
        }
    }

    /// How the threads dump names the state.
    pub fn describe(self) -> &'static str {
        match self {
            BlockKind::Running => "running",
            BlockKind::Mutex => "inprof::sync::Mutex lock",
            BlockKind::RwRead => "inprof::sync::RwLock read",
            BlockKind::RwWrite => "inprof::sync::RwLock write",
            BlockKind::Condvar => "inprof::sync::Condvar wait",
            BlockKind::Barrier => "inprof::sync::Barrier wait",
            BlockKind::ChanSend => "channel send",
            BlockKind::ChanRecv => "channel receive",
            BlockKind::Join => "thread join",
        }
    }
}

/// A blocking wait in progress on the calling thread; finishing it records
/// the block event and clears the thread's blocked state.
pub(crate) struct Wait {
    tree: *const Tree,
    start: u64,
}

impl Wait {
    /// Marks the calling thread blocked on `obj` of kind `kind`.
    #[cold]
    pub(crate) fn begin(kind: BlockKind, obj: usize) -> Wait {
        let start = clock::mono_ns();
        let t = tree::this_tree();
        if !t.is_null() {
            // SAFETY: trees are never freed; these fields are written by
            // their owner only.
            let e = unsafe { &(*t).ext };
            e.blocked_obj.store(obj, Ordering::Relaxed);
            e.blocked_since.store(start, Ordering::Relaxed);
            e.blocked_kind.store(kind as u8, Ordering::Release);
        }
        Wait { tree: t, start }
    }

    /// The wait is over: records it in the block profile. Returns its start.
    pub(crate) fn end(self) -> u64 {
        let end = clock::mono_ns();
        if !self.tree.is_null() {
            // SAFETY: as in `begin`.
            let t = unsafe { &*self.tree };
            t.ext.blocked_kind.store(0, Ordering::Release);
            record_block(t, end.saturating_sub(self.start));
        }
        self.start
    }
}

/// Records a blocking event of `delay` ns at the thread's current node,
/// with Go's unbiased sampling of short events.
fn record_block(t: &Tree, delay: u64) {
    let rate = BLOCK_RATE.load(Ordering::Relaxed);
    if rate == 0 {
        return;
    }
    let n = t.current();
    let (count, d) = if delay >= rate {
        (1.0, delay)
    } else if delay > 0 && rand(t) % rate < delay {
        (rate as f64 / delay as f64, rate)
    } else {
        return;
    };
    let c = f64::from_bits(n.ext.block_count.load(Ordering::Relaxed)) + count;
    n.ext.block_count.store(c.to_bits(), Ordering::Relaxed);
    bump(&n.ext.block_delay, d);
}

/// Records that the calling thread, unlocking, made others wait `delay` ns
/// in all, at its current node (Go's mutex profile).
fn record_mutex(delay: u64) {
    let frac = MUTEX_FRACTION.load(Ordering::Relaxed);
    if frac == 0 || delay == 0 {
        return;
    }
    let t = tree::this_tree();
    if t.is_null() {
        return;
    }
    // SAFETY: trees are never freed; this is the owning thread.
    let t = unsafe { &*t };
    if frac > 1 && !rand(t).is_multiple_of(frac) {
        return;
    }
    let n = t.current();
    bump(&n.ext.mutex_count, frac);
    bump(&n.ext.mutex_delay, delay.saturating_mul(frac));
}

/// Contention bookkeeping of one lock. The uncontended path reads only
/// `waiters` (zero); everything else happens when threads wait.
pub(crate) struct Contention {
    waiters: AtomicU32,
    state: parking_lot::Mutex<ContState>,
}

struct ContState {
    waiters: u64,
    /// Sum over waiters of max(their start, `clamp`).
    sum: u128,
    /// When the current holder took the lock (or last unlocked with
    /// waiters): waiting before that is not this holder's doing.
    clamp: u64,
}

impl Contention {
    pub(crate) const fn new() -> Contention {
        Contention {
            waiters: AtomicU32::new(0),
            state: parking_lot::const_mutex(ContState {
                waiters: 0,
                sum: 0,
                clamp: 0,
            }),
        }
    }

    /// Whether anyone waits (the unlock fast path's one extra load).
    #[inline(always)]
    pub(crate) fn has_waiters(&self) -> bool {
        self.waiters.load(Ordering::Relaxed) != 0
    }

    /// A thread starts waiting for the lock.
    #[cold]
    pub(crate) fn wait_begin(&self, kind: BlockKind) -> Wait {
        let w = Wait::begin(kind, self as *const Contention as usize);
        let mut s = self.state.lock();
        s.waiters += 1;
        s.sum += w.start.max(s.clamp) as u128;
        self.waiters.fetch_add(1, Ordering::Relaxed);
        w
    }

    /// The waiting thread got the lock (`acquired`) or gave up.
    #[cold]
    pub(crate) fn wait_end(&self, w: Wait, acquired: bool) {
        let start = w.end();
        let now = clock::mono_ns();
        let mut s = self.state.lock();
        s.waiters = s.waiters.saturating_sub(1);
        s.sum = s.sum.saturating_sub(start.max(s.clamp) as u128);
        self.waiters.fetch_sub(1, Ordering::Relaxed);
        if acquired {
            // The new holder is to blame only for waiting from now on.
            Self::clamp(&mut s, now);
        }
    }

    /// A thread took the lock while others wait.
    #[cold]
    pub(crate) fn acquired_with_waiters(&self) {
        let now = clock::mono_ns();
        Self::clamp(&mut self.state.lock(), now);
    }

    fn clamp(s: &mut ContState, now: u64) {
        s.sum = s.waiters as u128 * now as u128;
        s.clamp = now;
    }

    /// The holder unlocks while others wait: charges it with the waiting
    /// it caused (every waiter's wait since it took the lock: Go 1.22's
    /// "delay × waiters").
    #[cold]
    pub(crate) fn unlock_with_waiters(&self) {
        let now = clock::mono_ns();
        let delay = {
            let mut s = self.state.lock();
            let total = (s.waiters as u128 * now as u128).saturating_sub(s.sum);
            Self::clamp(&mut s, now);
            total.min(u64::MAX as u128) as u64
        };
        record_mutex(delay);
    }
}
