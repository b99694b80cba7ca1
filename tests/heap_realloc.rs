//! realloc chains (grow, shrink, move): inuse equals the final size, at the
//! path that made the allocation.

mod common;
use common::*;
use std::alloc::{GlobalAlloc, Layout};

#[global_allocator]
static ALLOC: inprof::Alloc = inprof::Alloc::system();

struct Raw(*mut u8, usize);

#[inprof::profile]
fn make() -> Raw {
    let l = Layout::from_size_align(100, 8).unwrap();
    // SAFETY: non-zero size.
    let p = unsafe { std::alloc::alloc(l) };
    assert!(!p.is_null());
    // SAFETY: p is valid for 100 bytes.
    unsafe { p.write_bytes(0xAB, 100) };
    Raw(p, 100)
}

#[inprof::profile]
fn resize(r: &mut Raw, to: usize) {
    let l = Layout::from_size_align(r.1, 8).unwrap();
    // SAFETY: r.0 came from the global allocator with layout l.
    let p = unsafe { std::alloc::realloc(r.0, l, to) };
    assert!(!p.is_null());
    // Contents up to the smaller size survive.
    // SAFETY: p is valid for min(r.1, to) bytes.
    assert_eq!(unsafe { *p.add(r.1.min(to) - 1) }, 0xAB);
    // SAFETY: p is valid for `to` bytes.
    unsafe { p.write_bytes(0xAB, to) };
    *r = Raw(p, to);
}

#[test]
fn realloc_chain_leaves_the_final_size_in_use() {
    let mut r = make();
    // Grow (likely moves), grow big (moves to mmap), shrink, shrink in place.
    for to in [1000, 300_000, 5000, 64] {
        resize(&mut r, to);
    }
    let dir = tmpdir("realloc");
    let file = dir.join("heap.pb.gz");
    inprof::write_heap_profile(std::fs::File::create(&file).unwrap()).unwrap();
    let inuse = top(&file, &["-sample_index=inuse_space", "-unit=B"]);
    assert_eq!(row(&inuse, "heap_realloc::make").flat, 64.0);
    assert!(!inuse
        .iter()
        .any(|r| r.name == "heap_realloc::resize" && r.flat != 0.0));
    let objs = top(&file, &["-sample_index=inuse_objects"]);
    assert_eq!(row(&objs, "heap_realloc::make").flat, 1.0);

    let st = inprof::heap_stats();
    // SAFETY: r.0 came from the global allocator with this layout.
    unsafe { std::alloc::dealloc(r.0, Layout::from_size_align(r.1, 8).unwrap()) };
    let after = inprof::heap_stats();
    assert_eq!(st.live_bytes - after.live_bytes, 64);
    let _ = &ALLOC as &dyn std::any::Any;
    let _: &dyn GlobalAlloc = &ALLOC;
}
