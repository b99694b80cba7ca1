//! `#[inprof::profile]` above or below `#[tokio::main]`, `#[tokio::test]`,
//! `#[async_trait]` and `#[tracing::instrument]` measures the same thing:
//! the function's own work (busy time in its polls), not the runtime's
//! idle time (tokio) or the boxing of a future (async_trait).

mod common;
use common::*;
use std::time::{Duration, Instant};

/// About 5 ms of CPU.
fn spin() {
    let t = Instant::now();
    while t.elapsed() < Duration::from_millis(5) {
        std::hint::spin_loop();
    }
}

#[inprof::profile]
#[tokio::main(flavor = "current_thread")]
async fn main_above() {
    tokio::time::sleep(Duration::from_millis(30)).await;
    spin();
}

#[tokio::main(flavor = "current_thread")]
#[inprof::profile]
async fn main_below() {
    tokio::time::sleep(Duration::from_millis(30)).await;
    spin();
}

#[inprof::profile]
#[tokio::test]
async fn test_above() {
    tokio::time::sleep(Duration::from_millis(30)).await;
    spin();
}

#[tokio::test]
#[inprof::profile]
async fn test_below() {
    tokio::time::sleep(Duration::from_millis(30)).await;
    spin();
}

#[async_trait::async_trait]
trait Service {
    async fn serve(&self);
}

struct Above;
struct Below;

#[inprof::profile]
#[async_trait::async_trait]
impl Service for Above {
    async fn serve(&self) {
        tokio::time::sleep(Duration::from_millis(30)).await;
        spin();
    }
}

#[async_trait::async_trait]
#[inprof::profile]
impl Service for Below {
    async fn serve(&self) {
        tokio::time::sleep(Duration::from_millis(30)).await;
        spin();
    }
}

#[inprof::profile]
#[tracing::instrument]
async fn traced_above() {
    tokio::time::sleep(Duration::from_millis(30)).await;
    spin();
}

#[tracing::instrument]
#[inprof::profile]
async fn traced_below() {
    tokio::time::sleep(Duration::from_millis(30)).await;
    spin();
}

#[test]
fn either_order_measures_the_same() {
    let dir = tmpdir("order");
    let file = dir.join("cpu.pb.gz");
    let g = inprof::start_cpu_profile(std::fs::File::create(&file).unwrap()).unwrap();
    main_above();
    main_below();
    test_above();
    test_below();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        Above.serve().await;
        Below.serve().await;
        traced_above().await;
        traced_below().await;
    });
    g.stop().unwrap();

    let wall = top(&file, &["-sample_index=wall"]);
    let busy = |name: &str| row(&wall, name).flat;
    for (a, b) in [
        ("attribute_order::main_above", "attribute_order::main_below"),
        ("attribute_order::test_above", "attribute_order::test_below"),
        (
            "<attribute_order::Above as attribute_order::Service>::serve",
            "<attribute_order::Below as attribute_order::Service>::serve",
        ),
        (
            "attribute_order::traced_above",
            "attribute_order::traced_below",
        ),
    ] {
        let (x, y) = (busy(a), busy(b));
        // Each spins 5 ms and sleeps 30: the busy time, either order, is
        // the spin (not the sleep, not the boxing).
        for (n, v) in [(a, x), (b, y)] {
            assert!(v > 4e6 && v < 15e6, "{n}: {v} ns busy: {wall:#?}");
        }
    }
}
