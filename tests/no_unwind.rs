//! A function that cannot panic still cannot once its callees are
//! instrumented: every call of inprof's that `#[profile]` puts in a
//! function is known not to unwind, so `#[no_panic]` (a proof at link
//! time that no unwinding edge is left in a function after optimization)
//! holds on a caller of instrumented functions of every shape: small and
//! larger bodies, a trait impl's method (each run as a closure), `always`
//! (a scope guard). ahash's `tests/nopanic.rs` failed to link once ahash
//! was instrumented wholesale before this held (README, the corpus
//! check).
//!
//! The crate under test is tests/nounwind, built optimized (`no_panic`
//! needs the optimizer; the published ahash runs its own such test at
//! `opt-level = 2`): if the proof fails, it does not link.
#![cfg(target_os = "linux")]

mod common;
use common::*;
use std::process::Command;

#[test]
fn no_panic_holds_over_instrumented_calls_and_they_are_recorded() {
    let (mut cargo, target) = sub_crate(
        &["build", "--release", "--quiet"],
        "nounwind",
        "nounwind-check",
    );
    run_ok(&mut cargo, "the no_panic build");
    let dir = tmpdir("no-unwind");
    let file = dir.join("cpu.pb.gz");
    run_ok(
        Command::new(target.join("release/inprof-nounwind-check")).arg(&file),
        "the no_panic program",
    );

    // The calls, read back with go tool pprof: every one of them.
    let calls = top(&file, &["-sample_index=calls"]);
    for (name, n) in [
        ("inprof_nounwind_check::Mixer::mix", 1000.0),
        ("inprof_nounwind_check::Mixer::fold", 1000.0),
        (
            "<inprof_nounwind_check::Mixer as inprof_nounwind_check::Finish>::finish",
            1010.0,
        ),
        ("inprof_nounwind_check::scramble", 10.0),
    ] {
        assert_eq!(row(&calls, name).flat, n, "calls of {name}\n{calls:#?}");
    }
}
