//! Rendering the call graph of big profiles (pruned as pprof prunes it):
//! a 400-function and a 20 000-function profile, each a DOT build and a
//! Graphviz SVG, the way `inprof graph -o g.svg` and `inprof web` make
//! them. The goal: under 2 s each (pprof: 0.44 s for 400 functions).
//!
//! `cargo bench -p inprof-cli --bench graph`

// criterion_group! makes an undocumented pub fn.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use inprof_cli::view;

#[path = "../tests/support/synthetic.rs"]
mod synthetic;
use std::time::Duration;

fn graphs(c: &mut Criterion) {
    let dot_installed = std::process::Command::new("dot").arg("-V").output().is_ok();
    let mut g = c.benchmark_group("graph");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(10));
    for n in [400usize, 20_000] {
        let p = synthetic::profile(n, 50_000);
        let sel = view::Select::default();
        g.bench_function(format!("dot_{n}_functions"), |b| {
            b.iter(|| view::dot(&p, &sel).unwrap())
        });
        if dot_installed {
            g.bench_function(format!("svg_{n}_functions"), |b| {
                b.iter(|| view::dot_to_svg(&view::dot(&p, &sel).unwrap()).unwrap())
            });
        }
    }
    g.finish();
}

criterion_group!(benches, graphs);
criterion_main!(benches);
