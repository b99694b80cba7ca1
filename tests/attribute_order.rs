//! `#[inprof::profile]` above or below `#[tokio::main]`, `#[tokio::test]`,
//! `#[async_trait]` and `#[tracing::instrument]` measures the same thing:
//! the function's own work (busy time in its polls), not the runtime's
//! idle time (tokio) or the boxing of a future (async_trait).

mod common;
use common::*;
use std::time::{Duration, Instant};

/// Each function sleeps this long before it spins: far longer than the
/// spin, so a busy time that counted the sleep could not pass for one that
/// did not, however much a loaded machine stretches the spin.
const SLEEP: Duration = Duration::from_millis(100);

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
    tokio::time::sleep(SLEEP).await;
    spin();
}

#[tokio::main(flavor = "current_thread")]
#[inprof::profile]
async fn main_below() {
    tokio::time::sleep(SLEEP).await;
    spin();
}

#[inprof::profile]
#[tokio::test]
async fn test_above() {
    tokio::time::sleep(SLEEP).await;
    spin();
}

#[tokio::test]
#[inprof::profile]
async fn test_below() {
    tokio::time::sleep(SLEEP).await;
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
        tokio::time::sleep(SLEEP).await;
        spin();
    }
}

#[async_trait::async_trait]
#[inprof::profile]
impl Service for Below {
    async fn serve(&self) {
        tokio::time::sleep(SLEEP).await;
        spin();
    }
}

#[inprof::profile]
#[tracing::instrument]
async fn traced_above() {
    tokio::time::sleep(SLEEP).await;
    spin();
}

#[tracing::instrument]
#[inprof::profile]
async fn traced_below() {
    tokio::time::sleep(SLEEP).await;
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
    let calls = top(&file, &["-sample_index=calls"]);
    // `test_above` and `test_below` are tests of their own too: the harness
    // may run them while the profile records, so each name is judged by
    // its busy time per call.
    let busy = |name: &str| row(&wall, name).flat / row(&calls, name).flat;
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
        // Each spins 5 ms and sleeps 100: the busy time of a call, either
        // order, is the spin, not the sleep (which would make it 105 ms or
        // more). A spin stretched by preemption on two loaded cores stays
        // far under 60 ms; the floor is half a spin, since a harness run
        // of a test that began before the profile may bring its call in
        // with only part of its work.
        for (n, v) in [(a, x), (b, y)] {
            assert!(
                v > 2.5e6 && v < 60e6,
                "{n}: {v} ns busy a call: {wall:#?} {calls:#?}"
            );
        }
    }
}
