//! Regression: with native heap stacks on, building the heap profile held
//! the aggregation lock while pushing into a Vec; the push allocated, was
//! sampled, and took the same lock (a self-deadlock, and a process-wide
//! hang under threads). Sampling now takes no lock and allocates nothing:
//! 1000 live Vecs and 200 profile writes at every rate, then 16 threads
//! allocating while another writes profiles, all within a deadline.

mod common;
use common::*;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOC: inprof::Alloc = inprof::Alloc::system();

#[inprof::profile]
fn keep(n: usize) -> Vec<Vec<u64>> {
    (0..n).map(|i| vec![i as u64; 1 + i % 64]).collect()
}

/// Allocates until `stop`; counts itself in `started` once it has
/// allocated, so that the profiles are written while every thread runs
/// (on 2 cores a thread may otherwise not start before `stop` is set).
/// Returns how many allocations it made.
#[inprof::profile]
fn churn(stop: &AtomicBool, started: &AtomicUsize) -> u64 {
    let mut n = 0u64;
    let mut allocations = 0u64;
    loop {
        let v: Vec<u8> = vec![n as u8; 16 + (n as usize % 2000)];
        n = n.wrapping_add(v.len() as u64);
        let s = format!("{n}");
        n = n.wrapping_add(s.len() as u64);
        allocations += 2;
        if allocations == 2 {
            started.fetch_add(1, Ordering::SeqCst);
        }
        if stop.load(Ordering::Relaxed) {
            return allocations;
        }
    }
}

/// Runs `f` on a thread and fails the test if it is not done by `limit`.
fn within(limit: Duration, what: &str, f: impl FnOnce() + Send + 'static) {
    let done = std::sync::Arc::new(AtomicBool::new(false));
    let d = done.clone();
    let h = std::thread::spawn(move || {
        f();
        d.store(true, Ordering::SeqCst);
    });
    let t0 = Instant::now();
    while !done.load(Ordering::SeqCst) {
        if t0.elapsed() > limit {
            // A deadlocked allocator would also block a panic message
            // (it allocates): say so without allocating, and exit.
            let msg = b": deadlock (still running after the deadline)\n";
            // SAFETY: writes two existing buffers to stderr, then ends the
            // process without running anything that could allocate.
            unsafe {
                libc::write(2, what.as_ptr().cast(), what.len());
                libc::write(2, msg.as_ptr().cast(), msg.len());
                libc::_exit(101);
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    h.join().unwrap();
}

#[test]
fn native_sampling_never_deadlocks() {
    for rate in [1usize, 64, 4096, inprof::DEFAULT_MEM_PROFILE_RATE] {
        within(
            Duration::from_secs(120),
            &format!("rate {rate}"),
            move || {
                inprof::set_mem_profile_rate(rate);
                let live = keep(1000);
                for _ in 0..200 {
                    let mut out = Vec::new();
                    inprof::write_heap_profile(&mut out).unwrap();
                    assert!(!out.is_empty());
                }
                drop(live);
            },
        );
    }

    // 16 threads allocating with every allocation sampled, while this
    // thread writes profiles.
    inprof::set_mem_profile_rate(1);
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let started = std::sync::Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let (s, st) = (stop.clone(), started.clone());
            inprof::thread::spawn(move || churn(&s, &st))
        })
        .collect();
    within(Duration::from_secs(120), "16 threads", move || {
        while started.load(Ordering::SeqCst) < 16 {
            std::thread::sleep(Duration::from_millis(1));
        }
        for _ in 0..50 {
            let mut out = Vec::new();
            inprof::write_heap_profile(&mut out).unwrap();
        }
    });
    // One more, still while all 16 run: their allocations are in it, at
    // `churn`, with native frames below (every allocation sampled).
    let file = tmpdir("native-deadlock").join("heap.pb.gz");
    inprof::write_heap_profile(std::fs::File::create(&file).unwrap()).unwrap();
    stop.store(true, Ordering::SeqCst);
    let made: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
    inprof::set_mem_profile_rate(0);
    // Read by the real reader.
    let objs = top(&file, &["-sample_index=alloc_objects"]);
    let churn = row(&objs, "heap_native_deadlock::churn");
    // Every thread's first two allocations were made before the profile
    // (each counted itself in `started` after them), and the profile
    // counts every allocation (rate 1).
    assert!(
        churn.cum >= 32.0,
        "churn allocations in the profile: {} (the threads made {made} by the end)",
        churn.cum
    );
}
