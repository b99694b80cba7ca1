//! Spans of `#[tracing::instrument]` become inprof frames through
//! `inprof::tracing::Layer`: names, nesting, calls and time as if annotated
//! with `#[inprof::profile]`.

mod common;
use common::*;
use std::time::{Duration, Instant};
use tracing_subscriber::prelude::*;

#[tracing::instrument]
fn traced_work(i: u32) {
    let t = Instant::now();
    while t.elapsed() < Duration::from_millis(20) {
        std::hint::black_box(i);
    }
}

#[tracing::instrument]
fn traced_outer() {
    for i in 0..3 {
        traced_work(i);
    }
}

#[test]
fn instrumented_spans_are_frames() {
    tracing_subscriber::registry()
        .with(inprof::tracing::Layer::new())
        .init();
    let dir = tmpdir("tracing");
    let file = dir.join("cpu.pb.gz");
    let g = inprof::start_cpu_profile(std::fs::File::create(&file).unwrap()).unwrap();
    traced_outer();
    g.stop().unwrap();

    let wall = top(&file, &["-sample_index=wall"]);
    assert_near(
        "traced_work flat",
        row(&wall, "tracing_layer::traced_work").flat,
        60e6,
        0.10,
    );
    assert_near(
        "traced_outer cum",
        row(&wall, "tracing_layer::traced_outer").cum,
        60e6,
        0.10,
    );
    let calls = top(&file, &["-sample_index=calls"]);
    assert_eq!(row(&calls, "tracing_layer::traced_work").flat, 3.0);
    let tr = traces(&file, &["-sample_index=calls"]);
    assert!(
        tr.iter().any(|(_, s)| s
            == &vec![
                "tracing_layer::traced_work".to_string(),
                "tracing_layer::traced_outer".to_string()
            ]),
        "{tr:#?}"
    );
    let r = raw(&file);
    assert!(r.contains("tests/tracing_layer.rs"), "{r}");
}
