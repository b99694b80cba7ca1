//! The cycle counter and its conversion to nanoseconds.
//!
//! The hot path reads [`ticks`] once at entry and once at exit. Ticks become
//! nanoseconds only when a profile is written, through [`ticks_per_ns`],
//! which compares the counter against the monotonic clock over the process
//! lifetime (and waits a few milliseconds the first time if the process is
//! younger than that).

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Reads the cycle counter (TSC on x86_64, the virtual counter on aarch64,
/// the monotonic clock elsewhere and under Miri, which runs neither).
#[inline(always)]
pub fn ticks() -> u64 {
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    {
        // SAFETY: `rdtsc` is available on every x86_64 CPU and has no
        // preconditions; it only reads the time-stamp counter.
        unsafe { core::arch::x86_64::_rdtsc() }
    }
    #[cfg(all(target_arch = "aarch64", not(miri)))]
    {
        let v: u64;
        // SAFETY: reading CNTVCT_EL0 is permitted at EL0 on every aarch64
        // OS we support; the instruction has no side effects.
        unsafe { core::arch::asm!("mrs {}, cntvct_el0", out(reg) v, options(nomem, nostack)) };
        v
    }
    #[cfg(any(miri, not(any(target_arch = "x86_64", target_arch = "aarch64"))))]
    {
        fallback_ticks()
    }
}

#[cfg(any(miri, not(any(target_arch = "x86_64", target_arch = "aarch64"))))]
fn fallback_ticks() -> u64 {
    let a = anchor();
    a.instant.elapsed().as_nanos() as u64 + 1
}

struct Anchor {
    instant: Instant,
    ticks: u64,
}

static ANCHOR: OnceLock<Anchor> = OnceLock::new();

fn anchor() -> &'static Anchor {
    ANCHOR.get_or_init(|| {
        let (instant, ticks) = paired();
        Anchor { instant, ticks }
    })
}

/// The monotonic clock and the counter read together: the counter read
/// just before and just after the clock, several times, and the tightest
/// pair's midpoint kept, so that a thread preempted between two reads
/// (a loaded machine, a VM) does not skew the rate: a 1 µs gap at either
/// end of a 20 ms calibration is 50 ppm, 0.4 µs over an 8 ms frame.
fn paired() -> (Instant, u64) {
    let read = || {
        let before = ticks_raw_for_anchor();
        let now = Instant::now();
        let width = ticks_raw_for_anchor().wrapping_sub(before);
        (now, before, width)
    };
    let (now, before, width) = (0..8)
        .map(|_| read())
        .min_by_key(|r| r.2)
        .expect("eight reads");
    (now, before.wrapping_add(width / 2))
}

#[inline]
fn ticks_raw_for_anchor() -> u64 {
    #[cfg(all(any(target_arch = "x86_64", target_arch = "aarch64"), not(miri)))]
    {
        ticks()
    }
    #[cfg(any(miri, not(any(target_arch = "x86_64", target_arch = "aarch64"))))]
    {
        1
    }
}

/// Records the reference point for tick conversion. Called when the first
/// thread registers, so that later conversions measure over a long span.
pub fn init() {
    let _ = anchor();
}

/// The number of ticks per nanosecond, measured against the monotonic clock
/// from the anchor to now (at least 20 ms apart: waits if needed).
pub fn ticks_per_ns() -> f64 {
    let a = anchor();
    let min = Duration::from_millis(20);
    loop {
        let (now, t) = paired();
        let el = now.duration_since(a.instant);
        if el >= min {
            let ns = el.as_nanos() as f64;
            let dt = t.wrapping_sub(a.ticks) as f64;
            if dt > 0.0 {
                return dt / ns;
            }
            return 1.0;
        }
        std::thread::sleep(min - el);
    }
}

/// Nanoseconds since the Unix epoch, for `time_nanos`.
pub fn unix_nanos() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

/// Time since inprof first registered a thread.
pub fn since_init() -> Duration {
    anchor().instant.elapsed()
}

/// Monotonic nanoseconds since inprof started (for contention events).
pub fn mono_ns() -> u64 {
    anchor().instant.elapsed().as_nanos() as u64
}
