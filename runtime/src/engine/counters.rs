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
    pub owner: AtomicPtr<crate::engine::tree::Tree>,
    /// Allocations made at this node (owner thread only).
    pub alloc_objects: AtomicU64,
    pub alloc_bytes: AtomicU64,
    /// Frees of this node's allocations made on the owner thread.
    pub free_objects: AtomicU64,
    pub free_bytes: AtomicU64,
    /// Frees (and realloc growth) of this node's allocations made on other
    /// threads (atomic adds).
    pub remote_free_objects: AtomicU64,
    pub remote_free_bytes: AtomicU64,
    pub remote_alloc_objects: AtomicU64,
    pub remote_alloc_bytes: AtomicU64,
    /// Block profile: waits at this node.
    pub block_count: AtomicU64,
    pub block_delay: AtomicU64,
    /// Mutex profile: delay this node caused others as a lock holder.
    pub mutex_count: AtomicU64,
    pub mutex_delay: AtomicU64,
    /// threadcreate profile: threads spawned at this node.
    pub threads_created: AtomicU64,
}

/// Adds `v` to a counter only the owning thread writes.
#[inline(always)]
pub(crate) fn bump(c: &AtomicU64, v: u64) {
    c.store(c.load(Ordering::Relaxed).wrapping_add(v), Ordering::Relaxed);
}

/// Per-thread state beyond the tree.
#[derive(Default)]
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
    /// The node of the spawning thread that created this one (null: not
    /// spawned through `inprof::thread`).
    pub created_by: AtomicPtr<crate::engine::tree::Node>,
    /// This thread's random state for sampling decisions (owner only).
    pub rng: AtomicU64,
    /// Bytes to allocate before the next native-stack sample (owner only;
    /// reset by `set_mem_profile_rate`).
    pub sample_left: AtomicI64,
}

impl ThreadStats {
    pub(crate) const fn new() -> Self {
        ThreadStats {
            heap_net: AtomicI64::new(0),
            heap_flushed: AtomicI64::new(0),
            blocked_kind: AtomicU8::new(0),
            blocked_obj: AtomicUsize::new(0),
            blocked_since: AtomicU64::new(0),
            created_by: AtomicPtr::new(std::ptr::null_mut()),
            rng: AtomicU64::new(0),
            sample_left: AtomicI64::new(0),
        }
    }
}

thread_local! {
    static REENTRANT: Cell<bool> = const { Cell::new(false) };
    static PENDING_NAME: RefCell<Option<String>> = const { RefCell::new(None) };
    static PENDING_ORIGIN: Cell<(*const crate::engine::tree::Node, *const Callsite)> =
        const { Cell::new((std::ptr::null(), std::ptr::null())) };
}

/// Sets where the calling thread was spawned from and the label node it
/// starts under (the callsite of the spawner's label set: labels are
/// inherited), for its registration (used by `inprof::thread`).
pub(crate) fn set_pending_origin(node: *const crate::engine::tree::Node, labels: *const Callsite) {
    PENDING_ORIGIN.with(|p| p.set((node, labels)));
}

fn take_pending_origin() -> (*const crate::engine::tree::Node, *const Callsite) {
    PENDING_ORIGIN
        .try_with(|p| p.replace((std::ptr::null(), std::ptr::null())))
        .unwrap_or((std::ptr::null(), std::ptr::null()))
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
    let (node, labels) = take_pending_origin();
    t.ext.created_by.store(node as *mut _, Ordering::Relaxed);
    if !labels.is_null() {
        // SAFETY: label callsites belong to interned label sets, which are
        // never freed.
        t.enter_permanent(unsafe { &*labels });
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
