//! Optional native stacks for the heap profile (Go's `MemProfileRate`):
//! one allocation every `rate` bytes on average (exponential gaps) has its
//! native backtrace captured, so allocations made inside code nobody
//! annotated (a dependency, std) show their real frames below the nearest
//! annotated caller. Per call path the totals stay exact; the split across
//! native stacks is estimated from the samples with Go's unsampling.

use crate::engine::site::Site;
use crate::engine::stack;
use crate::engine::tree::{self, Tree};
use crate::profiles::unwind;
use std::collections::HashMap;
use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicU8, AtomicUsize, Ordering};

/// The sampling rate Go uses by default (512 KiB).
pub const DEFAULT_MEM_PROFILE_RATE: usize = 512 * 1024;

static RATE: AtomicUsize = AtomicUsize::new(0);

/// Sets the native-stack sampling rate in bytes, like Go's
/// `runtime.MemProfileRate`: 0 (the default) captures none, 1 every
/// allocation, [`DEFAULT_MEM_PROFILE_RATE`] one per 512 KiB on average.
/// Native stacks come from a frame-pointer walk: build with
/// `-C force-frame-pointers=yes` for full stacks.
///
/// ```
/// // Native stacks for allocations about every 512 KiB (Go's default).
/// inprof::set_mem_profile_rate(inprof::DEFAULT_MEM_PROFILE_RATE);
/// assert_eq!(inprof::mem_profile_rate(), inprof::DEFAULT_MEM_PROFILE_RATE);
/// inprof::set_mem_profile_rate(0); // annotated paths only
/// ```
pub fn set_mem_profile_rate(bytes: usize) {
    if bytes > 0 {
        ensure_table();
        unwind::refresh_text();
    }
    RATE.store(bytes, Ordering::Relaxed);
    // Every thread draws its next gap anew.
    let lock = crate::engine::fold::read();
    for t in tree::trees(&lock) {
        t.ext.sample_left.store(0, Ordering::Relaxed);
    }
}

/// The native-stack sampling rate in force.
pub fn mem_profile_rate() -> usize {
    RATE.load(Ordering::Relaxed)
}

/// Native frames kept per sampled allocation.
pub const MAX_NATIVE_DEPTH: usize = 32;

/// Distinct (call path, native stack) records the table holds; samples of
/// new stacks past it are counted as dropped (the allocations themselves
/// are still counted exactly at their call path).
const CAPACITY: usize = 4096;
/// Slots probed before a sample is dropped.
const PROBES: usize = 64;

const EMPTY: u8 = 0;
const FILLING: u8 = 1;
const READY: u8 = 2;

/// Counts of the allocations sampled at one (call path, native stack): a
/// slot of a fixed table, filled without lock or allocation from inside
/// the allocator.
pub(crate) struct Record {
    state: AtomicU8,
    hash: AtomicU64,
    /// The heap site (hence the call path) the sampled allocations count at.
    pub site: AtomicPtr<Site>,
    len: AtomicUsize,
    pcs: [AtomicUsize; MAX_NATIVE_DEPTH],
    pub rate: AtomicUsize,
    pub alloc_objects: AtomicU64,
    pub alloc_bytes: AtomicU64,
    pub free_objects: AtomicU64,
    pub free_bytes: AtomicU64,
}

impl Record {
    /// The native return addresses, innermost first.
    pub(crate) fn pcs(&self) -> Vec<usize> {
        let n = self.len.load(Ordering::Relaxed).min(MAX_NATIVE_DEPTH);
        self.pcs[..n]
            .iter()
            .map(|p| p.load(Ordering::Relaxed))
            .collect()
    }
}

/// The table, allocated (zeroed, straight from the system allocator) by
/// the first `set_mem_profile_rate(n > 0)`, in normal context; never freed.
static TABLE: AtomicPtr<Record> = AtomicPtr::new(std::ptr::null_mut());
/// Samples whose stack found no slot.
static DROPPED: AtomicU64 = AtomicU64::new(0);

fn table() -> Option<&'static [Record]> {
    let p = TABLE.load(Ordering::Acquire);
    if p.is_null() {
        return None;
    }
    // SAFETY: TABLE is set once to a zeroed allocation of CAPACITY records
    // (all-zero is a valid empty Record: atomics and an EMPTY state), never
    // freed.
    Some(unsafe { std::slice::from_raw_parts(p, CAPACITY) })
}

/// Makes sure the table exists (normal context only).
fn ensure_table() {
    if !TABLE.load(Ordering::Acquire).is_null() {
        return;
    }
    let Ok(layout) = std::alloc::Layout::array::<Record>(CAPACITY) else {
        return;
    };
    // SAFETY: non-zero size; the system allocator never recurses into the
    // global one.
    let p = unsafe { std::alloc::GlobalAlloc::alloc_zeroed(&std::alloc::System, layout) };
    if p.is_null() {
        return;
    }
    if TABLE
        .compare_exchange(
            std::ptr::null_mut(),
            p as *mut Record,
            Ordering::AcqRel,
            Ordering::Acquire,
        )
        .is_err()
    {
        // SAFETY: p was allocated above with this layout and never shared.
        unsafe { std::alloc::GlobalAlloc::dealloc(&std::alloc::System, p, layout) };
    }
}

/// Sampled allocations whose native stack found no room in the table.
pub(crate) fn dropped() -> u64 {
    DROPPED.load(Ordering::Relaxed)
}

/// Whether this allocation is sampled (hot path: one owner-only counter).
#[inline(always)]
pub(crate) fn due(t: &Tree, size: usize) -> bool {
    let left = t.ext.sample_left.load(Ordering::Relaxed) - size as i64;
    t.ext.sample_left.store(left, Ordering::Relaxed);
    left < 0
}

fn hash_of(node: usize, pcs: &[usize]) -> u64 {
    // FNV-1a over the words: no allocation, deterministic.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for w in std::iter::once(node).chain(pcs.iter().copied()) {
        h ^= w as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h | 1
}

/// The cold path of a due allocation: draws the next gap and, when
/// sampling is on, walks the native stack below the innermost annotated
/// frame and counts the allocation in its record. Returns the record to
/// tag the block with, or null.
///
/// Runs inside the global allocator: it takes no lock, allocates nothing
/// and calls no unwinding library (a bounded frame-pointer walk, see
/// `unwind`), so it can neither deadlock nor recurse, in threads or after
/// `fork`.
#[cold]
#[inline(never)]
pub(crate) fn sample(t: &Tree, site: &Site, size: usize) -> *const Record {
    let rate = RATE.load(Ordering::Relaxed);
    if rate == 0 {
        t.ext.sample_left.store(i64::MAX / 2, Ordering::Relaxed);
        return std::ptr::null();
    }
    // Exponential gap with mean `rate` (as Go's fastexprand).
    let u = (crate::engine::counters::rand(t) >> 11) as f64 / (1u64 << 53) as f64;
    let gap = if rate <= 1 {
        0.0
    } else {
        -(1.0 - u).ln() * rate as f64
    };
    t.ext
        .sample_left
        .store(gap.min(i64::MAX as f64 / 4.0) as i64, Ordering::Relaxed);
    let Some(table) = table() else {
        return std::ptr::null();
    };
    let mut pcs = [0usize; MAX_NATIVE_DEPTH];
    let bounds = unwind::Bounds {
        lo: stack::current_sp(),
        hi: t.stack_hi(),
    };
    let n = unwind::walk(stack::current_fp(), bounds, t.frame_sp(), &mut pcs);
    let pcs = &pcs[..n];
    let site_ptr = site as *const Site;
    let h = hash_of(site_ptr as usize, pcs);
    let start = (h as usize) % CAPACITY;
    for k in 0..PROBES {
        let r = &table[(start + k) % CAPACITY];
        let mut st = r.state.load(Ordering::Acquire);
        if st == EMPTY {
            match r
                .state
                .compare_exchange(EMPTY, FILLING, Ordering::Acquire, Ordering::Acquire)
            {
                Ok(_) => {
                    site.pin();
                    r.hash.store(h, Ordering::Relaxed);
                    r.site.store(site_ptr as *mut Site, Ordering::Relaxed);
                    for (slot, pc) in r.pcs.iter().zip(pcs) {
                        slot.store(*pc, Ordering::Relaxed);
                    }
                    r.len.store(n, Ordering::Relaxed);
                    r.rate.store(rate, Ordering::Relaxed);
                    r.state.store(READY, Ordering::Release);
                    st = READY;
                }
                Err(now) => st = now,
            }
        }
        if st == READY
            && r.hash.load(Ordering::Relaxed) == h
            && std::ptr::eq(r.site.load(Ordering::Relaxed), site_ptr)
            && r.len.load(Ordering::Relaxed) == n
            && r.pcs[..n]
                .iter()
                .zip(pcs)
                .all(|(a, b)| a.load(Ordering::Relaxed) == *b)
        {
            r.alloc_objects.fetch_add(1, Ordering::Relaxed);
            r.alloc_bytes.fetch_add(size as u64, Ordering::Relaxed);
            return r;
        }
        // A slot being filled by another thread, or another stack: probe on.
    }
    DROPPED.fetch_add(1, Ordering::Relaxed);
    std::ptr::null()
}

/// Every record, grouped by heap site.
pub(crate) fn by_site() -> HashMap<usize, Vec<&'static Record>> {
    let mut out: HashMap<usize, Vec<&'static Record>> = HashMap::new();
    if let Some(table) = table() {
        for r in table {
            if r.state.load(Ordering::Acquire) == READY {
                out.entry(r.site.load(Ordering::Relaxed) as usize)
                    .or_default()
                    .push(r);
            }
        }
    }
    out
}

/// Go's unsampling factor for `count` objects of `bytes` sampled at `rate`.
fn scale(count: u64, bytes: u64, rate: usize) -> f64 {
    if rate <= 1 || count == 0 {
        return 1.0;
    }
    let avg = bytes as f64 / count as f64;
    1.0 / (1.0 - (-avg / rate as f64).exp())
}

/// Splits the exact `totals` (alloc objects, alloc bytes, inuse objects,
/// inuse bytes) of a node across its records in proportion to their
/// unsampled estimates. Integers summing exactly to the totals.
pub(crate) fn split(aggs: &[&Record], totals: [u64; 4]) -> Vec<[u64; 4]> {
    let est: Vec<[f64; 4]> = aggs
        .iter()
        .map(|a| {
            let ao = a.alloc_objects.load(Ordering::Relaxed);
            let ab = a.alloc_bytes.load(Ordering::Relaxed);
            let io = ao.saturating_sub(a.free_objects.load(Ordering::Relaxed));
            let ib = ab.saturating_sub(a.free_bytes.load(Ordering::Relaxed));
            let rate = a.rate.load(Ordering::Relaxed);
            let sa = scale(ao, ab, rate);
            let si = scale(io, ib, rate);
            [
                ao as f64 * sa,
                ab as f64 * sa,
                io as f64 * si,
                ib as f64 * si,
            ]
        })
        .collect();
    let mut out = vec![[0u64; 4]; aggs.len()];
    for k in 0..4 {
        let sum: f64 = est.iter().map(|e| e[k]).sum();
        if sum <= 0.0 {
            continue;
        }
        let mut given = 0u64;
        let mut rema: Vec<(f64, usize)> = Vec::with_capacity(aggs.len());
        for (i, e) in est.iter().enumerate() {
            let exact = e[k] / sum * totals[k] as f64;
            out[i][k] = exact.floor() as u64;
            given += out[i][k];
            rema.push((exact - exact.floor(), i));
        }
        rema.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (_, i) in rema
            .into_iter()
            .take(totals[k].saturating_sub(given) as usize)
        {
            out[i][k] += 1;
        }
    }
    out
}

/// A resolved symbol: (function, file, line).
pub(crate) type SymLine = (String, String, u32);

/// Resolved symbols by address, kept between profiles (symbolizing is
/// slow). Taken out while a profile is built, so no lock is held while
/// resolving allocates; two profiles built at once simply resolve twice.
static SYMBOLS: std::sync::Mutex<Option<HashMap<usize, Vec<SymLine>>>> =
    std::sync::Mutex::new(None);

/// The symbol cache, taken out for one profile build.
pub(crate) fn take_symbol_cache() -> HashMap<usize, Vec<SymLine>> {
    SYMBOLS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .unwrap_or_default()
}

/// Puts the cache back after a build (the larger one wins if two builds
/// raced).
pub(crate) fn put_symbol_cache(c: HashMap<usize, Vec<SymLine>>) {
    let mut g = SYMBOLS.lock().unwrap_or_else(|e| e.into_inner());
    if g.as_ref().is_none_or(|old| old.len() < c.len()) {
        *g = Some(c);
    }
}

/// The (name, file, line) lines at `addr`, innermost first (inlined frames
/// included), from the cache or resolved.
fn resolve(addr: usize, cache: &mut HashMap<usize, Vec<SymLine>>) -> Vec<SymLine> {
    cache
        .entry(addr)
        .or_insert_with(|| {
            let mut v = Vec::new();
            // `backtrace::resolve` takes a return address and looks up the
            // byte before it: pass the one after `addr`.
            backtrace::resolve(addr.wrapping_add(1) as *mut std::ffi::c_void, |s| {
                let name = s
                    .name()
                    .map(|n| format!("{n:#}"))
                    .unwrap_or_else(|| format!("{addr:#x}"));
                let file = s
                    .filename()
                    .map(|f| f.display().to_string())
                    .unwrap_or_default();
                v.push((name, file, s.lineno().unwrap_or(0)));
            });
            if v.is_empty() {
                v.push((dynamic_symbol(addr), String::new(), 0));
            }
            v
        })
        .clone()
}

/// The dynamic symbol at `addr` (`dladdr`: what the vDSO and stripped
/// libraries still export), or the object's name and offset, or the
/// address.
fn dynamic_symbol(addr: usize) -> String {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: dladdr only reads the loader's tables and writes `info`;
        // the strings it returns live as long as the object stays loaded
        // and are copied at once.
        unsafe {
            let mut info: libc::Dl_info = std::mem::zeroed();
            if libc::dladdr(addr as *const libc::c_void, &mut info) != 0 {
                if !info.dli_sname.is_null() {
                    return std::ffi::CStr::from_ptr(info.dli_sname)
                        .to_string_lossy()
                        .into_owned();
                }
                if !info.dli_fname.is_null() {
                    let f = std::ffi::CStr::from_ptr(info.dli_fname).to_string_lossy();
                    let base = f.rsplit('/').next().unwrap_or(&f).to_owned();
                    let off = addr.wrapping_sub(info.dli_fbase as usize);
                    return format!("[{base}]+{off:#x}");
                }
            }
        }
    }
    format!("{addr:#x}")
}

/// Whether a resolved frame is (a closure or inlined part of) the annotated
/// function `a`.
fn is_annotated(lines: &[SymLine], a: &str) -> bool {
    lines
        .iter()
        .any(|(n, _, _)| n == a || n.starts_with(&format!("{a}::")))
}

/// Whether a resolved frame is inprof's recording of a call (opening or
/// closing a frame, reading the clock, polling an instrumented future):
/// instrumentation, not the program. A sample there, or in what it calls,
/// goes to the function the call path is in at that moment (the caller
/// until the frame is open, the callee once it is), as the exact wall
/// time of that moment does, not to a row of inprof's own. A frame that
/// names the engine (its functions, std's generics over its types, such
/// as the drop glue of a frame's guard in an unoptimized build) or is
/// `Instrumented`'s, with what was inlined into it: where a recorded body
/// is inlined into the recording function and the build has line tables,
/// the body's lines are the frame's too, and [`is_annotated`] has cut the
/// walk there already; without line tables only the sampler's stack
/// pointer tells the two apart, and it puts a body whose frame is open in
/// its function.
fn is_recording(lines: &[SymLine]) -> bool {
    lines.iter().any(|(n, _, _)| {
        n.contains("inprof_runtime::engine::")
            || n.strip_prefix('<')
                .unwrap_or(n)
                .starts_with("inprof_runtime::profiles::tasks::Instrumented")
    })
}

/// Resolved native frames of a CPU sample: the interrupted PC (resolved at
/// itself) then return addresses (resolved at the call, one byte before),
/// each a list of (name, file, line) innermost first; cut at the frame of
/// the annotated function `annotated` if the walk went that far.
pub(crate) fn cpu_frames(
    pcs: &[usize],
    annotated: Option<&str>,
    cache: &mut HashMap<usize, Vec<SymLine>>,
) -> Vec<(usize, Vec<SymLine>)> {
    let mut out = Vec::with_capacity(pcs.len());
    for (k, &pc) in pcs.iter().enumerate() {
        let at = if k == 0 { pc } else { pc.saturating_sub(1) };
        let lines = resolve(at, cache);
        if annotated.is_some_and(|a| is_annotated(&lines, a)) {
            break;
        }
        // Location addresses: the lookup address, so the leaf PC and a
        // return address with the same value stay two locations.
        out.push((at, lines));
    }
    // Inprof's recording, and what it called (the clock, atomics of a
    // build that does not inline them), is the call path's.
    if let Some(last) = out.iter().rposition(|(_, l)| is_recording(l)) {
        out.drain(..=last);
    }
    out
}

/// Resolved native frames of a record: leaf first, each a list of (name,
/// file, line) innermost first; allocator frames left out, and cut at the
/// frame of the annotated function `annotated` (which the call path shows).
pub(crate) fn frames(
    ips: &[usize],
    annotated: Option<&str>,
    cache: &mut HashMap<usize, Vec<SymLine>>,
) -> Vec<(usize, Vec<SymLine>)> {
    let mut all = Vec::with_capacity(ips.len());
    for &ip in ips {
        // Return addresses point after the call: look up ip - 1.
        let lines = resolve(ip.saturating_sub(1), cache);
        all.push((ip, lines));
    }
    // Allocator shims are `__rust_alloc` or, with v0 symbol names,
    // `__rustc::__rust_alloc`; `__rg_*` / `__rdl_*` are the hooks behind them.
    let is_alloc = |n: &str| {
        let leaf = n.rsplit("::").next().unwrap_or(n);
        n.starts_with("backtrace::")
            || n.contains("inprof_runtime::")
            || leaf.starts_with("__rust_")
            || leaf.starts_with("__rg_")
            || leaf.starts_with("__rdl_")
            || n.starts_with("alloc::alloc::")
            || n.starts_with("std::alloc::")
    };
    let start = all
        .iter()
        .rposition(|(_, l)| l.iter().any(|(n, _, _)| is_alloc(n)))
        .map_or(0, |i| i + 1);
    let mut out = Vec::new();
    for (ip, lines) in all.into_iter().skip(start) {
        if annotated.is_some_and(|a| is_annotated(&lines, a)) {
            break;
        }
        out.push((ip, lines));
        if out.len() >= 32 {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(names: &[&str]) -> Vec<SymLine> {
        names
            .iter()
            .map(|n| (n.to_string(), String::new(), 0))
            .collect()
    }

    #[test]
    fn the_recording_is_told_from_the_program_by_name() {
        for n in [
            "inprof_runtime::engine::tree::record_body",
            "inprof_runtime::engine::tree::Guard::leave",
            "inprof_runtime::engine::tree::record_body_into",
            "core::ptr::drop_in_place<inprof_runtime::engine::tree::Scope>",
            "<inprof_runtime::profiles::tasks::Instrumented<F> as core::future::future::Future>::poll",
        ] {
            assert!(is_recording(&frame(&[n])), "{n}");
        }
        // Inlined into the recording: the frame is the recording's.
        assert!(is_recording(&frame(&[
            "core::mem::maybe_uninit::MaybeUninit<T>::write",
            "inprof_runtime::engine::tree::enter_scope_on",
        ])));
        for n in [
            "app::parse",
            "inprof_runtime::profiles::sync::RawMutex::lock_slow",
            "inprof_runtime::profiles::alloc::Alloc<A>::alloc_slot",
            "<futures::future::Select<A, B> as core::future::future::Future>::poll",
        ] {
            assert!(!is_recording(&frame(&[n])), "{n}");
        }
    }
}
