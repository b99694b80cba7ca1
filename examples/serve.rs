//! Serving profiles like `import _ "net/http/pprof"`: the endpoint on a
//! loopback port while a workload runs. Prints the address, then serves
//! until stdin closes (or for the number of seconds given as the first
//! argument).
//!
//! ```text
//! cargo run --release --example serve
//! go tool pprof -top http://127.0.0.1:PORT/debug/pprof/profile?seconds=5
//! go tool pprof http://127.0.0.1:PORT/debug/pprof/heap
//! curl http://127.0.0.1:PORT/debug/pprof/goroutine?debug=2
//! ```

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

#[global_allocator]
static ALLOC: inprof::Alloc = inprof::Alloc::system();

static STOP: AtomicBool = AtomicBool::new(false);

#[inprof::profile]
fn handle_request(i: u64) -> usize {
    let body: Vec<u64> = (0..1000).map(|x| x * i).collect();
    format!("{:?}", &body[..10]).len()
}

#[inprof::profile]
fn serve_requests() {
    let mut i = 0;
    while !STOP.load(Ordering::Relaxed) {
        std::hint::black_box(handle_request(i));
        i += 1;
        if i % 1000 == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = inprof::http::serve("127.0.0.1:0")?;
    println!("serving http://{}/debug/pprof/", server.local_addr());
    let worker = inprof::thread::Builder::new()
        .name("worker".into())
        .spawn(serve_requests)?;
    match std::env::args().nth(1).and_then(|s| s.parse::<u64>().ok()) {
        Some(secs) => std::thread::sleep(Duration::from_secs(secs)),
        None => {
            let _ = std::io::stdin().read_to_end(&mut Vec::new());
        }
    }
    STOP.store(true, Ordering::Relaxed);
    worker.join().map_err(|_| "worker panicked")?;
    server.shutdown();
    Ok(())
}
