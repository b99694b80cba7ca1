//! Labels (Go's pprof.Do): time and thread samples carry them; threads
//! spawned inside inherit them; `go tool pprof -tags` and `-tagfocus` see
//! them, and time splits exactly between label sets.

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
fn handle(ms: u64) {
    spin(Duration::from_millis(ms));
}

/// Calls `handle(ms)` and returns how long the call took, measured around
/// it: the truth its wall time in the profile is checked against (a spin
/// lasts at least `ms`, more when the thread is preempted in it).
fn timed_handle(ms: u64) -> f64 {
    measure(|| handle(ms)).1
}

#[inprof::profile]
fn child_work() {
    spin(Duration::from_millis(10));
}

#[test]
fn labels_on_time_and_thread_samples() {
    let dir = tmpdir("labels");
    let file = dir.join("cpu.pb.gz");
    // The thread's first instrumented call sets it up (its path, its
    // name: 51 to 78 µs in a debug build on an idle VM, against 0.9 µs
    // for the third), outside the frame's clock but inside the measurement
    // around the call. Made here, before the profile, so that each
    // measured call is a steady one (in a fresh-clone CI run on a 2-core
    // VM the first one, `GET`, measured 30.32 ms around the call and 30.00
    // ms in its frame, over the 1 % allowed).
    handle(0);
    let g = inprof::start_cpu_profile(std::fs::File::create(&file).unwrap()).unwrap();
    let get_ns = inprof::with_labels(&[("request", "GET /users")], || timed_handle(30));
    let (post_ns, alice_ns, child_ns) = inprof::with_labels(&[("request", "POST /orders")], || {
        let post = timed_handle(10);
        // Nested: adds a key, keeps the outer one.
        let alice = inprof::with_labels(&[("user", "alice")], || timed_handle(10));
        // Inherited by a spawned thread.
        let child = inprof::thread::spawn(|| measure(child_work).1)
            .join()
            .unwrap();
        (post, alice, child)
    });
    let unlabelled_ns = timed_handle(5);
    g.stop().unwrap();

    let tags = pprof(&["-tags"], &file);
    assert!(
        tags.contains("GET /users") && tags.contains("POST /orders"),
        "{tags}"
    );
    assert!(tags.contains("alice"), "{tags}");
    // Each label set has exactly its calls' time: `-tagfocus` keeps the
    // samples of one set, and their wall time is that of the calls made
    // under it, measured here.
    let get = top(
        &file,
        &["-sample_index=wall", "-tagfocus=request=GET /users"],
    );
    assert_measured("GET handle", row(&get, "labels::handle").flat, get_ns, 30.0);
    let post = top(
        &file,
        &["-sample_index=wall", "-tagfocus=request=POST /orders"],
    );
    assert_measured(
        "POST handle",
        row(&post, "labels::handle").flat,
        post_ns + alice_ns,
        20.0,
    );
    assert_measured(
        "POST child thread",
        row(&post, "labels::child_work").flat,
        child_ns,
        10.0,
    );
    let user = top(&file, &["-sample_index=wall", "-tagfocus=user=alice"]);
    assert_measured(
        "user=alice handle",
        row(&user, "labels::handle").flat,
        alice_ns,
        10.0,
    );
    let all = top(&file, &["-sample_index=wall"]);
    assert_measured(
        "all handle",
        row(&all, "labels::handle").flat,
        get_ns + post_ns + alice_ns + unlabelled_ns,
        55.0,
    );

    // Thread samples carry the labels too.
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<()>();
    let h = inprof::with_labels(&[("job", "indexer")], || {
        inprof::thread::spawn(move || {
            ready_tx.send(()).unwrap();
            rx.recv().unwrap();
        })
    });
    ready_rx.recv().unwrap();
    let gfile = dir.join("goroutine.pb.gz");
    inprof::lookup("goroutine")
        .unwrap()
        .write_to(std::fs::File::create(&gfile).unwrap(), 0)
        .unwrap();
    tx.send(()).unwrap();
    h.join().unwrap();
    let tags = pprof(&["-tags"], &gfile);
    assert!(tags.contains("indexer"), "{tags}");
}
