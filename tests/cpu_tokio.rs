//! A tokio server idling in `block_on`: in the CPU profile its request
//! handlers have the CPU and `main` (asleep in the runtime, waiting for
//! connections) has next to none; the thread dump shows the idle threads
//! as not running.
#![cfg(target_os = "linux")]

mod common;
use common::*;
use std::io::{Read, Write};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: writes into a local timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// A request's work: 3 ms of CPU.
#[inprof::profile]
fn render() -> u64 {
    let start = thread_cpu();
    let mut x = 1u64;
    while thread_cpu() - start < Duration::from_millis(3) {
        for _ in 0..10_000 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
    }
    x
}

#[inprof::profile]
async fn handle(mut s: tokio::net::TcpStream) {
    let mut buf = [0u8; 64];
    let _ = s.read(&mut buf).await;
    let v = render();
    let _ = s.write_all(format!("{v}\n").as_bytes()).await;
}

/// The server's main: accepts until told to stop.
#[inprof::profile]
async fn serve(l: tokio::net::TcpListener, mut stop: tokio::sync::oneshot::Receiver<()>) {
    loop {
        tokio::select! {
            a = l.accept() => {
                if let Ok((s, _)) = a {
                    tokio::spawn(handle(s));
                }
            }
            _ = &mut stop => return,
        }
    }
}

#[test]
fn idle_main_is_not_in_the_cpu_top_its_handlers_are() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .on_thread_start(|| inprof::thread::register_current("tokio-worker"))
        .build()
        .unwrap();
    let std_l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    std_l.set_nonblocking(true).unwrap();
    let addr = std_l.local_addr().unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel();

    let dir = tmpdir("cpu-tokio");
    let file = dir.join("cpu.pb.gz");
    let g = inprof::start_cpu_profile(std::fs::File::create(&file).unwrap()).unwrap();
    // A client: 150 requests, 10 ms apart (about 1.5 s, mostly idle).
    let client = std::thread::spawn(move || {
        for _ in 0..150 {
            let mut c = std::net::TcpStream::connect(addr).unwrap();
            c.write_all(b"GET\n").unwrap();
            let mut out = String::new();
            c.read_to_string(&mut out).unwrap();
            std::thread::sleep(Duration::from_millis(10));
        }
        // The dump while the server idles.
        std::thread::sleep(Duration::from_millis(50));
        let dump = inprof::threads::dump();
        stop_tx.send(()).unwrap();
        dump
    });
    let alive = std::time::Instant::now();
    rt.block_on(async move {
        let l = tokio::net::TcpListener::from_std(std_l).unwrap();
        serve(l, stop_rx).await
    });
    let dump = client.join().unwrap();
    g.stop().unwrap();

    let cpu = top(&file, &[]);
    let total: f64 = cpu.iter().map(|r| r.flat).sum();
    let render = row(&cpu, "cpu_tokio::render").cum;
    let serve = cpu
        .iter()
        .find(|r| r.name == "cpu_tokio::serve")
        .map_or(0.0, |r| r.cum);
    // 150 requests of 3 ms: 450 ms of CPU in the handlers.
    assert_near("handlers' CPU", render, 450e6, 0.2);
    // Alive about 1.5 s, waiting on accept: its CPU (150 accepts and
    // spawns) is a small part of that.
    let alive = alive.elapsed().as_nanos() as f64;
    assert!(
        serve < 0.05 * alive,
        "serve (main, idle in block_on) has {serve} ns CPU in {alive} ns (all: {total}): {cpu:#?}"
    );
    // The exact record of the handlers' work: 150 calls, each at least its
    // 3 ms of CPU in wall time (1 % for the clocks), and not much more: a
    // thread preempted while it renders adds wall time without CPU (on two
    // cores shared with the client thread, a CI run once saw +26 %), so
    // the bound above is +50 %.
    let calls = top(&file, &["-sample_index=calls"]);
    assert_eq!(row(&calls, "cpu_tokio::render").flat, 150.0);
    let wall = top(&file, &["-sample_index=wall"]);
    assert_around(
        "handlers' wall",
        row(&wall, "cpu_tokio::render").cum,
        450e6,
        0.01,
        0.5,
    );

    // Idle workers and the main thread waiting in the runtime are not
    // running.
    let workers: Vec<&str> = dump
        .split("\n\n")
        .filter(|t| t.contains("\"tokio-worker\""))
        .collect();
    assert_eq!(workers.len(), 2, "{dump}");
    for w in &workers {
        let head = w.lines().next().unwrap_or("");
        assert!(
            !head.contains("[running]"),
            "an idle worker: {head}\n{dump}"
        );
    }
}
