//! Allocator overhead: alloc+free pairs of random sizes (16 B to 4 KiB) over
//! 4096 live slots per thread, on 1 and 2 threads, for `System`, inprof's
//! `Alloc` and the peers (dhat with a profiler running, stats_alloc,
//! re_memory with call stacks), each called directly through `GlobalAlloc`
//! in the same run. Then small objects only (16 to 64 B, where half the
//! sizes are inprof's own slots) against `System`.
//!
//! `cargo bench -p inprof-benches --bench alloc`

use criterion::{criterion_group, criterion_main, Criterion};
use std::alloc::{GlobalAlloc, Layout, System};
use std::time::{Duration, Instant};

const SLOTS: usize = 4096;

/// Sizes: 16 B and up to `SPAN - 1` more.
static SPAN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(4081);

/// `iters` alloc+free pairs on one thread through `a`.
fn churn<A: GlobalAlloc>(a: &A, iters: u64, seed: u64) -> Duration {
    let span = SPAN.load(std::sync::atomic::Ordering::Relaxed) as u64;
    let mut slots: Vec<(*mut u8, Layout)> =
        vec![(std::ptr::null_mut(), Layout::new::<u8>()); SLOTS];
    let mut x = seed | 1;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    // Fill the slots first (not timed).
    for s in slots.iter_mut() {
        let l = Layout::from_size_align(16 + (next() % span) as usize, 8).unwrap();
        // SAFETY: non-zero size.
        *s = (unsafe { a.alloc(l) }, l);
    }
    let t = Instant::now();
    for _ in 0..iters {
        let r = next();
        let i = (r as usize) % SLOTS;
        let l = Layout::from_size_align(16 + ((r >> 20) % span) as usize, 8).unwrap();
        let (p, old) = slots[i];
        // SAFETY: p was allocated by `a` with `old`.
        unsafe { a.dealloc(p, old) };
        // SAFETY: non-zero size.
        let q = unsafe { a.alloc(l) };
        assert!(!q.is_null());
        slots[i] = (q, l);
    }
    let d = t.elapsed();
    for (p, l) in slots {
        // SAFETY: allocated by `a` with `l`.
        unsafe { a.dealloc(p, l) };
    }
    d
}

fn run<A: GlobalAlloc + Sync>(a: &A, threads: usize, iters: u64) -> Duration {
    if threads == 1 {
        return churn(a, iters, 0x1234_5678);
    }
    std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads)
            .map(|k| s.spawn(move || churn(a, iters, 0x9E37_79B9 + k as u64)))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).max().unwrap()
    })
}

static INPROF: inprof::Alloc = inprof::Alloc::system();
static DHAT: dhat::Alloc = dhat::Alloc;
static STATS: stats_alloc::StatsAlloc<System> = stats_alloc::StatsAlloc::system();
static RE_MEMORY: re_memory::AccountingAllocator<System> =
    re_memory::AccountingAllocator::new(System);

#[inprof::profile]
fn inprof_under_a_frame(threads: usize, iters: u64) -> Duration {
    run(&INPROF, threads, iters)
}

/// Paired A/B: System and inprof alternate in rounds of the same work, so
/// drift in heap state and machine load hits both alike; prints the median
/// of the per-round ratios.
fn paired_ratio(threads: usize) -> f64 {
    const PAIRS: u64 = 200_000;
    let mut ratios: Vec<f64> = (0..21)
        .map(|round| {
            let (a, b) = if round % 2 == 0 {
                let s = run(&System, threads, PAIRS);
                (s, inprof_under_a_frame(threads, PAIRS))
            } else {
                let i = inprof_under_a_frame(threads, PAIRS);
                (run(&System, threads, PAIRS), i)
            };
            b.as_secs_f64() / a.as_secs_f64()
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    ratios[ratios.len() / 2]
}

fn allocators(c: &mut Criterion) {
    re_memory::accounting_allocator::set_tracking_callstacks(true);
    for threads in [1usize, 2] {
        eprintln!(
            "paired inprof/System ratio, {threads} thread(s), median of 21 alternating rounds: {:.3}",
            paired_ratio(threads)
        );
    }
    for threads in [1usize, 2] {
        let mut g = c.benchmark_group(format!("alloc_free_pair_{threads}_thread"));
        g.measurement_time(Duration::from_secs(3));
        g.warm_up_time(Duration::from_millis(500));
        g.bench_function("system", |b| b.iter_custom(|n| run(&System, threads, n)));
        g.bench_function("inprof", |b| {
            b.iter_custom(|n| inprof_under_a_frame(threads, n))
        });
        g.bench_function("stats_alloc", |b| {
            b.iter_custom(|n| run(&STATS, threads, n))
        });
        g.bench_function("re_memory_callstacks", |b| {
            b.iter_custom(|n| run(&RE_MEMORY, threads, n))
        });
        g.sample_size(10);
        g.bench_function("dhat", |b| {
            let _p = dhat::Profiler::builder().testing().build();
            b.iter_custom(|n| run(&DHAT, threads, n))
        });
        g.finish();
    }
    // Small objects: 16 to 64 bytes.
    SPAN.store(49, std::sync::atomic::Ordering::Relaxed);
    for threads in [1usize, 2] {
        eprintln!(
            "small objects (16-64 B): paired inprof/System ratio, {threads} thread(s), median of 21 alternating rounds: {:.3}",
            paired_ratio(threads)
        );
        let mut g = c.benchmark_group(format!("alloc_free_pair_small_{threads}_thread"));
        g.measurement_time(Duration::from_secs(3));
        g.warm_up_time(Duration::from_millis(500));
        g.bench_function("system", |b| b.iter_custom(|n| run(&System, threads, n)));
        g.bench_function("inprof", |b| {
            b.iter_custom(|n| inprof_under_a_frame(threads, n))
        });
        g.finish();
    }
}

criterion_group!(benches, allocators);
criterion_main!(benches);
