//! The soak: the CPU sampler at 1 kHz together with native heap stacks on
//! every 4 KiB allocated, under heavy allocation on 8 threads, contended
//! inprof locks, and threads spawning and exiting all the while (the
//! combination that deadlocks allocator + signal-unwinding profilers). No
//! deadlock (bounded at 60 s), no crash, and the heap totals exact.
#![cfg(target_os = "linux")]

mod common;
use common::*;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOC: inprof::Alloc = inprof::Alloc::system();

static ITERATIONS: AtomicU64 = AtomicU64::new(0);
static SPAWNED: AtomicU64 = AtomicU64::new(0);
static STOP: AtomicBool = AtomicBool::new(false);

/// Exactly three allocations of 24, 1000 and 70 000 bytes, all freed
/// (`always`: short enough to be demoted otherwise).
#[inprof::profile(always)]
fn churn() -> usize {
    let a: Vec<u8> = std::hint::black_box(Vec::with_capacity(24));
    let b: Vec<u8> = std::hint::black_box(Vec::with_capacity(1000));
    let c: Vec<u8> = std::hint::black_box(Vec::with_capacity(70_000));
    a.capacity() + b.capacity() + c.capacity()
}

/// A contended inprof lock (parking_lot underneath may allocate when new
/// threads park: kept apart from `churn`'s exact count).
#[inprof::profile(always)]
fn contend(shared: &inprof::sync::Mutex<u64>) {
    *shared.lock() += 1;
}

#[inprof::profile]
fn short_lived() -> usize {
    let v: Vec<u64> = (0..100).collect();
    v.len()
}

fn worker(i: usize, shared: &'static inprof::sync::Mutex<u64>) {
    let mut n = 0u64;
    while !STOP.load(Ordering::Relaxed) {
        churn();
        contend(shared);
        n += 1;
        if n.is_multiple_of(2000) {
            // A thread that spawns, allocates and exits.
            let h = inprof::thread::Builder::new()
                .name(format!("short-{i}"))
                .spawn(short_lived)
                .unwrap();
            assert_eq!(h.join().unwrap(), 100);
            SPAWNED.fetch_add(1, Ordering::Relaxed);
        }
    }
    ITERATIONS.fetch_add(n, Ordering::Relaxed);
}

#[test]
fn sampler_with_native_heap_stacks_under_load() {
    let dir = tmpdir("cpu-soak");
    let cpu_file = dir.join("cpu.pb.gz");
    inprof::set_cpu_profile_rate(1000);
    inprof::set_mem_profile_rate(4096);
    let shared: &'static inprof::sync::Mutex<u64> =
        Box::leak(Box::new(inprof::sync::Mutex::new(0)));
    let g = inprof::start_cpu_profile(std::fs::File::create(&cpu_file).unwrap()).unwrap();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let start = Instant::now();
    std::thread::spawn(move || {
        let hs: Vec<_> = (0..8)
            .map(|i| {
                inprof::thread::Builder::new()
                    .name(format!("soak-{i}"))
                    .spawn(move || worker(i, shared))
                    .unwrap()
            })
            .collect();
        std::thread::sleep(Duration::from_secs(8));
        STOP.store(true, Ordering::Relaxed);
        for h in hs {
            h.join().unwrap();
        }
        done_tx.send(()).unwrap();
    });
    done_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("deadlock: the soak did not finish within 60 s");
    g.stop().unwrap();
    inprof::set_mem_profile_rate(0);
    inprof::set_cpu_profile_rate(inprof::DEFAULT_CPU_PROFILE_RATE);
    eprintln!(
        "soak: {:?}, {} iterations, {} threads spawned",
        start.elapsed(),
        ITERATIONS.load(Ordering::Relaxed),
        SPAWNED.load(Ordering::Relaxed)
    );

    // Heap totals exact at the path, split across native stacks or not.
    let iterations = ITERATIONS.load(Ordering::Relaxed) as f64;
    assert_eq!(*shared.lock() as f64, iterations);
    let allocs_file = dir.join("allocs.pb.gz");
    inprof::lookup("allocs")
        .unwrap()
        .write_to(std::fs::File::create(&allocs_file).unwrap(), 0)
        .unwrap();
    let objects = top(&allocs_file, &["-sample_index=alloc_objects"]);
    assert_eq!(row(&objects, "cpu_soak::churn").cum, 3.0 * iterations);
    let space = top(&allocs_file, &["-sample_index=alloc_space", "-unit=B"]);
    assert_eq!(
        row(&space, "cpu_soak::churn").cum,
        (24.0 + 1000.0 + 70_000.0) * iterations
    );
    let inuse = top(&allocs_file, &["-sample_index=inuse_space", "-unit=B"]);
    assert!(
        inuse
            .iter()
            .find(|r| r.name == "cpu_soak::churn")
            .is_none_or(|r| r.cum == 0.0),
        "{inuse:#?}"
    );

    // The CPU profile reads, and the soak's threads are in it.
    let cpu = top(&cpu_file, &[]);
    assert!(row(&cpu, "cpu_soak::churn").cum > 0.5e9, "{cpu:#?}");
}
