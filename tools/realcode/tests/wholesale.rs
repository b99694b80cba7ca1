//! The wholesale test of `#[inprof::profile]` on code we did not write:
//! serde_json (pinned) fetched from the registry and instrumented on every
//! impl block, trait and free function by `inprof-instrument`; no new
//! warning from rustc or clippy, its own test suite passes unchanged, and
//! the names in its profile are the functions called (see src/check.rs).
//! Needs the registry and `go tool pprof`.

use std::process::Command;

#[test]
fn serde_json_instrumented_wholesale() {
    let out = Command::new(env!("CARGO_BIN_EXE_inprof-realcode"))
        .arg("check")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("wholesale check: ok"), "{text}");
    assert!(text.contains(", 0 new"), "{text}");
    assert!(text.contains("11 names as expected"), "{text}");
}
