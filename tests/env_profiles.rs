//! Profiles from the environment, no code change: `INPROF_CPUPROFILE` and
//! friends are written when the process exits normally, from an example
//! binary and from a test harness (like `go test -cpuprofile`).

mod common;
use common::*;
use std::path::PathBuf;
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

#[test]
fn example_binary_writes_profiles_at_exit() {
    let dir = tmpdir("envex");
    let cpu = dir.join("cpu.pb.gz");
    let mem = dir.join("mem.pb.gz");
    let block = dir.join("block.pb.gz");
    let tc = dir.join("threadcreate.pb.gz");
    let out = Command::new(target_dir().join("examples").join("quickstart"))
        .arg(dir.join("own.pb.gz"))
        .arg("100")
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
    assert_eq!(row(&calls, "quickstart::increase1000").flat, 200.0);
    assert_eq!(row(&calls, "quickstart::increase_int").flat, 2.0);
}

#[test]
fn test_harness_writes_profiles_at_exit() {
    let dir = tmpdir("envtest");
    let cpu = dir.join("cpu.pb.gz");
    let bin = test_binary("time_threads");
    let out = Command::new(&bin)
        .arg("--quiet")
        .env("INPROF_CPUPROFILE", &cpu)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Under a test harness, one file per test binary: `cpu-NAME-HASH.pb.gz`
    // (so that `cargo test` with several binaries keeps every profile).
    assert!(!cpu.exists(), "the plain name was written");
    let name = bin.file_name().unwrap().to_str().unwrap();
    let cpu = dir.join(format!("cpu-{name}.pb.gz"));
    let calls = top(&cpu, &["-sample_index=calls"]);
    assert_eq!(row(&calls, "time_threads::work").flat, 8000.0);
}

/// `INPROF_HTTP` and `INPROF_AGENT` start the endpoint and the agent with
/// no code change.
#[test]
fn servers_start_from_the_environment() {
    let dir = tmpdir("envsrv");
    let mut child = Command::new(target_dir().join("examples").join("quickstart"))
        .arg(dir.join("own.pb.gz"))
        .arg("100000000")
        .env("INPROF_HTTP", "127.0.0.1:0")
        .env("INPROF_AGENT", "1")
        .env("INPROF_CONFIG_DIR", &dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let _reaper = KillOnDrop(child.id());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut err, &mut line).unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    // The server comes up at the first use of inprof; the workload's
    // threads show up as soon as they enter their first frame.
    let t0 = std::time::Instant::now();
    loop {
        let body = ureq::get(&format!("http://{addr}/debug/pprof/goroutine?debug=1"))
            .call()
            .unwrap()
            .into_string()
            .unwrap();
        assert!(body.starts_with("goroutine profile: total "), "{body}");
        if body.contains("quickstart::increase") {
            break;
        }
        assert!(t0.elapsed() < std::time::Duration::from_secs(10), "{body}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let port_file = dir.join(child.id().to_string());
    let t0 = std::time::Instant::now();
    while !port_file.exists() {
        assert!(
            t0.elapsed() < std::time::Duration::from_secs(10),
            "agent port file never appeared"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let text = std::fs::read_to_string(&port_file).unwrap();
    let (port, token) = inprof::agent::parse_port_file(&text).expect("a port file");
    let token = token.expect("INPROF_AGENT's agent makes its own token");
    let url = format!("http://127.0.0.1:{port}/debug/inprof/version");
    match ureq::get(&url).call() {
        Err(ureq::Error::Status(401, _)) => {}
        other => panic!("no token: {:?}", other.map(|r| r.status())),
    }
    let v = ureq::get(&url)
        .set("Authorization", &format!("Bearer {token}"))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    assert!(v.starts_with("inprof "), "{v}");
    let _ = child.kill();
    let _ = child.wait();
}

/// A switch that is neither on nor off (`INPROF_AGENT=of`) and a
/// threshold that is not a number are said on stderr and ignored: no
/// agent starts (any value but "" and "0" used to start one).
#[test]
fn bad_switches_are_reported_and_start_nothing() {
    let dir = tmpdir("envbad");
    let out = Command::new(target_dir().join("examples").join("quickstart"))
        .arg(dir.join("own.pb.gz"))
        .arg("1000")
        .env("INPROF_AGENT", "of")
        .env("INPROF_DEMOTE_NS", "2us")
        .env("INPROF_CONFIG_DIR", &dir)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("inprof: INPROF_AGENT=of: not a switch (1, on, true, yes or 0, off, false, no); ignored"),
        "{err}"
    );
    assert!(
        err.contains("inprof: INPROF_DEMOTE_NS=2us: not a whole number of nanoseconds; ignored"),
        "{err}"
    );
    // The directory holds the profile the example wrote, and no port file.
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["own.pb.gz"], "{names:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Kills the child process if the test fails before it does.
struct KillOnDrop(u32);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        // SAFETY: signals our own child (gone already: harmless ESRCH).
        unsafe { libc::kill(self.0 as i32, libc::SIGKILL) };
    }
}

/// SIGTERM (how Kubernetes stops a pod) and SIGINT (Ctrl-C): the profiles
/// are written, then the process ends by the signal, as it would have.
/// `%p` in the name becomes the process id.
#[test]
fn profiles_written_on_sigterm_and_sigint() {
    use std::io::BufRead;
    use std::os::unix::process::ExitStatusExt;
    for sig in [libc::SIGTERM, libc::SIGINT] {
        let dir = tmpdir(&format!("envsig{sig}"));
        let mut child = Command::new(target_dir().join("examples").join("serve"))
            .env("INPROF_CPUPROFILE", dir.join("cpu-%p.pb.gz"))
            .env("INPROF_MEMPROFILE", dir.join("mem-%p.pb.gz"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let _reaper = KillOnDrop(child.id());
        // Held open: `wait` would close it, and the example exits
        // normally when its stdin closes.
        let _stdin = child.stdin.take();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.starts_with("serving"), "{line:?}");
        std::thread::sleep(std::time::Duration::from_millis(300));
        // SAFETY: signals our own child.
        unsafe { libc::kill(child.id() as i32, sig) };
        let status = child.wait().unwrap();
        assert_eq!(status.signal(), Some(sig), "{status:?}");
        let cpu = dir.join(format!("cpu-{}.pb.gz", child.id()));
        let mem = dir.join(format!("mem-{}.pb.gz", child.id()));
        for f in [&cpu, &mem] {
            assert!(f.exists(), "{} not written on signal {sig}", f.display());
            assert_eq!(mode(f), 0o600);
        }
        let calls = top(&cpu, &["-sample_index=calls"]);
        assert!(row(&calls, "serve::handle_request").flat > 0.0);
        let heap = top(&mem, &["-sample_index=alloc_space"]);
        assert!(row(&heap, "serve::handle_request").flat > 0.0);
    }
}

/// A profile that cannot be written: one line on stderr, and the process
/// that was going to exit 0 exits 2.
#[test]
fn failed_profile_write_sets_the_exit_status() {
    let dir = tmpdir("envfail");
    let out = Command::new(target_dir().join("examples").join("quickstart"))
        .arg(dir.join("own.pb.gz"))
        .arg("10")
        .env("INPROF_CPUPROFILE", "/nonexistent-inprof-dir/cpu.pb.gz")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("inprof: INPROF_CPUPROFILE=/nonexistent-inprof-dir/cpu.pb.gz: "),
        "{err}"
    );
}

/// A symlink planted where the profile goes is replaced, not followed:
/// the file it points at keeps its content and mode.
#[test]
fn planted_symlink_is_not_followed() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tmpdir("envlink");
    let victim = dir.join("victim");
    std::fs::write(&victim, "precious").unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).unwrap();
    let cpu = dir.join("cpu.pb.gz");
    let _ = std::fs::remove_file(&cpu);
    std::os::unix::fs::symlink(&victim, &cpu).unwrap();
    let out = Command::new(target_dir().join("examples").join("quickstart"))
        .arg(dir.join("own.pb.gz"))
        .arg("10")
        .env("INPROF_CPUPROFILE", &cpu)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert_eq!(mode(&victim), 0o644);
    assert!(std::fs::symlink_metadata(&cpu)
        .unwrap()
        .file_type()
        .is_file());
    assert_eq!(mode(&cpu), 0o600);
    raw(&cpu);
}
