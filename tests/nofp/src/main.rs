//! An annotated caller and an unannotated helper that burns CPU, profiled
//! to the file given as the first argument.

use std::time::Duration;

#[repr(C)]
struct Timespec {
    tv_sec: i64,
    tv_nsec: i64,
}

extern "C" {
    fn clock_gettime(clock: i32, t: *mut Timespec) -> i32;
}

/// This thread's CPU time (Linux x86-64 and aarch64: `CLOCK_THREAD_CPUTIME_ID`
/// is 3, `timespec` two 64-bit fields).
fn thread_cpu() -> Duration {
    let mut t = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec it is given.
    assert_eq!(unsafe { clock_gettime(3, &mut t) }, 0);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// Burns `d` of this thread's CPU time (not wall time: a VM's host may
/// take the CPU away for half of it, and the CPU profile sees only what
/// ran).
#[inline(never)]
fn helper_without_frame_pointers(d: Duration) -> u64 {
    let start = thread_cpu();
    let mut x = 1u64;
    while thread_cpu() - start < d {
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
