//! Overhead compensation, measured: 1 million instrumented leaf calls of
//! about 200 ns of real work each (10 per `mid` call, under one `root`).
//! Prints the uninstrumented wall time of the same work, and the root's cum
//! as inprof reports it with and without compensation.
//!
//! ```text
//! cargo run --release --example overhead
//! ```

use std::hint::black_box;
use std::time::Instant;

const MIDS: u32 = 100_000;
const LEAVES: u32 = 10;

#[inline(always)]
fn work(rounds: u32) -> u64 {
    let mut x = black_box(0x9E37_79B9_7F4A_7C15u64);
    for _ in 0..rounds {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x = black_box(x);
    }
    x
}

// The uninstrumented program.
#[inline(never)]
fn plain_leaf(r: u32) -> u64 {
    work(r)
}
#[inline(never)]
fn plain_mid(r: u32) -> u64 {
    (0..LEAVES).fold(0, |a, _| a ^ plain_leaf(r))
}
#[inline(never)]
fn plain_root(r: u32) -> u64 {
    (0..MIDS).fold(0, |a, _| a ^ plain_mid(r))
}

// The same program, instrumented.
#[inprof::profile]
#[inline(never)]
fn leaf(r: u32) -> u64 {
    work(r)
}
#[inprof::profile]
#[inline(never)]
fn mid(r: u32) -> u64 {
    (0..LEAVES).fold(0, |a, _| a ^ leaf(r))
}
#[inprof::profile]
#[inline(never)]
fn root(r: u32) -> u64 {
    (0..MIDS).fold(0, |a, _| a ^ mid(r))
}

fn cum_of(p: &inprof::pprof::Profile, name: &str) -> f64 {
    let idx = inprof::report::sample_index(p, Some("wall")).expect("wall");
    inprof::report::top(p, idx)
        .into_iter()
        .find(|r| r.name == name)
        .map(|r| r.cum as f64)
        .unwrap_or(0.0)
}

fn main() {
    // Rounds of work that take about 200 ns.
    let t = Instant::now();
    black_box(work(1_000_000));
    let ns_per_round = t.elapsed().as_nanos() as f64 / 1e6;
    let rounds = (200.0 / ns_per_round).round().max(1.0) as u32;
    let t = Instant::now();
    black_box(work(rounds * 10_000));
    let leaf_ns = t.elapsed().as_nanos() as f64 / 10_000.0;

    inprof::overhead(); // calibrate up front
    let mut plain = f64::MAX;
    let mut comp = f64::MAX;
    let mut raw = f64::MAX;
    for _ in 0..7 {
        let t = Instant::now();
        black_box(plain_root(black_box(rounds)));
        plain = plain.min(t.elapsed().as_nanos() as f64);

        let iv = inprof::begin_interval();
        black_box(root(black_box(rounds)));
        inprof::set_overhead_compensation(true);
        comp = comp.min(cum_of(&iv.profile(), "overhead::root"));
        inprof::set_overhead_compensation(false);
        raw = raw.min(cum_of(&iv.profile(), "overhead::root"));
        inprof::set_overhead_compensation(true);
    }
    let ov = inprof::overhead();
    println!("leaf work:                      {leaf_ns:.0} ns ({rounds} rounds)");
    println!(
        "calls:                          {} leaf, {} mid, 1 root",
        MIDS * LEAVES,
        MIDS
    );
    println!(
        "calibrated cost per call:       {:.1} ticks inside, {:.1} ticks enter+exit",
        ov.inside, ov.full
    );
    println!("uninstrumented wall time:       {:.2} ms", plain / 1e6);
    println!(
        "root cum, compensated:          {:.2} ms ({:+.2}% vs uninstrumented)",
        comp / 1e6,
        (comp / plain - 1.0) * 100.0
    );
    println!(
        "root cum, not compensated:      {:.2} ms ({:+.2}% vs uninstrumented)",
        raw / 1e6,
        (raw / plain - 1.0) * 100.0
    );
}
