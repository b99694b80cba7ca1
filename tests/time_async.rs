//! An annotated `async fn` on a multi-threaded tokio runtime: one call per
//! future, its polls counted apart, time while suspended is not in its
//! flat but in its latency, and no frame leaks onto
//! the stacks of the threads that polled it.

mod common;
use common::*;
use std::time::{Duration, Instant};

fn spin(d: Duration) {
    let t = Instant::now();
    while t.elapsed() < d {
        std::hint::black_box(0);
    }
}

#[inprof::profile]
async fn fetch() -> Result<u32, std::io::Error> {
    let mut n = 0;
    for _ in 0..3 {
        spin(Duration::from_millis(2));
        tokio::time::sleep(Duration::from_millis(50)).await;
        n += 1;
    }
    if n == 0 {
        return Err(std::io::Error::other("never"));
    }
    Ok(n)
}

#[inprof::profile]
fn probe() -> u32 {
    std::hint::black_box(1)
}

#[test]
fn async_fn_flat_excludes_suspension_and_frames_do_not_leak() {
    let dir = tmpdir("async");
    let file = dir.join("cpu.pb.gz");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    let guard = inprof::start_cpu_profile(std::fs::File::create(&file).unwrap()).unwrap();
    rt.block_on(async {
        let f = tokio::spawn(fetch());
        // Probes run on the workers while fetch is suspended.
        let mut probes = Vec::new();
        for _ in 0..50 {
            probes.push(tokio::spawn(async { probe() }));
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        for p in probes {
            p.await.unwrap();
        }
        assert_eq!(f.await.unwrap().unwrap(), 3);
    });
    guard.stop().unwrap();

    let rows = top(&file, &["-sample_index=wall"]);
    let f = row(&rows, "time_async::fetch");
    // 3 × 2 ms of work, 150 ms asleep: flat holds the work only.
    assert!(f.flat >= 5.5e6, "fetch flat {} < 6 ms of work", f.flat);
    assert!(
        f.flat < 20e6,
        "fetch flat {} includes suspended time",
        f.flat
    );
    let calls = top(&file, &["-sample_index=calls"]);
    // One call per future run to completion; its polls apart: at least 4
    // (start + 3 wake-ups).
    assert_eq!(row(&calls, "time_async::fetch").flat, 1.0);
    let polls = top(&file, &["-sample_index=polls"]);
    assert!(row(&polls, "time_async::fetch").flat >= 4.0);
    // Latency: first poll to completion, the 150 ms asleep included.
    let latency = top(&file, &["-sample_index=latency"]);
    let l = row(&latency, "time_async::fetch").flat;
    assert!((150e6..250e6).contains(&l), "fetch latency {l}");
    assert_eq!(row(&calls, "time_async::probe").flat, 50.0);
    // probe never runs under fetch: no frame leaked onto a worker's stack.
    for (_, stack) in traces(&file, &["-sample_index=calls"]) {
        if stack[0] == "time_async::probe" {
            assert_eq!(stack, vec!["time_async::probe".to_string()]);
        }
    }
}
