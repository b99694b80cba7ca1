//! `#[inprof::profile]` beside an attribute macro that refuses, in the
//! function it is handed, an attribute it does not know:
//! curve25519-dalek-derive's `#[unsafe_target_feature]` (curve25519-dalek
//! 5.0.0 instrumented wholesale stopped at `unsupported by
//! #[unsafe_target_feature(...)]`). As `inprof-instrument` writes it: the
//! attribute above the macro on a function and on an impl, and
//! `#[inprof::profile(skip)]` on such a method of an annotated impl. The
//! macro moves the instrumented body into an inner `unsafe fn` compiled
//! for the feature, and the profile counts and times each call of it.
#![cfg(target_arch = "x86_64")]

mod common;
use common::*;
use curve25519_dalek_derive::unsafe_target_feature;
use std::time::{Duration, Instant};

/// About `ms` of CPU.
fn spin(ms: u64) {
    let t = Instant::now();
    while t.elapsed() < Duration::from_millis(ms) {
        std::hint::spin_loop();
    }
}

// `sse2`: in every x86_64 processor, so the inner functions are safe to
// call here.
#[inprof::profile]
#[unsafe_target_feature("sse2")]
#[inline(always)]
fn free_spin() {
    spin(5);
}

struct Lanes;

#[inprof::profile]
#[unsafe_target_feature("sse2")]
impl Lanes {
    fn work(&self) {
        spin(5);
    }
}

struct Plain(u32);

#[inprof::profile]
impl Plain {
    // The impl's attribute would name `Self` in the body the macro moves
    // into a function of its own (E0401): skipped, as the tool writes it.
    #[inprof::profile(skip)]
    #[unsafe_target_feature("sse2")]
    #[inline]
    fn splat(x: u32) -> Plain {
        Plain(x)
    }

    fn other(&self) -> u32 {
        spin(5);
        self.0
    }
}

#[test]
fn each_call_counted_and_timed() {
    let dir = tmpdir("refusing");
    let file = dir.join("cpu.pb.gz");
    let g = inprof::start_cpu_profile(std::fs::File::create(&file).unwrap()).unwrap();
    let ((), free_ns) = measure(|| (0..4).for_each(|_| free_spin()));
    let ((), work_ns) = measure(|| (0..3).for_each(|_| Lanes.work()));
    let (sum, other_ns) = measure(|| (0..2).map(|i| Plain::splat(i).other()).sum::<u32>());
    g.stop().unwrap();
    assert_eq!(sum, 1);

    let wall = top(&file, &["-sample_index=wall"]);
    let calls = top(&file, &["-sample_index=calls"]);
    for (name, n, measured, what) in [
        // The body runs in the inner function the macro declares in the
        // function: the profile names where it runs.
        (
            "refusing_macros::free_spin::_impl_free_spin",
            4.0,
            free_ns,
            "free_spin",
        ),
        (
            "<refusing_macros::Lanes as refusing_macros::Lanes::work::__Impl_work__>::_impl_work",
            3.0,
            work_ns,
            "Lanes::work",
        ),
        (
            "refusing_macros::Plain::other",
            2.0,
            other_ns,
            "Plain::other",
        ),
    ] {
        assert_eq!(row(&calls, name).flat, n, "{what}: {calls:#?}");
        // Everything measured around the calls is the spin but for the
        // loop and (for `other`) `splat`, a few ns.
        assert_measured(what, row(&wall, name).flat, measured, n * 5.0);
    }
    assert!(
        !calls.iter().any(|r| r.name.contains("splat")),
        "splat is skipped: {calls:#?}"
    );
}
