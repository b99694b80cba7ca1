//! With the `enable` feature off, `#[profile]` returns items untouched: the
//! crate in tests/disabled builds and records nothing.

use std::process::Command;

#[test]
fn disabled_build_compiles_and_records_nothing() {
    let root = env!("CARGO_MANIFEST_DIR");
    let target = std::path::Path::new(root)
        .join("target")
        .join("disabled-check");
    let out = Command::new(env!("CARGO"))
        .args(["test", "--quiet", "--manifest-path"])
        .arg(format!("{root}/tests/disabled/Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "disabled build failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
