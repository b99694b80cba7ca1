//! An annotated caller and an unannotated helper that burns CPU, profiled
//! to the file given as the first argument.

use std::time::{Duration, Instant};

#[inline(never)]
fn helper_without_frame_pointers(d: Duration) -> u64 {
    let start = Instant::now();
    let mut x = 1u64;
    while start.elapsed() < d {
        for _ in 0..200_000 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
    }
    x
}

#[inprof::profile]
fn annotated_caller() -> u64 {
    helper_without_frame_pointers(Duration::from_millis(300))
}

fn main() {
    let out = std::env::args().nth(1).expect("usage: nofp OUT.pb.gz");
    let g = inprof::start_cpu_profile(std::fs::File::create(out).unwrap()).unwrap();
    std::hint::black_box(annotated_caller());
    g.stop().unwrap();
}
