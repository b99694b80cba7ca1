//! The workload of the allocator memory bench: `count` live objects of
//! `size` bytes, allocated under an annotated function, then the process's
//! peak resident set size (VmHWM) printed in KiB.

/// Allocates `count` boxes of `size` bytes, keeps them all live, touches
/// each, and prints `peak_rss_kib=N` (Linux).
pub fn run() {
    let args: Vec<String> = std::env::args().collect();
    let size: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(16);
    let count: usize = args
        .get(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2_000_000);
    let live = keep(size, count);
    let sum: usize = live.iter().map(|b| b[size - 1] as usize).sum();
    std::hint::black_box(sum);
    println!("peak_rss_kib={}", peak_rss_kib());
    drop(live);
}

#[inprof::profile]
fn keep(size: usize, count: usize) -> Vec<Box<[u8]>> {
    let mut v = Vec::with_capacity(count);
    for i in 0..count {
        v.push(vec![i as u8; size].into_boxed_slice());
    }
    v
}

/// The peak resident set size of this process, KiB (0 where unknown).
pub fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}
