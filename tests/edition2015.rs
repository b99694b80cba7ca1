//! The attribute in an edition-2015 crate (tests/edition2015), where
//! `::core` names the crate's own root: every form it generates builds,
//! runs, and records its calls, read with `go tool pprof`.

mod common;
use common::*;
use std::process::Command;

#[test]
fn edition_2015_crate_builds_runs_and_records() {
    let root = env!("CARGO_MANIFEST_DIR");
    let target = std::path::Path::new(root)
        .join("target")
        .join("edition2015-check");
    let dir = tmpdir("edition2015");
    let profile = dir.join("time.pb.gz");
    let mut cargo = Command::new(env!("CARGO"));
    cargo.args(["test", "--quiet"]);
    // Optimized when this test is (`cargo test --release`).
    if !cfg!(debug_assertions) {
        cargo.arg("--release");
    }
    let out = cargo
        .arg("--manifest-path")
        .arg(format!("{root}/tests/edition2015/Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target)
        .env("EDITION2015_PROFILE", &profile)
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the edition-2015 crate failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
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
    ] {
        assert_eq!(row(&rows, name).flat, calls, "{name}");
    }
}
