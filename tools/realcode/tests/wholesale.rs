//! The wholesale test of `#[inprof::profile]` on code we did not write:
//! serde_json (pinned) fetched from the registry and instrumented on every
//! impl block, trait and free function by `inprof-instrument`; no new
//! warning from rustc or clippy, its own test suite passes unchanged, and
//! the names in its profile are the functions called (see src/check.rs).
//! Then the same for async code: mini-redis (see src/check_async.rs).
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

/// mini-redis (tokio's example server and client), pinned, instrumented
/// wholesale: its tests pass unchanged, and under known load the async
/// profile holds the known truth (see src/check_async.rs).
#[test]
fn mini_redis_instrumented_wholesale() {
    let out = Command::new(env!("CARGO_BIN_EXE_inprof-realcode"))
        .arg("check-async")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("async wholesale check: ok"), "{text}");
    assert!(
        text.contains("Connection::read_frame calls: 3208 (expected 3208)"),
        "{text}"
    );
    assert!(
        text.contains("waiting handler tasks in the dump: 8 (expected 8)"),
        "{text}"
    );
}
