//! start/stop semantics: one profile at a time (Go's error), the profile
//! covers exactly the interval, frames open at stop are counted up to stop,
//! guard drop writes.

mod common;
use common::*;
use std::time::{Duration, Instant};

fn spin(d: Duration) {
    let t = Instant::now();
    while t.elapsed() < d {
        std::hint::black_box(0);
    }
}

#[inprof::profile]
fn before() {
    spin(Duration::from_millis(40));
}

#[inprof::profile]
fn during() {
    spin(Duration::from_millis(30));
}

/// What `spanning` measured of its own run, the truth its profile is
/// checked against: the nanoseconds from just before the profile started
/// to just after it stopped (`outer`), from just after it started to just
/// before it stopped (`inner`), and of its call of `during` in between.
struct Spanned {
    outer: f64,
    inner: f64,
    during: f64,
}

#[inprof::profile]
fn spanning(file: &std::path::Path) -> Spanned {
    // 20 ms before the profile starts, 30 ms inside it, then still open
    // when it stops.
    spin(Duration::from_millis(20));
    let f = std::fs::File::create(file).unwrap();
    let t0 = Instant::now();
    let g = inprof::start_cpu_profile(f).unwrap();
    let t1 = Instant::now();
    spin(Duration::from_millis(30));
    let ((), during) = measure(during);
    let t2 = Instant::now();
    g.stop().unwrap();
    let t3 = Instant::now();
    spin(Duration::from_millis(20));
    Spanned {
        outer: (t3 - t0).as_nanos() as f64,
        inner: (t2 - t1).as_nanos() as f64,
        during,
    }
}

/// `got` lies between `lo` and `hi` (each with 1 % for the profile's clock
/// against `Instant`'s).
#[track_caller]
fn assert_between(what: &str, got: f64, lo: f64, hi: f64) {
    assert!(
        got >= 0.99 * lo && got <= 1.01 * hi,
        "{what}: got {got}, measured between {lo} and {hi}"
    );
}

#[test]
fn interval_semantics() {
    let dir = tmpdir("startstop");

    // Stop without start: nothing to do, no error (Go's StopCPUProfile).
    inprof::stop_cpu_profile().unwrap();

    // The thread's first instrumented call sets it up (51 to 78 µs in a
    // debug build on an idle VM, outside the frame's clock but inside a
    // measurement around the call, against the 1 % allowed of 30 ms): made
    // here, before any profile, so that each measured call is a steady one.
    during();

    // A second start while one runs is refused, the first keeps running.
    let f1 = dir.join("a.pb.gz");
    let g = inprof::start_cpu_profile(std::fs::File::create(&f1).unwrap()).unwrap();
    let e = inprof::start_cpu_profile(Vec::new())
        .err()
        .expect("second start must fail");
    assert!(matches!(e, inprof::Error::AlreadyRunning));
    assert_eq!(e.to_string(), "cpu profiling already in use");
    assert!(inprof::cpu_profile_running());
    let ((), during_ns) = measure(during);
    drop(g); // drop stops and writes
    assert!(!inprof::cpu_profile_running());
    let rows = top(&f1, &["-sample_index=wall"]);
    let d = row(&rows, "start_stop::during").flat;
    assert_measured("during flat", d, during_ns, 30.0);

    // Time before start is left out; an open frame counts up to stop.
    before();
    let f2 = dir.join("b.pb.gz");
    let m = spanning(&f2);
    let rows = top(&f2, &["-sample_index=wall"]);
    assert!(
        !rows.iter().any(|r| r.name == "start_stop::before"),
        "{rows:#?}"
    );
    let s = row(&rows, "start_stop::spanning");
    // The profile's interval begins inside `start_cpu_profile` and ends
    // inside `stop`: `spanning`'s time in it lies between what it measured
    // from after the start to before the stop and from before the start to
    // after the stop (its 20 ms spins outside the interval left out).
    assert_between("spanning cum (in interval only)", s.cum, m.inner, m.outer);
    assert_between(
        "spanning flat (in interval only)",
        s.flat,
        m.inner - m.during,
        m.outer - m.during,
    );
    assert!(s.flat >= 0.99 * 30e6, "{s:?}: under the 30 ms spun");
    assert_near(
        "spanning cum vs its flat and during's",
        s.cum,
        s.flat + row(&rows, "start_stop::during").cum,
        0.001,
    );
    let calls = top(&f2, &["-sample_index=calls"]);
    assert!(
        !calls
            .iter()
            .any(|r| r.name == "start_stop::spanning" && r.flat > 0.0),
        "open frame has no finished call"
    );
    let r = raw(&f2);
    assert!(r.contains("Duration:"), "{r}");
}
