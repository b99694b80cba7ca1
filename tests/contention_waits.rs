//! A receiver blocked 50 ms on an empty channel, a sender blocked on a full
//! bounded channel, a Condvar wait, and a join of a thread that runs 50 ms:
//! each in the block profile at its path with its delay.

mod common;
use common::*;
use inprof::channel;
use inprof::sync::{Condvar, Mutex};
use std::time::Duration;

#[inprof::profile]
fn recv_side(r: &channel::Receiver<u32>) -> u32 {
    r.recv().unwrap()
}

#[inprof::profile]
fn send_side(s: &channel::Sender<u32>) {
    s.send(2).unwrap(); // the channel is full: waits for the reader
}

#[inprof::profile]
fn cv_waiter(m: &Mutex<bool>, cv: &Condvar) {
    let mut g = m.lock();
    while !*g {
        cv.wait(&mut g);
    }
}

#[inprof::profile]
fn joiner() {
    let h = inprof::thread::spawn(|| std::thread::sleep(Duration::from_millis(50)));
    h.join().unwrap();
}

fn delay_of(file: &std::path::Path, func: &str) -> f64 {
    row(&top(file, &["-sample_index=delay"]), func).flat
}

#[test]
fn each_wait_is_recorded_at_its_path() {
    inprof::set_block_profile_rate(1);

    // Receive on an empty channel: the message comes 50 ms later.
    let (s, r) = channel::bounded::<u32>(1);
    let t = inprof::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        s.send(1).unwrap();
        s
    });
    assert_eq!(recv_side(&r), 1);
    let s = t.join().unwrap();

    // Send on a full channel: the reader takes a message 50 ms later.
    s.send(1).unwrap();
    let reader = inprof::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        let a = r.recv().unwrap();
        let b = r.recv().unwrap();
        a + b
    });
    send_side(&s);
    assert_eq!(reader.join().unwrap(), 3);

    // Condvar: notified after 50 ms.
    let pair = std::sync::Arc::new((Mutex::new(false), Condvar::new()));
    let p2 = pair.clone();
    let n = inprof::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        *p2.0.lock() = true;
        p2.1.notify_all();
    });
    cv_waiter(&pair.0, &pair.1);
    n.join().unwrap();

    joiner();

    let dir = tmpdir("waits");
    let file = dir.join("block.pb.gz");
    inprof::lookup("block")
        .unwrap()
        .write_to(std::fs::File::create(&file).unwrap(), 0)
        .unwrap();
    for f in ["recv_side", "send_side", "cv_waiter", "joiner"] {
        let name = format!("contention_waits::{f}");
        assert_near(&format!("{f} delay"), delay_of(&file, &name), 50e6, 0.10);
        let c = row(&top(&file, &["-sample_index=contentions"]), &name).flat;
        assert!(c >= 1.0, "{f}: {c} contentions");
    }

    // The text form parses like Go's.
    let mut text = Vec::new();
    inprof::lookup("block")
        .unwrap()
        .write_to(&mut text, 1)
        .unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.starts_with("--- contention:\ncycles/second=1000000000\n"),
        "{text}"
    );
    assert!(text.contains("contention_waits::joiner+0x0"), "{text}");
}
