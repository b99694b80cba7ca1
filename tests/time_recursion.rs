//! Recursion: `fib` annotated. Its cum equals the whole run's time (not a
//! multiple of it) and its calls equal the true call count.

mod common;
use common::*;
use std::time::Instant;

#[inprof::profile]
fn fib(n: u32) -> u64 {
    if n < 2 {
        n as u64
    } else {
        fib(n - 1) + fib(n - 2)
    }
}

fn true_calls(n: u32) -> u64 {
    if n < 2 {
        1
    } else {
        1 + true_calls(n - 1) + true_calls(n - 2)
    }
}

#[test]
fn recursive_cum_is_the_run_time_and_calls_are_exact() {
    // Every call of fib is short: adaptive instrumentation would demote it
    // after 256 calls. Off, every call is timed and counted (the behaviour
    // this test pins: cum = the run's time, calls exact).
    inprof::set_adaptive(false);
    // This thread's first instrumented call registers it (and the process,
    // and the callsite): inprof's one-time set-up, outside every frame but
    // inside a wall clock around that call (4–35 µs optimized, 150–180 µs
    // under AddressSanitizer: 8 % of this 2 ms run). Done before the clock
    // starts, so that the wall is the recursion's alone.
    assert_eq!(fib(1), 1);
    let dir = tmpdir("fib");
    let file = dir.join("cpu.pb.gz");
    let guard = inprof::start_cpu_profile(std::fs::File::create(&file).unwrap()).unwrap();
    let t = Instant::now();
    let v = fib(22);
    let wall = t.elapsed().as_nanos() as f64;
    guard.stop().unwrap();
    assert_eq!(v, 17711);

    // In nanoseconds: the default unit rounds to 3 digits (2.19ms), which
    // may put cum 10 µs over the wall it is compared with.
    let rows = top(&file, &["-sample_index=wall", "-unit=ns"]);
    let f = row(&rows, "time_recursion::fib");
    // Ticks become nanoseconds at the counter's rate measured against the
    // monotonic clock (engine::clock: a few ppm off at most, the ends of
    // the measurement read in tight pairs); 10 ppm of it allowed, 85 ns
    // of an 8.5 ms debug run. Once, before the pairs, a preempted read
    // made it 26 ppm: cum 8 553 281 ns against a wall of 8 553 062 ns.
    assert!(
        f.cum <= wall * (1.0 + 10e-6),
        "cum {} > wall {}",
        f.cum,
        wall
    );
    assert_near("fib cum vs wall", f.cum, wall, 0.05);
    // Flat of the only function is all of it.
    assert_near("fib flat", f.flat, f.cum, 0.001);

    let calls = top(&file, &["-sample_index=calls"]);
    assert_eq!(
        row(&calls, "time_recursion::fib").flat,
        true_calls(22) as f64
    );
}
