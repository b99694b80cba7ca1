//! Recording is off until a time profile is asked for, as in Go: an
//! instrumented program that asks for nothing reads no clock (calls are
//! counted and paths tracked, so heap, block and mutex profiles still
//! attribute to them); a time profile records time from its start.

mod common;
use common::*;
use std::time::Duration;

#[global_allocator]
static ALLOC: inprof::Alloc = inprof::Alloc::system();

#[inprof::profile]
fn long() -> Vec<u8> {
    std::thread::sleep(Duration::from_millis(5));
    std::hint::black_box(vec![1u8; 1000])
}

#[test]
fn nothing_is_timed_until_a_profile_is_asked_for() {
    assert!(!inprof::cpu_profile_running());
    let kept: Vec<Vec<u8>> = (0..3).map(|_| long()).collect();
    // heap_stats stays exact with recording off. It is process-wide, and
    // the harness's other threads (or inprof's start-up, once) may
    // allocate inside a window: one window of five must see exactly ours.
    let exact = (0..5).any(|_| {
        let before = inprof::heap_stats();
        let v = std::hint::black_box(vec![2u8; 3000]);
        let after = inprof::heap_stats();
        drop(v);
        after.live_bytes - before.live_bytes == 3000
            && after.live_objects - before.live_objects == 1
    });
    assert!(
        exact,
        "no window of five saw exactly 3000 bytes in 1 object"
    );

    let dir = tmpdir("default");
    // The whole-run time profile: calls counted, no time recorded.
    let whole = dir.join("whole.pb.gz");
    inprof::write_time_profile(std::fs::File::create(&whole).unwrap()).unwrap();
    let calls = top(&whole, &["-sample_index=calls"]);
    assert_eq!(row(&calls, "recording_default::long").flat, 3.0);
    let wall = top(&whole, &["-sample_index=wall"]);
    let total: f64 = wall.iter().map(|r| r.flat).sum();
    assert_eq!(total, 0.0, "time recorded without a profile: {wall:#?}");

    // The heap profile attributes to the tracked path.
    let heap = dir.join("heap.pb.gz");
    inprof::write_heap_profile(std::fs::File::create(&heap).unwrap()).unwrap();
    let inuse = top(&heap, &["-sample_index=inuse_space", "-unit=B"]);
    assert_eq!(row(&inuse, "recording_default::long").flat, 3000.0);

    // Asking for a time profile records time, from its start.
    let file = dir.join("cpu.pb.gz");
    let guard = inprof::start_cpu_profile(std::fs::File::create(&file).unwrap()).unwrap();
    let more = long();
    guard.stop().unwrap();
    let wall = top(&file, &["-sample_index=wall"]);
    let l = row(&wall, "recording_default::long");
    assert!(l.flat >= 5e6 && l.flat < 50e6, "long flat {}", l.flat);
    drop((kept, more));
}
