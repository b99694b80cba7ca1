//! `spawner()` spawns 5 threads that block on a lock: threadcreate shows 5
//! at spawner's path; the threads profile shows them at their blocked
//! path; the debug=2 dump names each, its lock and its creation stack.

mod common;
use common::*;
use inprof::sync::Mutex;
use std::time::Duration;

static GATE: Mutex<()> = Mutex::new(());

#[inprof::profile]
fn blocked_worker() {
    drop(GATE.lock());
}

#[inprof::profile]
fn spawner() -> Vec<inprof::thread::JoinHandle<()>> {
    (0..5)
        .map(|i| {
            inprof::thread::Builder::new()
                .name(format!("sleeper-{i}"))
                .spawn(blocked_worker)
                .unwrap()
        })
        .collect()
}

#[test]
fn threadcreate_threads_and_dump() {
    let gate = GATE.lock();
    let handles = spawner();
    // Wait until all five are blocked on the gate.
    let t0 = std::time::Instant::now();
    loop {
        let dump = inprof::threads::dump();
        if dump.matches("blocked on inprof::sync::Mutex lock").count() == 5 {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "threads never blocked:\n{dump}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let dir = tmpdir("threads");
    let tc = dir.join("threadcreate.pb.gz");
    let th = dir.join("goroutine.pb.gz");
    inprof::lookup("threadcreate")
        .unwrap()
        .write_to(std::fs::File::create(&tc).unwrap(), 0)
        .unwrap();
    inprof::lookup("goroutine")
        .unwrap()
        .write_to(std::fs::File::create(&th).unwrap(), 0)
        .unwrap();
    let mut dump = Vec::new();
    inprof::lookup("threads")
        .unwrap()
        .write_to(&mut dump, 2)
        .unwrap();
    let dump = String::from_utf8(dump).unwrap();
    let mut text = Vec::new();
    inprof::lookup("goroutine")
        .unwrap()
        .write_to(&mut text, 1)
        .unwrap();
    let text = String::from_utf8(text).unwrap();
    drop(gate);
    for h in handles {
        h.join().unwrap();
    }

    let created = top(&tc, &[]);
    assert_eq!(row(&created, "contention_threads::spawner").flat, 5.0);
    let live = top(&th, &[]);
    assert_eq!(row(&live, "contention_threads::blocked_worker").flat, 5.0);
    let tags = pprof(&["-tags"], &th);
    for i in 0..5 {
        assert!(tags.contains(&format!("sleeper-{i}")), "{tags}");
    }
    for i in 0..5 {
        let head = format!("\"sleeper-{i}\"");
        let block = dump
            .split("\n\n")
            .find(|b| b.contains(&head))
            .unwrap_or_else(|| panic!("no {head} in dump:\n{dump}"));
        assert!(
            block.contains("[blocked on inprof::sync::Mutex lock 0x"),
            "{block}"
        );
        assert!(
            block.contains(
                "contention_threads::blocked_worker(...)\n\ttests/contention_threads.rs:13"
            ),
            "{block}"
        );
        assert!(
            block.contains("created by contention_threads::spawner in thread "),
            "{block}"
        );
    }
    assert!(text.starts_with("goroutine profile: total "), "{text}");
    assert!(text.contains("\n5 @ 0x"), "{text}");
    let names: Vec<&str> = inprof::profiles().iter().map(|p| p.name()).collect();
    assert_eq!(
        names,
        [
            "allocs",
            "block",
            "goroutine",
            "heap",
            "mutex",
            "taskcreate",
            "threadcreate"
        ]
    );
}
