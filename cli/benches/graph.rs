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
use inprof_runtime::pprof::{Builder, Frame, Profile};
use std::time::Duration;

/// A profile of `functions` functions: 50 000 samples, each a random call
/// chain 3–12 deep through a layered call tree (fixed seed).
fn synthetic(functions: usize) -> Profile {
    let mut b = Builder::new(&[("wall", "nanoseconds")], ("wall", "nanoseconds"), 1, None);
    let names: Vec<String> = (0..functions)
        .map(|i| format!("app::module{}::f{i}", i % 37))
        .collect();
    let mut x = 0x9e3779b97f4a7c15u64;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..50_000 {
        let depth = 3 + (next() % 10) as usize;
        let mut stack = Vec::with_capacity(depth);
        let mut f = (next() % 8) as usize;
        for _ in 0..depth {
            stack.push(f);
            // Callees sit further down the list, a few per caller.
            f = (f * 3 + 1 + (next() % 4) as usize) % functions;
        }
        stack.reverse();
        let locs = stack
            .iter()
            .map(|&i| {
                b.location(
                    i as u64,
                    Frame {
                        name: &names[i],
                        file: "src/app.rs",
                        line: i as u32,
                    },
                )
            })
            .collect();
        b.sample(locs, vec![1_000 + (next() % 100_000) as i64], &[]);
    }
    b.finish(0, 1_000_000_000)
}

fn graphs(c: &mut Criterion) {
    let dot_installed = std::process::Command::new("dot").arg("-V").output().is_ok();
    let mut g = c.benchmark_group("graph");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(10));
    for n in [400usize, 20_000] {
        let p = synthetic(n);
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
