//! Blocks of 17–24, 33–40 and 49–56 bytes live in inprof's own slots (a tag
//! word would push them into the system allocator's next size class):
//! counted exactly at the path that made them, contents kept across
//! reallocs between slot classes and the system allocator, zeroed when
//! asked, and never handed out twice under threads that allocate and free
//! each other's blocks.

mod common;
use common::*;
use std::alloc::{GlobalAlloc, Layout};

#[global_allocator]
static ALLOC: inprof::Alloc = inprof::Alloc::system();

/// 1000 blocks of each slot size (24, 40, 56) and of sizes beside them.
#[inprof::profile]
fn make_slots() -> Vec<Box<[u8]>> {
    let mut v = Vec::with_capacity(6000);
    for i in 0..1000 {
        for size in [17, 24, 33, 40, 49, 56] {
            v.push(vec![i as u8; size].into_boxed_slice());
        }
    }
    v
}

#[test]
fn slot_blocks_are_counted_exactly_at_their_path() {
    let blocks = make_slots();
    let dir = tmpdir("slots");
    let file = dir.join("heap.pb.gz");
    inprof::write_heap_profile(std::fs::File::create(&file).unwrap()).unwrap();
    let space = top(&file, &["-sample_index=inuse_space", "-unit=B"]);
    // The blocks, plus the Vec holding them (6000 pointers of 16 bytes).
    let want = 1000.0 * (17 + 24 + 33 + 40 + 49 + 56) as f64 + 6000.0 * 16.0;
    assert_eq!(row(&space, "heap_slots::make_slots").flat, want);
    let objects = top(&file, &["-sample_index=inuse_objects"]);
    assert_eq!(row(&objects, "heap_slots::make_slots").flat, 6001.0);
    for (i, b) in blocks.iter().enumerate() {
        assert!(b.iter().all(|&x| x == (i / 6) as u8), "block {i} changed");
    }
    drop(blocks);
    // Freed: nothing left in use at the path, all of it still allocated
    // there (the other tests of this process run meanwhile: the process's
    // totals are not this test's).
    inprof::write_heap_profile(std::fs::File::create(&file).unwrap()).unwrap();
    let space = top(&file, &["-sample_index=inuse_space", "-unit=B"]);
    assert!(!space
        .iter()
        .any(|r| r.name == "heap_slots::make_slots" && r.flat != 0.0));
    let allocated = top(&file, &["-sample_index=alloc_space", "-unit=B"]);
    assert_eq!(row(&allocated, "heap_slots::make_slots").flat, want);
}

struct Raw(*mut u8, usize);

#[inprof::profile]
fn make_raw(size: usize) -> Raw {
    let l = Layout::from_size_align(size, 8).unwrap();
    // SAFETY: non-zero size.
    let p = unsafe { std::alloc::alloc(l) };
    assert!(!p.is_null());
    for i in 0..size {
        // SAFETY: p is valid for `size` bytes.
        unsafe { *p.add(i) = i as u8 };
    }
    Raw(p, size)
}

#[inprof::profile]
fn resize_raw(r: &mut Raw, to: usize) {
    let l = Layout::from_size_align(r.1, 8).unwrap();
    // SAFETY: r.0 came from the global allocator with layout l.
    let p = unsafe { std::alloc::realloc(r.0, l, to) };
    assert!(!p.is_null());
    for i in 0..r.1.min(to) {
        // SAFETY: p is valid for min(r.1, to) bytes.
        let byte = unsafe { *p.add(i) };
        assert_eq!(byte, i as u8, "byte {i} after {} -> {to}", r.1);
    }
    for i in 0..to {
        // SAFETY: p is valid for `to` bytes.
        unsafe { *p.add(i) = i as u8 };
    }
    *r = Raw(p, to);
}

#[test]
fn reallocs_between_slots_and_the_system_keep_contents_and_path() {
    // slot 24 -> same slot (20) -> slot 40 -> slot 56 -> system 100 ->
    // slot 24 -> system 8 -> slot 36.
    let mut r = make_raw(24);
    for to in [20, 40, 56, 100, 24, 8, 36] {
        resize_raw(&mut r, to);
    }
    let dir = tmpdir("slots-realloc");
    let file = dir.join("heap.pb.gz");
    inprof::write_heap_profile(std::fs::File::create(&file).unwrap()).unwrap();
    let space = top(&file, &["-sample_index=inuse_space", "-unit=B"]);
    assert_eq!(row(&space, "heap_slots::make_raw").flat, 36.0);
    assert!(!space
        .iter()
        .any(|r| r.name == "heap_slots::resize_raw" && r.flat != 0.0));
    // SAFETY: r.0 came from the global allocator with this layout.
    unsafe { std::alloc::dealloc(r.0, Layout::from_size_align(r.1, 8).unwrap()) };
    inprof::write_heap_profile(std::fs::File::create(&file).unwrap()).unwrap();
    let space = top(&file, &["-sample_index=inuse_space", "-unit=B"]);
    assert!(!space
        .iter()
        .any(|r| r.name == "heap_slots::make_raw" && r.flat != 0.0));
}

#[test]
fn zeroed_slots_are_zero_after_reuse() {
    let l = Layout::from_size_align(40, 8).unwrap();
    for _ in 0..100 {
        // SAFETY: valid layout; each block is written, freed, and a zeroed
        // one (likely the same slot) checked.
        unsafe {
            let p = ALLOC.alloc(l);
            assert!(!p.is_null());
            p.write_bytes(0xFF, 40);
            ALLOC.dealloc(p, l);
            let z = ALLOC.alloc_zeroed(l);
            assert!((0..40).all(|i| *z.add(i) == 0));
            ALLOC.dealloc(z, l);
        }
    }
}

#[test]
fn threads_freeing_each_others_slots_never_share_one() {
    // Four threads pass blocks round a ring: each fills its blocks with
    // its own pattern, checks every block it receives is intact, and frees
    // it; a slot handed out twice would show another pattern.
    const ROUNDS: usize = 20_000;
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..4)
        .map(|_| std::sync::mpsc::channel::<Vec<Box<[u8]>>>())
        .unzip();
    let mut handles = Vec::new();
    for (me, rx) in rxs.into_iter().enumerate() {
        let tx = txs[(me + 1) % 4].clone();
        handles.push(std::thread::spawn(move || {
            for round in 0..ROUNDS {
                let pattern = (me * 64 + round % 64) as u8;
                let batch: Vec<Box<[u8]>> = [20, 24, 40, 50, 56, 33]
                    .iter()
                    .map(|&s| vec![pattern; s].into_boxed_slice())
                    .collect();
                if tx.send(batch).is_err() {
                    break;
                }
                if let Ok(got) = rx.try_recv() {
                    for b in &got {
                        let first = b[0];
                        assert!(b.iter().all(|&x| x == first), "a slot was shared");
                    }
                }
            }
            while let Ok(got) = rx.recv_timeout(std::time::Duration::from_millis(200)) {
                drop(got);
            }
        }));
    }
    drop(txs);
    for h in handles {
        h.join().unwrap();
    }
}
