//! Regression: with `inprof::Alloc` installed, optimized builds once
//! compiled a free into `ud2` (SIGILL) and a collect-and-sum loop into an
//! empty infinite loop, because the allocator read its header through the
//! pointer it had handed out (outside that allocation, as the optimizer
//! sees it). This file is meant for `cargo test --release` (CI runs it so);
//! in a debug build it passes trivially.

use std::hint::black_box;

#[global_allocator]
static ALLOC: inprof::Alloc = inprof::Alloc::system();

#[test]
fn box_free_and_collect_sum_survive_optimization() {
    // The SIGILL program from the report.
    let b = Box::new(std::env::args().count());
    let x = *b + 1;
    drop(b);
    assert!(x >= 2);

    // The loop that became an empty infinite loop.
    let mut total = 0u64;
    for i in 0..1000u64 {
        let v: u64 = (0..100).map(|x| x * i).collect::<Vec<u64>>().iter().sum();
        total = total.wrapping_add(v);
    }
    assert_eq!(total, (0..1000u64).map(|i| 4950 * i).sum::<u64>());

    // Every layout class: header (align <= 16) and trailer (above 16),
    // through realloc, with the values checked after each move.
    let mut v: Vec<u32> = Vec::new();
    for i in 0..10_000u32 {
        v.push(black_box(i));
    }
    assert_eq!(v.iter().map(|&x| x as u64).sum::<u64>(), 49_995_000);
    #[repr(align(64))]
    struct Wide(u64);
    let w: Vec<Box<Wide>> = (0..100).map(|i| Box::new(Wide(i))).collect();
    assert_eq!(w.iter().map(|b| b.0).sum::<u64>(), 4950);
    let s: String = (0..1000)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    assert_eq!(s.len(), 1000);
}
