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

/// An item syn 2 does not read (an edition-2015 bare `Fn` trait object):
/// one error, the attribute's, where syn stopped, saying what to write;
/// before, syn's error came out as `::core::compile_error!`, which the
/// crate read as a path from its own root (`cannot find core in the
/// crate root`, at the impl block).
#[test]
fn an_item_syn_does_not_read_gets_the_attributes_error() {
    let (mut cargo, _) = sub_crate(
        &["check", "--quiet", "--features", "bare_fn"],
        "edition2015",
        "edition2015-check",
    );
    let out = cargo.env_remove("RUSTFLAGS").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains(
            "error: #[inprof::profile] cannot read this item (expected `,`); an edition-2015 \
             bare trait object such as `Box<Fn(u8)>` is not read: write `Box<dyn Fn(u8)>`"
        ),
        "{err}"
    );
    assert!(err.contains("src/lib.rs:128:36"), "{err}");
    assert!(!err.contains("core"), "{err}");
    assert!(err.contains("due to 1 previous error"), "{err}");
}
