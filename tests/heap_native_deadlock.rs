//! Regression: with native heap stacks on, building the heap profile held
//! the aggregation lock while pushing into a Vec; the push allocated, was
//! sampled, and took the same lock (a self-deadlock, and a process-wide
//! hang under threads). Sampling now takes no lock and allocates nothing:
//! 1000 live Vecs and 200 profile writes at every rate, then 16 threads
//! allocating while another writes profiles, all within a deadline.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOC: inprof::Alloc = inprof::Alloc::system();

#[inprof::profile]
fn keep(n: usize) -> Vec<Vec<u64>> {
    (0..n).map(|i| vec![i as u64; 1 + i % 64]).collect()
}

#[inprof::profile]
fn churn(stop: &AtomicBool) -> u64 {
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let v: Vec<u8> = vec![n as u8; 16 + (n as usize % 2000)];
        n = n.wrapping_add(v.len() as u64);
        let s = format!("{n}");
        n = n.wrapping_add(s.len() as u64);
    }
    n
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
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let s = stop.clone();
            inprof::thread::spawn(move || churn(&s))
        })
        .collect();
    within(Duration::from_secs(120), "16 threads", || {
        for _ in 0..50 {
            let mut out = Vec::new();
            inprof::write_heap_profile(&mut out).unwrap();
        }
    });
    stop.store(true, Ordering::SeqCst);
    for t in threads {
        assert!(t.join().unwrap() > 0);
    }
    inprof::set_mem_profile_rate(0);
}
