//! The classic Go pprof demo, ported: `increase_int` calls `increase1000`
//! and `increase2000` (twice the work) on the main thread and on a spawned
//! thread. Writes `cpu.pb.gz` (or the path given as the first argument) and
//! prints a top table.
//!
//! ```text
//! cargo run --release --example quickstart
//! go tool pprof -top cpu.pb.gz
//! ```

use std::hint::black_box;

#[inprof::profile]
fn increase1000(n: &mut u64) {
    step(n, 1000);
}

#[inprof::profile]
fn increase2000(n: &mut u64) {
    step(n, 2000);
}

/// `count` units of a xorshift chain, 16 rounds a unit: each round depends
/// on the last, so the work is the same per unit and cannot be folded away.
/// A call of `increase1000` takes about 37 µs (Intel VM, 2026-12-05), far
/// above the time under which inprof demotes a function as too short to
/// time honestly (64 timed calls' cost: 1 to 3 µs on the VMs so far). With
/// one round a unit it took 2.2 µs there, under that VM's 2.8 µs (its
/// counter reads cost 16 ns each), and was demoted after 256 calls.
#[inline(always)]
fn step(n: &mut u64, count: u32) {
    let mut x = black_box(*n | 1);
    for _ in 0..count {
        for _ in 0..16 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }
        x = black_box(x);
    }
    black_box(x);
    *n += u64::from(count);
}

#[inprof::profile]
fn increase_int(rounds: u64) -> u64 {
    let mut n = 0;
    for _ in 0..rounds {
        increase1000(&mut n);
        increase2000(&mut n);
    }
    n
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "cpu.pb.gz".into());
    let rounds: u64 = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(if cfg!(debug_assertions) { 200 } else { 5_000 });

    let guard = inprof::start_cpu_profile(inprof::create_private_file(&path)?)?;
    let worker = std::thread::Builder::new()
        .name("worker".into())
        .spawn(move || increase_int(rounds))?;
    let a = increase_int(rounds);
    let b = worker.join().map_err(|_| "worker panicked")?;
    guard.stop()?;
    assert_eq!(a + b, 2 * 3000 * rounds);

    let profile = inprof::pprof::Profile::decode(&std::fs::read(&path)?)?;
    println!("wrote {path}");
    // The default: sampled CPU (what `go tool pprof -top` shows), if this
    // platform samples it.
    if let Some(cpu) = inprof::report::sample_index(&profile, Some("cpu")) {
        print!("{}", inprof::report::format_top(&profile, cpu, 10));
        println!();
    }
    // Exact wall time per call path (`-sample_index=wall`).
    let wall = inprof::report::sample_index(&profile, Some("wall")).ok_or("no wall samples")?;
    print!("{}", inprof::report::format_top(&profile, wall, 10));
    println!("\nread it with: go tool pprof -top {path}  (exact: -sample_index=wall)");
    Ok(())
}
