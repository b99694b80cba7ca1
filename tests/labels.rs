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

#[inprof::profile]
fn child_work() {
    spin(Duration::from_millis(10));
}

#[test]
fn labels_on_time_and_thread_samples() {
    let dir = tmpdir("labels");
    let file = dir.join("cpu.pb.gz");
    let g = inprof::start_cpu_profile(std::fs::File::create(&file).unwrap()).unwrap();
    inprof::with_labels(&[("request", "GET /users")], || handle(30));
    inprof::with_labels(&[("request", "POST /orders")], || {
        handle(10);
        // Nested: adds a key, keeps the outer one.
        inprof::with_labels(&[("user", "alice")], || handle(10));
        // Inherited by a spawned thread.
        inprof::thread::spawn(child_work).join().unwrap();
    });
    handle(5);
    g.stop().unwrap();

    let tags = pprof(&["-tags"], &file);
    assert!(
        tags.contains("GET /users") && tags.contains("POST /orders"),
        "{tags}"
    );
    assert!(tags.contains("alice"), "{tags}");
    let get = top(
        &file,
        &["-sample_index=wall", "-tagfocus=request=GET /users"],
    );
    assert_near("GET handle", row(&get, "labels::handle").flat, 30e6, 0.10);
    let post = top(
        &file,
        &["-sample_index=wall", "-tagfocus=request=POST /orders"],
    );
    assert_near("POST handle", row(&post, "labels::handle").flat, 20e6, 0.10);
    assert_near(
        "POST child thread",
        row(&post, "labels::child_work").flat,
        10e6,
        0.15,
    );
    let user = top(&file, &["-sample_index=wall", "-tagfocus=user=alice"]);
    assert_near(
        "user=alice handle",
        row(&user, "labels::handle").flat,
        10e6,
        0.15,
    );
    let all = top(&file, &["-sample_index=wall"]);
    assert_near("all handle", row(&all, "labels::handle").flat, 55e6, 0.10);

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
