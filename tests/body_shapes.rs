//! The shapes of instrumented functions (each sync body runs as a
//! closure: inlined where the call is off or demoted, inside inprof's
//! `record_body` where it is recorded; a guard statement where a closure
//! could differ): whatever the function's signature, each call runs its
//! body once, with its arguments, and returns its result, recorded or
//! not; the profile, read with `go tool pprof`, has the exact calls on the
//! paths of known truth, and no frame of the recording machinery.
#![cfg(target_os = "linux")]

mod common;
use common::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Bodies run, counted by the bodies themselves.
static RUNS: AtomicUsize = AtomicUsize::new(0);

fn ran() {
    RUNS.fetch_add(1, Ordering::Relaxed);
}

/// A type with an inherent method of the same name and signature as its
/// trait method: the trait impl's body must run, not the inherent one.
struct Twin(u32);

impl Twin {
    fn value(&self) -> u32 {
        1000 + self.0
    }
}

trait Value {
    fn value(&self) -> u32;
}

#[inprof::profile]
impl Value for Twin {
    fn value(&self) -> u32 {
        ran();
        self.0
    }
}

struct Store {
    v: Vec<u32>,
}

#[inprof::profile]
impl Store {
    /// `&mut self` in, a borrow of it out.
    fn slot(&mut self, i: usize) -> &mut u32 {
        ran();
        &mut self.v[i]
    }

    /// `self` by value.
    fn into_inner(self) -> Vec<u32> {
        ran();
        self.v
    }

    /// A type parameter only the result names.
    fn make<T: From<u32>>(n: u32) -> Vec<T> {
        ran();
        (0..n).map(T::from).collect()
    }
}

#[inprof::profile]
trait Greet {
    fn name(&self) -> String;

    /// A default method: named per implementing type.
    fn greet(&self, times: usize) -> String {
        ran();
        self.name().repeat(times)
    }
}

impl Greet for Twin {
    fn name(&self) -> String {
        format!("t{}", self.0)
    }
}

/// An `impl Trait` argument.
#[inprof::profile]
fn total(xs: impl IntoIterator<Item = u32>) -> u32 {
    ran();
    xs.into_iter().sum()
}

/// A lifetime tying the result to an argument.
#[inprof::profile]
fn longest<'a>(a: &'a str, b: &'a str) -> &'a str {
    ran();
    if a.len() >= b.len() {
        a
    } else {
        b
    }
}

/// An argument the body does not name (its warning must stay: `_` here).
#[inprof::profile]
fn ignores(_unused: u32) -> u32 {
    ran();
    7
}

/// A trait whose impl below is more general than it (no bound on `E`):
/// the impl's methods run their body as a closure.
trait Visitor {
    fn visit<E: std::error::Error>(&self, v: u32) -> Result<u32, E>;
    fn burn<E: std::error::Error>(&self, d: Duration) -> Result<u64, E>;
}

struct Vis;

#[inprof::profile]
impl Visitor for Vis {
    fn visit<E>(&self, v: u32) -> Result<u32, E> {
        ran();
        if v == 0 {
            return Ok(0);
        }
        Ok(v + 1)
    }

    fn burn<E>(&self, d: Duration) -> Result<u64, E> {
        Ok(burn_unannotated(d))
    }
}

/// Arguments bound by patterns (a closure's body too), and an item in the
/// body, whose path must not change.
#[inprof::profile]
fn sum_pair((a, b): (u32, u32)) -> u32 {
    ran();
    struct Inside;
    assert_eq!(
        std::any::type_name::<Inside>(),
        "body_shapes::sum_pair::Inside"
    );
    a + b
}

#[repr(C)]
struct Laid {
    a: u32,
    b: u8,
}

/// An array repeat count with `offset_of!` and an inline `const` block:
/// rustc judges those generic inside a closure (a future error,
/// `const_evaluatable_unchecked`, denied here: memoffset 0.9.1's tests);
/// such a body keeps the guard shape.
#[inprof::profile]
#[deny(const_evaluatable_unchecked)]
fn laid_out() -> usize {
    ran();
    let l = Laid { a: 1, b: 2 };
    [0u8; core::mem::offset_of!(Laid, b)].len()
        + [(); const { 2 }].len()
        + (l.a + u32::from(l.b)) as usize
}

/// `Drop::drop`.
struct Dropped(u32);

#[inprof::profile]
impl Drop for Dropped {
    fn drop(&mut self) {
        ran();
        self.0 = 0;
    }
}

/// Every shape above, once; returns how many bodies ran.
#[inprof::profile]
fn shapes() -> usize {
    let before = RUNS.load(Ordering::Relaxed);
    let t = Twin(5);
    assert_eq!(Value::value(&t), 5);
    assert_eq!(t.value(), 1005);
    let mut s = Store { v: vec![1, 2, 3] };
    *s.slot(1) += 40;
    assert_eq!(s.into_inner(), vec![1, 42, 3]);
    assert_eq!(Store::make::<u64>(3), vec![0u64, 1, 2]);
    assert_eq!(t.greet(2), "t5t5");
    assert_eq!(total(vec![1, 2, 3]), 6);
    assert_eq!(longest("ab", "abc"), "abc");
    assert_eq!(ignores(1), 7);
    assert_eq!(Vis.visit::<std::fmt::Error>(3), Ok(4));
    assert_eq!(sum_pair((2, 3)), 5);
    assert_eq!(laid_out(), 9);
    drop(Dropped(1));
    RUNS.load(Ordering::Relaxed) - before
}

/// Burns `d` of this thread's CPU time (not wall time, which a VM's host
/// may stretch) in a function that is not annotated.
#[inline(never)]
fn burn_unannotated(d: Duration) -> u64 {
    let start = thread_cpu_ns();
    let mut x = 1u64;
    // Long stretches between clock reads: the clock is read in a library
    // function without frame pointers, whose caller a frame-pointer walk
    // does not see.
    while thread_cpu_ns() - start < d.as_nanos() as f64 {
        for _ in 0..200_000 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
    }
    x
}

/// Small: its body runs as a closure.
#[inprof::profile]
fn hot(d: Duration) -> u64 {
    burn_unannotated(d)
}

/// The same, larger than small (the macro's `is_small`, which decides
/// only whether `#[inline]` is added).
#[inprof::profile]
fn hot_larger(d: Duration) -> u64 {
    let start = Instant::now();
    let x = burn_unannotated(d);
    let spent = start.elapsed();
    assert!(spent >= d, "burned {spent:?} of {d:?}");
    std::hint::black_box(x).wrapping_add(u64::from(spent.subsec_nanos() % 2))
}

#[test]
fn every_shape_runs_its_body_once_and_is_recorded_exactly() {
    // Exact calls on every path: no demotion (these bodies are short).
    inprof::set_adaptive(false);
    let dir = tmpdir("body-shapes");
    let file = dir.join("cpu.pb.gz");
    let guard = inprof::start_cpu_profile(std::fs::File::create(&file).unwrap()).unwrap();
    for _ in 0..3 {
        assert_eq!(shapes(), 12, "bodies run per round, recorded");
    }
    let d = Duration::from_millis(300);
    let (_, hot_wall) = measure(|| hot(d));
    let (_, larger_wall) = measure(|| hot_larger(d));
    let (r, burn_wall) = measure(|| Vis.burn::<std::fmt::Error>(d));
    assert!(r.is_ok());
    guard.stop().unwrap();

    // Not recorded (off): the same bodies, once each.
    inprof::set_enabled(false);
    let off = shapes();
    inprof::set_enabled(true);
    assert_eq!(off, 12, "bodies run per round, off");

    let calls = top(&file, &["-sample_index=calls"]);
    let expected = [
        ("body_shapes::shapes", 3.0),
        ("<body_shapes::Twin as body_shapes::Value>::value", 3.0),
        ("body_shapes::Store::slot", 3.0),
        ("body_shapes::Store::into_inner", 3.0),
        ("body_shapes::Store::make", 3.0),
        ("<body_shapes::Twin as body_shapes::Greet>::greet", 3.0),
        ("body_shapes::total", 3.0),
        ("body_shapes::longest", 3.0),
        ("body_shapes::ignores", 3.0),
        ("<body_shapes::Vis as body_shapes::Visitor>::visit", 3.0),
        ("body_shapes::sum_pair", 3.0),
        ("body_shapes::laid_out", 3.0),
        ("<body_shapes::Dropped as core::ops::drop::Drop>::drop", 3.0),
        ("body_shapes::hot", 1.0),
        ("body_shapes::hot_larger", 1.0),
        ("<body_shapes::Vis as body_shapes::Visitor>::burn", 1.0),
    ];
    for (name, n) in expected {
        assert_eq!(row(&calls, name).flat, n, "calls of {name}");
    }
    // Each shape right under `shapes`, none nested in another (nor in
    // itself, as a second recorded frame would be).
    for (_, stack) in traces(&file, &["-sample_index=calls"]) {
        let Some(first) = stack.first() else { continue };
        if expected[1..13].iter().any(|(n, _)| n == first) {
            assert_eq!(stack.len(), 2, "{stack:?}");
            assert_eq!(stack[1], "body_shapes::shapes", "{stack:?}");
        }
    }
    // The sampled CPU below `hot`, `hot_larger` and `burn` is the
    // unannotated function, right below it: no frame of `record_body` or
    // of its closure in between.
    let cpu = traces(&file, &["-sample_index=cpu"]);
    for (_, stack) in &cpu {
        let annotated =
            |f: &String| f.starts_with("body_shapes::hot") || f.ends_with("Visitor>::burn");
        if let Some(i) = stack.iter().position(annotated) {
            assert!(
                !stack[..i]
                    .iter()
                    .any(|f| f.contains("record") || f.contains("closure")),
                "{stack:?}"
            );
        }
    }
    let rows = top(&file, &[]);
    let (caller, helper) = (
        row(&rows, "body_shapes::hot"),
        row(&rows, "body_shapes::burn_unannotated"),
    );
    assert!(caller.cum > 0.2e9, "{rows:#?}");
    assert!(helper.cum >= 0.8 * caller.cum, "{rows:#?}");
    let larger = row(&rows, "body_shapes::hot_larger");
    assert!(larger.cum > 0.2e9, "{rows:#?}");
    let burn = row(&rows, "<body_shapes::Vis as body_shapes::Visitor>::burn");
    assert!(burn.cum > 0.2e9, "{rows:#?}");
    // The callers' CPU is the helper's, and the helper is called by
    // nothing else.
    assert!(
        helper.cum >= 0.8 * (caller.cum + larger.cum + burn.cum),
        "{rows:#?}"
    );
    let wall = top(&file, &["-sample_index=wall"]);
    // Their wall time against each call's, measured around it.
    let hot = row(&wall, "body_shapes::hot").cum;
    assert_measured("hot cum", hot, hot_wall, 300.0);
    let larger = row(&wall, "body_shapes::hot_larger").cum;
    assert_measured("hot_larger cum", larger, larger_wall, 300.0);
    let burn = row(&wall, "<body_shapes::Vis as body_shapes::Visitor>::burn");
    assert_measured("burn cum", burn.cum, burn_wall, 300.0);
}
