//! Per-call overhead of inprof against the clock floor and the peers a user
//! would pick instead, in one run; whether this machine overlaps the
//! cycle-counter reads with the work around them (`clock`); and the cost
//! of writing a big profile.
//!
//! `cargo bench -p inprof-benches --bench overhead`

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion};
use std::future::Future as _;
use std::time::{Duration, Instant};

// ---- the same tiny leaf, instrumented by each tool, called from a
// ---- 3-deep call path.

#[inline(never)]
fn plain_leaf(x: u64) -> u64 {
    black_box(x).wrapping_mul(3)
}

/// Timed on every call (`always`: never demoted), as while a time profile
/// runs.
#[inprof::profile(always)]
#[inline(never)]
fn inprof_leaf(x: u64) -> u64 {
    black_box(x).wrapping_mul(3)
}

/// The same tiny leaf as users write it: adaptive, so it is demoted. Its
/// body is small, so it runs as a closure (inlined when not recorded).
#[inprof::profile]
#[inline(never)]
fn inprof_leaf_adaptive(x: u64) -> u64 {
    black_box(x).wrapping_mul(3)
}

/// The same leaf written out longer than the macro's "small" (48 tokens;
/// it gets no `#[inline]` of the macro's), its body a closure as every
/// sync body. Adaptive. The compiler makes of it what it makes of the
/// others.
#[inprof::profile]
#[inline(never)]
fn inprof_leaf_larger(x: u64) -> u64 {
    let x = black_box(x);
    let (a, b, c) = (x, x, x);
    let y = a.wrapping_add(b).wrapping_add(c);
    debug_assert_eq!(y, x.wrapping_mul(3), "three times {x}");
    y
}

/// The same leaf as a trait impl's generic method (its body a closure, as
/// every sync body): adaptive.
trait Leaf {
    fn leaf<T: Into<u64>>(&self, x: T) -> u64;
}

struct ClosureBody;

#[inprof::profile]
impl Leaf for ClosureBody {
    #[inline(never)]
    fn leaf<T: Into<u64>>(&self, x: T) -> u64 {
        black_box(x.into()).wrapping_mul(3)
    }
}

#[inline(never)]
fn puffin_leaf(x: u64) -> u64 {
    puffin::profile_function!();
    black_box(x).wrapping_mul(3)
}

#[fastrace::trace]
#[inline(never)]
fn fastrace_leaf(x: u64) -> u64 {
    black_box(x).wrapping_mul(3)
}

#[tracing::instrument(skip_all)]
#[inline(never)]
fn tracing_leaf(x: u64) -> u64 {
    black_box(x).wrapping_mul(3)
}

/// A tracing layer that does something on enter and exit, as a real one would.
struct CountingLayer(std::sync::atomic::AtomicU64);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for CountingLayer {
    fn on_enter(&self, _: &tracing::span::Id, _: tracing_subscriber::layer::Context<'_, S>) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// A fastrace reporter that drops what it gets.
struct NullReporter;

impl fastrace::collector::Reporter for NullReporter {
    fn report(&mut self, spans: Vec<fastrace::collector::SpanRecord>) {
        black_box(spans);
    }
}

/// The same tiny leaf as an async fn, instrumented (never demoted: async).
#[inprof::profile]
#[inline(never)]
async fn inprof_async_leaf(x: u64) -> u64 {
    black_box(x).wrapping_mul(3)
}

#[inline(never)]
async fn plain_async_leaf(x: u64) -> u64 {
    black_box(x).wrapping_mul(3)
}

/// Pending on every poll.
struct Never;

impl std::future::Future for Never {
    type Output = ();
    fn poll(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        std::task::Poll::Pending
    }
}

/// A task that waits forever: each poll of it is one instrumented poll
/// that returns Pending (a root: its task slot is updated each time).
#[inprof::profile]
async fn inprof_waiting_task() {
    Never.await
}

/// Polls `f` once with a no-op waker.
#[inline(always)]
fn poll_once<F: std::future::Future>(f: F) -> std::task::Poll<F::Output> {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    f.as_mut().poll(&mut cx)
}

fn clock_floor() -> u64 {
    let a = inprof::__private::ticks();
    let b = inprof::__private::ticks();
    black_box(b.wrapping_sub(a))
}

/// Twenty dependent multiply steps: a latency chain (each step waits for
/// the one before), as the bookkeeping of a timed call is a chain of
/// dependent loads (thread, tree, current node, cached child, callsite).
#[inline(always)]
fn chain(mut x: u64) -> u64 {
    for _ in 0..20 {
        x = x.wrapping_mul(x | 1);
    }
    x
}

/// Whether the machine overlaps the cycle-counter reads with the work
/// around them: the same latency chain alone (loop-carried), between the
/// two reads, and after them. Where the reads overlap with it, the chain
/// between or after them adds less than its latency to the two reads;
/// where a read waits for the work before it (or the work for the read),
/// it adds all of it, and so does every dependent load of a timed call's
/// bookkeeping.
fn clock_overlap(c: &mut Criterion) {
    let mut g = c.benchmark_group("clock");
    g.measurement_time(Duration::from_secs(3));
    g.warm_up_time(Duration::from_secs(1));
    g.bench_function("two_reads", |b| b.iter(clock_floor));
    let mut s = 1u64;
    g.bench_function("chain_latency", |b| {
        b.iter(|| {
            s = chain(s);
            s
        })
    });
    g.bench_function("chain_between_reads", |b| {
        b.iter(|| {
            let x = black_box(3u64);
            let a = inprof::__private::ticks();
            let y = chain(x);
            let b = inprof::__private::ticks();
            black_box(b.wrapping_sub(a) ^ y)
        })
    });
    g.bench_function("chain_after_reads", |b| {
        b.iter(|| {
            let a = inprof::__private::ticks();
            let b = inprof::__private::ticks();
            // Read after the second read: the chain cannot start earlier.
            let x = black_box(3u64);
            black_box(b.wrapping_sub(a) ^ chain(x))
        })
    });
    g.finish();
}

/// Benchmarks `call` as `id` once it is demoted: called past its probe
/// calls under a 3-deep path, then checked to be demoted (by the end of
/// its name) before it is measured.
fn bench_demoted(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    id: &str,
    name: &str,
    call: impl Fn(u64) -> u64,
) {
    g.bench_function(id, |b| {
        inprof::scope!("bench::root");
        inprof::scope!("bench::mid");
        for i in 0..1000 {
            call(i);
        }
        assert!(
            inprof::demoted().iter().any(|d| d.name.ends_with(name)),
            "{name} was not demoted: {:?}",
            inprof::demoted().iter().map(|d| d.name).collect::<Vec<_>>()
        );
        b.iter(|| call(black_box(1)))
    });
}

fn per_call(c: &mut Criterion) {
    let mut g = c.benchmark_group("per_call");
    g.measurement_time(Duration::from_secs(3));
    g.warm_up_time(Duration::from_secs(1));

    g.bench_function("uninstrumented", |b| b.iter(|| plain_leaf(black_box(1))));
    g.bench_function("clock_floor_two_reads", |b| b.iter(clock_floor));

    inprof::set_time_recording(true);
    g.bench_function("inprof", |b| {
        inprof::scope!("bench::root");
        inprof::scope!("bench::mid");
        b.iter(|| inprof_leaf(black_box(1)))
    });
    inprof::set_time_recording(false);
    // The default when no time profile runs: paths tracked and calls
    // counted (for heap, block and mutex profiles), no clock read.
    g.bench_function("inprof_tracking_no_profile", |b| {
        inprof::scope!("bench::root");
        inprof::scope!("bench::mid");
        for i in 0..1000 {
            inprof_leaf(i); // past the probe calls
        }
        b.iter(|| inprof_leaf(black_box(1)))
    });
    // A demoted callsite: one load and branch.
    bench_demoted(
        &mut g,
        "inprof_demoted",
        "inprof_leaf_adaptive",
        inprof_leaf_adaptive,
    );
    // The same for a body larger than small.
    bench_demoted(
        &mut g,
        "inprof_demoted_larger",
        "inprof_leaf_larger",
        inprof_leaf_larger,
    );
    g.bench_function("inprof_off_at_runtime", |b| {
        inprof::set_enabled(false);
        b.iter(|| inprof_leaf(black_box(1)));
        inprof::set_enabled(true);
    });
    // The same two for a body run as a closure.
    bench_demoted(
        &mut g,
        "inprof_demoted_closure_body",
        "ClosureBody as overhead::Leaf>::leaf",
        |x| ClosureBody.leaf(x),
    );
    g.bench_function("inprof_off_closure_body", |b| {
        inprof::set_enabled(false);
        b.iter(|| ClosureBody.leaf(black_box(1u64)));
        inprof::set_enabled(true);
    });

    puffin::set_scopes_on(true);
    g.bench_function("puffin", |b| {
        b.iter_custom(|iters| {
            let t = Instant::now();
            {
                puffin::profile_scope!("root");
                puffin::profile_scope!("mid");
                for i in 0..iters {
                    puffin_leaf(black_box(i));
                    if i % 4096 == 4095 {
                        // keep the stream bounded as a frame loop would
                    }
                }
            }
            let d = t.elapsed();
            puffin::GlobalProfiler::lock().new_frame();
            d
        })
    });
    puffin::set_scopes_on(false);

    fastrace::set_reporter(NullReporter, fastrace::collector::Config::default());
    g.bench_function("fastrace", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut left = iters;
            while left > 0 {
                let n = left.min(10_000);
                left -= n;
                let t = Instant::now();
                {
                    let root =
                        fastrace::Span::root("root", fastrace::prelude::SpanContext::random());
                    let _g = root.set_local_parent();
                    let _mid = fastrace::local::LocalSpan::enter_with_local_parent("mid");
                    for i in 0..n {
                        fastrace_leaf(black_box(i));
                    }
                }
                total += t.elapsed();
            }
            fastrace::flush();
            total
        })
    });

    use tracing_subscriber::layer::SubscriberExt;
    let subscriber = tracing_subscriber::registry().with(CountingLayer(Default::default()));
    let dispatch = tracing::Dispatch::new(subscriber);
    tracing::dispatcher::with_default(&dispatch, || {
        g.bench_function("tracing_registry_layer", |b| {
            let root = tracing::info_span!("root");
            let _r = root.enter();
            let mid = tracing::info_span!("mid");
            let _m = mid.enter();
            b.iter(|| tracing_leaf(black_box(1)))
        });
    });
    g.finish();
}

/// Runs `per_thread(iters)` on `threads` threads started together; the
/// slowest thread's time. `per_thread` times its own loop (after any
/// warm-up it does before `barrier.wait()`).
fn on_threads(
    threads: usize,
    iters: u64,
    per_thread: impl Fn(u64, &std::sync::Barrier) -> Duration + Sync,
) -> Duration {
    let barrier = std::sync::Barrier::new(threads);
    std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads)
            .map(|_| s.spawn(|| per_thread(iters, &barrier)))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).max().unwrap()
    })
}

/// An async fn's call (made, polled once to completion) and a waiting
/// task's poll, against a sync call of the same leaf, time recorded.
fn async_calls(c: &mut Criterion) {
    let mut g = c.benchmark_group("async");
    g.measurement_time(Duration::from_secs(3));
    g.warm_up_time(Duration::from_secs(1));
    inprof::set_time_recording(true);
    g.bench_function("sync_call_timed", |b| {
        inprof::scope!("bench::root");
        b.iter(|| inprof_leaf(black_box(1)))
    });
    g.bench_function("async_call_uninstrumented", |b| {
        b.iter(|| poll_once(plain_async_leaf(black_box(1))))
    });
    g.bench_function("async_call_timed", |b| {
        inprof::scope!("bench::root");
        b.iter(|| poll_once(inprof_async_leaf(black_box(1))))
    });
    g.bench_function("waiting_task_poll_timed", |b| {
        inprof::scope!("bench::root");
        let mut f = Box::pin(inprof_waiting_task());
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        b.iter(|| f.as_mut().poll(&mut cx))
    });
    inprof::set_time_recording(false);
    g.finish();
}

fn two_threads(c: &mut Criterion) {
    let mut g = c.benchmark_group("threads");
    g.measurement_time(Duration::from_secs(3));
    inprof::set_time_recording(true);
    for threads in [1usize, 2] {
        g.bench_function(format!("inprof_{threads}_threads_per_call"), |b| {
            b.iter_custom(|iters| {
                on_threads(threads, iters, |iters, barrier| {
                    inprof::scope!("bench::thread_root");
                    // warm the path
                    inprof_leaf(0);
                    barrier.wait();
                    let t = Instant::now();
                    for i in 0..iters {
                        inprof_leaf(black_box(i));
                    }
                    t.elapsed()
                })
            })
        });
        // The same with only the two clock reads: what running two threads
        // at once costs on this machine, whatever they do.
        g.bench_function(format!("clock_floor_{threads}_threads_per_call"), |b| {
            b.iter_custom(|iters| {
                on_threads(threads, iters, |iters, barrier| {
                    barrier.wait();
                    let t = Instant::now();
                    for _ in 0..iters {
                        clock_floor();
                    }
                    t.elapsed()
                })
            })
        });
    }
    inprof::set_time_recording(false);
    g.finish();
}

macro_rules! fanout {
    ($($name:ident),*) => {
        $(
            #[inprof::profile]
            #[inline(never)]
            fn $name(depth: u32) {
                if depth > 0 {
                    spread(depth - 1);
                }
            }
        )*
        fn spread(depth: u32) {
            $( $name(depth); )*
        }
    };
}
fanout!(f0, f1, f2, f3, f4, f5, f6, f7, f8, f9);

/// A function name as `backtrace` gives it to pprof-rs: mangled (legacy
/// Rust mangling, with a hash), so that pprof-rs demangles it as it does
/// in use. Names that are no Rust path (a thread's root, `[paths]`) as
/// they are.
fn mangled(name: &str) -> Vec<u8> {
    let segments: Vec<&str> = name.split("::").collect();
    if !segments
        .iter()
        .all(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
    {
        return name.as_bytes().to_vec();
    }
    let mut out = String::from("_ZN");
    for s in &segments {
        out.push_str(&format!("{}{s}", s.len()));
    }
    let hash = segments.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, s| {
        s.bytes()
            .fold(h, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
    });
    out.push_str(&format!("17h{hash:016x}E"));
    out.into_bytes()
}

/// The call paths of `p` as a pprof-rs `Report`, as its profiler would
/// hold them after `report().build()` (symbols resolved): one sample a
/// path, its frames leaf first, each a symbol with its name, file and
/// line, the thread's name, and the path's calls as its count.
fn as_pprof_rs_report(p: &inprof::pprof::Profile) -> pprof::Report {
    use std::collections::HashMap;
    let string = |i: i64| p.string_table[i as usize].clone();
    let functions: HashMap<u64, &inprof::pprof::Function> =
        p.function.iter().map(|f| (f.id, f)).collect();
    let locations: HashMap<u64, pprof::Symbol> = p
        .location
        .iter()
        .map(|l| {
            let f = functions[&l.line[0].function_id];
            let symbol = pprof::Symbol {
                name: Some(mangled(&string(f.name))),
                addr: None,
                lineno: Some(l.line[0].line as u32),
                filename: Some(string(f.filename).into()),
            };
            (l.id, symbol)
        })
        .collect();
    let calls = p
        .sample_type
        .iter()
        .position(|t| string(t.r#type) == "calls")
        .expect("a calls sample type");
    let mut data = HashMap::new();
    for (i, s) in p.sample.iter().enumerate() {
        let frames = pprof::Frames {
            frames: s
                .location_id
                .iter()
                .map(|id| vec![locations[id].clone()])
                .collect(),
            thread_name: "paths".into(),
            // Distinct keys: one sample a path, as in our profile.
            thread_id: i as u64,
            sample_timestamp: std::time::SystemTime::now(),
        };
        data.insert(frames, s.value[calls].max(1) as isize);
    }
    pprof::Report {
        data,
        // Its type is not exported; its default: 1 Hz, which leaves the
        // count as the `cpu` value times a second.
        timing: Default::default(),
    }
}

fn write_profile(c: &mut Criterion) {
    // 10 + 100 + ... + 100 000 distinct call paths on one thread.
    inprof::set_time_recording(true);
    std::thread::Builder::new()
        .name("paths".into())
        .spawn(|| spread(4))
        .unwrap()
        .join()
        .unwrap();
    let p = inprof::time_profile();
    let report = as_pprof_rs_report(&p);
    let ours = {
        let mut out = Vec::new();
        inprof::write_time_profile(&mut out).unwrap();
        out.len()
    };
    let theirs = pprof::protos::Message::encode_to_vec(&report.pprof().unwrap()).len();
    eprintln!(
        "profile of {} call paths ({ours} bytes gzipped); {} bytes per call-path node; \
         the same paths in pprof-rs: {} samples ({theirs} bytes before gzip)",
        p.sample.len(),
        inprof::__private::NODE_SIZE,
        report.data.len()
    );
    let mut g = c.benchmark_group("write_profile");
    g.sample_size(10);
    // What a user calls to write the file from what the profiler holds:
    // ours from the live call trees (snapshot, build, encode, gzip).
    g.bench_function("100k_paths_snapshot_build_encode_gzip", |b| {
        b.iter_batched(
            Vec::new,
            |mut out| {
                inprof::write_time_profile(&mut out).unwrap();
                out
            },
            BatchSize::LargeInput,
        )
    });
    // pprof-rs (the profiler a Rust user would pick instead) from its
    // report, symbols already resolved (its `report().build()`, which
    // resolves them, is left out: in its favour): `pprof()`, prost's
    // encoding, and gzip at the level we and Go's runtime write with.
    g.bench_function("pprof_rs_100k_paths_build_encode_gzip", |b| {
        b.iter_batched(
            Vec::new,
            |mut out| {
                use std::io::Write as _;
                let profile = report.pprof().unwrap();
                let bytes = pprof::protos::Message::encode_to_vec(&profile);
                let mut gz = flate2::write::GzEncoder::new(&mut out, flate2::Compression::fast());
                gz.write_all(&bytes).unwrap();
                gz.finish().unwrap();
                out
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(
    benches,
    per_call,
    clock_overlap,
    async_calls,
    two_threads,
    write_profile
);
criterion_main!(benches);
