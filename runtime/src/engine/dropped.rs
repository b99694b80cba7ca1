//! Counting the distinct call paths that a tree's node bound folds into its
//! overflow node, so that the profile can say how many there were.
//!
//! A path is keyed by its parent node and callsite; keys go into a fixed
//! open-addressing set allocated from the system allocator the first time
//! a tree overflows. Past the set's capacity the count keeps growing with
//! every fold and is reported as a lower bound.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, Ordering};

const CAP: usize = 4096;

/// Distinct folded paths of one tree (written by its owner, or by the
/// folder for an aggregate). All-zero is its empty state.
pub(crate) struct Dropped {
    set: AtomicPtr<AtomicU64>,
    count: AtomicU64,
    saturated: AtomicBool,
}

impl Dropped {
    fn slots(&self) -> Option<&[AtomicU64]> {
        let mut p = self.set.load(Ordering::Acquire);
        if p.is_null() {
            let layout = Layout::array::<AtomicU64>(CAP).ok()?;
            // SAFETY: non-zero size; zeroed AtomicU64s are valid.
            p = unsafe { System.alloc_zeroed(layout) } as *mut AtomicU64;
            if p.is_null() {
                return None;
            }
            self.set.store(p, Ordering::Release);
        }
        // SAFETY: p points at CAP AtomicU64s that are never freed.
        Some(unsafe { std::slice::from_raw_parts(p, CAP) })
    }

    /// Counts the path (parent index, callsite address) once.
    pub(crate) fn record(&self, parent: u32, callsite: usize) {
        let key = ((parent as u64) << 32 ^ (callsite as u64).rotate_left(17)) | 1;
        let Some(slots) = self.slots() else {
            self.saturated.store(true, Ordering::Relaxed);
            return;
        };
        let start = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 52) as usize % CAP;
        for k in 0..CAP {
            let slot = &slots[(start + k) % CAP];
            let v = slot.load(Ordering::Relaxed);
            if v == key {
                return;
            }
            if v == 0 {
                slot.store(key, Ordering::Relaxed);
                self.count.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
        // Full: every further fold counts, as a lower bound is all we know.
        self.saturated.store(true, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    /// (distinct paths, whether that is only a lower bound).
    pub(crate) fn count(&self) -> (u64, bool) {
        (
            self.count.load(Ordering::Relaxed),
            self.saturated.load(Ordering::Relaxed),
        )
    }

    /// Adds another tree's count (when it is folded into an aggregate).
    pub(crate) fn add(&self, other: (u64, bool)) {
        self.count.fetch_add(other.0, Ordering::Relaxed);
        if other.1 {
            self.saturated.store(true, Ordering::Relaxed);
        }
    }

    /// Empties the set (its memory is kept for the tree's next thread).
    pub(crate) fn reset(&self) {
        let p = self.set.load(Ordering::Acquire);
        if !p.is_null() {
            // SAFETY: p points at CAP AtomicU64s; nobody records meanwhile
            // (the tree has no thread while it is reset).
            unsafe { std::slice::from_raw_parts(p, CAP) }
                .iter()
                .for_each(|s| s.store(0, Ordering::Relaxed));
        }
        self.count.store(0, Ordering::Relaxed);
        self.saturated.store(false, Ordering::Relaxed);
    }
}
