//! The stack an instrumented function's first call takes, beyond the same
//! function uninstrumented: what a small stack (a coroutine's, a signal
//! handler's) must have room for. The first call of a path makes a node,
//! and its name is made when a profile first reads it, not there: on
//! generator 0.8.12's coroutines (instrumented wholesale) the naming
//! once ran inside the first call, overflowed the coroutine's small stack
//! and then, in the overflow handler (instrumented too), the signal
//! stack, and the process hung on a lock its own thread held.
//!
//! Each call runs on a stack of its own, zeroed (through psm, the stack
//! switcher stacker and generator-style crates build on); the bytes it
//! wrote are the stack it took.
#![cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]

mod common;
use common::*;
use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::hint::black_box;

const SIZE: usize = 256 * 1024;

/// How many bytes of a fresh, zeroed stack `f` wrote to (from its top).
fn stack_taken(f: impl FnOnce()) -> usize {
    let layout = Layout::from_size_align(SIZE, 4096).unwrap();
    // SAFETY: non-zero size.
    let base = unsafe { alloc_zeroed(layout) };
    assert!(!base.is_null());
    // SAFETY: `base` is SIZE bytes, page-aligned (more than any target
    // asks), SIZE a multiple of the alignment; `f` does not unwind (the
    // functions below do not panic).
    unsafe { psm::on_stack(base, SIZE, f) };
    // SAFETY: `base` holds SIZE initialized bytes until freed below.
    let bytes = unsafe { std::slice::from_raw_parts(base, SIZE) };
    let untouched = bytes.iter().take_while(|&&b| b == 0).count();
    // SAFETY: allocated above with this layout.
    unsafe { dealloc(base, layout) };
    SIZE - untouched
}

fn body(x: u64) -> u64 {
    black_box(x).wrapping_mul(3) + 1
}

fn plain(x: u64) -> u64 {
    body(x)
}

// Each instrumented function below is called once only, so that its call
// is a first call. Its name, to be made later, is of the kinds that cost
// the most to make: a path inside a closure (rewritten without
// `{{closure}}`), a method of a generic type (named by its `Self` type).
fn closure_fn() -> impl FnOnce(u64) -> u64 {
    |x| {
        #[inprof::profile]
        fn in_closure(x: u64) -> u64 {
            body(x)
        }
        in_closure(x)
    }
}

struct Wrap<T>(T);

#[inprof::profile]
impl<T: Copy + Into<u64>> Wrap<T> {
    fn first(&self) -> u64 {
        body(self.0.into())
    }
}

#[inprof::profile]
fn warm_up() -> u64 {
    body(7)
}

#[test]
fn a_first_call_takes_little_more_stack_than_the_plain_call() {
    let dir = tmpdir("small-stacks");
    let file = dir.join("cpu.pb.gz");
    let g = inprof::start_cpu_profile(std::fs::File::create(&file).unwrap()).unwrap();
    // This thread's tree is made on its own stack, not measured.
    assert_eq!(warm_up(), 22);
    let plain_taken = stack_taken(|| {
        black_box(plain(1));
    });
    let f = closure_fn();
    let closure_taken = stack_taken(|| {
        black_box(f(1));
    });
    let method_taken = stack_taken(|| {
        black_box(Wrap(1u8).first());
    });
    g.stop().unwrap();

    // Measured on x86_64 (Rust 1.95), beyond the plain call's: 1 815 B
    // debug and 208 B release (the recorded path's frames). With the
    // naming inside the first call, as before: 5 921 B and 1 064 B.
    let budget = if cfg!(debug_assertions) { 3072 } else { 512 };
    for (what, taken) in [("in_closure", closure_taken), ("Wrap::first", method_taken)] {
        eprintln!("{what}: first call {taken} B of stack, plain {plain_taken} B");
        assert!(
            taken <= plain_taken + budget,
            "{what}: its first call took {taken} B of stack, the plain call {plain_taken} B (budget {budget} B more)"
        );
    }
    // And the profile names both, each called once.
    let calls = top(&file, &["-sample_index=calls"]);
    for name in [
        "small_stacks::closure_fn::in_closure",
        "small_stacks::Wrap<u8>::first",
    ] {
        assert_eq!(row(&calls, name).flat, 1.0, "{calls:#?}");
    }
}
