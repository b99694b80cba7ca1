//! Go's CLI habits work, with `go tool pprof`'s numbers: single-dash flags
//! and report flags (`inprof -top -cum -nodecount=2 -sample_index=calls
//! F`), `-tags`, `--tagfocus`/`--tagignore`, `--hide`/`--show`, `--unit`,
//! several profiles merged, and Go's messages for no matches.

#[path = "../../tests/common/mod.rs"]
mod common;
use common::*;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn spin(d: Duration) {
    let t = Instant::now();
    while t.elapsed() < d {
        std::hint::black_box(0);
    }
}

#[inprof::profile]
fn leaf(ms: u64) {
    spin(Duration::from_millis(ms));
}

#[inprof::profile]
fn middle(ms: u64) {
    leaf(ms);
    leaf(ms / 2);
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

/// `inprof ARGS FILES` and `go tool pprof GO_ARGS FILES` give the same top
/// rows (names, flat, cum; values compared at pprof's printed precision).
fn same_top(ours: &[&str], go: &[&str], files: &[&Path]) -> Vec<Row> {
    let mut a: Vec<String> = ours.iter().map(|s| s.to_string()).collect();
    a.extend(files.iter().map(|f| f.display().to_string()));
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let (ok, out, err) = inprof_cmd(&a);
    assert!(ok, "inprof {a:?}: {err}");
    let mine = parse_top(&out);
    let out = Command::new("go")
        .args(["tool", "pprof"])
        .args(go)
        .args(files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs = parse_top(&String::from_utf8_lossy(&out.stdout));
    assert!(!theirs.is_empty(), "pprof shows nothing for {go:?}");
    assert_eq!(
        mine.iter().map(|r| &r.name).collect::<Vec<_>>(),
        theirs.iter().map(|r| &r.name).collect::<Vec<_>>(),
        "rows differ for {a:?}\nours: {mine:#?}\npprof: {theirs:#?}"
    );
    for (m, t) in mine.iter().zip(&theirs) {
        for (what, x, y) in [("flat", m.flat, t.flat), ("cum", m.cum, t.cum)] {
            assert!(
                (x - y).abs() <= 0.01 * y.abs().max(1.0),
                "{what} of {} differs for {a:?}: ours {x}, pprof {y}",
                m.name
            );
        }
    }
    mine
}

#[test]
fn go_flags_filters_merging_and_messages() {
    let dir = tmpdir("go-habits");
    let file = dir.join("cpu.pb.gz");
    let g = inprof::start_cpu_profile(std::fs::File::create(&file).unwrap()).unwrap();
    inprof::with_labels(&[("request", "a")], || middle(20));
    inprof::with_labels(&[("request", "b")], || middle(10));
    leaf(4);
    g.stop().unwrap();
    let f = file.as_path();

    // Go's own spelling, report flag first.
    let rows = same_top(
        &["-top", "-cum", "-nodecount=2", "-sample_index=calls"],
        &["-top", "-cum", "-nodecount=2", "-sample_index=calls"],
        &[f],
    );
    assert_eq!(rows.len(), 2);
    same_top(
        &["top", "-sample_index=wall", "-unit=ms"],
        &["-top", "-sample_index=wall", "-unit=ms"],
        &[f],
    );
    same_top(
        &[
            "top",
            "--sample-index=wall",
            "--unit=ns",
            "--tagfocus=request=a",
        ],
        &[
            "-top",
            "-sample_index=wall",
            "-unit=ns",
            "-tagfocus=request=a",
        ],
        &[f],
    );
    same_top(
        &[
            "top",
            "--sample-index=wall",
            "--unit=ns",
            "--tagignore=request=a",
        ],
        &[
            "-top",
            "-sample_index=wall",
            "-unit=ns",
            "-tagignore=request=a",
        ],
        &[f],
    );
    same_top(
        &["top", "--sample-index=wall", "--unit=ns", "--hide=middle"],
        &["-top", "-sample_index=wall", "-unit=ns", "-hide=middle"],
        &[f],
    );
    same_top(
        &["top", "--sample-index=calls", "--show=leaf"],
        &["-top", "-sample_index=calls", "-show=leaf"],
        &[f],
    );
    // Several profiles merged, as Go merges them: twice the calls.
    let merged = same_top(
        &["top", "-sample_index=calls"],
        &["-top", "-sample_index=calls"],
        &[f, f],
    );
    let leaf_calls = merged
        .iter()
        .find(|r| r.name == "go_habits::leaf")
        .unwrap()
        .flat;
    assert_eq!(leaf_calls, 10.0, "{merged:#?}");

    // -tags: the label values with their share.
    let (ok, tags, err) = inprof_cmd(&["-tags", "-sample_index=calls", f.to_str().unwrap()]);
    assert!(ok, "{err}");
    // 3 calls under each request label (middle and its two leaves).
    assert!(tags.contains("request: Total 6"), "{tags}");
    assert!(
        tags.contains("(50.00%): a") && tags.contains("(50.00%): b"),
        "{tags}"
    );

    // The graph's label nodes: each node's own label values.
    let (ok, dot, err) = inprof_cmd(&["graph", "-sample_index=calls", f.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(
        dot.contains("request:a\\n") && dot.contains("request:b\\n") && dot.contains("shape=box3d"),
        "{dot}"
    );

    // Go's message where nothing matches.
    let (ok, _, err) = inprof_cmd(&["-peek=zzz", f.to_str().unwrap()]);
    assert!(
        !ok && err.contains("no matches found for regexp: zzz"),
        "{err}"
    );
    let (ok, out, err) = inprof_cmd(&["top", "--focus=nomatch", f.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(
        out.contains("Active filters:\n   focus=nomatch")
            && out.contains("Showing nodes accounting for 0"),
        "{out}"
    );
    // The row count's default is "all", not a number.
    let (_, help, _) = inprof_cmd(&["top", "--help"]);
    assert!(!help.contains("18446744073709551615"), "{help}");
    // A file that is not a profile: one line.
    let (ok, _, err) = inprof_cmd(&["top", "/etc/passwd"]);
    assert!(!ok && err.trim().lines().count() == 1, "{err}");
}
