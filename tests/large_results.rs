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

/// Seven words: wider than a register, narrow enough for the slot
/// optimized builds give a recorded call's result (see `run_body`).
#[derive(Clone, Copy)]
pub struct Wide {
    words: [u64; 7],
}

/// Levels of nesting below.
const LEVELS: u32 = 256;

#[inline(never)]
fn nest_plain(n: u32) -> Wide {
    if n == 0 {
        probe();
        return Wide { words: [1; 7] };
    }
    let mut w = nest_plain(std::hint::black_box(n - 1));
    w.words[(n % 7) as usize] += 1;
    w
}

#[inprof::profile]
#[inline(never)]
fn nest_instrumented(n: u32) -> Wide {
    if n == 0 {
        probe();
        return Wide { words: [1; 7] };
    }
    let mut w = nest_instrumented(std::hint::black_box(n - 1));
    w.words[(n % 7) as usize] += 1;
    w
}

/// The stack `f(LEVELS)` takes, on a thread of its own; its result
/// checked.
fn nested_depth(f: fn(u32) -> Wide) -> usize {
    std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(move || {
            let x = 0u8;
            TOP.with(|t| t.set(std::hint::black_box(&x) as *const u8 as usize));
            let w = std::hint::black_box(f(LEVELS));
            // Each level adds one to the word `n % 7`: 256 levels are 36
            // rounds of 7 and 4 more (n = 1..=4), on top of the 1 each.
            let want: Vec<u64> = (0..7u64)
                .map(|i| 1 + 36 + u64::from((1..=4).contains(&i)))
                .collect();
            assert_eq!(w.words.to_vec(), want);
            TOP.with(|t| t.get()) - DEEP.with(|d| d.get())
        })
        .unwrap()
        .join()
        .unwrap()
}

/// A deep recursion through an instrumented function with a result of a
/// few words (ciborium 0.2.2's `tests/recursion.rs`: 256 levels of nested
/// arrays, six instrumented calls a level, each returning a `Result` of
/// eight words; an unoptimized build overflowed its test thread's 2 MiB
/// stack, 2.28 MB against 0.93 MB published, the recording's frames
/// taking 900 B a call). Each recorded call adds the frame of
/// `record_body` to the function's: at most 512 B a level, optimized or
/// not.
#[test]
fn a_deep_recursion_takes_little_more_stack_instrumented() {
    const SLACK_PER_LEVEL: usize = 512;
    let plain = nested_depth(nest_plain);
    // Recorded (paths tracked: the default, no profile asked for); every
    // level is a new call path, so every call is recorded.
    let recorded = nested_depth(nest_instrumented);
    let per_level = |d: usize| d as f64 / f64::from(LEVELS);
    eprintln!(
        "{LEVELS} levels: plain {plain} B ({:.0} B a level), recorded {recorded} B ({:.0} B a level)",
        per_level(plain),
        per_level(recorded)
    );
    assert!(
        recorded <= plain + SLACK_PER_LEVEL * LEVELS as usize,
        "recorded: {recorded} B of stack against {plain} B uninstrumented, {LEVELS} levels"
    );
}
