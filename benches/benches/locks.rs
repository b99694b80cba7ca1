//! Lock and channel overhead: inprof's wrappers against what they wrap
//! (parking_lot, crossbeam-channel) and std, in the same run.
//!
//! `cargo bench -p inprof-benches --bench locks`

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use std::time::{Duration, Instant};

fn uncontended(c: &mut Criterion) {
    let mut g = c.benchmark_group("mutex_uncontended_lock_unlock");
    g.measurement_time(Duration::from_secs(3));
    let pl = parking_lot::Mutex::new(0u64);
    let ip = inprof::sync::Mutex::new(0u64);
    let st = std::sync::Mutex::new(0u64);
    g.bench_function("parking_lot", |b| b.iter(|| *black_box(&pl).lock() += 1));
    g.bench_function("inprof", |b| b.iter(|| *black_box(&ip).lock() += 1));
    g.bench_function("std", |b| b.iter(|| *black_box(&st).lock().unwrap() += 1));
    g.finish();
}

fn contended_run<L: Sync>(lock: &L, f: impl Fn(&L) + Sync, iters: u64) -> Duration {
    std::thread::scope(|s| {
        let hs: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    let t = Instant::now();
                    for _ in 0..iters {
                        f(lock);
                    }
                    t.elapsed()
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).max().unwrap()
    })
}

fn contended(c: &mut Criterion) {
    inprof::set_block_profile_rate(1);
    inprof::set_mutex_profile_fraction(1);
    let mut g = c.benchmark_group("mutex_contended_2_threads_per_op");
    g.measurement_time(Duration::from_secs(3));
    let pl = parking_lot::Mutex::new(0u64);
    let ip = inprof::sync::Mutex::new(0u64);
    let st = std::sync::Mutex::new(0u64);
    g.bench_function("parking_lot", |b| {
        b.iter_custom(|n| contended_run(&pl, |l| *l.lock() += 1, n))
    });
    g.bench_function("inprof_profiles_on", |b| {
        b.iter_custom(|n| contended_run(&ip, |l| *l.lock() += 1, n))
    });
    g.bench_function("std", |b| {
        b.iter_custom(|n| contended_run(&st, |l| *l.lock().unwrap() += 1, n))
    });
    g.finish();
    inprof::set_block_profile_rate(0);
    inprof::set_mutex_profile_fraction(0);
}

fn channels(c: &mut Criterion) {
    let mut g = c.benchmark_group("channel_send_recv_same_thread");
    g.measurement_time(Duration::from_secs(3));
    let (cs, cr) = crossbeam_channel::bounded::<u64>(64);
    let (is, ir) = inprof::channel::bounded::<u64>(64);
    g.bench_function("crossbeam", |b| {
        b.iter(|| {
            cs.send(black_box(1)).unwrap();
            cr.recv().unwrap()
        })
    });
    g.bench_function("inprof", |b| {
        b.iter(|| {
            is.send(black_box(1)).unwrap();
            ir.recv().unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, uncontended, contended, channels);
criterion_main!(benches);
