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

#[inprof::profile]
fn spanning(start: &mut Option<inprof::CpuProfile>, file: &std::path::Path) {
    // 20 ms before the profile starts, 30 ms inside it, then still open
    // when it stops.
    spin(Duration::from_millis(20));
    *start = Some(inprof::start_cpu_profile(std::fs::File::create(file).unwrap()).unwrap());
    spin(Duration::from_millis(30));
    during();
    start.take().unwrap().stop().unwrap();
    spin(Duration::from_millis(20));
}

#[test]
fn interval_semantics() {
    let dir = tmpdir("startstop");

    // Stop without start: nothing to do, no error (Go's StopCPUProfile).
    inprof::stop_cpu_profile().unwrap();

    // A second start while one runs is refused, the first keeps running.
    let f1 = dir.join("a.pb.gz");
    let g = inprof::start_cpu_profile(std::fs::File::create(&f1).unwrap()).unwrap();
    let e = inprof::start_cpu_profile(Vec::new())
        .err()
        .expect("second start must fail");
    assert!(matches!(e, inprof::Error::AlreadyRunning));
    assert_eq!(e.to_string(), "cpu profiling already in use");
    assert!(inprof::cpu_profile_running());
    during();
    drop(g); // drop stops and writes
    assert!(!inprof::cpu_profile_running());
    let rows = top(&f1, &["-sample_index=wall"]);
    assert_near(
        "during flat",
        row(&rows, "start_stop::during").flat,
        30e6,
        0.1,
    );

    // Time before start is left out; an open frame counts up to stop.
    before();
    let f2 = dir.join("b.pb.gz");
    let mut slot = None;
    spanning(&mut slot, &f2);
    let rows = top(&f2, &["-sample_index=wall"]);
    assert!(
        !rows.iter().any(|r| r.name == "start_stop::before"),
        "{rows:#?}"
    );
    let s = row(&rows, "start_stop::spanning");
    assert_near("spanning flat (in interval only)", s.flat, 30e6, 0.15);
    assert_near("spanning cum", s.cum, 60e6, 0.1);
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
