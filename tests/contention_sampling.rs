//! Block profile rate: 0 records nothing; a rate far above the events'
//! delays keeps them with probability delay/rate and scales them back, so
//! totals stay unbiased (within 15 % over many short waits).

mod common;
use common::*;
use std::time::{Duration, Instant};

/// The receiving side: tells the producer it is about to wait, then
/// receives (the producer sends 40 µs later, so the receive waits).
struct Consumer {
    r: inprof::channel::Receiver<u32>,
    ready: std::sync::mpsc::Sender<()>,
}

impl Consumer {
    fn recv(&self) {
        self.ready.send(()).unwrap();
        self.r.recv().unwrap();
    }
}

#[inprof::profile]
fn unrecorded(c: &Consumer, n: usize) {
    for _ in 0..n {
        c.recv();
    }
}

/// Receives `n` items; returns (time spent in receives that waited, how
/// many waited). A receive that finds an item takes well under a
/// microsecond; one that waits takes a futex wake-up (several µs), so
/// 2 µs tells them apart: the truth the sampled estimate is checked
/// against, whatever the machine's load did to either thread.
#[inprof::profile]
fn sampled(c: &Consumer, n: usize) -> (Duration, usize) {
    let mut truth = Duration::ZERO;
    let mut waited = 0;
    for _ in 0..n {
        c.ready.send(()).unwrap();
        let t = Instant::now();
        c.r.recv().unwrap();
        let e = t.elapsed();
        if e > Duration::from_micros(2) {
            truth += e;
            waited += 1;
        }
    }
    (truth, waited)
}

/// A producer that sends each item 40 µs after the consumer says it waits.
fn producer(n: usize) -> (Consumer, std::thread::JoinHandle<()>) {
    let (s, r) = inprof::channel::unbounded();
    let (ready, go) = std::sync::mpsc::channel::<()>();
    let h = std::thread::spawn(move || {
        for i in 0..n {
            go.recv().unwrap();
            std::thread::sleep(Duration::from_micros(40));
            s.send(i as u32).unwrap();
        }
    });
    (Consumer { r, ready }, h)
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
    let (truth, waited) = sampled(&r, N);
    assert!(waited > N / 4, "only {waited} of {N} receives waited");
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
    assert_near("sampled contentions vs waits", count, waited as f64, 0.15);
}
