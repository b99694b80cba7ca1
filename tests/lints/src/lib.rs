//! Code with one deliberate warning per function, each instrumented: the
//! warnings must be reported at these lines, and nothing else.

#[inprof::profile]
pub fn sync_needless_return() -> u32 {
    return 1;
}

#[inprof::profile]
pub async fn async_needless_return() -> u32 {
    return 2;
}

#[inprof::profile]
pub async fn async_unused_variable() -> u32 {
    let unused = 3;
    4
}

pub struct S;

#[inprof::profile]
impl S {
    pub async fn method_needless_return(&self) -> u32 {
        return 5;
    }
}

async fn six() -> u32 {
    6
}

/// No warning: an async fn whose body only awaits one future is not a
/// redundant async block (the block the macro makes is not the user's).
#[inprof::profile]
pub async fn only_awaits_one_future() -> u32 {
    six().await
}

/// An argument the body never names: rustc's warning for it stays (the
/// closure the body runs in does not capture it; calling the function
/// again from the recorded path would have used it).
#[inprof::profile]
pub fn sync_unused_argument(unused_arg: u32) -> u32 {
    8
}

/// No warning: `clone` and `partial_cmp` as clippy wants them written
/// (`non_canonical_clone_impl` and `non_canonical_partial_ord_impl` look
/// at the whole body); the impl block's attribute leaves them as they are.
#[derive(Copy, PartialEq, Eq)]
pub struct P(u32);

#[inprof::profile]
impl Clone for P {
    fn clone(&self) -> Self {
        *self
    }
}

#[inprof::profile]
impl PartialOrd for P {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

#[inprof::profile]
impl Ord for P {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.cmp(&other.0)
    }
}

/// No warning: an empty line between doc comments (url 2.5.4's
/// `Url::join`). Re-emitted by the attribute they are `#[doc]`
/// attributes, which clippy's empty_line_after_outer_attr would flag.
pub struct Gap;

#[inprof::profile]
impl Gap {
    /// First paragraph.

    /// Second paragraph.
    #[inline]
    pub fn method(&self) -> u32 {
        9
    }
}

/// First paragraph.

/// Second paragraph.
#[inline]
#[inprof::profile]
pub fn gap_free_fn() -> u32 {
    10
}

/// A large error type: clippy's result_large_err fires on the function, as
/// written, and not a second time on the closure its body runs in (a
/// pattern argument: the body runs as a closure).
pub struct LargeError(pub [u8; 256]);

#[inprof::profile]
pub fn large_err((a, _): (u32, u32)) -> Result<u32, LargeError> {
    if a > 1 {
        Ok(a)
    } else {
        Err(LargeError([0; 256]))
    }
}

/// The same with an argument passed by name: one warning, the function's.
#[inprof::profile]
pub fn large_err_outlined(a: u32) -> Result<u32, LargeError> {
    if a > 1 {
        Ok(a)
    } else {
        Err(LargeError([0; 256]))
    }
}

/// A trait whose implementation's return type is complex: clippy's
/// type_complexity leaves a trait impl's signature alone, and must not fire
/// on the closure the body runs in (a pattern argument), whose return type
/// the attribute writes out (itertools' `coalesce_pair`).
pub trait Coalesce<I, T> {
    /// Merges `item` into `t`, or gives both back.
    fn coalesce(&mut self, t: T, item: I) -> Result<T, (T, T)>;
}

/// Counts equal neighbours.
pub struct Dedup;

#[inprof::profile]
impl<T: PartialEq> Coalesce<T, (usize, T)> for Dedup {
    fn coalesce(
        &mut self,
        (c, t): (usize, T),
        item: T,
    ) -> Result<(usize, T), ((usize, T), (usize, T))> {
        if t == item {
            Ok((c + 1, t))
        } else {
            Err(((c, t), (1, item)))
        }
    }
}

/// A function whose body gets a guard (`#[track_caller]`): the guard's
/// slot is not named through `MaybeUninit` (stable since 1.36: clippy's
/// incompatible_msrv fired in slab, whose MSRV is 1.31).
#[inprof::profile]
#[track_caller]
pub fn caller_guarded(a: u32) -> u32 {
    a + 1
}

/// No warning: an empty generic function (memchr's tests have
/// `assert_send_sync`), whose type parameter clippy's
/// extra_unused_type_parameters (on private functions) leaves alone while
/// the body is empty: the closure the body runs in must not make it fire.
#[inprof::profile]
fn assert_send_sync<T: Send + Sync>() {}

/// Uses it.
pub fn send_sync_checked() {
    assert_send_sync::<u32>();
}

/// Halves and doubles: a trait implemented for the type its methods return.
pub trait Nibbles {
    /// How many hex digits the type holds.
    fn nibbles(&self) -> usize;
}

/// No warning: clippy's use_self (which winnow turns on) leaves a trait
/// impl's signature alone, and must not fire on the closure the body runs
/// in, whose return type the attribute writes out (winnow 1.0.5's
/// `impl HexUint for usize`). Its MSRV raised past use_self's 1.37.
#[warn(clippy::use_self)]
#[clippy::msrv = "1.60"]
#[inprof::profile]
impl Nibbles for usize {
    fn nibbles(&self) -> usize {
        core::mem::size_of::<Self>() * 2
    }
}

/// A counter.
pub struct Counter(pub u32);

/// use_self fires where the user's code names the type, as written: the
/// signature (once: not a second time on the closure) and the body.
#[warn(clippy::use_self)]
#[clippy::msrv = "1.60"]
#[inprof::profile]
impl Counter {
    /// The next count.
    pub fn next(&self) -> Counter {
        Counter(self.0 + 1)
    }
}

/// No warning: a `return` followed by a helper declared in the body is not
/// a needless return, as published (async-trait 0.1.92's
/// `visit_token_stream`); the body keeps its helper after it.
#[inprof::profile]
pub fn returns_before_helper(n: u32) -> u32 {
    let doubled = helper(n);
    if doubled > 10 {
        return doubled - 1;
    }
    return doubled;

    fn helper(n: u32) -> u32 {
        n * 2
    }
}

macro_rules! shown {
    ($t:ty) => {
        impl core::fmt::Display for $t {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("shown")
            }
        }
    };
}

/// No warning: a macro call that implements a trait for a type the body
/// declares stays beside it (erased-serde 0.4.11's
/// `serialize_trait_object!`; rustc's `non_local_definitions` otherwise).
#[inprof::profile]
pub fn implements_by_macro() -> String {
    struct Local;
    shown!(Local);
    Local.to_string()
}

/// No warning: items before the first statement of a body that keeps the
/// guard form (an `unsafe fn`) stay before the guard's statements
/// (simdutf8 0.1.5, which turns clippy's pedantic lints on).
///
/// # Safety
/// `p` is readable.
#[warn(clippy::items_after_statements)]
#[inprof::profile]
pub unsafe fn items_first(p: *const u8) -> u8 {
    use core::ptr;
    const OFFSET: usize = 0;
    // SAFETY: the caller's.
    unsafe { ptr::read(p.add(OFFSET)) }
}

/// The same lint fires where the user put an item after a statement.
///
/// # Safety
/// `p` is readable.
#[warn(clippy::items_after_statements)]
#[inprof::profile]
pub unsafe fn items_after(p: *const u8) -> u8 {
    let offset = 0;
    const ONE: u8 = 1;
    // SAFETY: the caller's.
    unsafe { ptr_read(p.add(offset)) + ONE }
}

unsafe fn ptr_read(p: *const u8) -> u8 {
    // SAFETY: the caller's.
    unsafe { *p }
}

/// No warning, and it builds: an empty body names its type parameters,
/// unsized ones too (pin-project-lite 0.2.19's `verify_drop`).
#[inprof::profile]
pub fn names_unsized<T: ?Sized + core::fmt::Debug, M>(_: core::marker::PhantomData<T>) {}

/// A value whose `Drop` reads the field `pop` sets (heapless 0.9.4's
/// `PeekMutInner`).
pub struct Peeked {
    removed: bool,
    items: Vec<u8>,
}

impl Drop for Peeked {
    fn drop(&mut self) {
        if !self.removed {
            self.items.clear();
        }
    }
}

impl Peeked {
    /// No warning: the body assigns to a parameter it holds by value,
    /// which in a closure rustc judges as a captured value never read
    /// again (`value assigned to `this` is never read`).
    #[inprof::profile]
    pub fn pop(mut this: Self) -> Option<u8> {
        let v = this.items.pop();
        this.removed = true;
        v
    }

    /// No warning: the same through `mut self`.
    #[inprof::profile]
    pub fn take(mut self) -> Option<u8> {
        let v = self.items.pop();
        self.removed = true;
        v
    }
}

/// No warning: a part of a tuple held by value (`value captured by `t.0`
/// is never read` in a closure).
#[inprof::profile]
pub fn first_set(mut t: (u8, u8)) -> u8 {
    t.0 = 1;
    t.1
}

/// A bound as fst 0.4.7 has it.
pub enum Bound {
    /// Up to and with these bytes.
    Included(Vec<u8>),
    /// No bound.
    Unbounded,
}

impl Bound {
    /// No warning, and it compiles: `inp > v` (`&[u8]` against
    /// `&Vec<u8>`) type-checks only while `[u8]` has a single
    /// `PartialOrd` impl in the crates rustc loads, inprof's dependencies
    /// among them (prost's `bytes` added more, and fst 0.4.7 instrumented
    /// no longer built).
    #[inprof::profile]
    pub fn exceeded_by(&self, inp: &[u8]) -> bool {
        match *self {
            Bound::Included(ref v) => inp > v,
            Bound::Unbounded => false,
        }
    }
}

/// No warning either: `partial_cmp` as `Ord::cmp` of any two arguments,
/// or `.into()` of `self.cmp(..)`, which clippy's
/// `non_canonical_partial_ord_impl` accepts too (inlinable_string
/// 0.1.15's `Some(Ord::cmp(&self[..], &rhs[..]))`).
#[derive(PartialEq, Eq)]
pub struct Name(String);

#[inprof::profile]
impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(Ord::cmp(&self.0[..], &other.0[..]))
    }
}

#[inprof::profile]
impl Ord for Name {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.cmp(&other.0)
    }
}

/// As [`Name`], by `.into()`.
#[derive(PartialEq, Eq)]
pub struct Id(u64);

#[inprof::profile]
impl PartialOrd for Id {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        self.cmp(other).into()
    }
}

#[inprof::profile]
impl Ord for Id {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.cmp(&other.0)
    }
}

/// clippy's `unnecessary_fold`, as the user gets it: `product()`, the type
/// known from the function's return type (in a closure clippy would name
/// it: `product::<usize>()`; permutohedron 0.2.4's `factorial`).
#[inprof::profile]
pub fn factorial(n: usize) -> usize {
    (1..n + 1).fold(1, |a, b| a * b)
}

/// As [`factorial`], by `return`: `sum()`.
#[inprof::profile]
pub fn total(n: Option<usize>) -> usize {
    if let Some(n) = n {
        return (0..n).fold(0, |a, b| a + b);
    }
    0
}

/// Docs that mix `///` lines with an included example, whose doc test
/// runs as written: its raw string keeps each line's indentation
/// (annotate-snippets 0.12.18's `Level::with_name`; tests/lints_fire.rs).
///
/// ```
#[doc = include_str!("../doc_example.txt")]
/// ```
#[inprof::profile]
pub fn documented() {}

/**
 * Docs in a block comment with a column of stars, whose doc test runs
 * as written: given back as attributes untrimmed, markdown would read
 * each `* ` line as a list item and the example would not run
 * (tests/lints_fire.rs).
 *
 * ```
 * assert_eq!(inprof_lints_check::starred(2), 4);
 * ```
 */
#[inprof::profile]
pub fn starred(x: u32) -> u32 {
    x * 2
}

/// A lint expectation on an instrumented function is met as written:
/// clippy's `unnecessary_wraps` judges what the function returns, and in
/// the closure form it would see the closure's body apart, leaving the
/// expectation unmet (`unfulfilled_lint_expectations`: sqlparser 0.64.0).
#[warn(clippy::unnecessary_wraps)]
pub mod expectations {
    /// Always `Some`: clippy would have it return `u32` (it judges
    /// functions that are not exported).
    #[expect(clippy::unnecessary_wraps, reason = "the callers take an Option")]
    #[inprof::profile]
    fn always_some(x: u32) -> Option<u32> {
        Some(x + 1)
    }

    /// Calls `always_some`.
    pub fn call(x: u32) -> Option<u32> {
        always_some(x)
    }
}

/// clippy's `arithmetic_side_effects` leaves a `#[test]` function alone
/// (the test harness's `const` spans it, and the lint skips what a const's
/// span covers) and lints any other: instrumented, the same, whatever the
/// attribute declares inside the function (typed-index-collections
/// 3.5.0's tests gave 23 warnings instrumented, none published).
#[warn(clippy::arithmetic_side_effects)]
pub mod arithmetic {
    /// Linted: `x % d` may divide by zero.
    #[inprof::profile]
    pub fn rem(x: u32, d: u32) -> u32 {
        x % d
    }

    #[cfg(test)]
    mod tests {
        #[test]
        #[inprof::profile]
        fn rem_in_a_test() {
            for d in 1..3u32 {
                assert_eq!(super::rem(4, d) % d, 0);
            }
        }
    }
}

/// clippy's `implicit_return` (restriction; new_string_template 1.5.3
/// denies it and writes every `return`) fires where the user left a
/// return implicit, and nowhere else: not at the attribute, for the call
/// that runs the body (it did, once per instrumented function).
#[warn(clippy::implicit_return)]
#[allow(clippy::needless_return)]
pub mod implicit_return {
    /// Not linted: the user's return is explicit.
    #[inprof::profile]
    pub fn explicit(x: u32) -> u32 {
        return x.wrapping_add(1);
    }

    /// S.
    pub struct S;

    #[inprof::profile]
    impl S {
        /// Not linted either, a method.
        pub fn explicit_method(&self) -> u32 {
            return 2;
        }

        /// Linted: the user's return is implicit.
        pub fn implicit_method(&self) -> u32 {
            3
        }
    }
}

/// rustc's `dead_code` on functions nobody calls: once for a function
/// whose name does not start with `_`, never for one whose does, and never
/// for what the attribute declares in them (bitcode 0.6.9's
/// `#[doc(hidden)] pub fn _cant_decode_static_alias_at_all() {}`, in a
/// private module: two new warnings each, the constants holding the
/// function's file and line).
mod dead {
    #[inprof::profile]
    pub fn _hidden_for_doc_tests() {}

    #[inprof::profile]
    pub fn never_called() -> u32 {
        7
    }

    pub struct Unused;

    #[inprof::profile]
    impl Unused {
        pub fn _nor_this(&self, x: u32) -> u32 {
            x.wrapping_mul(3)
        }
    }
}
