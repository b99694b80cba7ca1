//! 100 000 short threads: their call trees are folded into one aggregate
//! per thread name once more than the bound have exited, so memory stays
//! bounded, and every total stays exact: calls, allocations, frees, live
//! blocks still held after their threads exited, threads created.

mod common;
use common::*;
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOC: inprof::Alloc = inprof::Alloc::system();

#[inprof::profile]
fn work(i: usize) -> Option<Vec<u8>> {
    let scratch = vec![i as u8; 100];
    let keep = i.is_multiple_of(1000).then(|| vec![1u8; 1000]);
    std::hint::black_box(scratch);
    keep
}

#[inprof::profile]
fn spawner(n: usize, batch: usize) -> Vec<Vec<u8>> {
    let mut kept = Vec::new();
    let mut i = 0;
    while i < n {
        let hs: Vec<_> = (i..(i + batch).min(n))
            .map(|k| {
                inprof::thread::Builder::new()
                    .name(format!("short-{k}"))
                    .spawn(move || work(k))
                    .unwrap()
            })
            .collect();
        for h in hs {
            if let Some(v) = h.join().unwrap() {
                kept.push(v);
            }
        }
        i += batch;
    }
    kept
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

#[test]
fn a_hundred_thousand_threads_in_bounded_memory_with_exact_totals() {
    const N: usize = 100_000;
    inprof::set_max_exited_threads(64);
    // Warm up: allocator, thread machinery, a first fold.
    drop(spawner(1000, 8));
    let rss0 = rss_kib();
    let stats0 = inprof::heap_stats();
    let kept = spawner(N, 8);
    let rss1 = rss_kib();
    let stats1 = inprof::heap_stats();
    assert_eq!(kept.len(), N / 1000);
    assert!(
        rss1 < rss0 + 24 * 1024,
        "RSS grew {rss0} -> {rss1} KiB over {N} threads"
    );

    // heap_stats stays exact and cheap (it sums sites, not every thread).
    let t0 = Instant::now();
    let s = inprof::heap_stats();
    let took = t0.elapsed();
    assert!(
        took < Duration::from_millis(200),
        "heap_stats took {took:?}"
    );
    // Each thread made 1 (+1 kept) allocation of its own in `work`; the
    // live ones are exactly the kept blocks and `kept`'s buffer.
    assert!(stats1.allocations - stats0.allocations >= (N + N / 1000) as u64);
    assert_eq!(
        s.live_bytes - stats0.live_bytes,
        stats1.live_bytes - stats0.live_bytes
    );

    let dir = tmpdir("fold");
    let time = dir.join("time.pb.gz");
    inprof::write_time_profile(std::fs::File::create(&time).unwrap()).unwrap();
    let calls = top(&time, &["-sample_index=calls"]);
    assert_eq!(row(&calls, "threads_fold::work").flat, (N + 1000) as f64);
    // Folded threads are merged under their name without its number.
    let tags = pprof(&["-tags"], &time);
    assert!(tags.contains("short"), "{tags}");

    let heap = dir.join("heap.pb.gz");
    inprof::write_heap_profile(std::fs::File::create(&heap).unwrap()).unwrap();
    let objs = top(&heap, &["-sample_index=alloc_objects"]);
    // Every allocation `work` made, in every thread, folded or not.
    assert_eq!(
        row(&objs, "threads_fold::work").flat,
        ((N + 1000) + (N + 1000) / 1000) as f64
    );
    let inuse = top(&heap, &["-sample_index=inuse_space", "-unit=B"]);
    // The blocks kept after their threads exited, still at `work`.
    assert_eq!(
        row(&inuse, "threads_fold::work").flat,
        ((N / 1000) * 1000) as f64
    );

    let tc = dir.join("threadcreate.pb.gz");
    inprof::lookup("threadcreate")
        .unwrap()
        .write_to(std::fs::File::create(&tc).unwrap(), 0)
        .unwrap();
    let created = top(&tc, &[]);
    assert_eq!(
        row(&created, "threads_fold::spawner").flat,
        (N + 1000) as f64
    );

    // Freeing the kept blocks after their trees were folded lands exactly.
    drop(kept);
    let heap2 = dir.join("heap2.pb.gz");
    inprof::write_heap_profile(std::fs::File::create(&heap2).unwrap()).unwrap();
    let inuse = top(&heap2, &["-sample_index=inuse_space", "-unit=B"]);
    assert!(
        !inuse
            .iter()
            .any(|r| r.name == "threads_fold::work" && r.flat != 0.0),
        "{inuse:#?}"
    );
}
