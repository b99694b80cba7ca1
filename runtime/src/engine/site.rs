//! Heap sites: the exact allocation counters of one call path, apart from
//! the call-tree node they count for.
//!
//! A block remembers its site (the allocator's tag), not its node, so that
//! a thread's call tree can be folded into its name's aggregate and reused
//! once the thread has exited, while blocks it allocated are still live:
//! the site is moved to the aggregate's node and the block's free still
//! lands on it. A site whose blocks are all freed is merged into the
//! aggregate node's own site and reused (`merge_and_recycle`).
//!
//! Sites come straight from the system allocator (the engine never goes
//! through the global allocator), live in a registry that only grows, and
//! are never freed.

use crate::engine::counters::bump;
use crate::engine::spin;
use crate::engine::tree::{Node, Tree};
use std::alloc::{GlobalAlloc, Layout, System};
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicPtr, AtomicU64, Ordering};

/// The heap counters of one call path of one thread (or of an aggregate).
///
/// Allocations are counted by the owner thread with plain stores; frees on
/// the owner thread too; frees (and realloc growth) from other threads, and
/// everything once the owner is gone, with atomic adds on separate
/// counters.
#[derive(Default)]
pub struct Site {
    /// The node this site counts for.
    node: AtomicPtr<Node>,
    /// The thread that counts here with plain stores (null: none, every
    /// update is atomic).
    owner: AtomicPtr<Tree>,
    /// Counts of the owner thread.
    pub(crate) alloc_objects: AtomicU64,
    pub(crate) alloc_bytes: AtomicU64,
    pub(crate) free_objects: AtomicU64,
    pub(crate) free_bytes: AtomicU64,
    /// Counts of other threads.
    pub(crate) remote_alloc_objects: AtomicU64,
    pub(crate) remote_alloc_bytes: AtomicU64,
    pub(crate) remote_free_objects: AtomicU64,
    pub(crate) remote_free_bytes: AtomicU64,
    /// A native-stack record refers to this site: it is never reused.
    pinned: AtomicBool,
    /// On the free list (its counters belong to nobody).
    free: AtomicBool,
    /// The registry.
    next: AtomicPtr<Site>,
    /// The free list.
    next_free: AtomicPtr<Site>,
}

/// Heap totals of a site: (alloc objects, alloc bytes, free objects, free
/// bytes).
pub type Totals = (u64, u64, u64, u64);

impl Site {
    /// The node this site counts for.
    pub fn node(&self) -> *const Node {
        self.node.load(Ordering::Acquire)
    }

    /// The thread counting here with plain stores (null: none).
    #[inline(always)]
    pub(crate) fn owner(&self) -> *const Tree {
        self.owner.load(Ordering::Relaxed)
    }

    /// (alloc objects, alloc bytes, free objects, free bytes), all threads.
    pub fn totals(&self) -> Totals {
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        (
            l(&self.alloc_objects).wrapping_add(l(&self.remote_alloc_objects)),
            l(&self.alloc_bytes).wrapping_add(l(&self.remote_alloc_bytes)),
            l(&self.free_objects).wrapping_add(l(&self.remote_free_objects)),
            l(&self.free_bytes).wrapping_add(l(&self.remote_free_bytes)),
        )
    }

    /// Marks the site as referred to by a native-stack record.
    pub(crate) fn pin(&self) {
        if !self.pinned.load(Ordering::Relaxed) {
            self.pinned.store(true, Ordering::Relaxed);
        }
    }

    /// Counts one object of `size` bytes allocated (`free` false) or freed,
    /// by the owner (`local`, plain stores) or anyone (atomic adds).
    #[inline(always)]
    pub(crate) fn count(&self, size: u64, free: bool, local: bool) {
        let (objects, bytes) = match (free, local) {
            (true, true) => (&self.free_objects, &self.free_bytes),
            (true, false) => (&self.remote_free_objects, &self.remote_free_bytes),
            (false, true) => (&self.alloc_objects, &self.alloc_bytes),
            (false, false) => (&self.remote_alloc_objects, &self.remote_alloc_bytes),
        };
        if local {
            bump(objects, 1);
            bump(bytes, size);
        } else {
            objects.fetch_add(1, Ordering::Relaxed);
            bytes.fetch_add(size, Ordering::Relaxed);
        }
    }
}

/// How far a thread's net allocation may drift before it is added to the
/// global live-bytes figure that tracks the peak.
const FLUSH_BYTES: i64 = 64 * 1024;

static LIVE: AtomicI64 = AtomicI64::new(0);
static PEAK: AtomicI64 = AtomicI64::new(0);
static PEAK_AT_NS: AtomicU64 = AtomicU64::new(0);

/// Adds `delta` bytes to the calling thread's net allocation (owner only),
/// flushing it to the global figure past [`FLUSH_BYTES`].
#[inline(always)]
pub(crate) fn add_net(t: &Tree, delta: i64) {
    let s = &t.ext;
    let net = s.heap_net.load(Ordering::Relaxed).wrapping_add(delta);
    s.heap_net.store(net, Ordering::Relaxed);
    let flushed = s.heap_flushed.load(Ordering::Relaxed);
    if (net - flushed).abs() >= FLUSH_BYTES {
        flush(t, net, flushed);
    }
}

/// Adds `delta` bytes to the global figure directly (a thread without a
/// tree).
#[inline(always)]
pub(crate) fn add_live(delta: i64) {
    LIVE.fetch_add(delta, Ordering::Relaxed);
}

#[cold]
#[inline(never)]
fn flush(t: &Tree, net: i64, flushed: i64) {
    t.ext.heap_flushed.store(net, Ordering::Relaxed);
    let live = LIVE.fetch_add(net - flushed, Ordering::Relaxed) + (net - flushed);
    let mut peak = PEAK.load(Ordering::Relaxed);
    while live > peak {
        match PEAK.compare_exchange_weak(peak, live, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => {
                PEAK_AT_NS.store(crate::engine::clock::unix_nanos() as u64, Ordering::Relaxed);
                break;
            }
            Err(p) => peak = p,
        }
    }
}

/// Flushes what an exited thread had not yet added to the global figure.
pub(crate) fn flush_thread(t: &Tree) {
    let net = t.ext.heap_net.load(Ordering::Relaxed);
    let flushed = t.ext.heap_flushed.load(Ordering::Relaxed);
    if net != flushed {
        flush(t, net, flushed);
    }
}

/// The highest live bytes seen (to within 64 KiB per thread) and when
/// (ns since the Unix epoch, 0: never).
pub fn peak() -> (i64, u64) {
    (
        PEAK.load(Ordering::Relaxed),
        PEAK_AT_NS.load(Ordering::Relaxed),
    )
}

static REGISTRY: AtomicPtr<Site> = AtomicPtr::new(ptr::null_mut());
/// The free list, under `spin::SITES`.
static FREE: AtomicPtr<Site> = AtomicPtr::new(ptr::null_mut());

/// Every site in use (recycled ones left out).
pub fn sites() -> impl Iterator<Item = &'static Site> {
    let mut p = REGISTRY.load(Ordering::Acquire) as *const Site;
    std::iter::from_fn(move || loop {
        if p.is_null() {
            return None;
        }
        // SAFETY: sites are never freed.
        let s = unsafe { &*p };
        p = s.next.load(Ordering::Acquire);
        if !s.free.load(Ordering::Acquire) {
            return Some(s);
        }
    })
}

/// The site of `node`, made on first need (cold: once per node that
/// allocates). `owner` counts there with plain stores (null for an
/// aggregate). Null if memory for it could not be had.
#[cold]
#[inline(never)]
pub(crate) fn create(node: &Node, owner: *const Tree) -> *const Site {
    let s = take_free().unwrap_or_else(|| {
        // SAFETY: Site has non-zero size; all-zero is a valid empty Site.
        let p = unsafe { System.alloc_zeroed(Layout::new::<Site>()) } as *mut Site;
        if p.is_null() {
            return ptr::null_mut();
        }
        // SAFETY: p is fresh, zeroed and never freed.
        let s = unsafe { &*p };
        let mut head = REGISTRY.load(Ordering::Relaxed);
        loop {
            s.next.store(head, Ordering::Relaxed);
            match REGISTRY.compare_exchange_weak(head, p, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => break,
                Err(h) => head = h,
            }
        }
        p
    });
    if s.is_null() {
        return s;
    }
    // SAFETY: s is ours: fresh or just taken off the free list.
    let site = unsafe { &*s };
    site.owner.store(owner as *mut Tree, Ordering::Relaxed);
    site.node
        .store(node as *const Node as *mut Node, Ordering::Release);
    site.free.store(false, Ordering::Release);
    node.ext.site.store(s, Ordering::Release);
    s
}

fn take_free() -> Option<*mut Site> {
    let _g = spin::SITES.lock();
    let p = FREE.load(Ordering::Relaxed);
    if p.is_null() {
        return None;
    }
    // SAFETY: sites on the free list are never freed.
    let s = unsafe { &*p };
    FREE.store(s.next_free.load(Ordering::Relaxed), Ordering::Relaxed);
    Some(p)
}

/// Moves `site` to `node` (its tree is being folded into an aggregate):
/// from now on it has no owner, and every update is atomic.
pub(crate) fn rehome(site: &Site, node: *const Node) {
    site.owner.store(ptr::null_mut(), Ordering::Relaxed);
    site.node.store(node as *mut Node, Ordering::Release);
}

/// Whether every block counted at `site` has been freed, so that no tag
/// names it any more and it may be merged and reused.
pub(crate) fn balanced(site: &Site) -> bool {
    let (ao, ab, fo, fb) = site.totals();
    ao == fo && ab == fb && !site.pinned.load(Ordering::Relaxed)
}

/// Adds the counts of `from` to `into` (atomically) and puts `from` on the
/// free list. `from` must be [`balanced`]: no live block names it, so no
/// free can reach it any more (a free's last write is its bytes counter,
/// which `balanced` saw done).
pub(crate) fn merge_and_recycle(from: &'static Site, into: &Site) {
    let (ao, ab, fo, fb) = from.totals();
    into.remote_alloc_objects.fetch_add(ao, Ordering::Relaxed);
    into.remote_alloc_bytes.fetch_add(ab, Ordering::Relaxed);
    into.remote_free_objects.fetch_add(fo, Ordering::Relaxed);
    into.remote_free_bytes.fetch_add(fb, Ordering::Relaxed);
    for c in [
        &from.alloc_objects,
        &from.alloc_bytes,
        &from.free_objects,
        &from.free_bytes,
        &from.remote_alloc_objects,
        &from.remote_alloc_bytes,
        &from.remote_free_objects,
        &from.remote_free_bytes,
    ] {
        c.store(0, Ordering::Relaxed);
    }
    from.node.store(ptr::null_mut(), Ordering::Relaxed);
    from.owner.store(ptr::null_mut(), Ordering::Relaxed);
    from.free.store(true, Ordering::Release);
    let _g = spin::SITES.lock();
    from.next_free
        .store(FREE.load(Ordering::Relaxed), Ordering::Relaxed);
    FREE.store(from as *const Site as *mut Site, Ordering::Relaxed);
}
