//! Regression: after `fork()` with native heap stacks on, 77 of 300
//! children hung in the unwinding library's lock, taken inside the
//! allocator by a thread that does not exist in the child. Sampling now
//! walks frame pointers with no lock: 300 children of a process whose
//! threads allocate with every allocation sampled all allocate, sample and
//! exit.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOC: inprof::Alloc = inprof::Alloc::system();

#[inprof::profile]
fn churn(stop: &AtomicBool) -> u64 {
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let v: Vec<u8> = vec![1; 16 + (n as usize % 512)];
        n = n.wrapping_add(v.len() as u64);
    }
    n
}

#[inprof::profile]
fn child_work() -> usize {
    let v: Vec<Vec<u8>> = (0..200).map(|i| vec![0; 8 + i]).collect();
    v.iter().map(Vec::len).sum()
}

#[test]
fn children_of_a_sampling_process_never_hang() {
    inprof::set_mem_profile_rate(1);
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let s = stop.clone();
            std::thread::spawn(move || churn(&s))
        })
        .collect();
    let mut hung = 0;
    for _ in 0..300 {
        // SAFETY: the child only allocates (through inprof's allocator and
        // the C library's, both fork-safe) and leaves with _exit.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            let ok = child_work() == (0..200).map(|i| 8 + i).sum::<usize>();
            // SAFETY: ends the child without running the parent's exit hooks.
            unsafe { libc::_exit(if ok { 0 } else { 3 }) };
        }
        let t0 = Instant::now();
        let mut status = 0;
        loop {
            // SAFETY: waits for our own child; status is a local.
            let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
            if r == pid {
                assert!(
                    libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
                    "child failed: status {status:#x}"
                );
                break;
            }
            if t0.elapsed() > Duration::from_secs(10) {
                hung += 1;
                // SAFETY: kills and reaps our own hung child.
                unsafe {
                    libc::kill(pid, libc::SIGKILL);
                    libc::waitpid(pid, &mut status, 0);
                }
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    stop.store(true, Ordering::SeqCst);
    for t in threads {
        t.join().unwrap();
    }
    inprof::set_mem_profile_rate(0);
    assert_eq!(hung, 0, "{hung} of 300 children hung");
}
