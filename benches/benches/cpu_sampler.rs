//! CPU sampler overhead: two busy threads, each doing fixed units of work
//! (an annotated function calling unannotated code, as real programs do),
//! timed with no sampling, with inprof sampling at 100 Hz and 1 kHz, and
//! with pprof-rs (the sampling profiler a Rust user would pick instead) at
//! the same rates, all in the same run. The figure to read is each row's
//! time over `off`.
//!
//! `cargo bench -p inprof-benches --bench cpu_sampler`

use criterion::{criterion_group, criterion_main, Criterion};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// One unit of work: about 1 ms of integer mixing in an unannotated helper.
#[inline(never)]
fn mix(seed: u64) -> u64 {
    let mut x = seed | 1;
    for _ in 0..400_000 {
        x = std::hint::black_box(
            x.wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407),
        );
    }
    x
}

#[inprof::profile]
fn unit(seed: u64) -> u64 {
    mix(seed)
}

/// Two long-lived workers (so their timers exist before timing starts);
/// each call runs `n` units on each and returns the time both took.
struct Workers {
    go: Vec<mpsc::Sender<u64>>,
    done: mpsc::Receiver<()>,
}

impl Workers {
    fn new() -> Workers {
        let (dtx, done) = mpsc::channel();
        let go = (0..2)
            .map(|w| {
                let (tx, rx) = mpsc::channel::<u64>();
                let dtx = dtx.clone();
                std::thread::Builder::new()
                    .name(format!("busy-{w}"))
                    .spawn(move || {
                        for n in rx {
                            let mut acc = 0u64;
                            for i in 0..n {
                                acc = acc.wrapping_add(unit(i ^ w));
                            }
                            std::hint::black_box(acc);
                            dtx.send(()).unwrap();
                        }
                    })
                    .unwrap();
                tx
            })
            .collect();
        Workers { go, done }
    }

    fn run(&self, n: u64) -> Duration {
        let t = Instant::now();
        for g in &self.go {
            g.send(n).unwrap();
        }
        for _ in &self.go {
            self.done.recv().unwrap();
        }
        t.elapsed()
    }
}

fn sampler(c: &mut Criterion) {
    let w = Workers::new();
    // Warm up: callsites named, trees registered.
    w.run(5);
    // Let the sampler's controller see the workers' threads before timing.
    let settle = || std::thread::sleep(Duration::from_millis(50));
    let mut g = c.benchmark_group("cpu_sampler_2_busy_threads_per_unit");
    g.measurement_time(Duration::from_secs(6));
    g.sample_size(30);
    g.bench_function("off", |b| b.iter_custom(|n| w.run(n)));
    for hz in [100u32, 1000] {
        inprof::set_cpu_profile_rate(hz);
        let iv = inprof::begin_interval();
        settle();
        g.bench_function(format!("inprof_{hz}hz"), |b| b.iter_custom(|n| w.run(n)));
        let p = iv.profile();
        let taken: i64 = p.sample.iter().map(|s| s.value[0]).sum();
        assert!(taken > 0, "the sampler took no samples");
        drop(iv);
    }
    for hz in [100i32, 1000] {
        let guard = pprof::ProfilerGuardBuilder::default()
            .frequency(hz)
            .build()
            .unwrap();
        settle();
        g.bench_function(format!("pprof_rs_{hz}hz"), |b| b.iter_custom(|n| w.run(n)));
        let report = guard.report().build().unwrap();
        assert!(!report.data.is_empty(), "pprof-rs took no samples");
    }
    g.finish();
    inprof::set_cpu_profile_rate(inprof::DEFAULT_CPU_PROFILE_RATE);
}

criterion_group!(benches, sampler);
criterion_main!(benches);
