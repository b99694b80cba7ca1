//! The bounds of a call tree: past the node bound, new paths fold into one
//! overflow node that says how many paths it holds; past the depth bound
//! (Go's 128 frames by default), deeper calls fold into one node. Deep
//! recursion cannot exhaust memory, writing its profile takes bounded time,
//! and every call is still counted.

mod common;
use common::*;
use std::time::{Duration, Instant};

#[inprof::profile]
fn deep(n: u32) -> u32 {
    if n == 0 {
        0
    } else {
        1 + deep(n - 1)
    }
}

#[inprof::profile]
fn a(i: u32) -> u32 {
    i
}
#[inprof::profile]
fn b(i: u32) -> u32 {
    i
}
#[inprof::profile]
fn c(i: u32) -> u32 {
    i
}

/// A thread with room for 50 000 frames even in a debug build.
fn big_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(1 << 30)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn node_and_depth_bounds() {
    // The node bound: 100 nodes, then one overflow frame that names how
    // many distinct paths went there (here one: `deep` below node 99).
    inprof::set_max_nodes(100);
    assert_eq!(big_stack(|| deep(5000)), 5000);
    let dir = tmpdir("overflow");
    let file = dir.join("time.pb.gz");
    inprof::write_time_profile(std::fs::File::create(&file).unwrap()).unwrap();
    let calls = top(&file, &["-sample_index=calls"]);
    let deep_calls = row(&calls, "overflow::deep").flat;
    let over = row(&calls, "[inprof: 1 paths folded]").flat;
    assert_eq!(deep_calls + over, 5001.0, "every call counted");
    assert!(deep_calls <= 100.0);
    let r = raw(&file);
    assert!(r.contains("1 call paths past the node limit"), "{r}");

    // Distinct dropped paths are counted: three leaves under a full tree.
    big_stack(|| {
        // Fill this thread's tree first.
        deep(200);
        for i in 0..10 {
            a(i);
            b(i);
            c(i);
        }
    });
    let file1 = dir.join("time1.pb.gz");
    inprof::write_time_profile(std::fs::File::create(&file1).unwrap()).unwrap();
    let calls = top(&file1, &["-sample_index=calls"]);
    // `deep` below node 99 (99 of the 201 calls of deep(200) got nodes),
    // and `a`, `b`, `c` below the root: 4 paths, whose 102 + 30 calls are
    // all counted there.
    assert_eq!(row(&calls, "[inprof: 4 paths folded]").flat, 102.0 + 30.0);
    inprof::set_max_nodes(inprof_default_nodes());

    // The depth bound: recursion 50 000 deep keeps 128 levels; the rest is
    // counted in one node, and the profile is written fast.
    let rss0 = rss_kib();
    let n = big_stack(|| deep(50_000));
    assert_eq!(n, 50_000);
    let t0 = Instant::now();
    let file2 = dir.join("deep.pb.gz");
    inprof::write_time_profile(std::fs::File::create(&file2).unwrap()).unwrap();
    let took = t0.elapsed();
    assert!(took < Duration::from_secs(5), "writing took {took:?}");
    assert!(
        rss_kib() < rss0 + 64 * 1024,
        "{} -> {} KiB",
        rss0,
        rss_kib()
    );
    let calls = top(&file2, &["-sample_index=calls"]);
    let folded = row(&calls, "[inprof: deeper frames folded]").flat;
    assert!(folded > 0.0);
    // Every call of the 50 000-deep recursion is counted somewhere.
    let total: f64 = calls.iter().map(|r| r.flat).sum();
    assert!(total >= 50_001.0, "{total}");
    let traces = traces(&file2, &["-sample_index=calls"]);
    let deepest = traces.iter().map(|(_, s)| s.len()).max().unwrap();
    assert!(deepest <= 130, "a stack of {deepest} frames");
}

fn inprof_default_nodes() -> usize {
    1 << 20
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}
