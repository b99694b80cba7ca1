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
        if let Some(path) = std::env::var_os("EDITION2015_PROFILE") {
            let f = std::fs::File::create(path).unwrap();
            inprof::write_time_profile(f).unwrap();
        }
    }
}
