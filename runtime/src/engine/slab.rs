//! Slots for the block sizes a tag word would push into the next size
//! class of the inner allocator.
//!
//! A malloc like glibc's gives a block of 24 bytes a 32-byte chunk whose
//! last spare word is the 8 bytes after the user's 24 (likewise 40 in 48,
//! 56 in 64): asking for one more word (the tag) costs a whole size class,
//! 1.33× to 1.5× the memory. Blocks of those sizes (17–24, 33–40 and 49–56
//! bytes, alignment up to 8) are served here instead, from 64 KiB chunks
//! the inner allocator gives: each is a slot of 32, 48 or 64 bytes, the tag
//! in its first word and the user's bytes after it, so they cost what the
//! inner allocator would have charged for them untagged.
//!
//! A registered thread keeps up to [`CACHE_MAX`] free slots per class in
//! thread-local lists it alone touches (no atomic, no lock), refilled from
//! and spilled to the shared class [`BATCH`] slots at a time; its lists go
//! back to the shared classes when it exits (from the tree's exit notice),
//! and other threads (unregistered, or exiting) use the shared classes
//! directly. A shared class is a free list and a bump region under a spin
//! lock held for a few instructions (nothing inside allocates, blocks or
//! can be interrupted by inprof's own signal handler, which never
//! allocates); a new chunk is asked of the inner allocator with the lock
//! released. The locks are taken across `fork` (see `spin`). Freed slots
//! are kept for reuse, not given back to the inner allocator (as a malloc
//! keeps its small-chunk bins).
//!
//! A free slot's first word holds the next free slot (the tag word of a
//! live one). Pointers are rebuilt from addresses through the chunk's
//! exposed provenance, as the rest of the allocator does (see [`opaque`]).

use crate::engine::spin::{SpinGuard, SLABS};
use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Bytes of a tag (the first word of a slot).
const TAG: usize = std::mem::size_of::<usize>();
/// Slot sizes of the three classes.
const SLOT: [usize; 3] = [32, 48, 64];
/// Bytes asked of the inner allocator at a time.
const CHUNK: usize = 64 * 1024;
/// Slots moved between a thread's list and its shared class at a time.
const BATCH: usize = 32;
/// Free slots a thread keeps per class before it spills [`BATCH`].
const CACHE_MAX: usize = 4 * BATCH;

/// One shared class, only touched under its lock in [`SLABS`] (atomics so
/// that the statics need no `unsafe impl Sync`; relaxed is enough under
/// the lock).
struct Class {
    /// Address of the first free slot (0: none).
    free: AtomicUsize,
    /// The unused rest of the newest chunk: `[bump, end)`.
    bump: AtomicUsize,
    end: AtomicUsize,
}

static CLASSES: [Class; 3] = [Class::new(), Class::new(), Class::new()];

impl Class {
    const fn new() -> Class {
        Class {
            free: AtomicUsize::new(0),
            bump: AtomicUsize::new(0),
            end: AtomicUsize::new(0),
        }
    }
}

/// A thread's free slots of one class.
struct Cache {
    head: Cell<usize>,
    count: Cell<usize>,
}

impl Cache {
    const fn new() -> Cache {
        Cache {
            head: Cell::new(0),
            count: Cell::new(0),
        }
    }
}

thread_local! {
    /// No destructor: readable until the thread is gone; emptied by
    /// [`flush_thread`].
    static CACHES: [Cache; 3] = const { [Cache::new(), Cache::new(), Cache::new()] };
}

/// `x`, through a barrier the optimizer cannot see through, so that it
/// cannot relate the result to the pointer the address came from (the
/// allocator's code is inlined into its callers: see `alloc::base_ptr`).
#[inline(always)]
pub(crate) fn opaque(x: usize) -> usize {
    // Miri runs no assembly; it needs no barrier (it does not optimize).
    #[cfg(all(inprof_asm_barrier, not(miri)))]
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
    #[cfg(any(not(inprof_asm_barrier), miri))]
    {
        std::hint::black_box(x)
    }
}

/// The class of a block of `layout`, if it is served here.
#[inline(always)]
pub(crate) fn class_of(layout: Layout) -> Option<usize> {
    if layout.align() > TAG {
        return None;
    }
    match layout.size() {
        17..=24 => Some(0),
        33..=40 => Some(1),
        49..=56 => Some(2),
        _ => None,
    }
}

/// The first word of the slot at `addr` (its tag, or the next free slot),
/// through its chunk's exposed provenance.
#[inline(always)]
pub(crate) fn slot_word(addr: usize) -> *mut usize {
    std::ptr::with_exposed_provenance_mut::<usize>(opaque(addr))
}

/// The user pointer of the slot at `addr`: the bytes after its tag.
#[inline(always)]
pub(crate) fn user_of(addr: usize) -> *mut u8 {
    std::ptr::with_exposed_provenance_mut::<u8>(addr + TAG)
}

/// The slot of the user pointer `p` of a block of this module.
#[inline(always)]
pub(crate) fn slot_of(p: *mut u8) -> usize {
    p.addr() - TAG
}

/// The next free slot after the free slot `addr`.
#[inline(always)]
fn next_of(addr: usize) -> usize {
    // SAFETY: `addr` is a free slot whose list this thread holds (its own
    // cache, or a shared class under the lock): its first word is the link,
    // inside a chunk that is never given back.
    unsafe { slot_word(addr).read() }
}

#[inline(always)]
fn set_next(addr: usize, next: usize) {
    // SAFETY: as in `next_of`.
    unsafe { slot_word(addr).write(next) }
}

/// The address of a free slot of class `c` (0: the inner allocator
/// failed). `cached`: the calling thread is registered and not exiting,
/// so its thread-local list may be used (see [`flush_thread`]).
#[inline]
pub(crate) fn take<A: GlobalAlloc>(inner: &A, c: usize, cached: bool) -> usize {
    if cached {
        let got = CACHES.with(|caches| {
            let cache = &caches[c];
            let head = cache.head.get();
            if head != 0 {
                cache.head.set(next_of(head));
                cache.count.set(cache.count.get() - 1);
            }
            head
        });
        if got != 0 {
            return got;
        }
    }
    take_shared(inner, c, cached)
}

/// Gives the slot at `addr` of class `c` back (`cached` as in [`take`]).
#[inline]
pub(crate) fn give(c: usize, addr: usize, cached: bool) {
    if cached {
        let spill = CACHES.with(|caches| {
            let cache = &caches[c];
            set_next(addr, cache.head.get());
            cache.head.set(addr);
            let n = cache.count.get() + 1;
            cache.count.set(n);
            n > CACHE_MAX
        });
        if spill {
            spill_batch(c);
        }
        return;
    }
    let _g = lock(c);
    let class = &CLASSES[c];
    set_next(addr, class.free.load(Ordering::Relaxed));
    class.free.store(addr, Ordering::Relaxed);
}

/// Moves [`BATCH`] slots of this thread's list of class `c` to the shared
/// class.
#[cold]
fn spill_batch(c: usize) {
    let (first, last) = CACHES.with(|caches| {
        let cache = &caches[c];
        let first = cache.head.get();
        let mut last = first;
        for _ in 1..BATCH {
            last = next_of(last);
        }
        cache.head.set(next_of(last));
        cache.count.set(cache.count.get() - BATCH);
        (first, last)
    });
    let _g = lock(c);
    let class = &CLASSES[c];
    set_next(last, class.free.load(Ordering::Relaxed));
    class.free.store(first, Ordering::Relaxed);
}

/// A slot from the shared class `c`; with `cached`, up to [`BATCH`] more go
/// to this thread's list.
#[cold]
#[inline(never)]
fn take_shared<A: GlobalAlloc>(inner: &A, c: usize, cached: bool) -> usize {
    let class = &CLASSES[c];
    let size = SLOT[c];
    let want = if cached { BATCH } else { 1 };
    loop {
        {
            let _g = lock(c);
            // Free slots first: the first `want` of the list.
            let head = class.free.load(Ordering::Relaxed);
            if head != 0 {
                let mut last = head;
                let mut n = 1;
                while n < want && next_of(last) != 0 {
                    last = next_of(last);
                    n += 1;
                }
                class.free.store(next_of(last), Ordering::Relaxed);
                drop(_g);
                set_next(last, 0);
                return keep_rest(c, head, n);
            }
            // Then the newest chunk's rest, linked into a list.
            let bump = class.bump.load(Ordering::Relaxed);
            let end = class.end.load(Ordering::Relaxed);
            let n = if bump == 0 {
                0
            } else {
                ((end - bump) / size).min(want)
            };
            if n > 0 {
                class.bump.store(bump + n * size, Ordering::Relaxed);
                drop(_g);
                // The carved slots are this thread's alone now.
                for k in 0..n {
                    let at = bump + k * size;
                    set_next(at, if k + 1 < n { at + size } else { 0 });
                }
                return keep_rest(c, bump, n);
            }
        }
        // A new chunk, asked with the lock released (the inner allocator
        // may take its own locks), then installed unless another thread
        // installed one meanwhile (then its slots go to the free list).
        // SAFETY: CHUNK is a valid, non-zero size with alignment 16.
        let chunk = unsafe { inner.alloc(Layout::from_size_align_unchecked(CHUNK, 16)) };
        if chunk.is_null() {
            return 0;
        }
        let start = chunk.expose_provenance();
        let slots = CHUNK / size;
        let _g = lock(c);
        let bump = class.bump.load(Ordering::Relaxed);
        if bump != 0 && bump + size <= class.end.load(Ordering::Relaxed) {
            let mut head = class.free.load(Ordering::Relaxed);
            for k in (0..slots).rev() {
                let at = start + k * size;
                set_next(at, head);
                head = at;
            }
            class.free.store(head, Ordering::Relaxed);
        } else {
            class.bump.store(start, Ordering::Relaxed);
            class.end.store(start + slots * size, Ordering::Relaxed);
        }
    }
}

/// Of a list of `n` slots from `head` (terminated), returns the first and
/// puts the rest on this thread's list of class `c`.
fn keep_rest(c: usize, head: usize, n: usize) -> usize {
    if n > 1 {
        let rest = next_of(head);
        CACHES.with(|caches| {
            let cache = &caches[c];
            // The thread's list is empty (that is why it came here): the
            // rest becomes the list.
            let mut tail = rest;
            while next_of(tail) != 0 {
                tail = next_of(tail);
            }
            set_next(tail, cache.head.get());
            cache.head.set(rest);
            cache.count.set(cache.count.get() + n - 1);
        });
    }
    head
}

/// Gives this thread's free slots back to the shared classes: called when
/// the thread exits, after which it takes and gives slots uncached.
pub(crate) fn flush_thread() {
    for c in 0..SLOT.len() {
        let (first, count) = CACHES
            .try_with(|caches| {
                let cache = &caches[c];
                let r = (cache.head.get(), cache.count.get());
                cache.head.set(0);
                cache.count.set(0);
                r
            })
            .unwrap_or((0, 0));
        if first == 0 {
            continue;
        }
        let mut last = first;
        for _ in 1..count {
            last = next_of(last);
        }
        let _g = lock(c);
        let class = &CLASSES[c];
        set_next(last, class.free.load(Ordering::Relaxed));
        class.free.store(first, Ordering::Relaxed);
    }
}

#[inline(always)]
fn lock(c: usize) -> SpinGuard {
    SLABS[c].lock()
}

/// Free slots of class `c` in the shared class and this thread's list
/// (for tests).
#[cfg(test)]
fn free_slots(c: usize) -> usize {
    let _g = lock(c);
    let mut n = CACHES.with(|caches| caches[c].count.get());
    let mut at = CLASSES[c].free.load(Ordering::Relaxed);
    while at != 0 {
        n += 1;
        at = next_of(at);
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::alloc::System;
    use std::ptr;

    #[test]
    fn classes() {
        let l = |s, a| Layout::from_size_align(s, a).unwrap();
        assert_eq!(class_of(l(16, 8)), None);
        assert_eq!(class_of(l(17, 1)), Some(0));
        assert_eq!(class_of(l(24, 8)), Some(0));
        assert_eq!(class_of(l(24, 16)), None);
        assert_eq!(class_of(l(32, 8)), None);
        assert_eq!(class_of(l(40, 4)), Some(1));
        assert_eq!(class_of(l(56, 8)), Some(2));
        assert_eq!(class_of(l(57, 8)), None);
        for s in SLOT {
            assert!(s % 16 == 0 && CHUNK % s < s);
        }
    }

    /// Takes 3000 slots of class `c`, checks they are distinct, aligned and
    /// writable, gives them back and checks the count of free slots.
    fn round_trip(c: usize, cached: bool) {
        let before = free_slots(c);
        let mut got = Vec::new();
        for _ in 0..3000 {
            let a = take(&System, c, cached);
            assert_ne!(a, 0);
            assert_eq!(a % 16, 0);
            // SAFETY: a fresh slot of SLOT[c] bytes.
            unsafe { ptr::write_bytes(slot_word(a) as *mut u8, 0xa5, SLOT[c]) };
            got.push(a);
        }
        let mut sorted = got.clone();
        sorted.sort();
        for w in sorted.windows(2) {
            assert!(w[1] - w[0] >= SLOT[c], "overlapping slots");
        }
        for &a in &got {
            give(c, a, cached);
        }
        assert!(free_slots(c) >= before + 3000 - BATCH);
        let again = take(&System, c, cached);
        assert!(got.contains(&again), "a freed slot is reused first");
        give(c, again, cached);
    }

    #[test]
    fn slots_are_distinct_and_reused_shared() {
        round_trip(2, false);
    }

    #[test]
    fn slots_are_distinct_and_reused_cached() {
        std::thread::spawn(|| {
            round_trip(1, true);
            assert!(CACHES.with(|c| c[1].count.get()) <= CACHE_MAX);
            flush_thread();
            assert_eq!(CACHES.with(|c| c[1].count.get()), 0);
        })
        .join()
        .unwrap();
    }
}
