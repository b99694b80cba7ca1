//! Block profile rate: 0 records nothing; a rate far above the events'
//! delays keeps them with probability delay/rate and scales them back, so
//! totals stay unbiased (within 15 % over many short waits).

mod common;
use common::*;
use std::time::{Duration, Instant};

#[inprof::profile]
fn unrecorded(r: &inprof::channel::Receiver<u32>, n: usize) {
    for _ in 0..n {
        r.recv().unwrap();
    }
}

#[inprof::profile]
fn sampled(r: &inprof::channel::Receiver<u32>, n: usize) -> Duration {
    let mut truth = Duration::ZERO;
    for _ in 0..n {
        let t = Instant::now();
        r.recv().unwrap();
        truth += t.elapsed();
    }
    truth
}

fn producer(n: usize) -> (inprof::channel::Receiver<u32>, std::thread::JoinHandle<()>) {
    let (s, r) = inprof::channel::unbounded();
    let h = std::thread::spawn(move || {
        for i in 0..n {
            std::thread::sleep(Duration::from_micros(40));
            s.send(i as u32).unwrap();
        }
    });
    (r, h)
}

#[test]
fn rate_zero_records_nothing_and_sampling_is_unbiased() {
    inprof::set_block_profile_rate(0);
    let (r, h) = producer(200);
    unrecorded(&r, 200);
    h.join().unwrap();

    // Waits here are ~50-150 µs; a 1 ms rate keeps ~10 % of them. The
    // estimate's relative spread is about sqrt(rate / total) ≈ 3.5 %, so the
    // 15 % bound is over 4 standard deviations.
    const N: usize = 8000;
    inprof::set_block_profile_rate(1_000_000);
    let (r, h) = producer(N);
    let truth = sampled(&r, N);
    h.join().unwrap();
    inprof::set_block_profile_rate(0);

    let dir = tmpdir("sampling");
    let file = dir.join("block.pb.gz");
    inprof::lookup("block")
        .unwrap()
        .write_to(std::fs::File::create(&file).unwrap(), 0)
        .unwrap();
    let rows = top(&file, &["-sample_index=delay"]);
    assert!(
        !rows.iter().any(|r| r.name.contains("unrecorded")),
        "rate 0 recorded: {rows:#?}"
    );
    let got = row(&rows, "contention_sampling::sampled").flat;
    assert_near(
        "sampled total delay vs truth",
        got,
        truth.as_nanos() as f64,
        0.15,
    );
    let count = row(
        &top(&file, &["-sample_index=contentions"]),
        "contention_sampling::sampled",
    )
    .flat;
    assert_near("sampled contentions vs waits", count, N as f64, 0.15);
}
