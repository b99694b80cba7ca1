//! The crate tests/no_unwind.rs builds: a function proven by `#[no_panic]`
//! not to unwind, which calls instrumented functions of every shape (see
//! that test). Built optimized, in one codegen unit,
//! as `no_panic` asks; run, it writes a time profile of 10 calls of
//! `hash` to the file named by its argument.

use no_panic::no_panic;
use std::hint::black_box;

/// A hasher whose methods are instrumented.
struct Mixer(u64);

#[inprof::profile]
impl Mixer {
    /// Small: runs as a closure.
    fn mix(&mut self, x: u64) {
        self.0 = (self.0 ^ x).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    /// Larger than small (not given `#[inline]`).
    fn fold(&mut self, a: u64, b: u64) -> u64 {
        let lo = a.wrapping_mul(0xFF51_AFD7_ED55_8CCD) ^ (b >> 29);
        let hi = b.wrapping_mul(0xC4CE_B9FE_1A85_EC53) ^ (a >> 31);
        let x = lo.rotate_left(23) ^ hi.rotate_right(17);
        self.0 = self.0.wrapping_add(x) ^ (x >> 33);
        self.0.wrapping_mul(5).wrapping_add(0x52DC_E729)
    }
}

trait Finish {
    fn finish(&self) -> u64;
}

#[inprof::profile]
impl Finish for Mixer {
    fn finish(&self) -> u64 {
        self.0.rotate_left(17)
    }
}

/// Always timed: a scope guard in the function.
#[inprof::profile(always)]
fn scramble(x: u64) -> u64 {
    x.wrapping_mul(3) ^ (x >> 7)
}

/// No panic can leave this function, instrumented callees and all.
#[inline(never)]
#[no_panic]
fn hash(xs: &[u64]) -> u64 {
    let mut m = Mixer(black_box(7));
    let mut acc = 0u64;
    for &x in xs {
        m.mix(x);
        acc = m.fold(x, acc) ^ m.finish();
    }
    scramble(m.finish() ^ acc)
}

fn main() {
    let file = std::env::args_os().nth(1).expect("usage: inprof-nounwind-check FILE");
    // Every call recorded (these bodies are too short to stay timed).
    inprof::set_adaptive(false);
    let xs: Vec<u64> = (0..100).collect();
    let unrecorded = hash(&xs);
    let guard = inprof::start_cpu_profile(std::fs::File::create(file).unwrap()).unwrap();
    let mut got = 0;
    for _ in 0..10 {
        got = hash(black_box(&xs));
    }
    guard.stop().unwrap();
    assert_eq!(got, unrecorded, "the same result recorded or not");
}
