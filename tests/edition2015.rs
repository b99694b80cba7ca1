//! The attribute in an edition-2015 crate (tests/edition2015), where
//! `::core` names the crate's own root: every form it generates builds,
//! runs, and records its calls, read with `go tool pprof`.

mod common;
use common::*;

#[test]
fn edition_2015_crate_builds_runs_and_records() {
    let dir = tmpdir("edition2015");
    let profile = dir.join("time.pb.gz");
    let mut args = vec!["test", "--quiet"];
    // Optimized when this test is (`cargo test --release`).
    if !cfg!(debug_assertions) {
        args.push("--release");
    }
    let (mut cargo, _) = sub_crate(&args, "edition2015", "edition2015-check");
    run_ok(
        cargo
            .env("EDITION2015_PROFILE", &profile)
            .env_remove("RUSTFLAGS"),
        "the edition-2015 crate",
    );
    let rows = top(&profile, &["-sample_index=calls"]);
    for (name, calls) in [
        ("inprof_edition2015_check::Counter::bump", 5.0),
        ("inprof_edition2015_check::double", 3.0),
        ("inprof_edition2015_check::sum", 2.0),
        ("inprof_edition2015_check::guarded", 1.0),
        (
            "<inprof_edition2015_check::Counter as inprof_edition2015_check::Describe>::describe",
            1.0,
        ),
        (
            "<inprof_edition2015_check::Counter as inprof_edition2015_check::Named>::name",
            1.0,
        ),
        (
            "<inprof_edition2015_check::Counter as inprof_edition2015_check::Source>::source_of",
            1.0,
        ),
        (
            "<inprof_edition2015_check::Counter as inprof_edition2015_check::Source>::fresh",
            1.0,
        ),
    ] {
        assert_eq!(row(&rows, name).flat, calls, "{name}");
    }
}
