//! Go's source views work on our profiles, from any directory:
//! `go tool pprof -list`, `-weblist` and the `-http` UI's Source and Graph
//! pages on a time, a heap and a mutex profile. (They once panicked in
//! Go's disassembler: our mapping named the executable without an address
//! range; and `-list` found the sources only from the crate directory.)

mod common;
use common::*;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOC: inprof::Alloc = inprof::Alloc::system();

#[inprof::profile]
fn busy_source_line() -> u64 {
    let t = Instant::now();
    let mut x = 1u64;
    while t.elapsed() < Duration::from_millis(300) {
        x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
    }
    x
}

#[inprof::profile]
fn allocating_source_line() -> Vec<Vec<u8>> {
    (0..100).map(|i| vec![0u8; 1000 + i]).collect()
}

/// Holds the lock while another thread waits for it: the holder (this
/// function) is charged in the mutex profile.
#[inprof::profile]
fn contending_source_line(m: &'static inprof::sync::Mutex<u64>) {
    let held = m.lock();
    let waiter = std::thread::spawn(move || *m.lock() += 1);
    std::thread::sleep(Duration::from_millis(30));
    drop(held);
    waiter.join().unwrap();
}

/// Runs `go tool pprof ARGS FILE` in `cwd` (not the crate directory).
fn go_in(cwd: &Path, args: &[&str], file: &Path) -> (bool, String) {
    let out = Command::new("go")
        .args(["tool", "pprof"])
        .args(args)
        .arg(file)
        .current_dir(cwd)
        .env("PPROF_TMPDIR", cwd)
        .env("HOME", cwd)
        .output()
        .expect("`go` not found: install golang-go (see .ci/run)");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// `line` as the HTML pages write it.
fn escape(line: &str) -> String {
    line.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

/// `-list` and `-weblist` of `func` show `line` (a line of its source).
fn list_and_weblist(cwd: &Path, file: &Path, index: &str, func: &str, line: &str) {
    let si = format!("-sample_index={index}");
    let (ok, out) = go_in(cwd, &[&si, "-list", func], file);
    assert!(ok && out.contains(line), "-list {func}:\n{out}");
    let html = cwd.join(format!("{func}-{index}.html"));
    let out_arg = format!("-output={}", html.display());
    let (ok, out) = go_in(cwd, &[&si, "-weblist", func, &out_arg], file);
    assert!(ok && !out.contains("panic"), "-weblist {func}:\n{out}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains(&escape(line)),
        "-weblist {func} lacks {line:?}:\n{page}"
    );
}

/// The `-http` UI serves the Source page of `func` (with `line`) and the
/// Graph page (with `func`).
fn http_source_and_graph(cwd: &Path, file: &Path, index: &str, func: &str, line: &str) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // The pprof tool itself (not `go tool`, which would leave it running
    // when killed).
    let tool = Command::new("go")
        .args(["tool", "-n", "pprof"])
        .output()
        .unwrap();
    let tool = String::from_utf8_lossy(&tool.stdout).trim().to_owned();
    let server = KillOnDrop(
        Command::new(tool)
            .arg("-no_browser")
            .arg(format!("-http=127.0.0.1:{port}"))
            .arg(file)
            .current_dir(cwd)
            .env("PPROF_TMPDIR", cwd)
            .env("HOME", cwd)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let get = |path: &str| -> Option<String> {
        ureq::get(&format!("http://127.0.0.1:{port}{path}"))
            .call()
            .ok()
            .and_then(|r| r.into_string().ok())
    };
    let t = Instant::now();
    let mut source = None;
    while t.elapsed() < Duration::from_secs(30) {
        if let Some(s) = get(&format!("/ui/source?f={func}&si={index}")) {
            source = Some(s);
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let graph = get(&format!("/ui/?si={index}"));
    drop(server);
    let source = source.expect("go tool pprof -http did not serve");
    // The page HTML-escapes the source text.
    let escaped = line
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    assert!(
        source.contains(&escaped) || source.contains(line),
        "Source page of {func} lacks {line:?}"
    );
    assert!(
        graph.is_some_and(|g| g.contains(func)),
        "Graph page lacks {func}"
    );
}

#[test]
fn list_weblist_and_http_source_on_time_heap_and_mutex_profiles() {
    static M: inprof::sync::Mutex<u64> = inprof::sync::Mutex::new(0);
    inprof::set_mutex_profile_fraction(1);
    let dir = tmpdir("go-source");
    let elsewhere = tmpdir("go-source-cwd");
    let time = dir.join("cpu.pb.gz");
    let g = inprof::start_cpu_profile(std::fs::File::create(&time).unwrap()).unwrap();
    std::hint::black_box(busy_source_line());
    g.stop().unwrap();
    let kept = allocating_source_line();
    contending_source_line(&M);
    let write = |name: &str| write_named(&dir, name);
    let (heap, mutex) = (write("heap"), write("mutex"));
    inprof::set_mutex_profile_fraction(0);

    for index in ["cpu", "wall"] {
        list_and_weblist(
            &elsewhere,
            &time,
            index,
            "busy_source_line",
            "while t.elapsed() < Duration::from_millis(300)",
        );
    }
    http_source_and_graph(
        &elsewhere,
        &time,
        "wall",
        "busy_source_line",
        "while t.elapsed() < Duration::from_millis(300)",
    );
    list_and_weblist(
        &elsewhere,
        &heap,
        "inuse_space",
        "allocating_source_line",
        "(0..100).map(|i| vec![0u8; 1000 + i]).collect()",
    );
    http_source_and_graph(
        &elsewhere,
        &heap,
        "inuse_space",
        "allocating_source_line",
        "(0..100).map(|i| vec![0u8; 1000 + i]).collect()",
    );
    list_and_weblist(
        &elsewhere,
        &mutex,
        "delay",
        "contending_source_line",
        "fn contending_source_line",
    );
    http_source_and_graph(
        &elsewhere,
        &mutex,
        "delay",
        "contending_source_line",
        "fn contending_source_line",
    );
    drop(kept);
}
