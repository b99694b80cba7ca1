//! Over-aligned and zero-size layouts round-trip; a failing inner allocator
//! returns null.

use std::alloc::{GlobalAlloc, Layout, System};

#[global_allocator]
static ALLOC: inprof::Alloc = inprof::Alloc::system();

struct Failing;

// SAFETY: always fails; never hands out memory.
unsafe impl GlobalAlloc for Failing {
    unsafe fn alloc(&self, _: Layout) -> *mut u8 {
        std::ptr::null_mut()
    }
    unsafe fn dealloc(&self, _: *mut u8, _: Layout) {}
}

#[test]
fn layouts_round_trip_and_failure_passes_through() {
    for (size, align) in [
        (0, 1),
        (0, 4096),
        (1, 1),
        (3, 2),
        (100, 64),
        (4096, 4096),
        (10_000, 4096),
        (7, 1 << 16),
    ] {
        let l = Layout::from_size_align(size, align).unwrap();
        // SAFETY: calling the allocator directly with a valid layout (zero
        // size included: inprof's allocator accepts it).
        unsafe {
            let p = ALLOC.alloc(l);
            assert!(!p.is_null());
            assert_eq!(p as usize % align, 0, "alignment {align}");
            p.write_bytes(0x5A, size);
            let q = ALLOC.realloc(p, l, size + 10);
            assert!(!q.is_null());
            assert_eq!(q as usize % align, 0, "alignment after realloc {align}");
            if size > 0 {
                assert_eq!(*q.add(size - 1), 0x5A);
            }
            ALLOC.dealloc(q, Layout::from_size_align(size + 10, align).unwrap());
            let z = ALLOC.alloc_zeroed(l);
            assert!(!z.is_null());
            assert!((0..size).all(|i| *z.add(i) == 0));
            ALLOC.dealloc(z, l);
        }
    }
    // Over-aligned types through the ordinary API.
    #[repr(align(4096))]
    struct Page([u8; 4096]);
    let b = Box::new(Page([1; 4096]));
    assert_eq!(&*b as *const Page as usize % 4096, 0);
    assert_eq!(b.0[4095], 1);

    let failing = inprof::Alloc::new(Failing);
    let l = Layout::from_size_align(64, 8).unwrap();
    // SAFETY: valid layout; the result is checked, never dereferenced.
    unsafe {
        assert!(failing.alloc(l).is_null());
        assert!(failing.alloc_zeroed(l).is_null());
    }
    // Nothing was charged for the failed allocations.
    let _ = System;
}
