//! Frame-pointer walks that may run inside the global allocator or a
//! signal handler: no allocation, no lock, no unwinding library. Every
//! frame address is checked against the thread's stack bounds before it is
//! read, frames must move strictly up the stack (so a walk ends), and every
//! return address must fall in an executable mapping captured beforehand in
//! normal context ([`refresh_text`]); a walk stops at the first check that
//! fails, so code built without frame pointers gives a short stack, never a
//! crash.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Executable ranges `[start, end)` of the loaded objects.
const MAX_TEXT: usize = 1024;
static TEXT: [(AtomicUsize, AtomicUsize); MAX_TEXT] =
    [const { (AtomicUsize::new(0), AtomicUsize::new(0)) }; MAX_TEXT];
static TEXT_LEN: AtomicUsize = AtomicUsize::new(0);

/// Captures the executable segments of every loaded object (new ones are
/// added; none is removed). Normal context only: it takes the dynamic
/// loader's lock.
pub(crate) fn refresh_text() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" fn each(
            info: *mut libc::dl_phdr_info,
            _size: libc::size_t,
            _data: *mut libc::c_void,
        ) -> libc::c_int {
            // SAFETY: the loader passes a valid `dl_phdr_info` whose
            // `dlpi_phdr` points at `dlpi_phnum` program headers.
            let info = unsafe { &*info };
            for i in 0..info.dlpi_phnum as usize {
                // SAFETY: i < dlpi_phnum, as above.
                let ph = unsafe { &*info.dlpi_phdr.add(i) };
                if ph.p_type == libc::PT_LOAD && ph.p_flags & libc::PF_X != 0 {
                    let start = (info.dlpi_addr as usize).wrapping_add(ph.p_vaddr as usize);
                    add_text(start, start.wrapping_add(ph.p_memsz as usize));
                }
            }
            0
        }
        // SAFETY: `each` matches dl_iterate_phdr's callback type and only
        // reads what it is given.
        unsafe { libc::dl_iterate_phdr(Some(each), std::ptr::null_mut()) };
    }
}

fn add_text(start: usize, end: usize) {
    let n = TEXT_LEN.load(Ordering::Acquire);
    if TEXT[..n]
        .iter()
        .any(|(s, e)| s.load(Ordering::Relaxed) == start && e.load(Ordering::Relaxed) == end)
    {
        return;
    }
    if n < MAX_TEXT {
        TEXT[n].0.store(start, Ordering::Relaxed);
        TEXT[n].1.store(end, Ordering::Relaxed);
        TEXT_LEN.store(n + 1, Ordering::Release);
    }
}

/// Whether `pc` lies in an executable mapping seen by [`refresh_text`].
#[inline]
pub(crate) fn is_text(pc: usize) -> bool {
    let n = TEXT_LEN.load(Ordering::Acquire);
    TEXT[..n]
        .iter()
        .any(|(s, e)| pc >= s.load(Ordering::Relaxed) && pc < e.load(Ordering::Relaxed))
}

/// The stack a walk may read: `[lo, hi)` with `lo` the current stack
/// pointer (nothing live is below it) and `hi` the thread's stack top.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bounds {
    pub lo: usize,
    pub hi: usize,
}

/// Walks the frame-pointer chain from `fp`, writing return addresses
/// (innermost first) to `out`, and stops before the first frame whose
/// caller's frame is at or above `stop_sp` (the annotated frame the call
/// path already shows). Returns how many were written.
///
/// Async-signal-safe: it reads only 16 bytes per frame, each inside
/// `bounds`, and allocates nothing.
pub(crate) fn walk(mut fp: usize, bounds: Bounds, stop_sp: usize, out: &mut [usize]) -> usize {
    let word = std::mem::size_of::<usize>();
    let mut n = 0;
    while n < out.len() {
        if fp < bounds.lo || !fp.is_multiple_of(word) || fp > bounds.hi.saturating_sub(2 * word) {
            break;
        }
        // SAFETY: [fp, fp + 2 words) lies inside the calling thread's
        // stack between the current stack pointer and the stack top, which
        // is mapped and readable; the words are plain integers.
        let (next, ret) = unsafe {
            (
                std::ptr::read_volatile(fp as *const usize),
                std::ptr::read_volatile((fp + word) as *const usize),
            )
        };
        if next >= stop_sp || next <= fp || !is_text(ret) {
            break;
        }
        out[n] = ret;
        n += 1;
        fp = next;
    }
    n
}

/// The return address of a function interrupted at `pc` in its prologue
/// (before `push rbp` or `mov rbp, rsp`, after an `endbr64`) or at its
/// `ret`, where the frame pointer still is its caller's and a walk would
/// skip the caller: read from the stack top (x86-64; elsewhere none).
///
/// Async-signal-safe: it reads at most 4 code bytes at `pc` (inside an
/// executable mapping) and one word inside `bounds`.
pub(crate) fn frameless_return(pc: usize, sp: usize, bounds: Bounds) -> Option<usize> {
    if !cfg!(target_arch = "x86_64") || !is_text(pc) || !is_text(pc + 3) {
        return None;
    }
    // SAFETY: [pc, pc + 4) lies in an executable mapping (checked above at
    // both ends; mappings are contiguous), which is readable on x86-64
    // Linux for code the loader mapped.
    let code = unsafe { std::ptr::read_unaligned(pc as *const [u8; 4]) };
    let at = match code {
        // endbr64, push rbp, ret: the return address is the top word.
        [0xf3, 0x0f, 0x1e, 0xfa] | [0x55, ..] | [0xc3, ..] => sp,
        // mov rbp, rsp right after push rbp: one word below it.
        [0x48, 0x89, 0xe5, _] => sp + std::mem::size_of::<usize>(),
        _ => return None,
    };
    if at < bounds.lo || at > bounds.hi.saturating_sub(std::mem::size_of::<usize>()) {
        return None;
    }
    // SAFETY: `at` lies inside the thread's live stack (checked above).
    let ret = unsafe { std::ptr::read_volatile(at as *const usize) };
    is_text(ret).then_some(ret)
}
