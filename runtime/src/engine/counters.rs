//! Per-node and per-thread counters shared by the profiles that hang off the
//! call tree, and the thread-local re-entrancy flag.

use crate::engine::callsite::Callsite;
use std::cell::{Cell, RefCell};
use std::sync::atomic::{
    AtomicI64, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering,
};

/// Counters of one call-path node beyond time.
#[derive(Default)]
pub(crate) struct NodeStats {
    /// The node's index in its tree.
    pub idx: AtomicU32,
    /// The tree the node belongs to.
    pub tree: AtomicPtr<crate::engine::tree::Tree>,
    /// The node's heap site (null until the node first allocates).
    pub site: AtomicPtr<crate::engine::site::Site>,
    /// Block profile: waits at this node (an f64's bits: sampled waits
    /// count fractionally).
    pub block_count: AtomicU64,
    pub block_delay: AtomicU64,
    /// Mutex profile: delay this node caused others as a lock holder.
    pub mutex_count: AtomicU64,
    pub mutex_delay: AtomicU64,
    /// threadcreate profile: threads spawned at this node.
    pub threads_created: AtomicU64,
    /// taskcreate profile: tasks spawned at this node (`inprof::task`).
    pub tasks_created: AtomicU64,
    /// Async: futures of this frame that completed (owner only: a future
    /// completes in a poll, on the thread of its node).
    pub futures_done: AtomicU64,
    /// Async: their first poll to completion, in ticks (owner only).
    pub latency_ticks: AtomicU64,
    /// Async: futures dropped after their first poll, before completion
    /// (any thread: `fetch_add`).
    pub futures_cancelled: AtomicU64,
    /// Async: their first poll to drop, in ticks (any thread: `fetch_add`).
    pub cancelled_latency_ticks: AtomicU64,
}

/// Adds `v` to a counter only the owning thread writes.
#[inline(always)]
pub(crate) fn bump(c: &AtomicU64, v: u64) {
    c.store(c.load(Ordering::Relaxed).wrapping_add(v), Ordering::Relaxed);
}

/// Frames of the creation stack a thread keeps (annotated frames of the
/// spawner, innermost first).
pub const CREATION_DEPTH: usize = 16;

/// Per-thread state beyond the tree (all-zero is its empty state: trees
/// are allocated zeroed).
pub(crate) struct ThreadStats {
    /// Bytes this thread allocated minus bytes it freed (owner only).
    pub heap_net: AtomicI64,
    /// The part of `heap_net` already added to the global live figure.
    pub heap_flushed: AtomicI64,
    /// What the thread is blocked on now (a `BlockKind` as u8; 0: running).
    pub blocked_kind: AtomicU8,
    /// The address of the object it is blocked on.
    pub blocked_obj: AtomicUsize,
    /// Since when (monotonic ns, see `clock::mono_ns`).
    pub blocked_since: AtomicU64,
    /// The id of the thread that spawned this one through
    /// `inprof::thread` (0: not spawned so).
    pub created_by_thread: AtomicU64,
    /// The spawner's annotated frames at the spawn (addresses of their
    /// names, innermost first), copied so that they outlive the spawner's
    /// tree.
    pub created_by: [AtomicUsize; CREATION_DEPTH],
    /// How many of `created_by` are set.
    pub created_by_len: AtomicUsize,
    /// This thread's random state for sampling decisions (owner only).
    pub rng: AtomicU64,
    /// Bytes to allocate before the next native-stack sample (owner only;
    /// reset by `set_mem_profile_rate`).
    pub sample_left: AtomicI64,
}

impl ThreadStats {
    /// Forgets everything (the tree goes to a new thread).
    pub(crate) fn reset(&self) {
        for a in [&self.heap_net, &self.heap_flushed, &self.sample_left] {
            a.store(0, Ordering::Relaxed);
        }
        self.blocked_kind.store(0, Ordering::Relaxed);
        self.blocked_obj.store(0, Ordering::Relaxed);
        self.blocked_since.store(0, Ordering::Relaxed);
        self.created_by_thread.store(0, Ordering::Relaxed);
        self.created_by_len.store(0, Ordering::Relaxed);
        for c in &self.created_by {
            c.store(0, Ordering::Relaxed);
        }
        self.rng.store(0, Ordering::Relaxed);
    }

    /// The spawner's annotated frames at the spawn, innermost first.
    pub(crate) fn creation_stack(&self) -> Vec<&'static crate::engine::callsite::Named> {
        let n = self
            .created_by_len
            .load(Ordering::Acquire)
            .min(CREATION_DEPTH);
        self.created_by[..n]
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .filter(|&c| c != 0)
            // SAFETY: only addresses of names (leaked, never freed) are
            // stored here: the spawner's frames all have one.
            .map(|c| unsafe { &*(c as *const crate::engine::callsite::Named) })
            .collect()
    }
}

/// Where a thread comes from: what its spawner knew at the spawn.
#[derive(Clone, Copy)]
pub(crate) struct Origin {
    /// The spawner's thread id (0: none).
    pub thread: u64,
    /// The spawner's annotated frames, innermost first.
    pub stack: [usize; CREATION_DEPTH],
    pub len: usize,
    /// The callsite of the spawner's label set (labels are inherited).
    pub labels: *const Callsite,
}

impl Origin {
    pub(crate) const NONE: Origin = Origin {
        thread: 0,
        stack: [0; CREATION_DEPTH],
        len: 0,
        labels: std::ptr::null(),
    };
}

// SAFETY: the pointers are to `'static` callsites, only read.
unsafe impl Send for Origin {}

thread_local! {
    static REENTRANT: Cell<bool> = const { Cell::new(false) };
    static PENDING_NAME: RefCell<Option<String>> = const { RefCell::new(None) };
    static PENDING_ORIGIN: Cell<Origin> = const { Cell::new(Origin::NONE) };
}

/// Sets where the calling thread was spawned from, for its registration
/// (used by `inprof::thread`).
pub(crate) fn set_pending_origin(o: Origin) {
    PENDING_ORIGIN.with(|p| p.set(o));
}

fn take_pending_origin() -> Origin {
    PENDING_ORIGIN
        .try_with(|p| p.replace(Origin::NONE))
        .unwrap_or(Origin::NONE)
}

/// Marks that inprof itself is running on this thread (registration, name
/// resolution): the allocator does not account what happens meanwhile and
/// nothing registers again.
pub(crate) struct Reentrant {
    was: bool,
}

impl Reentrant {
    #[inline]
    pub(crate) fn enter() -> Reentrant {
        let was = REENTRANT.try_with(|r| r.replace(true)).unwrap_or(true);
        Reentrant { was }
    }

    /// Marks the calling thread as inprof's own for the rest of its life:
    /// nothing it allocates is counted.
    pub(crate) fn forever() {
        let _ = REENTRANT.try_with(|r| r.set(true));
    }

    #[inline(always)]
    pub(crate) fn active() -> bool {
        REENTRANT.try_with(|r| r.get()).unwrap_or(true)
    }
}

impl Drop for Reentrant {
    #[inline]
    fn drop(&mut self) {
        let was = self.was;
        let _ = REENTRANT.try_with(|r| r.set(was));
    }
}

/// Sets the name the calling thread registers under (used by
/// `inprof::thread` before the thread first touches inprof).
pub fn set_pending_name(name: Option<String>) {
    let _ = PENDING_NAME.try_with(|p| *p.borrow_mut() = name);
}

pub(crate) fn take_pending_name() -> Option<String> {
    PENDING_NAME
        .try_with(|p| p.try_borrow_mut().ok().and_then(|mut b| b.take()))
        .ok()
        .flatten()
}

/// Called when a thread registers its tree.
pub(crate) fn on_register(t: &'static crate::engine::tree::Tree) {
    let o = take_pending_origin();
    t.ext.created_by_thread.store(o.thread, Ordering::Relaxed);
    for (slot, c) in t.ext.created_by.iter().zip(&o.stack[..o.len]) {
        slot.store(*c, Ordering::Relaxed);
    }
    t.ext.created_by_len.store(o.len, Ordering::Release);
    if !o.labels.is_null() {
        // SAFETY: label callsites belong to interned label sets, which are
        // never freed.
        t.enter_permanent(unsafe { &*o.labels });
    }
    let seed = (t as *const crate::engine::tree::Tree as u64)
        ^ crate::engine::clock::ticks()
        ^ 0x9E37_79B9_7F4A_7C15;
    t.ext.rng.store(seed | 1, Ordering::Relaxed);
}

/// A random number from the thread's own state (xorshift; owner only).
pub(crate) fn rand(t: &crate::engine::tree::Tree) -> u64 {
    let mut x = t.ext.rng.load(Ordering::Relaxed) | 1;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    t.ext.rng.store(x, Ordering::Relaxed);
    x
}
