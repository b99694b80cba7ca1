//! The tracking global allocator: exact heap and allocs profiles.
//!
//! Every allocation is charged to the current call-path node of the
//! allocating thread, and one word beside the block (its tag) records that
//! node, so a free, on any thread, and a realloc update the node that made
//! the allocation. Counting on the common path writes only counters of the
//! calling thread (plain loads and stores); frees of another thread's
//! allocations use atomic adds on separate counters.
//!
//! Where the tag lives, by alignment, so that the block keeps its
//! alignment and costs as little as possible:
//!
//! | alignment | tag | bytes added |
//! |---|---|---|
//! | up to 8 | the word before the block | 8 |
//! | 16 | the last word of a 16-byte header | 16 |
//! | above 16 | the word after the block (unaligned) | 8 |
//!
//! The tag is 0 (not counted: inprof itself, or a thread being torn
//! down), a node, or a native-stack record with its low bit set.

use crate::engine::counters::Reentrant;
use crate::engine::site::{self, Site};
use crate::engine::tree::{self, Tree};
use crate::profiles::native::{self, Record};
use std::alloc::{GlobalAlloc, Layout, System};
use std::ptr;
use std::sync::atomic::Ordering;

/// Bytes a tag takes.
pub const TAG: usize = std::mem::size_of::<usize>();

/// Where the tag of a block lives (see the module docs).
#[derive(Clone, Copy)]
enum Place {
    /// The word before the block; the inner block starts `TAG` lower.
    Before,
    /// The last word of a 16-byte header; the inner block starts 16 lower.
    Header16,
    /// The word after the block's `size` bytes.
    After,
}

#[inline(always)]
fn place_of(layout: Layout) -> Place {
    match layout.align() {
        a if a <= TAG => Place::Before,
        16 => Place::Header16,
        _ => Place::After,
    }
}

/// Bytes added to a block of this place.
#[inline(always)]
fn extra(place: Place) -> usize {
    match place {
        Place::Before | Place::After => TAG,
        Place::Header16 => 16,
    }
}

/// The layout asked of the inner allocator for a block of `layout`.
#[inline(always)]
fn padded(layout: Layout) -> Option<Layout> {
    let size = layout.size().checked_add(extra(place_of(layout)))?;
    Layout::from_size_align(size, layout.align()).ok()
}

/// The user pointer for the inner block `base`.
#[inline(always)]
fn user_ptr(base: *mut u8, place: Place) -> *mut u8 {
    match place {
        Place::After => base,
        // The inner block has `extra` more bytes than the user's, before.
        _ => base.wrapping_add(extra(place)),
    }
}

/// The inner block of the user pointer `p`, as a pointer that carries the
/// inner block's provenance rather than `p`'s.
///
/// Why not `p.sub(..)`: the caller of the global allocator sees what
/// `alloc` returned as a fresh object of exactly `size` bytes (rustc marks
/// `__rust_alloc` as an allocation function), and since rustc inlines the
/// allocator shim into callers, this code is optimized in the caller's
/// context. There, a pointer derived from `p` that reaches outside those
/// `size` bytes (our tag before or after it) is undefined behaviour, and
/// LLVM acts on it (a release build turned a free into `ud2`). So the
/// inner block's provenance is exposed when it is made ([`expose`]), and
/// its address is rebuilt here from the integer, through an optimization
/// barrier, with [`std::ptr::with_exposed_provenance_mut`]: the access is
/// then justified by the inner block, which does contain it.
#[inline(always)]
fn base_ptr(p: *mut u8, place: Place) -> *mut u8 {
    let addr = match place {
        Place::After => p.addr(),
        _ => p.addr().wrapping_sub(extra(place)),
    };
    std::ptr::with_exposed_provenance_mut(opaque(addr))
}

/// Where the tag of the block at inner `base` holding `size` user bytes is.
#[inline(always)]
fn tag_ptr(base: *mut u8, place: Place, size: usize) -> *mut usize {
    let off = match place {
        Place::Before => 0,
        Place::Header16 => 16 - TAG,
        Place::After => size,
    };
    base.wrapping_add(off) as *mut usize
}

/// Exposes the provenance of an inner block, so that [`base_ptr`] can
/// rebuild a pointer to it from its address.
#[inline(always)]
fn expose(base: *mut u8) {
    let _ = base.expose_provenance();
}

/// A global allocator that forwards to `A` and counts, exactly and per call
/// path, what is allocated and freed.
///
/// ```no_run
/// #[global_allocator]
/// static ALLOC: inprof::Alloc = inprof::Alloc::system();
/// ```
///
/// Each allocation takes one more word ([`TAG`], 8 bytes) from the inner
/// allocator, 16 bytes for 16-aligned blocks (see the module docs). Failure
/// (null) from the inner allocator is passed through. With the `enable`
/// feature off it forwards every call to `A` untouched.
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

/// The calling thread's tree for accounting, or null when accounting must
/// be skipped (inprof itself is running on this thread).
#[inline(always)]
fn accounting_tree() -> *const Tree {
    if Reentrant::active() {
        return ptr::null();
    }
    tree::this_tree_from_alloc()
}

/// The low bit of a tag that names a native-stack record, not a site.
const RECORD_BIT: usize = 1;

/// Charges a new allocation of `size` bytes and returns its tag: 0 (not
/// counted), the heap site of the calling thread's current node, or, when
/// sampled, the native-stack record (which names the site) with
/// [`RECORD_BIT`] set.
#[inline(always)]
fn charge(size: usize) -> usize {
    let t = accounting_tree();
    if t.is_null() {
        return 0;
    }
    // SAFETY: trees are never freed; this is the owning thread.
    let t = unsafe { &*t };
    let n = t.current();
    let mut s = n.ext.site.load(Ordering::Relaxed) as *const Site;
    if s.is_null() {
        s = site::create(n, t);
        if s.is_null() {
            return 0;
        }
    }
    // SAFETY: sites are never freed; this thread owns the node's site.
    let site = unsafe { &*s };
    site.count(size as u64, false, true);
    site::add_net(t, size as i64);
    if native::due(t, size) {
        let r = native::sample(t, site, size);
        if !r.is_null() {
            return r as usize | RECORD_BIT;
        }
    }
    s as usize
}

/// The site and the native-stack record (or null) a tag names.
#[inline(always)]
fn untag(tag: usize) -> (*const Site, *const Record) {
    if tag & RECORD_BIT != 0 {
        let r = (tag & !RECORD_BIT) as *const Record;
        // SAFETY: records live in a table that is never freed.
        let s = unsafe { (*r).site.load(Ordering::Relaxed) } as *const Site;
        (s, r)
    } else {
        (tag as *const Site, ptr::null())
    }
}

/// Counts one object of `size` bytes freed (`free`) or allocated at the
/// site and record `tag` names, from whichever thread runs this: plain
/// stores when it is the site's owner, atomic adds otherwise.
#[inline(always)]
fn record(tag: usize, size: usize, free: bool) {
    let (s, r) = untag(tag);
    if s.is_null() {
        return;
    }
    if !r.is_null() {
        // SAFETY: records are never freed.
        let r = unsafe { &*r };
        let (objects, bytes) = if free {
            (&r.free_objects, &r.free_bytes)
        } else {
            (&r.alloc_objects, &r.alloc_bytes)
        };
        objects.fetch_add(1, Ordering::Relaxed);
        bytes.fetch_add(size as u64, Ordering::Relaxed);
    }
    let me = if Reentrant::active() {
        ptr::null()
    } else {
        tree::this_tree_if_registered()
    };
    // SAFETY: sites are never freed.
    let site = unsafe { &*s };
    let local = !me.is_null() && ptr::eq(site.owner(), me);
    site.count(size as u64, free, local);
    let delta = if free { -(size as i64) } else { size as i64 };
    if me.is_null() {
        site::add_live(delta);
    } else {
        // SAFETY: trees are never freed; `me` is this thread's.
        site::add_net(unsafe { &*me }, delta);
    }
}

impl<A: GlobalAlloc> Alloc<A> {
    /// Allocates `layout` grown by its tag through `inner_alloc`, charges
    /// it and writes its tag; null passes through.
    #[inline(always)]
    fn alloc_tagged(
        &self,
        layout: Layout,
        inner_alloc: impl FnOnce(&A, Layout) -> *mut u8,
    ) -> *mut u8 {
        let Some(full) = padded(layout) else {
            return ptr::null_mut();
        };
        let place = place_of(layout);
        let base = inner_alloc(&self.inner, full);
        if base.is_null() {
            return base;
        }
        expose(base);
        let tag = charge(layout.size());
        // SAFETY: base holds the padded layout, so the tag word is inside
        // it (unaligned after the block for alignments above 16).
        unsafe { tag_ptr(base, place, layout.size()).write_unaligned(tag) };
        user_ptr(base, place)
    }
}

// SAFETY: every method forwards to the inner allocator with the layout
// grown by the tag's bytes, with the caller's alignment (a tag before the
// block is 8 bytes for alignments up to 8 and 16 for alignment 16, so the
// block stays aligned; above 16 the tag goes after the block), and returns
// null unchanged. The tag lies outside the caller's `size` bytes and is
// reached through the inner block's provenance (`base_ptr`).
#[cfg(feature = "enable")]
unsafe impl<A: GlobalAlloc> GlobalAlloc for Alloc<A> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the inner allocator gets a valid, non-zero-size layout.
        self.alloc_tagged(layout, |a, l| unsafe { a.alloc(l) })
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as above.
        self.alloc_tagged(layout, |a, l| unsafe { a.alloc_zeroed(l) })
    }

    #[inline]
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        let place = place_of(layout);
        let base = base_ptr(p, place);
        // SAFETY: p came from this allocator with this layout, so its inner
        // block is at `base`, holds the tag, and has the padded layout.
        unsafe {
            let tag = tag_ptr(base, place, layout.size()).read_unaligned();
            record(tag, layout.size(), true);
            self.inner.dealloc(base, padded(layout).unwrap_unchecked());
        }
    }

    #[inline]
    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let place = place_of(layout);
        let Some(new_full) = new_size.checked_add(extra(place)) else {
            return ptr::null_mut();
        };
        let base = base_ptr(p, place);
        // SAFETY: p came from this allocator with `layout`; on failure the
        // old block is untouched, as GlobalAlloc requires. A tag before the
        // block moves with it; a tag after it is written anew at the new
        // size.
        unsafe {
            let tag = tag_ptr(base, place, layout.size()).read_unaligned();
            let nb = self
                .inner
                .realloc(base, padded(layout).unwrap_unchecked(), new_full);
            if nb.is_null() {
                return nb;
            }
            expose(nb);
            let tag = if untag(tag).0.is_null() {
                charge(new_size)
            } else {
                // The new size is charged before the old is freed, so the
                // path never shows as empty in between.
                record(tag, new_size, false);
                record(tag, layout.size(), true);
                tag
            };
            tag_ptr(nb, place, new_size).write_unaligned(tag);
            user_ptr(nb, place)
        }
    }
}

// SAFETY: forwards every call to the inner allocator unchanged.
#[cfg(not(feature = "enable"))]
unsafe impl<A: GlobalAlloc> GlobalAlloc for Alloc<A> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        unsafe { self.inner.alloc(layout) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        unsafe { self.inner.alloc_zeroed(layout) }
    }

    #[inline]
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, passed on.
        unsafe { self.inner.dealloc(p, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        unsafe { self.inner.realloc(p, layout, new_size) }
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

/// The process's allocator figures now: exact sums over every heap site
/// (cheap: no allocation, one pass over the sites).
///
/// ```
/// let s = inprof::heap_stats();
/// // With inprof::Alloc installed: exact live bytes, allocations, frees.
/// assert!(s.allocations >= s.frees);
/// ```
pub fn heap_stats() -> HeapStats {
    let mut s = HeapStats::default();
    let _lock = crate::engine::fold::read();
    for site in site::sites() {
        // inprof's own threads (a thread's first allocations may be counted
        // before it is marked as inprof's) are not the program's.
        let n = site.node();
        if n.is_null() {
            continue;
        }
        // SAFETY: nodes are never freed.
        let t = unsafe { (*n).ext.tree.load(Ordering::Relaxed) };
        // SAFETY: trees are never freed.
        if !t.is_null() && unsafe { (*t).is_internal() } {
            continue;
        }
        let (ao, ab, fo, fb) = site.totals();
        s.allocations += ao;
        s.total_allocated_bytes += ab;
        s.frees += fo;
        s.live_bytes = s.live_bytes.wrapping_add(ab).wrapping_sub(fb);
        s.live_objects = s.live_objects.wrapping_add(ao).wrapping_sub(fo);
    }
    let (peak, at) = site::peak();
    let peak = peak.max(0) as u64;
    if s.live_bytes >= peak {
        s.peak_live_bytes = s.live_bytes;
        s.peak_at_unix_nanos = crate::engine::clock::unix_nanos() as u64;
    } else {
        s.peak_live_bytes = peak;
        s.peak_at_unix_nanos = at;
    }
    s
}
