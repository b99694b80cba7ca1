//! Every kind of item `#[profile]` accepts compiles, runs and gets the name
//! a Rust user would search for.

mod common;
use common::*;
use std::fmt::Display;

#[inprof::profile]
fn free_fn() -> u32 {
    1
}

#[inprof::profile]
fn generic<T, U: Default>(t: T) -> String
where
    T: Display + Clone,
{
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

    impl std::fmt::Display for Square {
        #[inprof::profile]
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "square {}", self.0)
        }
    }
}

#[test]
fn names_and_kinds() {
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
    assert_eq!(format!("{s}"), "square 3");
    assert_eq!(s.into_side(), 3.0);
    assert_eq!(shapes::Square::constant(), 3);
    assert_eq!(shapes::Wrapper(7u8).get(), 7);
    g.stop().unwrap();

    let calls = top(&file, &["-sample_index=calls"]);
    let c = |n: &str| row(&calls, n).flat;
    assert_eq!(c("names::free_fn"), 1.0);
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
    assert_eq!(c("names::shapes::Square::fmt"), 1.0);
    assert_eq!(c("names::shapes::Wrapper::get"), 1.0);
    assert!(!calls
        .iter()
        .any(|r| r.name.contains("skipped") || r.name.contains("constant")));
}
