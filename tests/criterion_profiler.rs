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
    c.bench_function("fib_12", |b| b.iter(|| fib(std::hint::black_box(12))));
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
    // exact wall time.
    let cpu = row(&top(&file, &[]), "criterion_profiler::fib").cum;
    let wall = row(
        &top(&file, &["-sample_index=wall"]),
        "criterion_profiler::fib",
    )
    .cum;
    assert_near("fib cpu vs wall", cpu, wall, 0.15);
}
