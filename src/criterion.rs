//! A criterion `Profiler` (criterion 0.8 with the `criterion` feature,
//! 0.5 with `criterion05`): run benches
//! with `--profile-time N` and each benchmark writes a pprof time profile
//! (and a heap profile, when `inprof::Alloc` is the global allocator) in its
//! criterion directory: `target/criterion/ID/profile/{time,heap}.pb.gz`.
//!
//! ```no_run
//! use criterion::{criterion_group, criterion_main, Criterion};
//!
//! fn bench(c: &mut Criterion) {
//!     c.bench_function("parse", |b| b.iter(|| 2 + 2));
//! }
//!
//! criterion_group! {
//!     name = benches;
//!     config = Criterion::default().with_profiler(inprof::criterion::Profiler::new());
//!     targets = bench
//! }
//! criterion_main!(benches);
//! ```

use std::path::Path;

/// Writes a pprof profile per benchmark when criterion profiles
/// (`--profile-time`).
#[derive(Default)]
pub struct Profiler {
    running: Option<crate::CpuProfile>,
    heap_before: u64,
}

impl Profiler {
    /// A profiler for `Criterion::with_profiler`.
    pub fn new() -> Profiler {
        Profiler::default()
    }
}

/// The criterion `Profiler` impl, for each supported criterion version.
macro_rules! profiler_impl {
    ($krate:ident) => {
        impl ::$krate::profiler::Profiler for Profiler {
            fn start_profiling(&mut self, benchmark_id: &str, benchmark_dir: &Path) {
                if let Err(e) = std::fs::create_dir_all(benchmark_dir) {
                    eprintln!(
                        "inprof: {benchmark_id}: creating {}: {e}",
                        benchmark_dir.display()
                    );
                    return;
                }
                let file = benchmark_dir.join("time.pb.gz");
                self.heap_before = crate::heap_stats().allocations;
                match crate::create_private_file(&file)
                    .map_err(crate::Error::from)
                    .and_then(crate::start_cpu_profile)
                {
                    Ok(g) => self.running = Some(g),
                    Err(e) => eprintln!("inprof: {benchmark_id}: {e}"),
                }
            }

            fn stop_profiling(&mut self, benchmark_id: &str, benchmark_dir: &Path) {
                if let Some(g) = self.running.take() {
                    if let Err(e) = g.stop() {
                        eprintln!("inprof: {benchmark_id}: {e}");
                    }
                }
                // Only when inprof's allocator counted something.
                if crate::heap_stats().allocations > self.heap_before {
                    let file = benchmark_dir.join("heap.pb.gz");
                    let r = crate::create_private_file(&file)
                        .map_err(crate::Error::from)
                        .and_then(crate::write_heap_profile);
                    if let Err(e) = r {
                        eprintln!("inprof: {benchmark_id}: {e}");
                    }
                }
            }
        }
    };
}

#[cfg(feature = "criterion")]
profiler_impl!(criterion);
#[cfg(feature = "criterion05")]
profiler_impl!(criterion05);
