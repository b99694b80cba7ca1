//! Allocation inside thread-local destructors, and 32 threads allocating
//! and exiting concurrently: no crash, no deadlock, totals exact.

mod common;
use common::*;
use std::cell::RefCell;

#[global_allocator]
static ALLOC: inprof::Alloc = inprof::Alloc::system();

struct AllocOnDrop;

impl Drop for AllocOnDrop {
    fn drop(&mut self) {
        // Allocates and frees while the thread's TLS is being torn down.
        let v = std::hint::black_box(vec![0u8; 333]);
        KEEP.with(|_| ());
        drop(v);
        LEAK.with(|l| l.borrow_mut().push(Box::new(5)));
    }
}

thread_local! {
    static GUARD: AllocOnDrop = const { AllocOnDrop };
    static KEEP: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    #[allow(clippy::vec_box)] // a separate heap block per element, on purpose
    static LEAK: RefCell<Vec<Box<u64>>> = const { RefCell::new(Vec::new()) };
}

#[inprof::profile]
fn worker(i: usize) -> usize {
    GUARD.with(|_| ());
    let mut keep = Vec::new();
    for k in 0..100 {
        let b = vec![i as u8; 64 + k];
        if k % 10 == 0 {
            keep.push(b);
        }
    }
    // 10 blocks kept (returned), 90 freed here.
    keep.into_iter().map(|b| b.len()).sum()
}

#[test]
fn tls_destructors_and_many_exiting_threads() {
    let before = inprof::heap_stats();
    let handles: Vec<_> = (0..32)
        .map(|i| {
            std::thread::Builder::new()
                .name(format!("t{i}"))
                .spawn(move || worker(i))
                .unwrap()
        })
        .collect();
    let total: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(total, 32 * (64 * 10 + (0..100).step_by(10).sum::<usize>()));
    let after = inprof::heap_stats();
    assert!(after.allocations > before.allocations);

    let dir = tmpdir("tls");
    let file = dir.join("heap.pb.gz");
    inprof::write_heap_profile(std::fs::File::create(&file).unwrap()).unwrap();
    // Every worker made exactly 100 blocks + the keep Vec's growth
    // (capacity 4 → 8 → 16: 3 allocations) = 103 allocations, all freed.
    let objs = top(&file, &["-sample_index=alloc_objects"]);
    assert_eq!(row(&objs, "heap_threads_tls::worker").flat, 32.0 * 103.0);
    let inuse = top(&file, &["-sample_index=inuse_space", "-unit=B"]);
    assert!(
        !inuse
            .iter()
            .any(|r| r.name == "heap_threads_tls::worker" && r.flat != 0.0),
        "{inuse:#?}"
    );
    // The TLS destructors' allocations are accounted (at each thread's root).
    let space = top(&file, &["-sample_index=alloc_space", "-unit=B"]);
    let roots: f64 = space
        .iter()
        .filter(|r| r.name.starts_with("[t"))
        .map(|r| r.flat)
        .sum();
    assert!(roots >= 32.0 * 333.0, "tls allocations missing: {roots}");
}
