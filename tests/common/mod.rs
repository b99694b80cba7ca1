//! Helpers shared by the integration tests: run the real `go tool pprof` on
//! what we wrote and parse what it prints.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// `cargo ARGS --manifest-path tests/CRATE/Cargo.toml` with its own target
/// directory, `target/TARGET` (also returned): for the tests that build a
/// crate of their own under tests/. Add environment and run it.
pub fn sub_crate(args: &[&str], krate: &str, target: &str) -> (Command, PathBuf) {
    let root = env!("CARGO_MANIFEST_DIR");
    let dir = Path::new(root).join("target").join(target);
    let mut cargo = Command::new(env!("CARGO"));
    cargo
        .args(args)
        .arg("--manifest-path")
        .arg(format!("{root}/tests/{krate}/Cargo.toml"))
        .env("CARGO_TARGET_DIR", &dir);
    (cargo, dir)
}

/// Runs `cmd`; fails the test with its output, headed by `what`, if it
/// fails.
pub fn run_ok(cmd: &mut Command, what: &str) -> std::process::Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A fresh directory for this test's files.
pub fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("inprof-test-{}-{}", name, std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs `go tool pprof ARGS FILE` and returns stdout; fails the test with
/// pprof's stderr if pprof rejects the file.
pub fn pprof(args: &[&str], file: &Path) -> String {
    let tmp = tmpdir("pprof-home");
    let out = Command::new("go")
        .args(["tool", "pprof"])
        .args(args)
        .arg(file)
        .env("PPROF_TMPDIR", &tmp)
        .env("HOME", &tmp)
        .output()
        .expect("`go` not found: install golang-go (see .ci/run)");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "go tool pprof {args:?} failed: {stderr}\n{stdout}"
    );
    stdout
}

/// One row of `go tool pprof -top`, values in the base unit (ns, bytes, count).
#[derive(Debug, Clone)]
pub struct Row {
    pub flat: f64,
    pub cum: f64,
    pub name: String,
}

/// Parses a pprof value such as `150.20ms`, `1.50MB`, `4000`.
pub fn parse_value(s: &str) -> f64 {
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == 'e'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let v: f64 = num.parse().unwrap_or_else(|_| panic!("bad value {s:?}"));
    let mul = match unit {
        "" | "B" | "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "mins" => 60e9,
        "hrs" => 3600e9,
        "kB" => 1024.0,
        "MB" => 1024.0 * 1024.0,
        "GB" => 1024.0 * 1024.0 * 1024.0,
        other => panic!("unknown unit {other:?} in {s:?}"),
    };
    v * mul
}

/// `go tool pprof -top`'s flags for a table with nothing dropped, as
/// `inprof top` drops nothing: no node (`-nodefraction`, `-nodecount`) and
/// no edge. An edge under pprof's default `-edgefraction` (0.1 % of the
/// total) is dropped before the rows are labelled, and with it the
/// `(inline)` of a function reached only through it (a Go heap profile in
/// CI: `addMappingEntry`, inlined, 4 kB of 4.25 MB, shown bare).
pub const TOP_ALL: [&str; 4] = [
    "-top",
    "-nodefraction=0",
    "-edgefraction=0",
    "-nodecount=100000",
];

/// `go tool pprof -top` with nothing dropped, parsed.
pub fn top(file: &Path, extra: &[&str]) -> Vec<Row> {
    let mut args = TOP_ALL.to_vec();
    args.extend_from_slice(extra);
    let out = pprof(&args, file);
    parse_top(&out)
}

/// Parses the table `go tool pprof -top` prints.
pub fn parse_top(out: &str) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut in_table = false;
    for line in out.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.first() == Some(&"flat") && f.get(1) == Some(&"flat%") {
            in_table = true;
            continue;
        }
        if !in_table || f.len() < 6 {
            continue;
        }
        rows.push(Row {
            flat: parse_value(f[0]),
            cum: parse_value(f[3]),
            name: f[5..].join(" "),
        });
    }
    rows
}

/// The row of the function named `name` (exact match).
pub fn row<'a>(rows: &'a [Row], name: &str) -> &'a Row {
    rows.iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("{name} not in pprof output: {rows:#?}"))
}

/// Asserts `got` is within `tol` (a fraction) of `want`.
#[track_caller]
pub fn assert_near(what: &str, got: f64, want: f64, tol: f64) {
    assert_around(what, got, want, tol, tol);
}

/// Asserts `got` is no more than `below` (a fraction) under `want` and no
/// more than `above` over it: for a wall time that preemption can only
/// stretch.
#[track_caller]
pub fn assert_around(what: &str, got: f64, want: f64, below: f64, above: f64) {
    let lo = want * (1.0 - below);
    let hi = want * (1.0 + above);
    assert!(
        got >= lo && got <= hi,
        "{what}: got {got}, want {want} -{}%/+{}%",
        below * 100.0,
        above * 100.0
    );
}

/// Runs `f` and returns its result and how long it took (ns), measured
/// around it: the truth a profile's wall time is checked against.
pub fn measure<R>(f: impl FnOnce() -> R) -> (R, f64) {
    let t = std::time::Instant::now();
    let r = f();
    (r, t.elapsed().as_nanos() as f64)
}

/// The profile's wall time for a function against the calls' measured
/// time: within 1 % (the profile's clock against `Instant`'s), and at least
/// the `spun` milliseconds asked for (a spin never ends early).
#[track_caller]
pub fn assert_measured(what: &str, got: f64, measured: f64, spun_ms: f64) {
    assert_near(
        &format!("{what} vs the measured calls"),
        got,
        measured,
        0.01,
    );
    assert!(
        got >= 0.99 * spun_ms * 1e6,
        "{what}: {got} ns, under the {spun_ms} ms spun"
    );
}

/// A file's permission bits (`0o600` for a private one).
#[cfg(unix)]
pub fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// `go tool pprof -raw` accepts the file; returns its output.
pub fn raw(file: &Path) -> String {
    pprof(&["-raw"], file)
}

/// The stacks `go tool pprof -traces` prints, each leaf first, with the
/// sample's value as pprof formatted it.
pub fn traces(file: &Path, extra: &[&str]) -> Vec<(String, Vec<String>)> {
    let mut args = vec!["-traces"];
    args.extend_from_slice(extra);
    let out = pprof(&args, file);
    let mut res = Vec::new();
    for block in out.split("-----------+-------------------------------------------------------") {
        let mut value = String::new();
        let mut stack = Vec::new();
        for line in block.lines() {
            let t = line.trim();
            let f: Vec<&str> = t.split_whitespace().collect();
            if f.is_empty() {
                continue;
            }
            // Header lines (`File:`, `Type:`) and label lines (`thread:  main`,
            // `bytes:  1kB`) start with a word ending in ':'.
            if f[0].ends_with(':') {
                continue;
            }
            if stack.is_empty() {
                value = f[0].to_owned();
                stack.push(f[1..].join(" "));
            } else {
                stack.push(f.join(" "));
            }
        }
        if !stack.is_empty() {
            res.push((value, stack));
        }
    }
    res
}

/// A child process killed and reaped when dropped (also when the test
/// panics: a server left running would hold the test's output open).
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Writes the named profile (`inprof::lookup(name)`) as pprof into
/// `dir/NAME.pb.gz`; its path.
pub fn write_named(dir: &Path, name: &str) -> PathBuf {
    let f = dir.join(format!("{name}.pb.gz"));
    inprof::lookup(name)
        .unwrap()
        .write_to(std::fs::File::create(&f).unwrap(), 0)
        .unwrap();
    f
}

/// This thread's CPU time, in nanoseconds: what a loop cost without the
/// time a VM's host took the CPU away.
pub fn thread_cpu_ns() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec it is given.
    let r = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    assert_eq!(r, 0);
    t.tv_sec as f64 * 1e9 + t.tv_nsec as f64
}
