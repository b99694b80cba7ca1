//! Every kind of item `#[profile]` accepts gets the name Rust gives it (the
//! one a backtrace shows), per concrete `Self` type, with the trait of a
//! trait method: as `go tool pprof` reads the profile.

mod common;
use common::*;
use std::fmt::{self, Debug, Display};

#[inprof::profile]
fn free_fn() -> u32 {
    1
}

#[inprof::profile]
fn generic<T, U: Default>(t: T) -> String
where
    T: Display + Clone,
{
    let _unit = U::default();
    t.to_string()
}

#[inprof::profile]
fn returns_impl() -> impl Iterator<Item = u32> {
    0..3
}

#[inprof::profile]
unsafe fn unsafe_fn(p: *const u32) -> u32 {
    // SAFETY: the caller passes a valid pointer.
    unsafe { *p }
}

#[inprof::profile]
extern "C" fn c_abi(x: u32) -> u32 {
    x + 1
}

#[inprof::profile(name = "custom-name")]
fn renamed() {}

#[inprof::profile]
fn early_return(x: Option<u32>) -> Result<u32, String> {
    let v = x.ok_or("none")?;
    if v > 10 {
        return Ok(10);
    }
    Ok(v)
}

mod shapes {
    pub struct Square(pub f64);
    pub struct Wrapper<T>(pub T);

    #[inprof::profile]
    impl Square {
        pub fn new(s: f64) -> Self {
            Square(s)
        }
        pub fn area(&self) -> f64 {
            self.0 * self.0
        }
        pub fn grow(&mut self) {
            self.0 += 1.0;
        }
        pub fn into_side(self) -> f64 {
            self.0
        }
        #[profile(skip)]
        pub fn skipped(&self) -> f64 {
            self.0
        }
        #[profile(name = "shapes::square_perimeter")]
        pub fn perimeter(&self) -> f64 {
            4.0 * self.0
        }
        pub const fn constant() -> u32 {
            3
        }
    }

    impl<T: Copy> Wrapper<T> {
        #[inprof::profile]
        pub fn get(&self) -> T {
            self.0
        }
    }

    #[inprof::profile]
    impl std::fmt::Display for Square {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "square {}", self.0)
        }
    }

    #[inprof::profile]
    impl std::fmt::Debug for Square {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "Square({})", self.0)
        }
    }
}

// A trait's default method, for two implementing types.
trait Printer {
    #[inprof::profile]
    fn begin(&self) -> u32 {
        1
    }
}
struct Compact;
struct Pretty;
impl Printer for Compact {}
impl Printer for Pretty {}

// A whole trait: its default methods, per implementing type; required
// methods are the impls' to annotate.
#[inprof::profile]
trait Sink {
    fn put(&self) -> u32 {
        self.required() + 1
    }
    fn required(&self) -> u32;
}
impl Sink for Compact {
    fn required(&self) -> u32 {
        0
    }
}

// A blanket impl.
trait Blanket {
    fn blanket(&self) -> usize;
}
#[inprof::profile]
impl<T: Debug> Blanket for T {
    fn blanket(&self) -> usize {
        format!("{self:?}").len()
    }
}

// Items declared inside a function.
#[inprof::profile]
fn outer() -> u32 {
    struct Local;
    #[inprof::profile]
    impl Local {
        fn method(&self) -> u32 {
            1
        }
    }
    #[inprof::profile]
    fn inner() -> u32 {
        2
    }
    Local.method() + inner()
}

// The same in a body that calls a macro in statement position: it may
// declare items too, so the body keeps the guard form, where nothing
// moves.
#[inprof::profile]
fn outer_macro() -> u32 {
    thread_local! {
        static N: u32 = const { 4 };
    }
    struct Local;
    #[inprof::profile]
    impl Local {
        fn method(&self) -> u32 {
            N.with(|n| *n)
        }
    }
    #[inprof::profile]
    fn inner() -> u32 {
        5
    }
    Local.method() + inner()
}

mod deep {
    pub mod er {
        #[inprof::profile]
        pub fn nested_module() -> u32 {
            3
        }
    }
}

macro_rules! make_fn {
    ($name:ident) => {
        #[inprof::profile]
        fn $name() -> u32 {
            4
        }
    };
}
make_fn!(from_macro);

// An impl block a macro generates, once per type.
macro_rules! make_impl {
    ($($t:ident),*) => {$(
        struct $t;
        #[inprof::profile]
        impl $t {
            fn made(&self) -> u32 {
                5
            }
        }
    )*};
}
make_impl!(MadeA, MadeB);

struct Both(u8);
#[inprof::profile]
impl Display for Both {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
#[inprof::profile]
impl Debug for Both {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Both({})", self.0)
    }
}

// Macros named `file` and `line` in scope where a function is
// instrumented (snapbox's `file!`, imported in anstyle-parse 1.0.1's
// tests): the callsite's own `file!()` and `line!()` are the compiler's.
mod shadowing {
    macro_rules! file {
        ($path:literal) => {
            0
        };
    }
    macro_rules! line {
        ($n:literal) => {
            0
        };
    }
    pub(crate) use {file, line};
}

mod shadowed {
    use crate::shadowing::{file, line};

    /// Its own line (of the function's name), through the compiler's
    /// `line!`; the `file!` and `line!` in scope add 0.
    #[inprof::profile]
    pub fn shadowed_source_line() -> u32 {
        std::line!() - 1 + file!("x") + line!(1)
    }

    pub struct Shadowed;

    #[inprof::profile]
    impl Shadowed {
        /// As above, for a method.
        pub fn method_line(&self) -> u32 {
            std::line!() - 1 + file!("y") + line!(2)
        }
    }
}

#[test]
fn names_and_kinds() {
    // Every call counted: adaptation off (these functions are all tiny).
    inprof::set_adaptive(false);
    let dir = tmpdir("names");
    let file = dir.join("cpu.pb.gz");
    let g = inprof::start_cpu_profile(std::fs::File::create(&file).unwrap()).unwrap();
    assert_eq!(free_fn(), 1);
    assert_eq!(generic::<_, u8>(5u8), "5");
    assert_eq!(generic::<_, ()>("x"), "x");
    assert_eq!(returns_impl().sum::<u32>(), 3);
    let v = 9;
    // SAFETY: &v is valid.
    assert_eq!(unsafe { unsafe_fn(&v) }, 9);
    assert_eq!(c_abi(1), 2);
    renamed();
    assert_eq!(early_return(None), Err("none".into()));
    assert_eq!(early_return(Some(50)), Ok(10));
    assert_eq!(early_return(Some(5)), Ok(5));
    let mut s = shapes::Square::new(2.0);
    assert_eq!(s.area(), 4.0);
    s.grow();
    assert_eq!(s.skipped(), 3.0);
    assert_eq!(s.perimeter(), 12.0);
    assert_eq!(format!("{s} {s:?}"), "square 3 Square(3)");
    assert_eq!(s.into_side(), 3.0);
    assert_eq!(shapes::Square::constant(), 3);
    assert_eq!(shapes::Wrapper(7u8).get(), 7);
    assert_eq!(shapes::Wrapper(7u16).get(), 7);
    assert_eq!(shapes::Wrapper(7u16).get(), 7);
    assert_eq!(Compact.begin() + Pretty.begin() + Pretty.begin(), 3);
    assert_eq!(1u8.blanket() + "x".blanket(), 4);
    assert_eq!(Compact.put(), 1);
    assert_eq!(outer() + deep::er::nested_module() + from_macro(), 10);
    assert_eq!(outer_macro(), 9);
    assert_eq!(MadeA.made() + MadeB.made() + MadeB.made(), 15);
    assert_eq!(format!("{} {:?}", Both(1), Both(2)), "1 Both(2)");
    let fn_line = shadowed::shadowed_source_line();
    let method_line = shadowed::Shadowed.method_line();
    g.stop().unwrap();

    let calls = top(&file, &["-sample_index=calls"]);
    let c = |n: &str| row(&calls, n).flat;
    assert_eq!(c("names::free_fn"), 1.0);
    // A generic function's instances are one function.
    assert_eq!(c("names::generic"), 2.0);
    assert_eq!(c("names::returns_impl"), 1.0);
    assert_eq!(c("names::unsafe_fn"), 1.0);
    assert_eq!(c("names::c_abi"), 1.0);
    assert_eq!(c("custom-name"), 1.0);
    assert_eq!(c("names::early_return"), 3.0);
    assert_eq!(c("names::shapes::Square::new"), 1.0);
    assert_eq!(c("names::shapes::Square::area"), 1.0);
    assert_eq!(c("names::shapes::Square::grow"), 1.0);
    assert_eq!(c("names::shapes::Square::into_side"), 1.0);
    assert_eq!(c("shapes::square_perimeter"), 1.0);
    // Trait impls carry the trait: Display and Debug are two functions.
    assert_eq!(c("<names::shapes::Square as core::fmt::Display>::fmt"), 1.0);
    assert_eq!(c("<names::shapes::Square as core::fmt::Debug>::fmt"), 1.0);
    assert_eq!(c("<names::Both as core::fmt::Display>::fmt"), 1.0);
    assert_eq!(c("<names::Both as core::fmt::Debug>::fmt"), 1.0);
    // Each concrete type of a generic impl is a function of its own.
    assert_eq!(c("names::shapes::Wrapper<u8>::get"), 1.0);
    assert_eq!(c("names::shapes::Wrapper<u16>::get"), 2.0);
    // A trait's default method, per implementing type.
    assert_eq!(c("<names::Compact as names::Printer>::begin"), 1.0);
    assert_eq!(c("<names::Pretty as names::Printer>::begin"), 2.0);
    assert_eq!(c("<names::Compact as names::Sink>::put"), 1.0);
    assert!(!calls.iter().any(|r| r.name.contains("required")));
    // A blanket impl, per type.
    assert_eq!(c("<u8 as names::Blanket>::blanket"), 1.0);
    assert_eq!(c("<&str as names::Blanket>::blanket"), 1.0);
    // Items declared inside a function are named under it.
    assert_eq!(c("names::outer"), 1.0);
    assert_eq!(c("names::outer::inner"), 1.0);
    assert_eq!(c("names::outer::Local::method"), 1.0);
    assert_eq!(c("names::outer_macro"), 1.0);
    assert_eq!(c("names::outer_macro::inner"), 1.0, "{calls:#?}");
    assert_eq!(c("names::outer_macro::Local::method"), 1.0);
    assert_eq!(c("names::deep::er::nested_module"), 1.0);
    assert_eq!(c("names::from_macro"), 1.0);
    assert_eq!(c("names::MadeA::made"), 1.0);
    assert_eq!(c("names::MadeB::made"), 2.0);
    assert!(!calls
        .iter()
        .any(|r| r.name.contains("skipped") || r.name.contains("constant")));
    // No name has an empty path segment.
    assert!(!calls.iter().any(|r| r.name.contains("::::")), "{calls:#?}");
    // Where `file` and `line` name other macros: the function's own file
    // and line, as go tool pprof reads them.
    assert_eq!(c("names::shadowed::shadowed_source_line"), 1.0);
    assert_eq!(c("names::shadowed::Shadowed::method_line"), 1.0);
    let r = raw(&file);
    for (name, line) in [
        ("names::shadowed::shadowed_source_line", fn_line),
        ("names::shadowed::Shadowed::method_line", method_line),
    ] {
        let want = format!(
            "{name} {}:{line} s={line}",
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/names.rs")
                .display()
        );
        assert!(
            r.lines().any(|l| l.contains(&want)),
            "{want:?} not in -raw:\n{r}"
        );
    }
}

// What `std::any::type_name` says of what an instrumented body declares:
// as without the attribute (a `Debug` that prints a closure's type name,
// as tower-layer 0.3.3's `LayerFn` does and tests).
#[inprof::profile]
fn closure_name() -> &'static str {
    let f = |x: u32| x + 1;
    assert_eq!(f(1), 2);
    std::any::type_name_of_val(&f)
}

#[inprof::profile]
fn async_block_name() -> &'static str {
    std::any::type_name_of_val(&async { 1 })
}

#[inprof::profile]
fn closure_in_macro_name() -> String {
    format!("{} ", std::any::type_name_of_val(&|| 1))
}

#[inprof::profile]
fn local_type_name() -> &'static str {
    struct Here;
    let n = 1;
    assert_eq!(n, 1);
    std::any::type_name::<Here>()
}

#[inprof::profile]
fn macro_type_name() -> &'static str {
    macro_rules! declare {
        () => {
            struct Made;
        };
    }
    declare!();
    std::any::type_name::<Made>()
}

/// Holds a function and prints its type name (tower-layer's `LayerFn`).
struct Holds<F>(F);

impl<F> Debug for Holds<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Holds({})", std::any::type_name::<F>())
    }
}

fn holds<F: Fn(u32) -> u32>(f: F) -> Holds<F> {
    Holds(f)
}

#[inprof::profile]
fn holder_debug() -> String {
    let h = holds(|x| x + 1);
    assert_eq!((h.0)(1), 2);
    format!("{h:?}")
}

#[test]
fn type_names_as_without_the_attribute() {
    assert_eq!(holder_debug(), "Holds(names::holder_debug::{{closure}})");
    assert_eq!(closure_name(), "names::closure_name::{{closure}}");
    assert_eq!(async_block_name(), "names::async_block_name::{{closure}}");
    assert_eq!(
        closure_in_macro_name(),
        "names::closure_in_macro_name::{{closure}} "
    );
    assert_eq!(local_type_name(), "names::local_type_name::Here");
    assert_eq!(macro_type_name(), "names::macro_type_name::Made");
}
