use std::future::Future;

#[inprof::profile]
pub fn free(x: u32) -> u32 {
    x
}

#[inprof::profile]
async fn asynchronous(x: &str) -> Result<usize, std::fmt::Error> {
    if x.is_empty() {
        return Err(std::fmt::Error);
    }
    Ok(x.len())
}

#[inprof::profile]
async fn async_unit() {}

struct S<T>(T);

#[inprof::profile]
impl<T: Clone + Send> S<T> {
    fn get(&self) -> T {
        self.0.clone()
    }
    async fn get_async(&self) -> T {
        self.0.clone()
    }
    fn make(t: T) -> Self {
        S(t)
    }
    #[profile(skip)]
    fn skipped(&self) {}
    #[inprof::profile(name = "renamed")]
    fn renamed(&self) {}
}

trait Speak {
    fn speak(&self) -> String;
    fn boxed(&self) -> Box<dyn Future<Output = ()> + '_>;
}

#[inprof::profile]
impl Speak for S<u8> {
    fn speak(&self) -> String {
        format!("{}", self.0)
    }
    fn boxed(&self) -> Box<dyn Future<Output = ()> + '_> {
        Box::new(async {})
    }
}

// Inline attributes: a small body gets `#[inline]` unless the user said
// otherwise; none conflicts with what the user wrote.
#[inprof::profile]
#[inline]
fn small_inline(x: u32) -> u32 {
    x + 1
}

#[inprof::profile]
#[inline(never)]
fn small_never(x: u32) -> u32 {
    x + 2
}

#[inprof::profile]
#[cold]
fn small_cold(x: u32) -> u32 {
    x + 3
}

#[cfg(target_arch = "x86_64")]
#[inprof::profile]
#[target_feature(enable = "sse2")]
fn small_target_feature(x: u32) -> u32 {
    x + 4
}

#[inprof::profile]
fn small_recursive(n: u32) -> u32 {
    if n == 0 { 0 } else { small_recursive(n - 1) + 1 }
}

fn main() {
    inprof::scope!("main block");
    assert_eq!(small_inline(1) + small_never(1) + small_cold(1), 9);
    #[cfg(target_arch = "x86_64")]
    // SAFETY: sse2 is part of x86_64.
    assert_eq!(unsafe { small_target_feature(1) }, 5);
    assert_eq!(small_recursive(5), 5);
    assert_eq!(free(2), 2);
    let s = S::make(3u8);
    assert_eq!(s.get(), 3);
    s.skipped();
    s.renamed();
    assert_eq!(s.speak(), "3");
    let _ = s.boxed();
    let _ = asynchronous("x");
    let _ = async_unit();
    let _ = s.get_async();
}
