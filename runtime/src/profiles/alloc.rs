//! The tracking global allocator: exact heap and allocs profiles.
//!
//! Every allocation is charged to the current call-path node of the
//! allocating thread; a 16-byte header (a trailer for over-aligned blocks)
//! records that node,
//! so a free, on any thread, and a realloc update the node that made the
//! allocation. Counting on the common path writes only counters of the
//! calling thread (plain loads and stores); frees of another thread's
//! allocations use atomic adds on separate counters.

use crate::engine::counters::{bump, Reentrant};
use crate::engine::tree::{self, Node, Tree};
use crate::profiles::native::{self, Agg};
use std::alloc::{GlobalAlloc, Layout, System};
use std::ptr;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Bytes added to an allocation of alignment up to 16: a header before the
/// block naming its call path (kept 16 bytes so the block keeps its
/// alignment). It shares a cache line with the inner allocator's own
/// header, so reading it on free costs next to nothing.
pub const HEADER: usize = 16;

/// Bytes added to an over-aligned allocation (alignment above 16): a
/// trailer after the block, so the block keeps its alignment without
/// padding a whole alignment unit.
pub const TRAILER: usize = std::mem::size_of::<*const Node>();

/// How far a thread's net allocation may drift before it is added to the
/// global live-bytes figure that tracks the peak.
const FLUSH_BYTES: i64 = 64 * 1024;

static LIVE: AtomicI64 = AtomicI64::new(0);
static PEAK: AtomicI64 = AtomicI64::new(0);
static PEAK_AT_NS: AtomicU64 = AtomicU64::new(0);

/// A global allocator that forwards to `A` and counts, exactly and per call
/// path, what is allocated and freed.
///
/// ```no_run
/// #[global_allocator]
/// static ALLOC: inprof::Alloc = inprof::Alloc::system();
/// ```
///
/// Each allocation takes [`HEADER`] (16) more bytes from the inner
/// allocator ([`TRAILER`], 8, for alignments above 16). Failure (null) from
/// the inner allocator is passed through.
pub struct Alloc<A = System> {
    inner: A,
}

impl Alloc<System> {
    /// Wraps the system allocator.
    pub const fn system() -> Alloc<System> {
        Alloc { inner: System }
    }
}

impl<A> Alloc<A> {
    /// Wraps any global allocator (mimalloc, jemalloc, ...).
    pub const fn new(inner: A) -> Alloc<A> {
        Alloc { inner }
    }
}

/// Where the node pointer of a block of `layout` lives.
#[derive(Clone, Copy)]
enum Tag {
    /// In a header of [`HEADER`] bytes before the block.
    Header,
    /// In a trailer of [`TRAILER`] bytes after the block.
    Trailer,
}

#[inline(always)]
fn tag_of(layout: Layout) -> Tag {
    if layout.align() <= HEADER {
        Tag::Header
    } else {
        Tag::Trailer
    }
}

/// The layout asked of the inner allocator for a block of `layout`.
#[inline(always)]
fn padded(layout: Layout) -> Option<Layout> {
    let extra = match tag_of(layout) {
        Tag::Header => HEADER,
        Tag::Trailer => TRAILER,
    };
    let size = layout.size().checked_add(extra)?;
    Layout::from_size_align(size, layout.align()).ok()
}

/// The user pointer for the inner block `base`.
#[inline(always)]
unsafe fn user_ptr(base: *mut u8, tag: Tag) -> *mut u8 {
    match tag {
        // SAFETY: the inner block has HEADER more bytes than the user's.
        Tag::Header => unsafe { base.add(HEADER) },
        Tag::Trailer => base,
    }
}

/// The inner block of the user pointer `p`, as a pointer that carries the
/// inner block's provenance rather than `p`'s.
///
/// Why not `p.sub(HEADER)`: the caller of the global allocator sees what
/// `alloc` returned as a fresh object of exactly `size` bytes (rustc marks
/// `__rust_alloc` as an allocation function), and since rustc inlines the
/// allocator shim into callers, this code is optimized in the caller's
/// context. There, a pointer derived from `p` that reaches outside those
/// `size` bytes (our header before it, our trailer after it) is undefined
/// behaviour, and LLVM acts on it (a release build turned a free into
/// `ud2`). So the inner block's provenance is exposed when it is made
/// ([`expose`]), and its address is rebuilt here from the integer, through
/// an optimization barrier, with [`std::ptr::with_exposed_provenance_mut`]:
/// the access is then justified by the inner block, which does contain it.
#[inline(always)]
fn base_ptr(p: *mut u8, tag: Tag) -> *mut u8 {
    let addr = match tag {
        Tag::Header => p.addr().wrapping_sub(HEADER),
        Tag::Trailer => p.addr(),
    };
    std::ptr::with_exposed_provenance_mut(opaque(addr))
}

/// Exposes the provenance of an inner block, so that [`base_ptr`] can
/// rebuild a pointer to it from its address.
#[inline(always)]
fn expose(base: *mut u8) {
    let _ = base.expose_provenance();
}

/// `x`, through a barrier the optimizer cannot see through, so that it
/// cannot relate the result to the pointer the address came from.
#[inline(always)]
fn opaque(x: usize) -> usize {
    #[cfg(any(
        target_arch = "x86_64",
        target_arch = "x86",
        target_arch = "aarch64",
        target_arch = "arm",
        target_arch = "riscv64",
        target_arch = "riscv32",
        target_arch = "loongarch64"
    ))]
    {
        let mut v = x;
        // SAFETY: an empty assembly block that names `v` as an in/out
        // register operand: it executes no instruction, touches no memory
        // and no flags, and leaves the value as it was; only the optimizer
        // loses track of where the value came from.
        unsafe {
            std::arch::asm!("/* {0} */", inout(reg) v, options(pure, nomem, nostack, preserves_flags))
        };
        v
    }
    #[cfg(not(any(
        target_arch = "x86_64",
        target_arch = "x86",
        target_arch = "aarch64",
        target_arch = "arm",
        target_arch = "riscv64",
        target_arch = "riscv32",
        target_arch = "loongarch64"
    )))]
    {
        std::hint::black_box(x)
    }
}

/// Stores the node (and, in a header, the sample record) of the block at
/// inner `base` holding `size` user bytes.
#[inline(always)]
unsafe fn write_tag(base: *mut u8, tag: Tag, size: usize, node: *const Node, agg: *const Agg) {
    // SAFETY: the caller allocated the padded layout at base; a header is
    // 16 bytes at a 16-or-less aligned base, room for two pointers.
    unsafe {
        match tag {
            Tag::Header => {
                ptr::write(base as *mut *const Node, node);
                ptr::write(base.add(8) as *mut *const Agg, agg);
            }
            Tag::Trailer => ptr::write_unaligned(base.add(size) as *mut *const Node, node),
        }
    }
}

/// Reads the node and sample record of the block at inner `base`.
#[inline(always)]
unsafe fn read_tag(base: *mut u8, tag: Tag, size: usize) -> (*const Node, *const Agg) {
    // SAFETY: the caller passes a block this allocator made for `size`.
    unsafe {
        match tag {
            Tag::Header => (
                ptr::read(base as *const *const Node),
                ptr::read(base.add(8) as *const *const Agg),
            ),
            Tag::Trailer => (
                ptr::read_unaligned(base.add(size) as *const *const Node),
                ptr::null(),
            ),
        }
    }
}

/// The calling thread's tree for accounting, or null when accounting must
/// be skipped (inprof itself is running on this thread).
#[inline(always)]
fn accounting_tree() -> *const Tree {
    if Reentrant::active() {
        return ptr::null();
    }
    tree::this_tree_from_alloc()
}

#[inline(always)]
fn add_net(t: &Tree, delta: i64) {
    let s = &t.ext;
    let net = s.heap_net.load(Ordering::Relaxed).wrapping_add(delta);
    s.heap_net.store(net, Ordering::Relaxed);
    let flushed = s.heap_flushed.load(Ordering::Relaxed);
    if (net - flushed).abs() >= FLUSH_BYTES {
        flush(t, net, flushed);
    }
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

/// Charges a new allocation of `size` bytes; returns the node charged and,
/// when `sampleable` and due, the native-stack record it was sampled into.
#[inline(always)]
fn charge(size: usize, sampleable: bool) -> (*const Node, *const Agg) {
    let t = accounting_tree();
    if t.is_null() {
        return (ptr::null(), ptr::null());
    }
    // SAFETY: trees are never freed; this is the owning thread.
    let t = unsafe { &*t };
    let n = t.current();
    bump(&n.ext.alloc_objects, 1);
    bump(&n.ext.alloc_bytes, size as u64);
    add_net(t, size as i64);
    let agg = if sampleable && native::due(t, size) {
        native::sample(t, n, size)
    } else {
        ptr::null()
    };
    (n, agg)
}

/// Records the free of `size` bytes of a sampled block.
#[inline(always)]
fn discharge_agg(agg: *const Agg, size: usize) {
    if !agg.is_null() {
        // SAFETY: records are leaked, never freed.
        let a = unsafe { &*agg };
        a.free_objects.fetch_add(1, Ordering::Relaxed);
        a.free_bytes.fetch_add(size as u64, Ordering::Relaxed);
    }
}

/// Records the free of `size` bytes charged to `node`.
#[inline(always)]
fn discharge(node: *const Node, size: usize) {
    if !node.is_null() {
        // SAFETY: nodes are never freed.
        record_on(unsafe { &*node }, size, true);
    }
}

/// Charges `size` bytes of a realloc to `node` (the allocation's node) as
/// one more allocation of the new size.
fn recharge(node: *const Node, size: usize) {
    // SAFETY: nodes are never freed.
    record_on(unsafe { &*node }, size, false);
}

/// Counts one object of `size` bytes freed (`free`) or allocated at
/// `node`, from whichever thread runs this: plain stores on the owner's
/// counters when it is the owner, atomic adds on the remote ones otherwise.
#[inline(always)]
fn record_on(n: &Node, size: usize, free: bool) {
    let me = if Reentrant::active() {
        ptr::null()
    } else {
        tree::this_tree_if_registered()
    };
    let e = &n.ext;
    let local = ptr::eq(e.owner.load(Ordering::Relaxed), me);
    let (objects, bytes) = match (free, local) {
        (true, true) => (&e.free_objects, &e.free_bytes),
        (true, false) => (&e.remote_free_objects, &e.remote_free_bytes),
        (false, true) => (&e.alloc_objects, &e.alloc_bytes),
        (false, false) => (&e.remote_alloc_objects, &e.remote_alloc_bytes),
    };
    if local {
        bump(objects, 1);
        bump(bytes, size as u64);
    } else {
        objects.fetch_add(1, Ordering::Relaxed);
        bytes.fetch_add(size as u64, Ordering::Relaxed);
    }
    let delta = if free { -(size as i64) } else { size as i64 };
    if me.is_null() {
        LIVE.fetch_add(delta, Ordering::Relaxed);
    } else {
        // SAFETY: trees are never freed; `me` is this thread's.
        add_net(unsafe { &*me }, delta);
    }
}

impl<A: GlobalAlloc> Alloc<A> {
    /// Allocates `layout` grown by its tag through `inner_alloc`, charges
    /// it and writes its tag; null passes through.
    ///
    /// # Safety
    /// `inner_alloc` must be a `GlobalAlloc` allocation method of `A`,
    /// called with the (non-zero size) layout it is given.
    #[inline(always)]
    unsafe fn alloc_tagged(
        &self,
        layout: Layout,
        inner_alloc: impl FnOnce(&A, Layout) -> *mut u8,
    ) -> *mut u8 {
        let Some(full) = padded(layout) else {
            return ptr::null_mut();
        };
        let tag = tag_of(layout);
        let base = inner_alloc(&self.inner, full);
        if base.is_null() {
            return base;
        }
        expose(base);
        let (n, agg) = charge(layout.size(), matches!(tag, Tag::Header));
        // SAFETY: base holds the padded layout.
        unsafe {
            write_tag(base, tag, layout.size(), n, agg);
            user_ptr(base, tag)
        }
    }
}

// SAFETY: every method forwards to the inner allocator with the layout
// grown by the header or trailer, keeps the caller's alignment (the header
// is 16 bytes and used only for alignments up to 16), and returns null
// unchanged; the tag lies outside the caller's `size` bytes.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Alloc<A> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: `alloc_tagged` passes a padded layout of non-zero size.
        unsafe { self.alloc_tagged(layout, |a, l| a.alloc(l)) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as above.
        unsafe { self.alloc_tagged(layout, |a, l| a.alloc_zeroed(l)) }
    }

    #[inline]
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        let tag = tag_of(layout);
        // SAFETY: p came from this allocator with this layout, so its inner
        // block is at base_ptr, holds a tag, and has the padded layout.
        unsafe {
            let base = base_ptr(p, tag);
            let (node, agg) = read_tag(base, tag, layout.size());
            discharge(node, layout.size());
            discharge_agg(agg, layout.size());
            self.inner.dealloc(base, padded(layout).unwrap_unchecked());
        }
    }

    #[inline]
    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let tag = tag_of(layout);
        let extra = match tag {
            Tag::Header => HEADER,
            Tag::Trailer => TRAILER,
        };
        let Some(new_full) = new_size.checked_add(extra) else {
            return ptr::null_mut();
        };
        // SAFETY: p came from this allocator with `layout`; on failure the
        // old block is untouched, as GlobalAlloc requires. The header moves
        // with the block; a trailer is written anew at the new size.
        unsafe {
            let base = base_ptr(p, tag);
            let (node, agg) = read_tag(base, tag, layout.size());
            let nb = self
                .inner
                .realloc(base, padded(layout).unwrap_unchecked(), new_full);
            if nb.is_null() {
                return nb;
            }
            expose(nb);
            let (node, agg) = if node.is_null() {
                charge(new_size, matches!(tag, Tag::Header))
            } else {
                discharge(node, layout.size());
                recharge(node, new_size);
                if !agg.is_null() {
                    discharge_agg(agg, layout.size());
                    (*agg).alloc_objects.fetch_add(1, Ordering::Relaxed);
                    (*agg)
                        .alloc_bytes
                        .fetch_add(new_size as u64, Ordering::Relaxed);
                }
                (node, agg)
            };
            write_tag(nb, tag, new_size, node, agg);
            user_ptr(nb, tag)
        }
    }
}

/// Allocator figures for the whole process, like Go's `runtime.MemStats`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeapStats {
    /// Bytes allocated and not yet freed.
    pub live_bytes: u64,
    /// Allocations not yet freed.
    pub live_objects: u64,
    /// Bytes allocated in all (Go's TotalAlloc).
    pub total_allocated_bytes: u64,
    /// Number of allocations (Go's Mallocs).
    pub allocations: u64,
    /// Number of frees (Go's Frees).
    pub frees: u64,
    /// The highest live bytes seen (exact to within 64 KiB per thread).
    pub peak_live_bytes: u64,
    /// When the peak was reached, ns since the Unix epoch (0: not yet).
    pub peak_at_unix_nanos: u64,
}

/// Per-node heap counters: (alloc objects, alloc bytes, free objects, free bytes).
pub(crate) fn node_heap(n: &Node) -> (u64, u64, u64, u64) {
    let e = &n.ext;
    let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
    (
        l(&e.alloc_objects).wrapping_add(l(&e.remote_alloc_objects)),
        l(&e.alloc_bytes).wrapping_add(l(&e.remote_alloc_bytes)),
        l(&e.free_objects).wrapping_add(l(&e.remote_free_objects)),
        l(&e.free_bytes).wrapping_add(l(&e.remote_free_bytes)),
    )
}

/// The process's allocator figures now: exact sums over every call path of
/// every thread (cheap: no allocation while summing beyond a few words).
pub fn heap_stats() -> HeapStats {
    let mut s = HeapStats::default();
    for t in tree::trees() {
        for i in 0..t.len() {
            let (ao, ab, fo, fb) = node_heap(t.node(i));
            s.allocations += ao;
            s.total_allocated_bytes += ab;
            s.frees += fo;
            s.live_bytes = s.live_bytes.wrapping_add(ab).wrapping_sub(fb);
            s.live_objects = s.live_objects.wrapping_add(ao).wrapping_sub(fo);
        }
    }
    let peak = PEAK.load(Ordering::Relaxed).max(0) as u64;
    if s.live_bytes >= peak {
        s.peak_live_bytes = s.live_bytes;
        s.peak_at_unix_nanos = crate::engine::clock::unix_nanos() as u64;
    } else {
        s.peak_live_bytes = peak;
        s.peak_at_unix_nanos = PEAK_AT_NS.load(Ordering::Relaxed);
    }
    s
}
