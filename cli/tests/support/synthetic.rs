//! A big synthetic profile for the graph test and bench: `functions`
//! functions in call chains 3–12 deep through a layered call tree,
//! `samples` samples (fixed seed).

use inprof_runtime::pprof::{Builder, Frame, Profile};

/// The profile.
pub fn profile(functions: usize, samples: usize) -> Profile {
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
    for _ in 0..samples {
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
