//! The agent and the CLI end to end: a child process starts the agent; the
//! `inprof` binary lists it, dumps its threads, reads its memstats and
//! fetches profiles `go tool pprof` reads; the port file is 0600 and gone
//! after the child exits; a dead PID and a refused connection give one-line
//! errors.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

#[global_allocator]
static ALLOC: inprof::Alloc = inprof::Alloc::system();

#[inprof::profile]
fn child_work() -> Vec<u8> {
    std::hint::black_box(vec![1u8; 50_000])
}

/// The child process of `agent_and_cli_end_to_end` (run by it with
/// `--ignored`): starts the agent, says "ready", then waits for stdin to
/// close and exits normally.
#[test]
#[ignore = "the child process of agent_and_cli_end_to_end"]
fn agent_child_process() {
    assert!(
        std::env::var_os("INPROF_TEST_CHILD").is_some(),
        "run by agent_and_cli_end_to_end"
    );
    let keep = child_work();
    let agent = inprof::agent::listen(inprof::agent::AgentOptions {
        token: std::env::var("INPROF_TEST_TOKEN").ok(),
        ..Default::default()
    })
    .unwrap();
    // A forked child that exits normally must leave the port file alone.
    // SAFETY: the child only exits (running the exit hooks, as a forked
    // child that returns from its work would).
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        std::process::exit(0);
    }
    let mut status = 0;
    // SAFETY: waits for our own child.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    let _t = inprof::thread::Builder::new()
        .name("child-sleeper".into())
        .spawn(|| std::thread::sleep(std::time::Duration::from_secs(3600)))
        .unwrap();
    println!("ready {}", agent.port_file().display());
    std::io::stdout().flush().unwrap();
    let mut line = String::new();
    while std::io::stdin()
        .read_line(&mut line)
        .map(|n| n > 0)
        .unwrap_or(false)
    {
        line.clear();
    }
    drop(keep);
}

fn inprof(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_inprof"))
        .args(args)
        .env("INPROF_CONFIG_DIR", dir)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn pprof_raw(file: &Path) -> String {
    let out = Command::new("go")
        .args(["tool", "pprof", "-raw"])
        .arg(file)
        .env("HOME", std::env::temp_dir())
        .output()
        .expect("go not found: install golang-go");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn agent_and_cli_end_to_end() {
    let dir: PathBuf =
        std::env::temp_dir().join(format!("inprof-agent-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "agent_child_process",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("INPROF_TEST_CHILD", "1")
        .env("INPROF_CONFIG_DIR", &dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id().to_string();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "child exited early");
        // libtest prints `test NAME ... ` before the child's own output.
        if let Some(i) = line.find("ready ") {
            line = line[i + "ready ".len()..].trim().to_owned();
            break;
        }
    }
    let port_file = dir.join(&pid);
    assert_eq!(PathBuf::from(&line), port_file);

    // The port file: the port and the agent's own token (32 hex digits),
    // one a line, 0600 in a 0700 directory.
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(&port_file).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert_eq!(
        std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
        0o700
    );
    let port = std::fs::read_to_string(&port_file).unwrap();
    let lines: Vec<&str> = port.lines().collect();
    assert_eq!(lines.len(), 2, "{port:?}");
    assert!(lines[0].parse::<u16>().is_ok(), "{port:?}");
    let token = lines[1];
    assert!(
        token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit()),
        "{port:?}"
    );

    // Whoever connects to the port without the file's token (another
    // local user: a loopback port is open to all) is refused, and so is
    // `--token` with another token; the CLI's own read of the file wins.
    let url = format!("http://127.0.0.1:{}/debug/pprof/cmdline", lines[0]);
    match ureq::get(&url).call() {
        Err(ureq::Error::Status(401, _)) => {}
        other => panic!("no token: {:?}", other.map(|r| r.status())),
    }
    let with_token = ureq::get(&url)
        .set("Authorization", &format!("Bearer {token}"))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    assert!(with_token.contains("agent_child_process"), "{with_token}");
    let (ok, _, err) = inprof(&dir, &["--token", "other", "memstats", &pid]);
    assert!(ok, "{err}");

    // A stale file of a dead process is ignored and cleaned by `ps`; a
    // port file of a live process that is no agent (a `sleep`) is not
    // listed, and neither is a symlink posing as a port file.
    std::fs::write(dir.join("999999999"), "1").unwrap();
    let mut sleeper = Command::new("sleep").arg("30").spawn().unwrap();
    std::fs::write(dir.join(sleeper.id().to_string()), port.as_bytes()).unwrap();
    let decoy = std::env::temp_dir().join(format!("inprof-decoy-{}", std::process::id()));
    std::fs::write(&decoy, port.as_bytes()).unwrap();
    let init_link = dir.join("1");
    std::os::unix::fs::symlink(&decoy, &init_link).unwrap();
    let (ok, ps, err) = inprof(&dir, &["ps"]);
    assert!(ok, "{err}");
    for bogus in [sleeper.id().to_string(), "1".to_owned()] {
        assert!(
            !ps.lines()
                .any(|l| l.split_whitespace().next() == Some(bogus.as_str())),
            "{bogus} listed as an agent:\n{ps}"
        );
    }
    let (ok, _, err) = inprof(&dir, &["stack", &sleeper.id().to_string()]);
    assert!(!ok && err.contains("has no inprof agent"), "{err}");
    let _ = sleeper.kill();
    let _ = sleeper.wait();
    let _ = std::fs::remove_file(&init_link);
    let _ = std::fs::remove_file(&decoy);
    let me = ps
        .lines()
        .find(|l| l.split_whitespace().next() == Some(pid.as_str()));
    let me = me.unwrap_or_else(|| panic!("pid {pid} not listed:\n{ps}"));
    assert!(
        me.contains(&format!("*{}", env!("CARGO_PKG_VERSION"))),
        "{me}"
    );
    assert!(!dir.join("999999999").exists(), "stale file not cleaned");

    let (ok, stack, err) = inprof(&dir, &["stack", &pid]);
    assert!(ok, "{err}");
    assert!(stack.contains("\"child-sleeper\""), "{stack}");
    assert!(stack.matches("thread ").count() >= 2, "{stack}");

    let (ok, mem, err) = inprof(&dir, &["memstats", &pid]);
    assert!(ok, "{err}");
    assert!(mem.contains("alloc: ") && mem.contains(" bytes)"), "{mem}");

    let (ok, stats, err) = inprof(&dir, &["stats", &pid]);
    assert!(ok, "{err}");
    assert!(stats.contains("num-cpu: "), "{stats}");

    let heap = dir.join("heap.pb.gz");
    let (ok, _, err) = inprof(&dir, &["pprof-heap", &pid, "-o", heap.to_str().unwrap()]);
    assert!(ok, "{err}");
    let raw = pprof_raw(&heap);
    assert!(raw.contains("agent::child_work"), "{raw}");
    assert!(raw.contains("50000"), "{raw}");

    let cpu = dir.join("cpu.pb.gz");
    let (ok, _, err) = inprof(
        &dir,
        &[
            "pprof-cpu",
            &pid,
            "--seconds",
            "1",
            "-o",
            cpu.to_str().unwrap(),
        ],
    );
    assert!(ok, "{err}");
    assert!(pprof_raw(&cpu).contains("wall/nanoseconds"));

    let tc = dir.join("threadcreate.pb.gz");
    let (ok, _, err) = inprof(
        &dir,
        &["profile", "threadcreate", &pid, "-o", tc.to_str().unwrap()],
    );
    assert!(ok, "{err}");
    assert!(pprof_raw(&tc).contains("threadcreate/count"));

    // Normal exit removes the port file.
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    assert!(!port_file.exists(), "port file left after exit");

    // A dead PID and a refused connection: one line, no panic.
    let (ok, _, err) = inprof(&dir, &["stack", &pid]);
    assert!(!ok);
    assert_eq!(err.trim(), format!("inprof: no process with PID {pid}"));
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    drop(l);
    let (ok, _, err) = inprof(&dir, &["stack", &addr]);
    assert!(!ok);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("could not connect") && err.contains("connection refused"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn agent_with_a_token() {
    let dir: PathBuf =
        std::env::temp_dir().join(format!("inprof-agent-token-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "agent_child_process",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("INPROF_TEST_CHILD", "1")
        .env("INPROF_TEST_TOKEN", "t0ken")
        .env("INPROF_CONFIG_DIR", &dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id().to_string();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while !line.contains("ready ") {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "child exited early");
    }
    let (ok, _, err) = inprof(&dir, &["stack", &pid]);
    assert!(!ok);
    assert!(err.contains("requires a token"), "{err}");
    let (ok, stack, err) = inprof(&dir, &["--token", "t0ken", "stack", &pid]);
    assert!(ok, "{err}");
    assert!(stack.contains("\"child-sleeper\""), "{stack}");
    let out = Command::new(env!("CARGO_BIN_EXE_inprof"))
        .args(["memstats", &pid])
        .env("INPROF_CONFIG_DIR", &dir)
        .env("INPROF_TOKEN", "t0ken")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (ok, _, err) = inprof(&dir, &["--token", "wrong", "stack", &pid]);
    assert!(!ok && err.contains("requires a token"), "{err}");
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    let _ = std::fs::remove_dir_all(&dir);
}
