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

/// Runs `f`, returning its result and how long it took (the truth the
/// recorded wait is checked against: the wait is all of the call but a
/// few microseconds).
fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let t = std::time::Instant::now();
    let r = f();
    (r, t.elapsed().as_nanos() as f64)
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
    let (v, t_recv) = timed(|| recv_side(&r));
    assert_eq!(v, 1);
    let s = t.join().unwrap();

    // Send on a full channel: the reader takes a message 50 ms later.
    s.send(1).unwrap();
    let reader = inprof::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        let a = r.recv().unwrap();
        let b = r.recv().unwrap();
        a + b
    });
    let ((), t_send) = timed(|| send_side(&s));
    assert_eq!(reader.join().unwrap(), 3);

    // Condvar: notified after 50 ms.
    let pair = std::sync::Arc::new((Mutex::new(false), Condvar::new()));
    let p2 = pair.clone();
    let n = inprof::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        *p2.0.lock() = true;
        p2.1.notify_all();
    });
    let ((), t_cv) = timed(|| cv_waiter(&pair.0, &pair.1));
    n.join().unwrap();

    let ((), t_join) = timed(joiner);

    let dir = tmpdir("waits");
    let file = dir.join("block.pb.gz");
    inprof::lookup("block")
        .unwrap()
        .write_to(std::fs::File::create(&file).unwrap(), 0)
        .unwrap();
    for (f, truth) in [
        ("recv_side", t_recv),
        ("send_side", t_send),
        ("cv_waiter", t_cv),
        ("joiner", t_join),
    ] {
        let name = format!("contention_waits::{f}");
        let d = delay_of(&file, &name);
        // At least the 50 ms the other side made it wait, and the call's
        // own duration but for a moment (pprof prints 50.35ms: up to 5 µs
        // of rounding either way).
        assert!(truth >= 50e6, "{f}: the call took {truth} ns");
        assert!(
            d <= truth + 5e3 && d >= truth - 2e6,
            "{f} delay {d} vs the call's {truth} ns"
        );
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
