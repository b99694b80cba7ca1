//! Every shape of item `#[inprof::profile]` goes on, compiled with every
//! warning denied: the attribute adds no warning of its own, and the item
//! means what it meant.
#![deny(warnings)]
#![allow(dead_code)]

use std::fmt::{self, Debug, Display};
use std::future::Future;

/// Doc comments stay.
#[inprof::profile]
#[must_use]
pub fn doc_and_must_use() -> u32 {
    1
}

#[inprof::profile]
fn inner_attribute() -> u32 {
    #![allow(unused_variables)]
    let x = 1;
    2
}

#[inprof::profile]
#[inline]
fn inlined(x: u32) -> u32 {
    x + 1
}

#[inprof::profile]
#[inline(always)]
fn inlined_always(x: u32) -> u32 {
    x + 1
}

#[inprof::profile]
#[track_caller]
fn tracked() -> u32 {
    std::panic::Location::caller().line()
}

#[inprof::profile]
fn lifetimes<'a, 'b: 'a>(a: &'a str, _b: &'b str) -> &'a str {
    a
}

#[inprof::profile]
fn impl_arg(x: impl Display) -> String {
    x.to_string()
}

#[inprof::profile]
fn impl_ret(n: u32) -> impl Iterator<Item = u32> + Clone {
    0..n
}

#[inprof::profile]
fn const_generic<const N: usize>(a: [u8; N]) -> usize {
    a.len()
}

#[inprof::profile]
fn where_clause<T>(t: T) -> String
where
    T: Debug + Clone,
{
    format!("{t:?}")
}

#[inprof::profile]
unsafe fn unsafe_fn(p: *const u8) -> u8 {
    // SAFETY: the caller passes a valid pointer.
    unsafe { *p }
}

#[inprof::profile]
extern "C" fn c_abi(x: u32) -> u32 {
    x
}

#[inprof::profile]
fn dyn_arg(d: &dyn Display) -> String {
    d.to_string()
}

#[inprof::profile]
fn early(x: Option<u32>) -> Result<u32, String> {
    let v = x.ok_or("none")?;
    if v > 10 {
        return Ok(10);
    }
    Ok(v)
}

#[inprof::profile]
fn diverges() -> u32 {
    todo!()
}

#[inprof::profile]
fn loops_then_returns(mut n: u32) -> u32 {
    loop {
        if n == 0 {
            return 7;
        }
        n -= 1;
    }
}

#[inprof::profile]
async fn async_todo() -> u32 {
    todo!()
}

#[inprof::profile]
async fn async_loop_return() -> u32 {
    loop {
        return 1;
    }
}

#[inprof::profile]
async fn async_question(x: Option<u32>) -> Result<u32, String> {
    let v = x.ok_or("none")?;
    Ok(v)
}

#[inprof::profile]
async fn async_impl_ret() -> impl Display {
    5
}

#[inprof::profile]
async fn async_lifetimes<'a>(a: &'a str) -> &'a str {
    a
}

pub struct S<T>(T);

#[inprof::profile]
impl<T: Clone + Send> S<T> {
    fn get(&self) -> T {
        self.0.clone()
    }
    fn nested_self(&self) -> Option<Vec<Self>> {
        Some(vec![S(self.0.clone())])
    }
    fn make(t: T) -> Self {
        S(t)
    }
    #[cfg(any())]
    fn cfg_out(&self) -> u32 {
        1
    }
    #[cfg(all())]
    fn cfg_in(&self) -> u32 {
        1
    }
    /// A documented method.
    #[must_use]
    fn documented(&self) -> u32 {
        2
    }
    const fn constant() -> u32 {
        3
    }
    async fn get_async(&self) -> T {
        self.0.clone()
    }
    fn inner_attr(&self) -> u32 {
        #![allow(unused_variables)]
        let y = 3;
        4
    }
}

#[inprof::profile]
impl Display for S<u8> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[inprof::profile]
impl Debug for S<u8> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "S({})", self.0)
    }
}

pub trait Fmt {
    #[inprof::profile]
    fn begin(&self) -> u32 {
        0
    }
    fn required(&self) -> u32;
}

#[inprof::profile]
impl<T: Debug> Fmt for T {
    fn required(&self) -> u32 {
        1
    }
}

trait AsyncInTrait {
    fn work(&self) -> impl Future<Output = u32> + Send;
    async fn native(&self) -> u32;
}

pub struct A;

#[inprof::profile]
impl AsyncInTrait for A {
    async fn work(&self) -> u32 {
        1
    }
    async fn native(&self) -> u32 {
        2
    }
}

pub trait Object {
    fn call(&self) -> u32;
}

#[inprof::profile]
impl dyn Object {
    fn on_trait_object(&self) -> u32 {
        self.call()
    }
}

#[inprof::profile]
fn holds_items() -> u32 {
    struct Local;
    #[inprof::profile]
    impl Local {
        fn m(&self) -> u32 {
            5
        }
    }
    #[inprof::profile]
    fn nested() -> u32 {
        6
    }
    Local.m() + nested()
}

mod outer {
    pub mod inner {
        #[inprof::profile]
        pub fn deep() -> u32 {
            7
        }
    }
}

macro_rules! make_fn {
    ($name:ident, $v:expr) => {
        #[inprof::profile]
        fn $name() -> u32 {
            $v
        }
    };
}

make_fn!(from_macro, 8);

/// What `make_reader!` returns beside its given type.
pub struct Reading(pub u32);

// A return type that names `$crate` and a type the macro was given: the
// closure's copy of it is marked as generated (lints skip it), `$crate`
// keeps the span it resolves by.
macro_rules! make_reader {
    ($name:ident, $t:ty) => {
        #[inprof::profile]
        fn $name(v: u32) -> ($crate::Reading, $t) {
            ($crate::Reading(v), <$t>::default())
        }
    };
}

make_reader!(read_pair, u64);

/// Trims.
pub trait Trim {
    /// The text without the spaces around it.
    fn trimmed(&self) -> &str;
}

// The impl's type has an elided lifetime, which the return type's `&str`
// elides otherwise: written as it was.
#[inprof::profile]
impl Trim for &str {
    fn trimmed(&self) -> &str {
        self.trim()
    }
}

/// A type whose parameter has a default.
pub struct Deflt<T = u8>(pub T);

/// Methods whose return types name the implementing type, or look as if
/// they did.
pub trait Make {
    /// Another type: the default parameter given another argument.
    fn make(&self) -> Deflt<u16>;
    /// The implementing type.
    fn same(&self) -> Deflt;
    /// The implementing type, inside another.
    fn wrap(&self) -> Option<(Deflt, crate::Deflt)>;
    /// A type parameter named as the implementing type.
    fn named<Deflt: Default>(&self) -> Deflt;
}

// The closure's copy of the return type says `Self` only where the
// written type is the trait impl's (`same`, `wrap`).
#[inprof::profile]
impl Make for Deflt {
    fn make(&self) -> Deflt<u16> {
        Deflt(u16::from(self.0))
    }

    fn same(&self) -> Deflt {
        Deflt(self.0)
    }

    fn wrap(&self) -> Option<(Deflt, crate::Deflt)> {
        Some((Deflt(self.0), Deflt(self.0 + 1)))
    }

    fn named<Deflt: Default>(&self) -> Deflt {
        Deflt::default()
    }
}

/// A whole trait: default methods (sync and async) instrumented, required
/// ones left to the impls.
#[inprof::profile]
pub trait WholeTrait {
    /// Required.
    fn need(&self) -> u32;
    /// Default, sync.
    #[must_use]
    fn provided(&self) -> u32 {
        #![allow(clippy::let_and_return)]
        let v = self.need() + 1;
        v
    }
    /// Default, async (native async fn in a trait).
    #[allow(async_fn_in_trait)]
    async fn provided_async(&self) -> u32 {
        self.need()
    }
    /// Skipped.
    #[profile(skip)]
    fn skipped(&self) {}
}

impl WholeTrait for A {
    fn need(&self) -> u32 {
        1
    }
}

/// Shapes whose body as a closure must not change what compiles: an argument
/// named as its function, a trait impl more general than its trait (an
/// unbounded parameter, a shorter lifetime), `Drop::drop`, and a type
/// whose inherent method shares a trait method's name.
#[inprof::profile]
fn twice(twice: u32) -> u32 {
    twice * 2
}

pub trait Visit {
    fn visit<E: std::error::Error>(&self, v: bool) -> Result<u32, E>;
    fn named(&self, name: &'static str) -> usize;
}

pub struct V;

#[inprof::profile]
impl Visit for V {
    fn visit<E>(&self, v: bool) -> Result<u32, E> {
        Ok(v as u32)
    }
    fn named(&self, name: &str) -> usize {
        name.len()
    }
}

pub struct Guarded(u32);

#[inprof::profile]
impl Drop for Guarded {
    fn drop(&mut self) {
        self.0 = 0;
    }
}

impl V {
    pub fn named(&self, _name: &str) -> usize {
        0
    }
}

/// Shapes whose body becomes a closure (a trait impl's generic method, a
/// pattern argument, a method outside an annotated impl): `?` with a
/// conversion, early `return`, a borrow returned out of `&mut self`, a
/// mutated argument, labels, items in the body, the trait's associated
/// types and lifetimes.
pub trait Access<'de> {
    type Out;
    fn next<T: std::str::FromStr>(&mut self, seed: &'de str) -> Result<Option<T>, String>
    where
        T::Err: Display;
    fn slot(&mut self, i: usize) -> Result<&mut u32, fmt::Error>;
    fn out(self, extra: u32) -> Self::Out;
    fn fill<I: Iterator<Item = u32>>(&mut self, it: I, times: u32) -> usize;
}

pub struct Acc(Vec<u32>);

#[inprof::profile]
impl<'de> Access<'de> for Acc {
    type Out = Vec<u32>;
    fn next<T: std::str::FromStr>(&mut self, seed: &str) -> Result<Option<T>, String>
    where
        T::Err: Display,
    {
        if seed.is_empty() {
            return Ok(None);
        }
        let v = seed.parse::<T>().map_err(|e| e.to_string())?;
        self.0.push(seed.len() as u32);
        Ok(Some(v))
    }
    fn slot(&mut self, i: usize) -> Result<&mut u32, fmt::Error> {
        fn clamp(i: usize, n: usize) -> usize {
            i.min(n.saturating_sub(1))
        }
        let n = self.0.len();
        self.0.get_mut(clamp(i, n)).ok_or(fmt::Error)
    }
    fn fill<I: Iterator<Item = u32>>(&mut self, mut it: I, mut times: u32) -> usize {
        while times > 0 {
            match it.next() {
                Some(v) => self.0.push(v),
                None => break,
            }
            times -= 1;
        }
        self.0.len()
    }
    fn out(mut self, mut extra: u32) -> Self::Out {
        'outer: loop {
            while extra > 0 {
                self.0.push(extra);
                extra -= 1;
                if extra == 1 {
                    break 'outer;
                }
            }
            break;
        }
        self.0
    }
}

/// A macro in the body that names a local, and an item that uses it.
#[inprof::profile]
fn with_macro((a, b): (u32, u32)) -> u32 {
    let base = a;
    macro_rules! plus_base {
        ($e:expr) => {
            base + $e
        };
    }
    macro_rules! three {
        () => {
            3
        };
    }
    const THREE: u32 = three!();
    plus_base!(b) + THREE
}

/// Implements `Display` for the type it is given (erased-serde's
/// `serialize_trait_object!`: an `impl` of a foreign trait for a type the
/// body declares).
macro_rules! shown {
    ($t:ty) => {
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("shown")
            }
        }
    };
}

/// Declares a unit struct of the given name.
macro_rules! declared {
    ($name:ident) => {
        struct $name;
    };
}

/// A macro call that implements a foreign trait for a type the body
/// declares: beside it (`non_local_definitions` otherwise, denied here).
/// And a type declared by a macro call, which an `impl` of the body names:
/// still in scope there.
#[inprof::profile]
fn macro_items() -> String {
    trait Marker {}
    struct Local;
    impl Marker for Local {}
    shown!(Local);
    shown!(dyn Marker);
    declared!(Made);
    impl Made {
        fn get(&self) -> u32 {
            7
        }
    }
    assert_eq!(Made.get(), 7);
    format!("{} {}", Local, &Local as &dyn Marker)
}

#[inprof::profile]
fn pair((a, b): (u32, u32), [c, _]: [u8; 2]) -> Result<u32, std::num::TryFromIntError> {
    let d = u32::try_from(u64::from(a))?;
    Ok(d + b + u32::from(c))
}

impl Acc {
    #[inprof::profile]
    fn alone(&self, k: u32) -> impl Fn(u32) -> u32 + '_ {
        move |x| x + k + self.0.len() as u32
    }
    #[inprof::profile]
    fn first(&self) -> Option<&u32> {
        self.0.first()
    }
    /// Coerced where it is returned (`&String` to `&str`, `&Vec` to a
    /// slice, inside `Some` and `Ok`): the body's return type is the
    /// method's, not what the tail expression would infer alone.
    #[inprof::profile]
    fn label<'a>(&self, s: &'a String) -> Option<&'a str> {
        match self.0.len() {
            0 => None,
            _ => Some(s),
        }
    }
    #[inprof::profile]
    fn items(&self) -> Result<&[u32], ()> {
        if self.0.is_empty() {
            return Err(());
        }
        Ok(&self.0)
    }
}

/// A helper in the body named as its function (indexmap's
/// `assert_send_sync` test): the function's own name means the helper
/// there, so the body runs as a closure.
#[inprof::profile]
fn assert_send_sync() {
    #[inprof::profile]
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Vec<u8>>();
    assert_send_sync::<String>();
}

/// The attribute repeated (another macro may copy it: rstest_reuse's
/// `#[apply]`): instrumented once.
#[inprof::profile]
#[inprof::profile]
fn repeated(x: u32) -> u32 {
    x * 2
}

/// A pattern argument (its body runs as a closure) returning a coerced
/// value.
#[inprof::profile]
fn name_of((s, _): (&String, u8)) -> Option<&str> {
    Some(s)
}

#[cfg(target_arch = "x86_64")]
#[inprof::profile]
#[target_feature(enable = "sse2")]
fn with_features(x: u32) -> u32 {
    x + 1
}

/// A method an attribute makes `const` after `#[profile]` expands
/// (generic-array 1.4.5): left as written, as a `const fn` is, and still
/// callable in a constant; its neighbour is instrumented.
struct Built(u32);

#[inprof::profile]
impl Built {
    #[rustversion::attr(since(1.83), const)]
    fn doubled(self) -> u32 {
        self.0 * 2
    }

    fn tripled(&self) -> u32 {
        self.0 * 3
    }
}

/// `const` on every compiler this crate supports (Rust 1.88 and later).
const BUILT: u32 = Built(21).doubled();

fn main() {
    assert_eq!(BUILT, 42);
    assert_eq!(Built(2).doubled() + Built(2).tripled(), 10);
    let _ = doc_and_must_use();
    let _ = inner_attribute() + inlined(1) + inlined_always(1) + tracked();
    let _ = lifetimes("a", "b");
    let _ = impl_arg(1) + &where_clause(2);
    let _ = impl_ret(3).count() + const_generic([1, 2]);
    // SAFETY: a valid pointer.
    let _ = unsafe { unsafe_fn(&1) };
    let _ = c_abi(1) + early(Some(2)).unwrap_or(0) + loops_then_returns(3);
    let _ = dyn_arg(&1);
    let s = S(1u8);
    let _ = (s.get(), s.nested_self(), s.cfg_in(), s.documented(), s.inner_attr());
    let _ = S::<u8>::constant();
    let _ = format!("{s} {s:?} {}", s.begin() + s.required());
    let _ = holds_items() + outer::inner::deep() + from_macro();
    assert_eq!(macro_items(), "shown shown");
    let (Reading(r), z) = read_pair(4);
    assert_eq!((r, z), (4, 0));
    let d = Deflt(7u8);
    assert_eq!((d.make().0, d.same().0, d.named::<u32>()), (7u16, 7u8, 0));
    assert!(matches!(d.wrap(), Some((Deflt(7), Deflt(8)))));
    assert_eq!(" x ".trimmed(), "x");
    let _ = (async_todo, async_loop_return, async_question, async_impl_ret, async_lifetimes);
    let _ = (diverges, S::<u8>::make, S::<u8>::get_async, A.work(), A.native());
    let _ = (A.provided(), A.provided_async());
    A.skipped();
    let _ = (twice(2), Visit::named(&V, "v") + V.named("v"));
    let _: Result<u32, std::fmt::Error> = V.visit(true);
    drop(Guarded(1));
    let mut acc = Acc(vec![1]);
    let _: Result<Option<u32>, String> = acc.next("12");
    let _ = acc.slot(3).map(|s| *s += 1);
    let _ = (acc.alone(1)(2), acc.first().copied(), pair((1, 2), [3, 4]));
    let _ = acc.fill(1..5, 2) + with_macro((1, 2)) as usize;
    let name = String::from("n");
    let _ = (acc.label(&name), acc.items(), name_of((&name, 1)));
    assert_send_sync();
    let _ = repeated(2);
    let _ = acc.out(3);
    #[cfg(target_arch = "x86_64")]
    // SAFETY: sse2 is in every x86-64 CPU.
    let _ = unsafe { with_features(1) };
}
