//! A function that returns a large value by value uses the stack the
//! function as written uses, recorded or not, optimized or not: the
//! instrumentation adds no copy of the value to any frame. (heapless 0.9.4's
//! tests return maps of 115 KB by value; instrumented wholesale, before the
//! fix, a debug build held each of them four times over and its
//! `index_map::tests::retain` overflowed a test thread's 2 MiB stack.)
//!
//! Known truth: the stack a call takes from a thread's first frame to a
//! probe in the body, measured for the same body uninstrumented, in the
//! same process. One more copy of the 64 KiB value would add 64 KiB.

use std::cell::Cell;

thread_local! {
    /// The address of a local in the thread's first frame.
    static TOP: Cell<usize> = const { Cell::new(0) };
    /// The deepest address a probe saw.
    static DEEP: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// Notes how deep the stack is here.
#[inline(never)]
fn probe() {
    let x = 0u8;
    let at = std::hint::black_box(&x) as *const u8 as usize;
    DEEP.with(|d| d.set(d.get().min(at)));
}

/// 64 KiB, returned by value.
pub struct Big {
    words: [u64; 8192],
}

#[inline(never)]
fn make_plain(seed: u64) -> Big {
    let mut b = Big { words: [0; 8192] };
    b.words[1] = seed;
    b.words[8191] = seed + 1;
    probe();
    b
}

#[inprof::profile]
#[inline(never)]
fn make_instrumented(seed: u64) -> Big {
    let mut b = Big { words: [0; 8192] };
    b.words[1] = seed;
    b.words[8191] = seed + 1;
    probe();
    b
}

/// The stack one call of `f` takes, on a thread of its own; its result
/// checked.
fn depth(f: fn(u64) -> Big) -> usize {
    std::thread::Builder::new()
        .stack_size(4 << 20)
        .spawn(move || {
            let x = 0u8;
            TOP.with(|t| t.set(std::hint::black_box(&x) as *const u8 as usize));
            let b = std::hint::black_box(f(7));
            assert_eq!((b.words[1], b.words[8191], b.words[5]), (7, 8, 0));
            TOP.with(|t| t.get()) - DEEP.with(|d| d.get())
        })
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn a_large_result_takes_no_more_stack_instrumented() {
    // Less than one more copy of the value (64 KiB) in every case: the
    // frames of the recording (`run_body`, `record_body`, the closure's
    // call) are small.
    const SLACK: usize = 8 << 10;
    let plain = depth(make_plain);
    // Recorded (paths tracked: the default, no profile asked for).
    let recorded = depth(make_instrumented);
    // Off at run time: the body runs inline.
    inprof::set_enabled(false);
    let off = depth(make_instrumented);
    inprof::set_enabled(true);
    // Timed (a time profile runs).
    let dir = std::env::temp_dir().join(format!("inprof-large-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let guard =
        inprof::start_cpu_profile(std::fs::File::create(dir.join("cpu.pb.gz")).unwrap()).unwrap();
    let timed = depth(make_instrumented);
    guard.stop().unwrap();
    std::fs::remove_dir_all(&dir).ok();
    eprintln!(
        "stack to the probe: plain {plain} B, recorded {recorded} B, off {off} B, timed {timed} B"
    );
    assert!(plain >= 64 << 10, "the value is on the stack: {plain}");
    for (what, d) in [("recorded", recorded), ("off", off), ("timed", timed)] {
        assert!(
            d <= plain + SLACK,
            "{what}: {d} B of stack against {plain} B uninstrumented"
        );
    }
}
