//! Regression: the heap profile counted its own construction (16 MB
//! "inuse" reported for 1.7 KB live). What inprof allocates to build and
//! write a profile is not the program's and is not counted.

#![allow(clippy::vec_box)] // one heap block per element, on purpose

mod common;
use common::*;

#[global_allocator]
static ALLOC: inprof::Alloc = inprof::Alloc::system();

#[inprof::profile]
fn keep() -> Vec<Box<[u8; 1000]>> {
    (0..10).map(|_| Box::new([7u8; 1000])).collect()
}

#[test]
fn building_profiles_allocates_nothing_counted() {
    // The harness's main thread prints "running 1 test" while this test
    // starts (its first print allocates stdout's buffer, counted: the
    // figures are process-wide); let it finish first.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let kept = keep();
    let before = inprof::heap_stats();
    // 40 profiles of every kind, their bytes kept alive: none of it counts.
    let mut outputs: Vec<Vec<u8>> = Vec::with_capacity(40);
    let cap_bytes = 40 * std::mem::size_of::<Vec<u8>>() as u64;
    for i in 0..40 {
        let mut out = Vec::new();
        match i % 4 {
            0 => inprof::write_heap_profile(&mut out).unwrap(),
            1 => inprof::lookup("allocs")
                .unwrap()
                .write_to(&mut out, 1)
                .unwrap(),
            2 => inprof::write_time_profile(&mut out).unwrap(),
            _ => inprof::lookup("goroutine")
                .unwrap()
                .write_to(&mut out, 2)
                .unwrap(),
        }
        assert!(!out.is_empty());
        outputs.push(out);
    }
    let after = inprof::heap_stats();
    // Only `outputs`' own buffer (allocated here, by the test) is new.
    assert_eq!(
        after.live_bytes - before.live_bytes,
        cap_bytes,
        "before {before:?}, after {after:?}"
    );
    assert_eq!(after.allocations - before.allocations, 1);

    let dir = tmpdir("self-excluded");
    let file = dir.join("heap.pb.gz");
    inprof::write_heap_profile(std::fs::File::create(&file).unwrap()).unwrap();
    let rows = top(&file, &["-sample_index=inuse_space", "-unit=B"]);
    // 10 blocks of 1000 bytes and the Vec of their 10 pointers.
    assert_eq!(row(&rows, "heap_self_excluded::keep").flat, 10_080.0);
    drop(outputs);
    drop(kept);
}
