//! criterion with `--profile-time` (here set in code, as the flag sets it)
//! and inprof's Profiler: each benchmark writes a time profile that `go
//! tool pprof` reads, with the benchmarked function in it.

mod common;
use common::*;
use criterion::Criterion;
use std::time::Duration;

// `always`: fib's calls are far too short to time honestly, so by default
// it would be demoted after 256 calls; this test pins exact counts.
#[inprof::profile(always)]
fn fib(n: u32) -> u64 {
    if n < 2 {
        n as u64
    } else {
        fib(n - 1) + fib(n - 2)
    }
}

#[test]
fn profile_time_writes_pprof_profiles() {
    let dir = tmpdir("criterion");
    let mut c = Criterion::default()
        .with_profiler(inprof::criterion::Profiler::new())
        .profile_time(Some(Duration::from_millis(500)))
        .output_directory(&dir);
    let (wall0, cpu0) = (std::time::Instant::now(), thread_cpu_ns());
    c.bench_function("fib_12", |b| b.iter(|| fib(std::hint::black_box(12))));
    // The share of the benchmark's wall time this thread ran: a VM's host
    // may take the CPU away (once 40 % of it), which the sampled CPU does
    // not see and the exact wall time does.
    let ran = (thread_cpu_ns() - cpu0) / wall0.elapsed().as_nanos() as f64;
    let file = dir.join("fib_12").join("profile").join("time.pb.gz");
    assert!(file.exists(), "{} not written", file.display());
    #[cfg(unix)]
    assert_eq!(mode(&file), 0o600, "time.pb.gz readable by others");
    let calls = top(&file, &["-sample_index=calls"]);
    let f = row(&calls, "criterion_profiler::fib");
    // Every iteration is 465 calls of fib.
    assert!(
        f.flat >= 465.0 && (f.flat as u64).is_multiple_of(465),
        "fib calls {}",
        f.flat
    );
    let r = raw(&file);
    assert!(
        r.contains("samples/count cpu/nanoseconds[dflt] calls/count wall/nanoseconds"),
        "{r}"
    );
    // The benchmark is all CPU: the sampled CPU of fib agrees with its
    // exact wall time, of which the thread ran the share measured above.
    let cpu = row(&top(&file, &[]), "criterion_profiler::fib").cum;
    let wall = row(
        &top(&file, &["-sample_index=wall"]),
        "criterion_profiler::fib",
    )
    .cum;
    assert_near(
        &format!("fib cpu vs wall × {ran:.3} (the share the thread ran)"),
        cpu,
        wall * ran.min(1.0),
        0.15,
    );
}
