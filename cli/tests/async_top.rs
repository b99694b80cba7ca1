//! `inprof top` on a time profile with async functions: their calls,
//! polls, busy time and latency side by side, against known truth.

use std::future::Future;
use std::pin::Pin;
use std::process::Command;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// Pending `n` times, then ready.
struct Yield(u32);

impl Future for Yield {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if self.0 == 0 {
            Poll::Ready(())
        } else {
            self.0 -= 1;
            Poll::Pending
        }
    }
}

fn spin(d: Duration) {
    let t = Instant::now();
    while t.elapsed() < d {
        std::hint::black_box(0);
    }
}

#[inprof::profile]
async fn step() {
    spin(Duration::from_millis(10));
    Yield(2).await;
}

#[test]
fn top_shows_async_calls_polls_busy_and_latency() {
    let dir = std::env::temp_dir().join(format!("inprof-async-top-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("cpu.pb.gz");
    let g = inprof::start_cpu_profile(std::fs::File::create(&file).unwrap()).unwrap();
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..2 {
        let mut f = Box::pin(step());
        // Three polls: 10 ms of work, then 20 ms asleep after each Pending:
        // latency about 50 ms, busy about 10.
        while f.as_mut().poll(&mut cx).is_pending() {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    g.stop().unwrap();

    let out = Command::new(env!("CARGO_BIN_EXE_inprof"))
        .args(["top", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Async functions"), "{text}");
    let table = &text[text.find("Async functions").unwrap()..];
    let line = table
        .lines()
        .find(|l| l.ends_with("async_top::step"))
        .unwrap_or_else(|| panic!("{text}"));
    println!("{text}");
    let cols: Vec<&str> = line.split_whitespace().collect();
    // calls polls busy latency busy/call lat/call cancelled name
    assert_eq!(cols[0], "2", "{line}");
    assert_eq!(cols[1], "6", "{line}");
    assert_eq!(cols[6], "0", "{line}");
    let ms = |s: &str| -> f64 {
        let v: f64 = s
            .trim_end_matches("ms")
            .parse()
            .unwrap_or_else(|_| panic!("{s} in {line}"));
        assert!(s.ends_with("ms"), "{line}");
        v
    };
    let busy = ms(cols[4]);
    let lat = ms(cols[5]);
    assert!((9.5..15.0).contains(&busy), "busy per call {busy}: {line}");
    assert!(
        (49.0..58.0).contains(&lat),
        "latency per call {lat}: {line}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
