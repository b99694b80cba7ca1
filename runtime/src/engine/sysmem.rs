//! Memory the engine keeps for the life of the process (callsite names),
//! taken from [`System`] rather than the global allocator.
//!
//! An instrumented call must not call the program's allocator, even on the
//! first call of a callsite or of a thread, where names are resolved: a
//! program's test may count its allocations around a call it documents as
//! allocation-free (faster-hex 2.0.0's `tests/allocations.rs` counted 4 and
//! 11 instrumented, 0 published), and a global allocator that is itself
//! instrumented must not find the engine inside it. So names are built in
//! a [`SysBuf`] and kept with [`leak_str`]; nothing here calls the global
//! allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::ptr::NonNull;

/// A growable byte buffer on [`System`] holding UTF-8 text, written with
/// `write!` ([`std::fmt::Write`]), which formats without allocating.
pub(crate) struct SysBuf {
    ptr: NonNull<u8>,
    len: usize,
    cap: usize,
}

impl SysBuf {
    /// An empty buffer (allocates nothing yet).
    pub(crate) const fn new() -> SysBuf {
        SysBuf {
            ptr: NonNull::dangling(),
            len: 0,
            cap: 0,
        }
    }

    /// The text written so far.
    pub(crate) fn as_str(&self) -> &str {
        // SAFETY: `ptr` holds `len` initialized bytes (dangling with len 0
        // is a valid empty slice), written only from `&str`s whole, so
        // they are UTF-8.
        unsafe {
            std::str::from_utf8_unchecked(std::slice::from_raw_parts(self.ptr.as_ptr(), self.len))
        }
    }

    /// Empties it, keeping its memory.
    pub(crate) fn clear(&mut self) {
        self.len = 0;
    }

    /// Appends `s`. On allocation failure the text is left as it was and
    /// `false` returned.
    pub(crate) fn push_str(&mut self, s: &str) -> bool {
        let need = match self.len.checked_add(s.len()) {
            Some(n) => n,
            None => return false,
        };
        if need > self.cap && !self.grow(need) {
            return false;
        }
        // SAFETY: `need <= cap`, so the `s.len()` bytes after `len` are
        // ours; `s` cannot overlap them (we hand out no mutable view).
        unsafe {
            std::ptr::copy_nonoverlapping(s.as_ptr(), self.ptr.as_ptr().add(self.len), s.len());
        }
        self.len = need;
        true
    }

    fn grow(&mut self, need: usize) -> bool {
        let cap = need.max(self.cap.saturating_mul(2)).max(64);
        let Ok(layout) = Layout::array::<u8>(cap) else {
            return false;
        };
        let p = if self.cap == 0 {
            // SAFETY: `layout` has a non-zero size (cap >= 64).
            unsafe { System.alloc(layout) }
        } else {
            // SAFETY: `ptr` was allocated by System with this old layout
            // (align 1, size `self.cap`); the new size is non-zero and
            // fits `isize` (checked by `Layout::array` above).
            unsafe {
                System.realloc(
                    self.ptr.as_ptr(),
                    Layout::from_size_align_unchecked(self.cap, 1),
                    cap,
                )
            }
        };
        match NonNull::new(p) {
            Some(p) => {
                self.ptr = p;
                self.cap = cap;
                true
            }
            None => false,
        }
    }
}

impl Drop for SysBuf {
    fn drop(&mut self) {
        if self.cap > 0 {
            // SAFETY: allocated by System with align 1 and size `cap`.
            unsafe {
                System.dealloc(
                    self.ptr.as_ptr(),
                    Layout::from_size_align_unchecked(self.cap, 1),
                )
            }
        }
    }
}

impl std::fmt::Write for SysBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        if self.push_str(s) {
            Ok(())
        } else {
            Err(std::fmt::Error)
        }
    }
}

/// A copy of `s` that lives as long as the process, in [`System`] memory.
pub(crate) fn leak_str(s: &str) -> Option<&'static str> {
    if s.is_empty() {
        return Some("");
    }
    let layout = Layout::array::<u8>(s.len()).ok()?;
    // SAFETY: non-zero size.
    let p = unsafe { System.alloc(layout) };
    if p.is_null() {
        return None;
    }
    // SAFETY: `p` has room for `s.len()` bytes and is a fresh allocation;
    // the bytes copied are UTF-8 and are never freed nor written again.
    unsafe {
        std::ptr::copy_nonoverlapping(s.as_ptr(), p, s.len());
        Some(std::str::from_utf8_unchecked(std::slice::from_raw_parts(
            p,
            s.len(),
        )))
    }
}

/// `v` moved to [`System`] memory that is never freed (its destructor
/// never runs); `None` if there is none left.
pub(crate) fn leak<T>(v: T) -> Option<&'static T> {
    let layout = Layout::new::<T>();
    if layout.size() == 0 {
        // A zero-sized value needs no memory: any aligned non-null address.
        std::mem::forget(v);
        // SAFETY: for a zero-sized type a dangling, aligned pointer is a
        // valid reference.
        return Some(unsafe { NonNull::<T>::dangling().as_ref() });
    }
    // SAFETY: non-zero size.
    let p = unsafe { System.alloc(layout) } as *mut T;
    if p.is_null() {
        return None;
    }
    // SAFETY: `p` is fresh, aligned for `T` and large enough; it is never
    // freed, so the reference is valid for 'static.
    unsafe {
        p.write(v);
        Some(&*p)
    }
}

#[cfg(test)]
mod tests {
    use super::{leak, leak_str, SysBuf};
    use std::fmt::Write;

    #[test]
    fn buffers_grow_and_leak_their_text() {
        let mut b = SysBuf::new();
        assert_eq!(b.as_str(), "");
        for i in 0..200 {
            write!(b, "{i},").unwrap();
        }
        let want: String = (0..200).map(|i| format!("{i},")).collect();
        assert_eq!(b.as_str(), want);
        let l = leak_str(b.as_str()).unwrap();
        b.clear();
        b.push_str("x");
        assert_eq!((l, b.as_str()), (want.as_str(), "x"));
        assert_eq!(leak_str(""), Some(""));
        assert_eq!(*leak((1u64, 2u8)).unwrap(), (1, 2));
        assert!(leak(()).is_some());
    }
}
