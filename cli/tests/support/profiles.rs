//! Time, heap and mutex profiles of known work, for the tests that open
//! them with other readers (npm's, the web UI): `keeper` holds the heap,
//! `holder` holds a lock another thread waits for.

use crate::common::write_named;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// 50 blocks of 4 KiB and a little more, kept.
#[inprof::profile]
pub fn keeper() -> Vec<Vec<u8>> {
    (0..50).map(|i| vec![1u8; 4096 + i]).collect()
}

/// Holds `m` for 30 ms while another thread waits for it.
#[inprof::profile]
pub fn holder(m: &'static inprof::sync::Mutex<u64>) {
    let g = m.lock();
    let t = std::thread::spawn(move || *m.lock() += 1);
    std::thread::sleep(Duration::from_millis(30));
    drop(g);
    t.join().unwrap();
}

/// Writes into `dir` a time profile of `work` (`cpu.pb.gz`), then a heap
/// profile with `keeper`'s blocks and a mutex profile with `holder`'s
/// wait: their paths (time, heap, mutex), and the blocks, which the
/// caller keeps until it is done with the heap profile.
pub fn time_heap_mutex(dir: &Path, work: impl FnOnce()) -> ([PathBuf; 3], Vec<Vec<u8>>) {
    static M: inprof::sync::Mutex<u64> = inprof::sync::Mutex::new(0);
    let time = dir.join("cpu.pb.gz");
    let g = inprof::start_cpu_profile(std::fs::File::create(&time).unwrap()).unwrap();
    work();
    g.stop().unwrap();
    let kept = keeper();
    inprof::set_mutex_profile_fraction(1);
    holder(&M);
    inprof::set_mutex_profile_fraction(0);
    let files = [time, write_named(dir, "heap"), write_named(dir, "mutex")];
    (files, kept)
}
