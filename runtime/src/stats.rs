//! Per-node and per-thread counters shared by the profiles that hang off the
//! call tree, and the thread-local re-entrancy flag.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicI64, AtomicPtr, AtomicU32, AtomicU64, Ordering};

/// Counters of one call-path node beyond time.
#[derive(Default)]
pub(crate) struct NodeStats {
    /// The node's index in its tree.
    pub idx: AtomicU32,
    /// The tree the node belongs to.
    pub owner: AtomicPtr<crate::tree::Tree>,
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
}

impl ThreadStats {
    pub(crate) const fn new() -> Self {
        ThreadStats {
            heap_net: AtomicI64::new(0),
            heap_flushed: AtomicI64::new(0),
        }
    }
}

thread_local! {
    static REENTRANT: Cell<bool> = const { Cell::new(false) };
    static PENDING_NAME: RefCell<Option<String>> = const { RefCell::new(None) };
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
pub(crate) fn on_register(_t: &'static crate::tree::Tree) {}
