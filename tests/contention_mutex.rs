//! A holder keeps a Mutex 100 ms while waiters wait: the block profile has
//! each waiter's path with ≈ 100 ms and 1 contention; the mutex profile
//! charges the holder's path with the wait it caused (× waiters, Go 1.22).

mod common;
use common::*;
use inprof::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

static ONE: Mutex<u32> = Mutex::new(0);
static THREE: Mutex<u32> = Mutex::new(0);
static HELD_ONE: AtomicBool = AtomicBool::new(false);
static HELD_THREE: AtomicBool = AtomicBool::new(false);

#[inprof::profile]
fn holder(m: &Mutex<u32>, held: &AtomicBool) {
    let mut g = m.lock();
    held.store(true, Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(100));
    *g += 1;
}

/// How long each waiter took to get the lock, measured around `lock()`:
/// the truth the profiles are checked against.
static WAITS: std::sync::Mutex<Vec<(usize, f64)>> = std::sync::Mutex::new(Vec::new());

#[inprof::profile]
fn waiter(m: &'static Mutex<u32>) {
    let t = std::time::Instant::now();
    let mut g = m.lock();
    let waited = t.elapsed().as_nanos() as f64;
    *g += 1;
    drop(g);
    WAITS.lock().unwrap().push((m as *const _ as usize, waited));
}

fn waits_on(m: &'static Mutex<u32>) -> Vec<f64> {
    WAITS
        .lock()
        .unwrap()
        .iter()
        .filter(|(k, _)| *k == m as *const _ as usize)
        .map(|(_, w)| *w)
        .collect()
}

#[inprof::profile]
fn holder3(m: &Mutex<u32>, held: &AtomicBool) {
    holder(m, held)
}

#[inprof::profile]
fn waiter3(m: &'static Mutex<u32>) {
    waiter(m)
}

fn scenario(m: &'static Mutex<u32>, held: &'static AtomicBool, waiters: usize, three: bool) {
    let h = inprof::thread::spawn(move || {
        if three {
            holder3(m, held)
        } else {
            holder(m, held)
        }
    });
    while !held.load(Ordering::SeqCst) {
        std::hint::spin_loop();
    }
    let ws: Vec<_> = (0..waiters)
        .map(|_| inprof::thread::spawn(move || if three { waiter3(m) } else { waiter(m) }))
        .collect();
    h.join().unwrap();
    for w in ws {
        w.join().unwrap();
    }
    assert_eq!(*m.lock(), 1 + waiters as u32);
}

#[test]
fn holder_is_blamed_and_waiters_wait() {
    inprof::set_block_profile_rate(1);
    inprof::set_mutex_profile_fraction(1);
    scenario(&ONE, &HELD_ONE, 1, false);
    scenario(&THREE, &HELD_THREE, 3, true);

    let dir = tmpdir("mutex");
    let block = dir.join("block.pb.gz");
    let mutex = dir.join("mutex.pb.gz");
    inprof::lookup("block")
        .unwrap()
        .write_to(std::fs::File::create(&block).unwrap(), 0)
        .unwrap();
    inprof::lookup("mutex")
        .unwrap()
        .write_to(std::fs::File::create(&mutex).unwrap(), 0)
        .unwrap();
    let r = raw(&block);
    assert!(r.contains("contentions/count delay/nanoseconds"), "{r}");
    assert!(r.contains("PeriodType: contentions count"), "{r}");

    // Block: the lone waiter waited ≈ 100 ms once, at `waiter` (called
    // directly from its thread's root).
    let btraces = traces(&block, &["-sample_index=delay"]);
    let lone: Vec<_> = btraces
        .iter()
        .filter(|(_, s)| s == &vec!["contention_mutex::waiter".to_string()])
        .collect();
    assert_eq!(lone.len(), 1, "{btraces:#?}");
    let truth1 = waits_on(&ONE);
    let truth3: f64 = waits_on(&THREE).iter().sum();
    assert_eq!(truth1.len(), 1);
    let d = parse_value(&lone[0].0);
    assert!(
        d <= truth1[0] + 0.01e6 && d >= truth1[0] - 2e6,
        "lone waiter delay {d} vs measured {}",
        truth1[0]
    );
    assert_near("lone waiter delay vs the 100 ms hold", d, 100e6, 0.25);
    let counts = traces_counts(&block);
    assert_eq!(counts.get("contention_mutex::waiter").copied(), Some(1.0));
    // The three waiters under waiter3: each its own measured wait.
    let rows = top(&block, &["-sample_index=delay"]);
    let w3 = row(&rows, "contention_mutex::waiter3").cum;
    assert!(
        w3 <= truth3 + 0.03e6 && w3 >= truth3 - 6e6,
        "waiter3 cum {w3} vs measured {truth3}"
    );
    assert_near("waiter3 cum vs 3 × the 100 ms hold", w3, 300e6, 0.25);
    assert_eq!(
        row(
            &top(&block, &["-sample_index=contentions"]),
            "contention_mutex::waiter3"
        )
        .cum,
        3.0
    );

    // Mutex: the holder is charged ≈ 100 ms for one waiter, ≈ 300 ms for three.
    let m = top(&mutex, &["-sample_index=delay"]);
    let h1 = traces(&mutex, &["-sample_index=delay"]);
    let alone: Vec<_> = h1
        .iter()
        .filter(|(_, s)| s == &vec!["contention_mutex::holder".to_string()])
        .collect();
    assert_eq!(alone.len(), 1, "{h1:#?}");
    let h = parse_value(&alone[0].0);
    assert_near("holder charge (1 waiter) vs the wait", h, truth1[0], 0.05);
    assert_near("holder charge vs the 100 ms hold", h, 100e6, 0.25);
    let h3 = row(&m, "contention_mutex::holder3").cum;
    assert_near("holder3 charge (3 waiters) vs the waits", h3, truth3, 0.05);
    assert_near("holder3 charge vs 3 × 100 ms", h3, 300e6, 0.25);
}

/// Contentions per leaf function, from `-top`.
fn traces_counts(file: &std::path::Path) -> std::collections::HashMap<String, f64> {
    traces(file, &["-sample_index=contentions"])
        .into_iter()
        .filter(|(_, s)| s.len() == 1)
        .map(|(v, s)| (s[0].clone(), parse_value(&v)))
        .collect()
}
