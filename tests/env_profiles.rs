//! Profiles from the environment, no code change: `INPROF_CPUPROFILE` and
//! friends are written when the process exits normally, from an example
//! binary and from a test harness (like `go test -cpuprofile`).

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn target_dir() -> PathBuf {
    // .../target/debug/deps/env_profiles-HASH
    std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The newest test binary built for the integration test `name`.
fn test_binary(name: &str) -> PathBuf {
    let deps = target_dir().join("deps");
    let mut found: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(&deps)
        .unwrap()
        .flatten()
        .filter(|e| {
            let f = e.file_name();
            let f = f.to_string_lossy();
            f.starts_with(&format!("{name}-")) && !f.contains('.')
        })
        .map(|e| (e.metadata().unwrap().modified().unwrap(), e.path()))
        .collect();
    found.sort();
    found
        .pop()
        .unwrap_or_else(|| panic!("no test binary {name} in {}", deps.display()))
        .1
}

fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn example_binary_writes_profiles_at_exit() {
    let dir = tmpdir("envex");
    let cpu = dir.join("cpu.pb.gz");
    let mem = dir.join("mem.pb.gz");
    let block = dir.join("block.pb.gz");
    let tc = dir.join("threadcreate.pb.gz");
    let out = Command::new(target_dir().join("examples").join("quickstart"))
        .arg(dir.join("own.pb.gz"))
        .arg("1000")
        .env("INPROF_CPUPROFILE", &cpu)
        .env("INPROF_MEMPROFILE", &mem)
        .env("INPROF_BLOCKPROFILE", &block)
        .env("INPROF_THREADCREATEPROFILE", &tc)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in [&cpu, &mem, &block, &tc] {
        assert!(f.exists(), "{} not written", f.display());
        assert_eq!(mode(f), 0o600, "{}", f.display());
        raw(f);
    }
    let calls = top(&cpu, &["-sample_index=calls"]);
    assert_eq!(row(&calls, "quickstart::increase1000").flat, 2000.0);
    assert_eq!(row(&calls, "quickstart::increase_int").flat, 2.0);
}

#[test]
fn test_harness_writes_profiles_at_exit() {
    let dir = tmpdir("envtest");
    let cpu = dir.join("cpu.pb.gz");
    let out = Command::new(test_binary("time_threads"))
        .arg("--quiet")
        .env("INPROF_CPUPROFILE", &cpu)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let calls = top(&cpu, &["-sample_index=calls"]);
    assert_eq!(row(&calls, "time_threads::work").flat, 8000.0);
}
