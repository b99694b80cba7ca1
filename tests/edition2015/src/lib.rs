//! Every form the attribute generates, in an edition-2015 crate, without
//! `extern crate inprof` (as a crate instrumented wholesale has it).

/// A body run as a closure.
#[inprof::profile]
pub fn double(x: u32) -> u32 {
    x * 2
}

/// A pattern argument: the body runs as a closure.
#[inprof::profile]
pub fn sum((a, b): (u32, u32)) -> u32 {
    a + b
}

/// `#[track_caller]`: a guard.
#[inprof::profile]
#[track_caller]
pub fn guarded(x: u32) -> u32 {
    x + 1
}

pub struct Counter {
    pub n: u32,
}

/// Methods name their `Self` type.
#[inprof::profile]
impl Counter {
    pub fn bump(&mut self) -> u32 {
        self.n += 1;
        self.n
    }
}

pub trait Describe {
    fn describe(&self) -> String;
}

/// A trait impl's method.
#[inprof::profile]
impl Describe for Counter {
    fn describe(&self) -> String {
        format!("counter {}", self.n)
    }
}

/// A trait's default method.
#[inprof::profile]
pub trait Named {
    fn name(&self) -> &'static str {
        "named"
    }
}

impl Named for Counter {}

/// Gives what describes it.
#[allow(bare_trait_objects)]
pub trait Source {
    /// A bare trait object in the return type, as edition 2015 allows.
    fn source_of(&self) -> Option<&Describe>;
    /// A fresh value of the implementing type.
    fn fresh(&self) -> Self;
}

/// The closure a body runs in writes the return type out again: there a
/// bare trait object must keep the crate's edition (glob 0.3.2's `fn
/// cause(&self) -> Option<&Error>`), and the type the impl is for may be
/// written `Self` (clippy's use_self).
#[inprof::profile]
#[allow(bare_trait_objects)]
impl Source for Counter {
    fn source_of(&self) -> Option<&Describe> {
        Some(self)
    }

    fn fresh(&self) -> Counter {
        Counter { n: 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known calls, recorded, written where `EDITION2015_PROFILE` says
    /// (tests/edition2015.rs reads it with `go tool pprof`).
    #[test]
    fn known_calls() {
        inprof::set_adaptive(false);
        inprof::set_time_recording(true);
        let mut c = Counter { n: 0 };
        for _ in 0..5 {
            c.bump();
        }
        assert_eq!(c.n, 5);
        for i in 0..3 {
            assert_eq!(double(i), i * 2);
        }
        assert_eq!(sum((1, 2)) + sum((3, 4)), 10);
        assert_eq!(guarded(1), 2);
        assert_eq!(
            (c.describe(), c.name()),
            (String::from("counter 5"), "named")
        );
        assert!(c.source_of().is_some());
        assert_eq!(c.fresh().n, 0);
        if let Some(path) = std::env::var_os("EDITION2015_PROFILE") {
            let f = std::fs::File::create(path).unwrap();
            inprof::write_time_profile(f).unwrap();
        }
    }
}

/// A bare `Fn` trait object, which syn 2 does not read: the attribute
/// gives its own error here (tests/edition2015.rs builds this with
/// `--features bare_fn` and reads it).
#[cfg(feature = "bare_fn")]
#[allow(bare_trait_objects)]
pub mod bare_fn {
    /// Runs a callback.
    pub struct Runner;

    #[inprof::profile]
    impl Runner {
        /// Calls `f` with 1.
        pub fn run(&self, f: Box<Fn(u8) -> u8>) -> u8 {
            f(1)
        }
    }
}
