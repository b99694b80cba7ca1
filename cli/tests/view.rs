//! `inprof top` reads what `go tool pprof -top` reads, to the same numbers:
//! time, heap, block and mutex profiles we wrote, and profiles written by a
//! Go program. Also peek, traces, tree, flame, graph and diff on real files,
//! and one-line errors for corrupt input.

#[path = "../../tests/common/mod.rs"]
mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

#[global_allocator]
static ALLOC: inprof::Alloc = inprof::Alloc::system();

#[inprof::profile]
fn leaf(n: u64) -> u64 {
    (0..n).map(|i| std::hint::black_box(i * 3)).sum()
}

#[inprof::profile]
fn middle(n: u64) -> u64 {
    leaf(n) + leaf(n / 2)
}

#[inprof::profile]
fn allocate() -> Vec<Vec<u8>> {
    (0..20).map(|i| vec![0u8; 1000 + i * 10]).collect()
}

#[inprof::profile]
fn contend(m: &'static inprof::sync::Mutex<u32>) {
    let g = m.lock();
    let t = inprof::thread::spawn(move || *m.lock() += 1);
    std::thread::sleep(Duration::from_millis(30));
    drop(g);
    t.join().unwrap();
}

fn inprof_cmd(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_inprof"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Compares `inprof top` with `go tool pprof -top` on `file`.
fn agree(file: &Path, index: Option<&str>, unit: &str) {
    let mut ours_args = vec!["top".to_string(), file.display().to_string()];
    let mut go_args: Vec<String> = vec![format!("-unit={unit}")];
    if let Some(i) = index {
        ours_args.push(format!("--sample-index={i}"));
        go_args.push(format!("-sample_index={i}"));
    }
    let a: Vec<&str> = ours_args.iter().map(String::as_str).collect();
    let (ok, out, err) = inprof_cmd(&a);
    assert!(ok, "{err}");
    assert!(!out.contains('\x1b'), "colour codes in piped output");
    let ours = parse_top(&out);
    let g: Vec<&str> = go_args.iter().map(String::as_str).collect();
    let theirs = top(file, &g);
    assert!(
        !theirs.is_empty(),
        "pprof shows nothing for {}",
        file.display()
    );
    assert_eq!(
        ours.len(),
        theirs.len(),
        "row counts differ\nours: {ours:#?}\npprof: {theirs:#?}"
    );
    for t in &theirs {
        let o = ours
            .iter()
            .find(|o| o.name == t.name)
            .unwrap_or_else(|| panic!("{} missing from inprof top:\n{out}", t.name));
        let close = |a: f64, b: f64| (a - b).abs() <= b.abs() * 0.005 + 1e-9;
        assert!(
            close(o.flat, t.flat),
            "{}: flat {} vs pprof {}",
            t.name,
            o.flat,
            t.flat
        );
        assert!(
            close(o.cum, t.cum),
            "{}: cum {} vs pprof {}",
            t.name,
            o.cum,
            t.cum
        );
    }
}

const GO_PROGRAM: &str = r#"package main

import (
	"os"
	"runtime"
	"runtime/pprof"
	"time"
)

var sink [][]byte

//go:noinline
func spin(d time.Duration) int {
	n := 0
	for t := time.Now(); time.Since(t) < d; n++ {
	}
	return n
}

//go:noinline
func grow() {
	for i := 0; i < 2000; i++ {
		sink = append(sink, make([]byte, 4096))
	}
}

// Inlined into direct, called through a func value by viaValue: pprof
// shows one row, main.mk (partial-inline).
func mk(n int) []byte { return make([]byte, n) }

//go:noinline
func direct() {
	for i := 0; i < 1000; i++ {
		sink = append(sink, mk(4096))
	}
}

//go:noinline
func viaValue(f func(int) []byte) {
	for i := 0; i < 1000; i++ {
		sink = append(sink, f(4096))
	}
}

func main() {
	runtime.MemProfileRate = 4096
	cpu, _ := os.Create(os.Args[1])
	pprof.StartCPUProfile(cpu)
	spin(300 * time.Millisecond)
	grow()
	direct()
	viaValue(mk)
	pprof.StopCPUProfile()
	cpu.Close()
	// The heap profile is as of the last GC: one after every allocation.
	runtime.GC()
	heap, _ := os.Create(os.Args[2])
	pprof.WriteHeapProfile(heap)
	heap.Close()
}
"#;

fn go_profiles(dir: &Path) -> (PathBuf, PathBuf) {
    let src = dir.join("main.go");
    std::fs::write(&src, GO_PROGRAM).unwrap();
    let cpu = dir.join("go-cpu.pb.gz");
    let heap = dir.join("go-heap.pb.gz");
    let out = Command::new("go")
        .arg("run")
        .arg(&src)
        .arg(&cpu)
        .arg(&heap)
        .env("GO111MODULE", "off")
        .env("GOCACHE", std::env::temp_dir().join("inprof-go-cache"))
        .env("HOME", dir)
        .output()
        .expect("go not found: install golang-go");
    assert!(
        out.status.success(),
        "go run: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (cpu, heap)
}

/// One test: the time profile is process-wide, one at a time.
#[test]
fn views_agree_with_pprof_and_handle_bad_input() {
    // Every call timed: `leaf` (about a microsecond optimized) is near the
    // demotion threshold, and these views are about reading its frames.
    inprof::set_adaptive(false);
    top_agrees_with_go_tool_pprof();
    reports_graphs_and_errors();
}

fn top_agrees_with_go_tool_pprof() {
    static M: inprof::sync::Mutex<u32> = inprof::sync::Mutex::new(0);
    inprof::set_block_profile_rate(1);
    inprof::set_mutex_profile_fraction(1);
    let dir = tmpdir("viewtop");
    let cpu = dir.join("cpu.pb.gz");
    let g = inprof::start_cpu_profile(std::fs::File::create(&cpu).unwrap()).unwrap();
    // Long enough for CPU samples (the default sample type) in any build.
    let t = std::time::Instant::now();
    let mut rounds = 0;
    while rounds < 200 || t.elapsed() < std::time::Duration::from_millis(300) {
        middle(2000);
        rounds += 1;
    }
    let kept = allocate();
    contend(&M);
    g.stop().unwrap();
    let write = |name: &str| write_named(&dir, name);
    let (heap, block, mutex) = (write("heap"), write("block"), write("mutex"));

    agree(&cpu, None, "ns");
    agree(&cpu, Some("wall"), "ns");
    agree(&cpu, Some("calls"), "ns");
    agree(&heap, Some("inuse_space"), "B");
    agree(&heap, Some("alloc_objects"), "B");
    agree(&block, Some("delay"), "ns");
    agree(&mutex, Some("delay"), "ns");
    agree(&mutex, Some("contentions"), "ns");

    let (gcpu, gheap) = go_profiles(&dir);
    agree(&gcpu, None, "ns");
    agree(&gcpu, Some("samples"), "ns");
    agree(&gheap, Some("alloc_space"), "B");
    agree(&gheap, Some("inuse_objects"), "B");
    inlined_like_pprof(&gheap);
    drop(kept);
}

/// A function inlined into one caller and called by another is one row,
/// labelled from the calls into it, in top and in peek, as pprof has it.
fn inlined_like_pprof(heap: &Path) {
    let file = heap.display().to_string();
    let (ok, out, err) = inprof_cmd(&["top", &file, "--sample-index=alloc_space"]);
    assert!(ok, "{err}");
    let ours = parse_top(&out);
    let theirs = top(heap, &["-sample_index=alloc_space"]);
    let mk = |rows: &[common::Row]| -> Vec<String> {
        rows.iter()
            .filter(|r| r.name.starts_with("main.mk"))
            .map(|r| r.name.clone())
            .collect()
    };
    assert_eq!(
        mk(&theirs),
        ["main.mk (partial-inline)"],
        "pprof: {theirs:#?}"
    );
    assert_eq!(mk(&ours), mk(&theirs), "inprof top:\n{out}");
    // 1000 allocations of 4 kB on each path (sampled every 4 kB on
    // average: at least half of them kept).
    let r = common::row(&ours, "main.mk (partial-inline)");
    assert!(r.flat > 4e6 && r.flat < 9e6, "main.mk flat {}", r.flat);
    // peek: the callers, the inlined call marked.
    let (ok, out, err) = inprof_cmd(&["peek", "main\\.mk$", &file, "--sample-index=alloc_space"]);
    assert!(ok, "{err}");
    let go = Command::new("go")
        .args([
            "tool",
            "pprof",
            "-peek",
            "main\\.mk$",
            "-sample_index=alloc_space",
        ])
        .args(["-nodefraction=0", "-edgefraction=0"])
        .arg(heap)
        .output()
        .unwrap();
    let go = String::from_utf8_lossy(&go.stdout);
    let callers = |s: &str| -> Vec<String> {
        let mut c: Vec<String> = s
            .lines()
            .filter_map(|l| l.split_once("|   ").map(|(_, n)| n.trim().to_owned()))
            .collect();
        c.sort();
        c
    };
    assert_eq!(
        callers(&out),
        ["main.direct (inline)", "main.viaValue"],
        "inprof peek:\n{out}"
    );
    assert_eq!(callers(&out), callers(&go), "pprof peek:\n{go}");
}

fn reports_graphs_and_errors() {
    let dir = tmpdir("viewrep");
    let base = dir.join("base.pb.gz");
    let new = dir.join("new.pb.gz");
    let g = inprof::start_cpu_profile(std::fs::File::create(&base).unwrap()).unwrap();
    middle(100_000);
    g.stop().unwrap();
    let g = inprof::start_cpu_profile(std::fs::File::create(&new).unwrap()).unwrap();
    middle(400_000);
    g.stop().unwrap();
    let b = base.to_str().unwrap();
    let n = new.to_str().unwrap();

    let (ok, peek, err) = inprof_cmd(&["peek", "--sample-index=wall", "view::leaf", b]);
    assert!(ok, "{err}");
    let leaf_line = peek
        .lines()
        .position(|l| l.ends_with("| view::leaf"))
        .expect(&peek);
    assert!(
        peek.lines()
            .nth(leaf_line - 1)
            .unwrap()
            .ends_with("|   view::middle"),
        "{peek}"
    );

    let (ok, tr, err) = inprof_cmd(&["traces", "--sample-index=calls", b]);
    assert!(ok, "{err}");
    assert!(
        tr.contains("view::leaf\n              view::middle")
            || tr.contains("view::leaf\n             view::middle"),
        "{tr}"
    );
    let (ok, tree, _) = inprof_cmd(&["tree", "--sample-index=wall", b]);
    assert!(ok && tree.contains("| view::middle"), "{tree}");

    let (ok, folded, err) = inprof_cmd(&["flame", "--sample-index=wall", "--folded", b]);
    assert!(ok, "{err}");
    assert!(
        folded
            .lines()
            .any(|l| l.starts_with("view::middle;view::leaf ")),
        "{folded}"
    );
    let svg = dir.join("flame.svg");
    let (ok, _, err) = inprof_cmd(&[
        "flame",
        "--sample-index=wall",
        b,
        "-o",
        svg.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let s = std::fs::read_to_string(&svg).unwrap();
    assert!(
        s.contains("<svg") && s.contains("view::leaf: flat ") && s.contains(", cum "),
        "tooltips"
    );

    let (ok, dot, err) = inprof_cmd(&["graph", "--sample-index=wall", b]);
    assert!(ok, "{err}");
    assert!(
        dot.starts_with("digraph") && dot.contains("view::middle") && dot.contains("->"),
        "{dot}"
    );
    let gsvg = dir.join("graph.svg");
    let (ok, _, err) = inprof_cmd(&[
        "graph",
        "--sample-index=wall",
        b,
        "-o",
        gsvg.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert!(std::fs::read_to_string(&gsvg).unwrap().contains("<svg"));

    let dsvg = dir.join("diff.svg");
    let (ok, diff, err) = inprof_cmd(&[
        "diff",
        "--sample-index=wall",
        b,
        n,
        "-o",
        dsvg.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let first = diff.lines().nth(2).unwrap_or("");
    assert!(
        first.contains("view::leaf") && first.trim_start().starts_with('+'),
        "{diff}"
    );
    assert!(std::fs::read_to_string(&dsvg).unwrap().contains("<svg"));

    // Corrupt and missing input: one line naming the problem.
    let bad = dir.join("bad.pb.gz");
    let bytes = std::fs::read(&base).unwrap();
    std::fs::write(&bad, &bytes[..bytes.len() / 2]).unwrap();
    for (file, want) in [
        (bad.to_str().unwrap().to_owned(), "corrupt profile"),
        (
            dir.join("missing").to_str().unwrap().to_owned(),
            "No such file",
        ),
    ] {
        let (ok, _, err) = inprof_cmd(&["top", &file]);
        assert!(!ok);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(want) && err.starts_with("inprof: "), "{err}");
    }
    let (ok, _, err) = inprof_cmd(&["top", "--sample-index=nope", b]);
    assert!(!ok && err.contains("not in profile"), "{err}");

    // From a running process over HTTP, like `go tool pprof URL`.
    let server = inprof::http::serve("127.0.0.1:0").unwrap();
    let kept = allocate();
    let url = format!("http://{}/debug/pprof/heap", server.local_addr());
    let (ok, out, err) = inprof_cmd(&["top", "--sample-index=inuse_space", &url]);
    assert!(ok, "{err}");
    assert!(out.contains("view::allocate"), "{out}");
    let prof = format!("http://{}/debug/pprof/profile", server.local_addr());
    let worker = std::thread::spawn(|| {
        let t = std::time::Instant::now();
        while t.elapsed() < Duration::from_millis(1500) {
            middle(10_000);
        }
    });
    let (ok, out, err) = inprof_cmd(&["top", "--seconds=1", &prof]);
    worker.join().unwrap();
    assert!(ok, "{err}");
    assert!(
        out.contains("view::leaf") && out.contains("Duration: 1"),
        "{out}"
    );
    let bad = format!("http://{}/debug/pprof/nope", server.local_addr());
    let (ok, _, err) = inprof_cmd(&["top", &bad]);
    assert!(
        !ok && err.contains("server response: 404 - Unknown profile"),
        "{err}"
    );
    drop(kept);
}
