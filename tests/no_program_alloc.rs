//! An instrumented call never calls the program's global allocator, not
//! even the first call of a callsite, of a `Self` type or of a thread,
//! where the engine registers the thread and resolves names: inprof keeps
//! its own memory apart (`System`). faster-hex 2.0.0's tests count the
//! allocations of calls it documents as allocation-free (a counting global
//! allocator, no warm-up): instrumented wholesale they counted 4 and 11.
//!
//! The counting allocator below counts only the allocations of the calling
//! thread inside `measure`, as faster-hex's does.

mod common;
use common::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

struct Counting;

fn count() {
    let _ = COUNTING.try_with(|on| {
        if on.get() {
            COUNT.with(|n| n.set(n.get() + 1));
        }
    });
}

// SAFETY: every call goes to System unchanged; the counter is a
// const-initialized thread-local Cell, which allocates nothing.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller's layout, passed on.
        unsafe { System.alloc(l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        count();
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, size: usize) -> *mut u8 {
        count();
        // SAFETY: `p` came from System with `l` (every allocation here does).
        unsafe { System.realloc(p, l, size) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static COUNTER: Counting = Counting;

/// The program's allocations on this thread while `f` runs.
fn measure<T>(f: impl FnOnce() -> T) -> usize {
    COUNT.with(|n| n.set(0));
    COUNTING.with(|on| on.set(true));
    std::hint::black_box(f());
    COUNTING.with(|on| on.set(false));
    COUNT.with(|n| n.get())
}

#[inprof::profile]
fn leaf(x: u64) -> u64 {
    x.wrapping_mul(3)
}

#[inprof::profile]
fn tiny(x: u64) -> u64 {
    x ^ 1
}

#[inprof::profile]
fn caller(x: u64) -> u64 {
    leaf(x) + 1
}

struct Plain;

#[inprof::profile]
impl Plain {
    fn method(&self, x: u64) -> u64 {
        x + 2
    }
}

struct Wrap<T>(T);

#[inprof::profile]
impl<T: Copy + Into<u64>> Wrap<T> {
    fn get(&self) -> u64 {
        self.0.into()
    }
}

#[inprof::profile]
trait Describe {
    fn describe(&self) -> u64 {
        7
    }
}

impl Describe for Plain {}

#[inprof::profile]
async fn future(x: u64) -> u64 {
    x + 9
}

/// Pending once, then ready: the future that awaits it waits (and takes
/// a slot among waiting tasks).
struct YieldOnce(bool);

impl std::future::Future for YieldOnce {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.0 {
            std::task::Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    }
}

#[inprof::profile]
async fn waits(x: u64) -> u64 {
    YieldOnce(false).await;
    future(x).await
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let mut f = std::pin::pin!(f);
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

/// Every first: a thread's first call, a new path, a method, a generic
/// method for two types, a trait's default method, a function declared in
/// a closure (its name is rebuilt without the closure), an `async fn`, a
/// scope; call paths tracked (the default) and timed.
fn firsts(with: &str) {
    let counts = [
        ("thread's first call", measure(|| leaf(1))),
        ("same path again", measure(|| leaf(2))),
        ("new path", measure(|| caller(2))),
        ("method", measure(|| Plain.method(2))),
        ("generic method, u8", measure(|| Wrap(3u8).get())),
        ("generic method, u32", measure(|| Wrap(3u32).get())),
        ("trait default method", measure(|| Plain.describe())),
        (
            "function in a closure",
            measure(|| {
                #[inprof::profile]
                fn inner(x: u64) -> u64 {
                    x + 4
                }
                inner(1)
            }),
        ),
        ("async fn", measure(|| block_on(future(1)))),
        ("async fn that waits", measure(|| block_on(waits(1)))),
        (
            "scope",
            measure(|| {
                inprof::scope!("block");
                leaf(5)
            }),
        ),
    ];
    for (what, n) in counts {
        assert_eq!(n, 0, "{with}: {what}: {n} allocations of the program's");
    }
}

#[test]
fn instrumented_calls_never_call_the_programs_allocator() {
    // The counter counts (else zeros prove nothing).
    assert!(measure(|| vec![0u8; 64]) > 0);
    // Tracking call paths, the default: no time profile asked for.
    std::thread::spawn(|| firsts("tracking")).join().unwrap();
    // A path decided for demotion (its 256 probe calls timed, the clock's cost
    // measured, the callsite demoted).
    std::thread::spawn(|| {
        let n = measure(|| (0..512u64).map(tiny).sum::<u64>());
        assert_eq!(n, 0, "demotion: {n} allocations of the program's");
    })
    .join()
    .unwrap();
    assert!(
        inprof::demoted().iter().any(|d| d.name.ends_with("::tiny")),
        "{:?}",
        inprof::demoted()
    );
    // Timing, every call counted, on a new thread (new paths).
    inprof::set_adaptive(false);
    let dir = tmpdir("no_program_alloc");
    let file = dir.join("cpu.pb.gz");
    let g = inprof::start_cpu_profile(std::fs::File::create(&file).unwrap()).unwrap();
    std::thread::spawn(|| firsts("timing")).join().unwrap();
    // A named thread: its name is copied into its tree, not allocated.
    std::thread::Builder::new()
        .name("named".into())
        .spawn(|| assert_eq!(measure(|| caller(9)), 0))
        .unwrap()
        .join()
        .unwrap();
    g.stop().unwrap();
    // The names built apart from the program's allocator, whole, as `go
    // tool pprof` reads them, with the calls of the profiled part.
    let calls = top(&file, &["-sample_index=calls"]);
    let c = |n: &str| row(&calls, n).flat;
    // Four in `firsts`, one under the named thread's `caller`.
    assert_eq!(c("no_program_alloc::leaf"), 5.0);
    assert_eq!(c("no_program_alloc::caller"), 2.0);
    assert_eq!(c("no_program_alloc::Plain::method"), 1.0);
    assert_eq!(c("no_program_alloc::Wrap<u8>::get"), 1.0);
    assert_eq!(c("no_program_alloc::Wrap<u32>::get"), 1.0);
    assert_eq!(
        c("<no_program_alloc::Plain as no_program_alloc::Describe>::describe"),
        1.0
    );
    assert_eq!(c("no_program_alloc::firsts::inner"), 1.0);
    // Once alone, once under `waits`.
    assert_eq!(c("no_program_alloc::future"), 2.0);
    assert_eq!(c("no_program_alloc::waits"), 1.0);
    assert_eq!(c("block"), 1.0);
    let _ = std::fs::remove_dir_all(&dir);
}
