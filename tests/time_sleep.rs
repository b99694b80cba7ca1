//! A function that sleeps 30 ms, called 5 times from `outer`: flat 150 ms
//! ± 5 % and 5 calls; `outer` cum = 150 ms + its own work.

mod common;
use common::*;
use std::time::{Duration, Instant};

#[inprof::profile]
fn sleepy() {
    std::thread::sleep(Duration::from_millis(30));
}

/// The measured time of the `sleepy` calls: the truth to check against.
static SLEPT_NS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

#[inprof::profile]
fn outer() {
    for _ in 0..5 {
        let t = Instant::now();
        sleepy();
        SLEPT_NS.fetch_add(
            t.elapsed().as_nanos() as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
    }
    // 20 ms of its own work.
    let t = Instant::now();
    while t.elapsed() < Duration::from_millis(20) {
        std::hint::black_box(0);
    }
}

#[test]
fn sleeping_function_has_exact_flat_and_calls() {
    let dir = tmpdir("sleep");
    let file = dir.join("cpu.pb.gz");
    let guard = inprof::start_cpu_profile(std::fs::File::create(&file).unwrap()).unwrap();
    outer();
    guard.stop().unwrap();

    raw(&file);
    let wall = top(&file, &["-sample_index=wall"]);
    let s = row(&wall, "time_sleep::sleepy");
    let truth = SLEPT_NS.load(std::sync::atomic::Ordering::Relaxed) as f64;
    assert_near("sleepy flat vs the measured calls", s.flat, truth, 0.01);
    assert_near("sleepy flat vs 5 × 30 ms", s.flat, 150e6, 0.05);
    assert_near("sleepy cum", s.cum, s.flat, 0.001);
    let o = row(&wall, "time_sleep::outer");
    assert_near("outer cum", o.cum, s.cum + 20e6, 0.05);
    assert_near("outer flat", o.flat, 20e6, 0.25);

    let calls = top(&file, &["-sample_index=calls"]);
    assert_eq!(row(&calls, "time_sleep::sleepy").flat, 5.0);
    assert_eq!(row(&calls, "time_sleep::outer").flat, 1.0);

    // Sample types, names and default as pprof reads them.
    let r = raw(&file);
    // A CPU profile as Go writes it, with the exact types after.
    assert!(
        r.contains("samples/count cpu/nanoseconds[dflt] calls/count wall/nanoseconds"),
        "{r}"
    );
    assert!(r.contains("PeriodType: cpu nanoseconds"), "{r}");
    assert!(
        r.contains("thread:[sleeping_function_has_exact_flat_and_calls]"),
        "{r}"
    );
    assert!(r.contains("[FN][FL][LN]"), "{r}");
    assert!(
        r.contains("tests/time_sleep.rs:9"),
        "function start line: {r}"
    );
}
