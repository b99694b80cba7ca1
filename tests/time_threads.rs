//! 8 threads run and exit before the profile is written: all their calls
//! are in it, under their thread names.

mod common;
use common::*;

#[inprof::profile]
fn work(i: u64) -> u64 {
    std::hint::black_box(i * 2)
}

#[test]
fn exited_threads_keep_their_calls() {
    // `work` is tiny: adaptive instrumentation would demote it after 256
    // calls. This test pins exact counts of every call: adaptation off.
    inprof::set_adaptive(false);
    let handles: Vec<_> = (0..8)
        .map(|t| {
            std::thread::Builder::new()
                .name(format!("w{t}"))
                .spawn(move || (0..1000).map(work).sum::<u64>())
                .unwrap()
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    // All 8 have exited; write the cumulative profile since start.
    let dir = tmpdir("threads");
    let file = dir.join("time.pb.gz");
    inprof::write_time_profile(std::fs::File::create(&file).unwrap()).unwrap();

    let calls = top(&file, &["-sample_index=calls"]);
    assert_eq!(row(&calls, "time_threads::work").flat, 8000.0);
    let tags = pprof(&["-tags", "-sample_index=calls"], &file);
    for t in 0..8 {
        assert!(
            tags.contains(&format!("w{t}")),
            "thread w{t} missing: {tags}"
        );
    }
    // Per-thread split: each thread made 1000 calls.
    let one = top(&file, &["-sample_index=calls", "-tagfocus=thread=w3"]);
    assert_eq!(row(&one, "time_threads::work").flat, 1000.0);
}
