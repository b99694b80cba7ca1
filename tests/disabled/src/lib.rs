//! Annotated code that must compile, unchanged, with `enable` off.

/// A free function.
#[inprof::profile]
pub fn work(n: u64) -> u64 {
    inprof::scope!("inner block");
    (0..n).sum()
}

/// A type with an instrumented impl block.
pub struct S(pub u32);

#[inprof::profile]
impl S {
    /// A method.
    pub fn get(&self) -> u32 {
        self.0
    }
    /// A skipped method.
    #[profile(skip)]
    pub fn skipped(&self) {}
}

/// An async fn.
#[inprof::profile(name = "renamed")]
pub async fn later() -> u32 {
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_recorded_when_compiled_out() {
        assert_eq!(work(4), 6);
        assert_eq!(S(2).get(), 2);
        S(1).skipped();
        let _ = later();
        let p = inprof::time_profile();
        assert!(p.sample.is_empty(), "{} samples recorded", p.sample.len());
    }
}
