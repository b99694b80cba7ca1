//! mini-redis instrumented wholesale, under known load: an in-process
//! server and CLIENTS clients, each doing OPS sets and OPS gets, with a CPU
//! profile around them. Prints the wall time the clients measured around
//! their gets and the thread dump while the clients sit idle.
//!
//! `redis-check PROFILE` (instrumented build) or `redis-check -` (no
//! profile: the uninstrumented build's timing).

use std::time::{Duration, Instant};

pub const CLIENTS: usize = 8;
pub const OPS: usize = 100;

fn main() {
    let file = std::env::args().nth(1).unwrap_or_else(|| "-".into());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .on_thread_start(|| inprof::thread::register_current("tokio-worker"))
        .build()
        .unwrap();
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(mini_redis::server::run(listener, async move {
            let _ = stop_rx.await;
        }));
        let guard = (file != "-")
            .then(|| inprof::start_cpu_profile(inprof::create_private_file(&file).unwrap()).unwrap());
        let t0 = Instant::now();
        // Each client: OPS sets and gets, then it stays connected, idle,
        // until told to go (so that the dump sees the server's handlers
        // waiting).
        let (go_tx, _) = tokio::sync::broadcast::channel::<()>(1);
        let mut hs = Vec::new();
        for c in 0..CLIENTS {
            let mut go = go_tx.subscribe();
            hs.push(tokio::spawn(async move {
                let mut client = mini_redis::client::connect(addr).await.unwrap();
                let mut get_wall = Duration::ZERO;
                for i in 0..OPS {
                    let key = format!("k{c}-{i}");
                    client.set(&key, format!("v{i}").into()).await.unwrap();
                    let t = Instant::now();
                    let v = client.get(&key).await.unwrap();
                    get_wall += t.elapsed();
                    assert_eq!(v.as_deref(), Some(format!("v{i}").as_bytes()));
                }
                let _ = go.recv().await;
                drop(client);
                get_wall
            }));
        }
        // Wait until every client is done and idle.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let dump = inprof::threads::dump();
        let _ = go_tx.send(());
        let mut get_wall = Duration::ZERO;
        for h in hs {
            get_wall += h.await.unwrap();
        }
        // The server sees every disconnect.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let total = t0.elapsed();
        if let Some(g) = guard {
            g.stop().unwrap();
        }
        let _ = stop_tx.send(());
        let _ = server.await;
        println!("get_wall_ns={}", get_wall.as_nanos());
        println!("total_ns={}", total.as_nanos());
        println!("----- dump -----\n{dump}");
    });
}
