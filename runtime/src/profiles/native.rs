//! Optional native stacks for the heap profile (Go's `MemProfileRate`):
//! one allocation every `rate` bytes on average (exponential gaps) has its
//! native backtrace captured, so allocations made inside code nobody
//! annotated (a dependency, std) show their real frames below the nearest
//! annotated caller. Per call path the totals stay exact; the split across
//! native stacks is estimated from the samples with Go's unsampling.

use crate::engine::counters::Reentrant;
use crate::engine::tree::{self, Node, Tree};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// The sampling rate Go uses by default (512 KiB).
pub const DEFAULT_MEM_PROFILE_RATE: usize = 512 * 1024;

static RATE: AtomicUsize = AtomicUsize::new(0);

/// Sets the native-stack sampling rate in bytes, like Go's
/// `runtime.MemProfileRate`: 0 (the default) captures none, 1 every
/// allocation, [`DEFAULT_MEM_PROFILE_RATE`] one per 512 KiB on average.
/// Only allocations of alignment up to 16 are sampled.
pub fn set_mem_profile_rate(bytes: usize) {
    RATE.store(bytes, Ordering::Relaxed);
    // Every thread draws its next gap anew.
    for t in tree::trees() {
        t.ext.sample_left.store(0, Ordering::Relaxed);
    }
}

/// The native-stack sampling rate in force.
pub fn mem_profile_rate() -> usize {
    RATE.load(Ordering::Relaxed)
}

/// Counts of the allocations sampled at one (call path, native stack).
pub(crate) struct Agg {
    pub node: *const Node,
    pub ips: Box<[usize]>,
    pub rate: usize,
    pub alloc_objects: AtomicU64,
    pub alloc_bytes: AtomicU64,
    pub free_objects: AtomicU64,
    pub free_bytes: AtomicU64,
}

// SAFETY: `node` points at a never-freed node and is only read.
unsafe impl Sync for Agg {}
// SAFETY: as above.
unsafe impl Send for Agg {}

type Key = (usize, Box<[usize]>);

static AGGS: parking_lot::Mutex<Option<HashMap<Key, &'static Agg>>> =
    parking_lot::const_mutex(None);

/// Whether this allocation is sampled (hot path: one owner-only counter).
#[inline(always)]
pub(crate) fn due(t: &Tree, size: usize) -> bool {
    let left = t.ext.sample_left.load(Ordering::Relaxed) - size as i64;
    t.ext.sample_left.store(left, Ordering::Relaxed);
    left < 0
}

/// The cold path of a due allocation: draws the next gap and, when
/// sampling is on, records the allocation's native stack. Returns the
/// record to tag the block with, or null.
#[cold]
#[inline(never)]
pub(crate) fn sample(t: &Tree, node: *const Node, size: usize) -> *const Agg {
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
    let _g = Reentrant::enter();
    let mut ips = Vec::with_capacity(32);
    backtrace::trace(|f| {
        ips.push(f.ip() as usize);
        ips.len() < 64
    });
    let key: Key = (node as usize, ips.into_boxed_slice());
    let mut map = AGGS.lock();
    let map = map.get_or_insert_with(HashMap::new);
    let agg = *map.entry(key).or_insert_with_key(|k| {
        Box::leak(Box::new(Agg {
            node,
            ips: k.1.clone(),
            rate,
            alloc_objects: AtomicU64::new(0),
            alloc_bytes: AtomicU64::new(0),
            free_objects: AtomicU64::new(0),
            free_bytes: AtomicU64::new(0),
        }))
    });
    agg.alloc_objects.fetch_add(1, Ordering::Relaxed);
    agg.alloc_bytes.fetch_add(size as u64, Ordering::Relaxed);
    agg
}

/// Every record, grouped by call-path node.
pub(crate) fn by_node() -> HashMap<usize, Vec<&'static Agg>> {
    let mut out: HashMap<usize, Vec<&'static Agg>> = HashMap::new();
    if let Some(map) = AGGS.lock().as_ref() {
        for a in map.values() {
            out.entry(a.node as usize).or_default().push(a);
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
pub(crate) fn split(aggs: &[&Agg], totals: [u64; 4]) -> Vec<[u64; 4]> {
    let est: Vec<[f64; 4]> = aggs
        .iter()
        .map(|a| {
            let ao = a.alloc_objects.load(Ordering::Relaxed);
            let ab = a.alloc_bytes.load(Ordering::Relaxed);
            let io = ao.saturating_sub(a.free_objects.load(Ordering::Relaxed));
            let ib = ab.saturating_sub(a.free_bytes.load(Ordering::Relaxed));
            let sa = scale(ao, ab, a.rate);
            let si = scale(io, ib, a.rate);
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
        let lines = cache
            .entry(ip)
            .or_insert_with(|| {
                let mut v = Vec::new();
                // Return addresses point after the call: look up ip - 1.
                backtrace::resolve((ip.saturating_sub(1)) as *mut std::ffi::c_void, |s| {
                    let name = s
                        .name()
                        .map(|n| format!("{n:#}"))
                        .unwrap_or_else(|| format!("{ip:#x}"));
                    let file = s
                        .filename()
                        .map(|f| f.display().to_string())
                        .unwrap_or_default();
                    v.push((name, file, s.lineno().unwrap_or(0)));
                });
                if v.is_empty() {
                    v.push((format!("{ip:#x}"), String::new(), 0));
                }
                v
            })
            .clone();
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
        if let Some(a) = annotated {
            if lines
                .iter()
                .any(|(n, _, _)| n == a || n.starts_with(&format!("{a}::")))
            {
                break;
            }
        }
        out.push((ip, lines));
        if out.len() >= 32 {
            break;
        }
    }
    out
}
