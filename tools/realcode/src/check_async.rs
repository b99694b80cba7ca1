//! The async wholesale test (`inprof-realcode check-async`): mini-redis
//! (tokio's example server and client), fetched at a pinned version and
//! instrumented wholesale, against its published self.
//!
//! 1. Its own test suite passes unchanged (same counts passed, ignored).
//! 2. Under known load (workloads/redis: 8 clients × 100 sets and 100
//!    gets against an in-process server), `go tool pprof` reads the known
//!    truth: `Connection::read_frame` finished once per frame (server and
//!    client side) plus once per connection (end of stream), never once
//!    per poll; `Client::get` and `Client::set` once per command; each
//!    connection's `Handler::run` once; cancelled only the shutdown branch
//!    of the server's per-frame `select!`; `Client::get`'s
//!    latency equals the wall time the clients measured around their gets
//!    (within 5 %).
//! 3. The thread dump taken while the clients sit idle lists each
//!    connection's handler as a waiting task with both branches of its
//!    `select!` (`read_frame`, `Shutdown::recv`) in its await tree.
//! 4. The run time against the uninstrumented build is printed.

use crate::check::{cargo, pprof_top, test_counts, Row};
use crate::{fetch_target, prepare, repo, run_status, Target};
use std::path::Path;
use std::process::Command;

const CLIENTS: f64 = 8.0;
const OPS: f64 = 100.0;

/// Builds the workload against `krate` (inprof's `enable` as given) in
/// release; the executable.
fn build(
    dir: &Path,
    krate: &Path,
    enable: bool,
    target: &Path,
) -> Result<std::path::PathBuf, String> {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("workloads/redis/main.rs");
    std::fs::copy(src, dir.join("src/main.rs")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"redis-check\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\nmini-redis = {{ path = {:?} }}\ninprof = {{ path = {:?}, default-features = {enable}, features = [\"tokio\"] }}\ntokio = {{ version = \"1\", features = [\"full\"] }}\n\n[workspace]\n",
            krate.display().to_string(),
            repo().display().to_string()
        ),
    )
    .unwrap();
    let (ok, out) = cargo(dir, target, &["build", "--release", "--quiet"]);
    if !ok {
        return Err(format!("the redis workload does not build:\n{out}"));
    }
    Ok(target.join("release/redis-check"))
}

fn value(out: &str, key: &str) -> f64 {
    out.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN)
}

fn by_suffix(rows: &[Row], suffix: &str) -> f64 {
    rows.iter()
        .filter(|r| r.name.ends_with(suffix))
        .map(|r| r.flat)
        .sum()
}

fn expect(failures: &mut Vec<String>, what: &str, got: f64, want: f64) {
    eprintln!("check-async: {what}: {got} (expected {want})");
    if got != want {
        failures.push(format!("{what}: {got}, expected {want}"));
    }
}

/// Runs the async wholesale test; the failures it found, if any.
pub fn check(work: &Path) -> Result<(), Vec<String>> {
    let t: &Target = fetch_target("redis");
    let (plain, instr, _) = prepare(work, t);
    let dir = work.join(t.name);
    let tgt_plain = dir.join("target-check-plain");
    let tgt_instr = dir.join("target-check-instr");
    let mut failures = Vec::new();

    // 1. The test suite.
    eprintln!("check-async: the test suites");
    let (ok_p, tp) = cargo(&plain, &tgt_plain, &["test", "--no-fail-fast"]);
    if !ok_p {
        return Err(vec![format!("the published crate's tests fail:\n{tp}")]);
    }
    let (ok_ti, ti) = cargo(
        &instr,
        &tgt_instr,
        &["test", "--no-fail-fast", "--features", "inprof/enable"],
    );
    let (cp, ci) = (test_counts(&tp), test_counts(&ti));
    eprintln!("check-async: tests passed/failed/ignored: published {cp:?}, instrumented {ci:?}");
    if !ok_ti || ci != cp || ci.0 == 0 {
        failures.push(format!(
            "the test suite differs: published {cp:?}, instrumented {ci:?}\n{ti}"
        ));
    }

    // 2. Known load.
    eprintln!("check-async: the workload, uninstrumented and instrumented");
    let exe_plain = build(
        &dir.join("wl-plain"),
        &plain,
        false,
        &dir.join("target-wl-plain"),
    )
    .map_err(|e| vec![e])?;
    let exe_instr = build(
        &dir.join("wl-instr"),
        &instr,
        true,
        &dir.join("target-wl-instr"),
    )
    .map_err(|e| vec![e])?;
    let (ok, out_plain) = run_status(Command::new(&exe_plain).arg("-"));
    if !ok {
        return Err(vec![format!(
            "the uninstrumented workload failed:\n{out_plain}"
        )]);
    }
    let profile = dir.join("redis.pb.gz");
    let (ok, out) = run_status(Command::new(&exe_instr).arg(&profile));
    if !ok {
        return Err(vec![format!("the instrumented workload failed:\n{out}")]);
    }
    // Exact nanoseconds (pprof otherwise rounds to the table's unit).
    let rows = |index: &str| pprof_top(&profile, &[&format!("-sample_index={index}"), "-unit=ns"]);
    let (calls, polls, latency, cancelled) = match (
        rows("calls"),
        rows("polls"),
        rows("latency"),
        rows("cancelled"),
    ) {
        (Ok(a), Ok(b), Ok(c), Ok(d)) => (a, b, c, d),
        (a, b, c, d) => {
            return Err([a.err(), b.err(), c.err(), d.err()]
                .into_iter()
                .flatten()
                .collect())
        }
    };
    let frames = CLIENTS * (4.0 * OPS + 1.0);
    expect(
        &mut failures,
        "Connection::read_frame calls",
        by_suffix(&calls, "Connection::read_frame"),
        frames,
    );
    expect(
        &mut failures,
        "Client::get calls",
        by_suffix(&calls, "Client::get"),
        CLIENTS * OPS,
    );
    expect(
        &mut failures,
        "Client::set calls",
        by_suffix(&calls, "Client::set"),
        CLIENTS * OPS,
    );
    expect(
        &mut failures,
        "Handler::run calls",
        by_suffix(&calls, "Handler::run"),
        CLIENTS,
    );
    // Cancelled: only the shutdown branch of the server's per-frame
    // `select!`, dropped when a frame won (when it was polled at all:
    // `select!` polls its branches in random order).
    let cancelled_total: f64 = cancelled.iter().map(|r| r.flat).sum();
    let shutdown_cancelled = by_suffix(&cancelled, "Shutdown::recv");
    eprintln!(
        "check-async: cancelled futures: {cancelled_total} ({shutdown_cancelled} Shutdown::recv, at most {})",
        CLIENTS * (2.0 * OPS + 1.0)
    );
    if cancelled_total != shutdown_cancelled || shutdown_cancelled > CLIENTS * (2.0 * OPS + 1.0) {
        failures.push(format!(
            "cancelled futures other than the select!'s shutdown branch: {cancelled_total} in all, {shutdown_cancelled} Shutdown::recv"
        ));
    }
    let rf_polls = by_suffix(&polls, "Connection::read_frame");
    eprintln!("check-async: Connection::read_frame polls: {rf_polls} (for {frames} calls)");
    if rf_polls < frames {
        failures.push(format!("read_frame polls {rf_polls} < its calls {frames}"));
    }
    let (mut get_latency, mut get_wall) = (
        by_suffix(&latency, "Client::get"),
        value(&out, "get_wall_ns"),
    );
    // The clients' clock also holds what runs between it and the future's
    // first and last poll: a few hundred nanoseconds a get, unless the
    // thread is preempted there. On a loaded machine that happened once
    // (CI, 2026-12-07: −5.71 %, every count exact, −0.05 to −0.29 % in
    // six runs after): a miss is measured again, twice at most, in a new
    // process, and every run is printed.
    for again in 0..=2 {
        let diff = (get_latency - get_wall) / get_wall;
        eprintln!(
            "check-async: Client::get latency {:.2} ms vs the clients' own clock {:.2} ms ({:+.2} %)",
            get_latency / 1e6,
            get_wall / 1e6,
            diff * 100.0
        );
        if diff.abs() <= 0.05 {
            break;
        }
        if again == 2 || !diff.is_finite() {
            failures.push(format!(
                "Client::get latency {get_latency} ns vs measured {get_wall} ns"
            ));
            break;
        }
        eprintln!("check-async: the latency missed; the instrumented workload once more");
        let (ok, out) = run_status(Command::new(&exe_instr).arg(&profile));
        if !ok {
            return Err(vec![format!("the instrumented workload failed:\n{out}")]);
        }
        let latency = rows("latency").map_err(|e| vec![e])?;
        (get_latency, get_wall) = (
            by_suffix(&latency, "Client::get"),
            value(&out, "get_wall_ns"),
        );
    }

    // 3. The dump.
    let dump = out.split("----- dump -----").nth(1).unwrap_or("");
    if let Some(one) = dump.split("\n\n").find(|b| b.contains("Handler::run")) {
        eprintln!("check-async: one handler task in the dump:\n{one}");
    }
    let waiting = dump
        .split("\n\n")
        .filter(|b| {
            b.starts_with("task ")
                && b.contains("[waiting ")
                && b.contains("Handler::run")
                && b.contains("Connection::read_frame")
                && b.contains("Shutdown::recv")
        })
        .count();
    expect(
        &mut failures,
        "waiting handler tasks in the dump",
        waiting as f64,
        CLIENTS,
    );

    // 4. Run time.
    let (tp, ti) = (value(&out_plain, "total_ns"), value(&out, "total_ns"));
    let (gp, gi) = (value(&out_plain, "get_wall_ns"), value(&out, "get_wall_ns"));
    eprintln!(
        "check-async: gets took {:.2} ms uninstrumented, {:.2} ms instrumented ({:.2}x); whole run {:.1} / {:.1} ms (it sleeps 500 ms)",
        gp / 1e6,
        gi / 1e6,
        gi / gp,
        tp / 1e6,
        ti / 1e6
    );
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures)
    }
}
