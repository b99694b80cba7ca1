//! Memory cost of `inprof::Alloc` against the system allocator: peak RSS of
//! a process holding 2 million live objects of each size, measured in
//! separate processes (one per allocator and size), run alternately three
//! times; the table shows the median ratio.
//!
//! `cargo bench -p inprof-benches --bench alloc_memory`

use std::process::Command;

fn peak(exe: &str, size: usize, count: usize) -> u64 {
    let out = Command::new(exe)
        .args([size.to_string(), count.to_string()])
        .output()
        .expect("running the workload");
    assert!(out.status.success(), "{exe} failed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("peak_rss_kib=").and_then(|v| v.parse().ok()))
        .expect("peak_rss_kib in the output")
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument filters sizes.
    let filter: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let count = 2_000_000;
    let system = env!("CARGO_BIN_EXE_mem_system");
    let inprof = env!("CARGO_BIN_EXE_mem_inprof");
    println!("{count} live objects per size; peak RSS, median of 3 alternating runs");
    println!(
        "{:>6} {:>12} {:>12} {:>7}",
        "bytes", "System MiB", "inprof MiB", "ratio"
    );
    for size in [8usize, 16, 24, 32, 40, 48, 56, 64, 128, 256] {
        if !filter.is_empty() && !filter.contains(&size) {
            continue;
        }
        let mut ratios = Vec::new();
        let (mut s_kib, mut i_kib) = (Vec::new(), Vec::new());
        for _ in 0..3 {
            let s = peak(system, size, count);
            let i = peak(inprof, size, count);
            ratios.push(i as f64 / s as f64);
            s_kib.push(s);
            i_kib.push(i);
        }
        ratios.sort_by(f64::total_cmp);
        s_kib.sort();
        i_kib.sort();
        println!(
            "{size:>6} {:>12.1} {:>12.1} {:>6.2}x",
            s_kib[1] as f64 / 1024.0,
            i_kib[1] as f64 / 1024.0,
            ratios[1]
        );
    }
}
