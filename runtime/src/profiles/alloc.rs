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
//! Blocks of 17–24, 33–40 and 49–56 bytes (alignment up to 8) are the
//! exception: a tag would push them into the inner allocator's next size
//! class, so they are slots of inprof's own (`engine::slab`), the tag in
//! the slot's first word, costing what the inner allocator would have.
//!
//! The tag is 0 (not counted: inprof itself, or a thread being torn
//! down), a node, or a native-stack record with its low bit set.

use crate::engine::counters::Reentrant;
use crate::engine::site::{self, Site};
use crate::engine::slab::{self, opaque};
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

/// The calling thread's tree for accounting, or null when accounting must
/// be skipped (inprof itself is running on this thread).
#[inline(always)]
fn accounting_tree() -> *const Tree {
    if Reentrant::active() {
        return ptr::null();
    }
    tree::this_tree_from_alloc()
}

/// Whether this thread may use its own free slots (`slab::take`): it is
/// registered and not exiting.
#[inline(always)]
fn cached() -> bool {
    !tree::this_tree_if_registered().is_null()
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
    /// Allocates `layout` grown by its tag through `inner_alloc` (or in a
    /// slot), charges it and writes its tag; null passes through.
    #[inline(always)]
    fn alloc_tagged(
        &self,
        layout: Layout,
        zeroed: bool,
        inner_alloc: impl FnOnce(&A, Layout) -> *mut u8,
    ) -> *mut u8 {
        if let Some(c) = slab::class_of(layout) {
            return self.alloc_slot(c, layout.size(), zeroed);
        }
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

    /// A block of `size` bytes in a slot of class `c`, charged and tagged.
    #[inline(never)]
    fn alloc_slot(&self, c: usize, size: usize, zeroed: bool) -> *mut u8 {
        let addr = slab::take(&self.inner, c, cached());
        if addr == 0 {
            return ptr::null_mut();
        }
        let tag = charge(size);
        let user = slab::user_of(addr);
        // SAFETY: the slot is ours until given back: its first word is the
        // tag, and the `size` bytes after it are the user's (size + TAG is
        // at most the slot's size).
        unsafe {
            slab::slot_word(addr).write(tag);
            if zeroed {
                ptr::write_bytes(user, 0, size);
            }
        }
        user
    }

    /// Frees the block `p` of `size` bytes in a slot of class `c`.
    #[inline(never)]
    fn dealloc_slot(&self, c: usize, p: *mut u8, size: usize) {
        let addr = slab::slot_of(p);
        // SAFETY: p is a live block of this class, so `addr` is its slot
        // and the slot's first word its tag.
        let tag = unsafe { slab::slot_word(addr).read() };
        record(tag, size, true);
        slab::give(c, addr, cached());
    }

    /// A realloc where the old or the new block is (or both are) a slot:
    /// a new block, the bytes copied, the old block freed; the tag (and so
    /// the path that made the block) kept, as the inner realloc keeps it.
    #[inline(never)]
    fn realloc_slot(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let Ok(new_layout) = Layout::from_size_align(new_size, layout.align()) else {
            return ptr::null_mut();
        };
        let (old_c, new_c) = (slab::class_of(layout), slab::class_of(new_layout));
        // The old tag, and where it is.
        let old_tag = match old_c {
            // SAFETY: p is a live slot block: its slot's first word is the tag.
            Some(_) => unsafe { slab::slot_word(slab::slot_of(p)).read() },
            None => {
                let place = place_of(layout);
                // SAFETY: p came from this allocator with `layout`: its tag
                // is where `tag_ptr` says.
                unsafe { tag_ptr(base_ptr(p, place), place, layout.size()).read_unaligned() }
            }
        };
        if old_c.is_some() && old_c == new_c {
            // The same slot holds the new size.
            let tag = self.recharge(old_tag, layout.size(), new_size);
            // SAFETY: as above.
            unsafe { slab::slot_word(slab::slot_of(p)).write(tag) };
            return p;
        }
        // The new block, untagged yet.
        let (new_p, tag_at) = match new_c {
            Some(c) => {
                let addr = slab::take(&self.inner, c, cached());
                if addr == 0 {
                    return ptr::null_mut();
                }
                (slab::user_of(addr), slab::slot_word(addr))
            }
            None => {
                let Some(full) = padded(new_layout) else {
                    return ptr::null_mut();
                };
                let place = place_of(new_layout);
                // SAFETY: a valid non-zero layout for the inner allocator.
                let base = unsafe { self.inner.alloc(full) };
                if base.is_null() {
                    return base;
                }
                expose(base);
                (user_ptr(base, place), tag_ptr(base, place, new_size))
            }
        };
        // SAFETY: both blocks hold at least the bytes copied and do not
        // overlap (the old one is live until freed below).
        unsafe { ptr::copy_nonoverlapping(p, new_p, layout.size().min(new_size)) };
        let tag = self.recharge(old_tag, layout.size(), new_size);
        // SAFETY: `tag_at` is the new block's tag word (unaligned above 16).
        unsafe { tag_at.write_unaligned(tag) };
        // The old block, without counting a free (recharge moved it).
        match old_c {
            Some(c) => slab::give(c, slab::slot_of(p), cached()),
            None => {
                let place = place_of(layout);
                // SAFETY: p came from this allocator with `layout`.
                unsafe {
                    self.inner
                        .dealloc(base_ptr(p, place), padded(layout).unwrap_unchecked())
                };
            }
        }
        new_p
    }

    /// The tag of a block reallocated from `old` to `new` bytes: the same
    /// path charged the new size and freed the old (new before old, so the
    /// path never shows as empty in between); an untracked block is
    /// charged anew.
    #[inline(always)]
    fn recharge(&self, tag: usize, old: usize, new: usize) -> usize {
        if untag(tag).0.is_null() {
            charge(new)
        } else {
            record(tag, new, false);
            record(tag, old, true);
            tag
        }
    }
}

// SAFETY: every method forwards to the inner allocator with the layout
// grown by the tag's bytes, with the caller's alignment (a tag before the
// block is 8 bytes for alignments up to 8 and 16 for alignment 16, so the
// block stays aligned; above 16 the tag goes after the block), and returns
// null unchanged. The tag lies outside the caller's `size` bytes and is
// reached through the inner block's provenance (`base_ptr`). Blocks of the
// slot classes (`slab::class_of`, decided by the layout alone, so a block's
// dealloc and realloc find it where its alloc put it) are slots instead:
// 8-aligned user bytes after the tag word, inside a chunk the inner
// allocator gave, reached through that chunk's exposed provenance.
#[cfg(feature = "enable")]
unsafe impl<A: GlobalAlloc> GlobalAlloc for Alloc<A> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the inner allocator gets a valid, non-zero-size layout.
        self.alloc_tagged(layout, false, |a, l| unsafe { a.alloc(l) })
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as above.
        self.alloc_tagged(layout, true, |a, l| unsafe { a.alloc_zeroed(l) })
    }

    #[inline]
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        if let Some(c) = slab::class_of(layout) {
            return self.dealloc_slot(c, p, layout.size());
        }
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
        if layout.align() <= TAG && (new_size <= 56 || layout.size() <= 56) {
            let new = Layout::from_size_align(new_size, layout.align());
            if slab::class_of(layout).is_some() || new.is_ok_and(|l| slab::class_of(l).is_some()) {
                return self.realloc_slot(p, layout, new_size);
            }
        }
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
            let tag = self.recharge(tag, layout.size(), new_size);
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
