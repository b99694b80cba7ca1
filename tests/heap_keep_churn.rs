//! `keep()` keeps 100 blocks of 1000 bytes; `churn()` allocates and frees
//! 50 blocks of 2000 bytes. The heap and allocs profiles, as `go tool
//! pprof` reads them, hold exactly that.

mod common;
use common::*;
use std::hint::black_box;

#[global_allocator]
static ALLOC: inprof::Alloc = inprof::Alloc::system();

#[inprof::profile]
fn keep() -> Vec<Vec<u8>> {
    // The outer Vec is keep's too: 100 × 24 bytes, one allocation.
    let mut v = Vec::with_capacity(100);
    for _ in 0..100 {
        v.push(black_box(vec![1u8; 1000]));
    }
    v
}

#[inprof::profile]
fn churn() {
    for _ in 0..50 {
        drop(black_box(vec![2u8; 2000]));
    }
}

fn raw_values(raw: &str, func: &str) -> Vec<[i64; 4]> {
    // `-raw` prints each sample as `v1 v2 v3 v4: loc-ids` and then the
    // locations table; map ids to names first.
    let mut names = std::collections::HashMap::new();
    let mut in_locs = false;
    for line in raw.lines() {
        if line.starts_with("Locations") {
            in_locs = true;
            continue;
        }
        if line.starts_with("Mappings") {
            break;
        }
        if in_locs {
            // `ID: ADDRESS [M=MAPPING] NAME FILE:LINE ...` (instrumented
            // locations have no mapping).
            let f: Vec<&str> = line
                .split_whitespace()
                .filter(|w| !w.starts_with("M="))
                .collect();
            if f.len() >= 3 {
                names.insert(f[0].trim_end_matches(':').to_string(), f[2].to_string());
            }
        }
    }
    let mut out = Vec::new();
    for line in raw.lines() {
        if let Some((vals, locs)) = line.split_once(':') {
            let v: Vec<i64> = vals
                .split_whitespace()
                .filter_map(|x| x.parse().ok())
                .collect();
            let l: Vec<&str> = locs.split_whitespace().collect();
            if v.len() == 4 && !l.is_empty() && names.get(l[0]).map(String::as_str) == Some(func) {
                out.push([v[0], v[1], v[2], v[3]]);
            }
        }
    }
    out
}

#[test]
fn keep_and_churn_are_exact() {
    let kept = keep();
    churn();
    let dir = tmpdir("heap");
    let file = dir.join("heap.pb.gz");
    inprof::write_heap_profile(std::fs::File::create(&file).unwrap()).unwrap();

    let hraw = raw(&file);
    assert!(
        hraw.contains(
            "alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes[dflt]"
        ),
        "{hraw}"
    );
    assert!(hraw.contains("PeriodType: space bytes"), "{hraw}");
    assert_eq!(
        raw_values(&hraw, "heap_keep_churn::keep"),
        vec![[101, 102_400, 101, 102_400]]
    );
    assert_eq!(
        raw_values(&hraw, "heap_keep_churn::churn"),
        vec![[50, 100_000, 0, 0]]
    );
    assert!(
        hraw.contains("bytes:[1013]"),
        "average-size label of keep: {hraw}"
    );

    // The same through -top, exact in bytes.
    let inuse = top(&file, &["-sample_index=inuse_space", "-unit=B"]);
    assert_eq!(row(&inuse, "heap_keep_churn::keep").flat, 102_400.0);
    assert!(!inuse
        .iter()
        .any(|r| r.name == "heap_keep_churn::churn" && r.flat != 0.0));
    let objs = top(&file, &["-sample_index=alloc_objects"]);
    assert_eq!(row(&objs, "heap_keep_churn::churn").flat, 50.0);
    assert_eq!(row(&objs, "heap_keep_churn::keep").flat, 101.0);
    let space = top(&file, &["-sample_index=alloc_space", "-unit=B"]);
    assert_eq!(row(&space, "heap_keep_churn::churn").flat, 100_000.0);

    // allocs: same samples, default alloc_space.
    let afile = dir.join("allocs.pb.gz");
    inprof::lookup("allocs")
        .unwrap()
        .write_to(std::fs::File::create(&afile).unwrap(), 0)
        .unwrap();
    let araw = raw(&afile);
    assert!(araw.contains("alloc_space/bytes[dflt]"), "{araw}");
    assert_eq!(
        raw_values(&araw, "heap_keep_churn::churn"),
        vec![[50, 100_000, 0, 0]]
    );

    // debug=1 text form with its MemStats-like trailer.
    let mut text = Vec::new();
    inprof::lookup("heap")
        .unwrap()
        .write_to(&mut text, 1)
        .unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(text.starts_with("heap profile: "), "{text}");
    assert!(text.contains("101: 102400 [101: 102400] @"), "{text}");
    assert!(text.contains("heap_keep_churn::keep+0x0"), "{text}");
    assert!(text.contains("# TotalAlloc = "), "{text}");

    // heap_stats: the test's assertion use, exact deltas.
    let before = inprof::heap_stats();
    churn();
    let after = inprof::heap_stats();
    assert_eq!(after.allocations - before.allocations, 50);
    assert_eq!(after.frees - before.frees, 50);
    assert_eq!(
        after.total_allocated_bytes - before.total_allocated_bytes,
        100_000
    );
    assert_eq!(after.live_bytes, before.live_bytes);
    assert!(after.peak_live_bytes >= after.live_bytes);
    assert!(after.live_bytes >= 102_400);
    drop(kept);
    let freed = inprof::heap_stats();
    assert_eq!(after.live_bytes - freed.live_bytes, 102_400);
}
