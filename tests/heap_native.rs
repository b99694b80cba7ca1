//! Optional native stacks (`set_mem_profile_rate`): allocations made in
//! code nobody annotated show their real frames below the nearest annotated
//! caller, while per-path totals stay exact.

#![allow(clippy::vec_box)] // one heap block per element, on purpose

mod common;
use common::*;

#[global_allocator]
static ALLOC: inprof::Alloc = inprof::Alloc::system();

// Each helper does something after its allocating call, so that an
// optimized build cannot turn that call into a tail call (which would take
// the helper's own frame off the stack).
#[inline(never)]
fn helper_alloc() -> Vec<Box<[u8; 512]>> {
    let v: Vec<Box<[u8; 512]>> = (0..10).map(|_| Box::new([0u8; 512])).collect();
    std::hint::black_box(v)
}

#[inline(never)]
fn other_helper() -> Vec<u8> {
    let v = std::hint::black_box(vec![0; 3000]);
    std::hint::black_box(v)
}

#[inprof::profile]
fn outer_annotated() -> (Vec<Box<[u8; 512]>>, Vec<u8>) {
    (helper_alloc(), other_helper())
}

#[test]
fn native_frames_below_the_annotated_caller() {
    // Every allocation sampled (rate 1: no unsampling).
    inprof::set_mem_profile_rate(1);
    let kept = outer_annotated();
    inprof::set_mem_profile_rate(0);
    let dir = tmpdir("native");
    let file = dir.join("heap.pb.gz");
    inprof::write_heap_profile(std::fs::File::create(&file).unwrap()).unwrap();

    // Totals of the annotated path are still exact.
    let inuse = top(&file, &["-sample_index=inuse_space", "-unit=B"]);
    assert_eq!(
        row(&inuse, "heap_native::outer_annotated").cum,
        (10 * 512 + 10 * 8 + 3000) as f64
    );
    // The unannotated helpers appear, each with its exact share, under it.
    assert_eq!(
        row(&inuse, "heap_native::helper_alloc").cum,
        (10 * 512 + 10 * 8) as f64
    );
    assert_eq!(row(&inuse, "heap_native::other_helper").cum, 3000.0);
    let tr = traces(&file, &["-sample_index=inuse_space"]);
    let helper: Vec<_> = tr
        .iter()
        .filter(|(_, s)| s.iter().any(|f| f == "heap_native::helper_alloc"))
        .collect();
    assert!(!helper.is_empty(), "{tr:#?}");
    for (_, s) in &helper {
        let h = s
            .iter()
            .position(|f| f == "heap_native::helper_alloc")
            .unwrap();
        let o = s
            .iter()
            .position(|f| f == "heap_native::outer_annotated")
            .expect("annotated caller on the stack");
        assert!(h < o, "native frame must be below the annotated one: {s:?}");
        assert!(
            !s.iter().any(|f| f.contains("inprof_runtime")),
            "allocator frames left in: {s:?}"
        );
        assert_eq!(
            s.iter()
                .filter(|f| *f == "heap_native::outer_annotated")
                .count(),
            1,
            "{s:?}"
        );
    }
    let peek = pprof(
        &["-peek", "helper_alloc", "-sample_index=inuse_space"],
        &file,
    );
    assert!(peek.contains("heap_native::outer_annotated"), "{peek}");
    drop(kept);
}
