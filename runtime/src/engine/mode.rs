//! What an instrumented call does: nothing, track its call path, or time
//! it; and adaptive instrumentation, which stops timing calls too short to
//! time honestly.
//!
//! - **Off** ([`set_enabled`]`(false)`): a call reads one byte and skips.
//! - **Tracking** (the default): call paths are tracked and calls counted,
//!   so that heap, block, mutex and thread profiles attribute to them, but
//!   no clock is read (except to decide demotion, below). A program that
//!   never asks for a time profile pays this and nothing more, as in Go.
//! - **Timing**: while a time profile is recorded (`start_cpu_profile`, the
//!   endpoint's `profile?seconds=N`, `INPROF_CPUPROFILE`, or
//!   [`set_time_recording`](crate::time::set_time_recording)), every call also reads the cycle counter twice.
//!
//! **Demotion.** Two clock reads cost about [`call_cost_ns`] (measured when
//! first needed); timing a call that takes about as long is a lie. So the
//! first [`PROBE_CALLS`] calls of each call path are timed, whatever the
//! mode, and when a path reaches that many its mean inclusive time is
//! compared with the threshold (by default [`DEFAULT_DEMOTE_FACTOR`] times
//! the cost of a timed call: the timing then adds 1/64 of what it
//! measures by that cost, and inside real work up to about twice that).
//! Below it, the callsite is demoted
//! for good: its state byte says skip, so its calls cost one load and one
//! predictable branch, are neither timed nor counted, and their time stays
//! in the caller. Profiles list demoted callsites with the calls counted
//! before demotion. `#[profile(always)]` keeps a callsite timed;
//! [`set_adaptive`] and [`set_demote_threshold`] (or `INPROF_ADAPTIVE=0`,
//! `INPROF_DEMOTE_NS`) change the rule. There is no compensation: what a
//! frame shows is what was measured, and demotion keeps the measuring cost
//! small next to what is measured.

use crate::engine::callsite::Callsite;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};

/// State byte: recording is off; skip.
pub const OFF: u8 = 0;
/// State byte: demoted; skip.
pub const DEMOTED: u8 = 1;
/// State byte: not seen yet; take the slow path once.
pub const UNSEEN: u8 = 2;
/// State byte: track (and time, when timing).
pub const ON: u8 = 3;

/// Calls of a path that are always timed, to decide demotion.
pub const PROBE_CALLS: u64 = 256;

/// The default demotion threshold, as a multiple of the cost of a timed
/// call. A timed call costs more inside real work than its calibrated cost
/// (up to about twice, measured on an Intel Xeon: the counter reads keep
/// the CPU from overlapping the timed code with what surrounds it), so 64
/// keeps a timed call within about 3 % of what it measures.
pub const DEFAULT_DEMOTE_FACTOR: u64 = 64;

static ENABLED: AtomicBool = AtomicBool::new(true);
static ADAPTIVE: AtomicBool = AtomicBool::new(true);
/// Active time recordings (profiles running, `set_time_recording`).
static TIMING: AtomicUsize = AtomicUsize::new(0);
/// The tick at which time recording last turned on: a frame entered
/// before (untimed) and left after is charged from here.
static TIMING_SINCE: AtomicU64 = AtomicU64::new(0);
static EXPLICIT_TIMING: AtomicBool = AtomicBool::new(false);
/// The demotion threshold in ticks (0: not known yet).
static THRESHOLD_TICKS: AtomicU64 = AtomicU64::new(0);
/// Whether the threshold was set by the user.
static USER_THRESHOLD: AtomicBool = AtomicBool::new(false);
/// The measured cost of two clock reads and the bookkeeping around them,
/// in ticks (0: not measured yet).
static COST_TICKS: AtomicU64 = AtomicU64::new(0);
/// Every callsite seen so far.
static REGISTRY: AtomicPtr<Callsite> = AtomicPtr::new(std::ptr::null_mut());

/// Turns recording on or off at run time (on by default). Off, an
/// instrumented call reads one byte and skips: nothing is tracked, timed or
/// counted, and allocations are charged to the thread's root.
///
/// ```
/// inprof::set_enabled(false); // every instrumented call: one load, one branch
/// assert!(!inprof::enabled());
/// inprof::set_enabled(true);
/// ```
pub fn set_enabled(on: bool) {
    ENABLED.store(on, Ordering::SeqCst);
    for cs in callsites() {
        settle(cs);
    }
}

/// Whether recording is on.
///
/// ```
/// assert!(inprof::enabled()); // on unless set_enabled(false)
/// ```
pub fn enabled() -> bool {
    ENABLED.load(Ordering::SeqCst)
}

/// Records time for the whole run from now on (on), or only while a time
/// profile runs (off, the default). A whole-run time profile
/// (`write_time_profile`) holds the time recorded while this or a running
/// profile was on; `INPROF_CPUPROFILE` turns it on at start.
pub(crate) fn set_time_recording(on: bool) {
    if EXPLICIT_TIMING.swap(on, Ordering::SeqCst) != on {
        if on {
            timing_on();
        } else {
            TIMING.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

fn timing_on() {
    if TIMING.load(Ordering::SeqCst) == 0 {
        TIMING_SINCE.store(crate::engine::clock::ticks(), Ordering::SeqCst);
    }
    TIMING.fetch_add(1, Ordering::SeqCst);
}

/// The tick at which time recording last turned on.
#[inline]
pub(crate) fn timing_since() -> u64 {
    TIMING_SINCE.load(Ordering::Relaxed)
}

/// Whether calls are timed now.
#[inline(always)]
pub fn timing() -> bool {
    TIMING.load(Ordering::Relaxed) != 0
}

/// Time is recorded while one of these lives (a running time profile).
pub(crate) struct Timing(());

impl Timing {
    pub(crate) fn start() -> Timing {
        timing_on();
        Timing(())
    }
}

impl Drop for Timing {
    fn drop(&mut self) {
        TIMING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Turns adaptive instrumentation on (the default) or off. Off, no
/// callsite is demoted and those demoted are timed again.
///
/// ```
/// inprof::set_adaptive(false); // time every call, however short
/// # inprof::set_adaptive(true);
/// ```
pub fn set_adaptive(on: bool) {
    ADAPTIVE.store(on, Ordering::SeqCst);
    if !on {
        for cs in callsites() {
            cs.demoted.store(false, Ordering::SeqCst);
            settle(cs);
        }
    }
}

/// Whether adaptive instrumentation is on.
pub fn adaptive() -> bool {
    ADAPTIVE.load(Ordering::Relaxed)
}

/// Sets the demotion threshold: callsites whose calls take less than this
/// on average (over their first [`PROBE_CALLS`] on one path) are demoted.
/// `None` goes back to the default, [`DEFAULT_DEMOTE_FACTOR`] times
/// [`call_cost_ns`].
///
/// ```
/// inprof::set_demote_threshold(Some(std::time::Duration::from_micros(1)));
/// assert!((inprof::demote_threshold_ns() - 1000.0).abs() < 10.0);
/// inprof::set_demote_threshold(None); // back to 64x the call cost
/// ```
pub fn set_demote_threshold(t: Option<std::time::Duration>) {
    let ticks = match t {
        Some(d) => (d.as_nanos() as f64 * crate::engine::clock::ticks_per_ns()).max(1.0) as u64,
        None => 0,
    };
    USER_THRESHOLD.store(ticks != 0, Ordering::SeqCst);
    THRESHOLD_TICKS.store(ticks, Ordering::SeqCst);
}

/// The demotion threshold in force, in nanoseconds.
///
/// ```
/// // Calls shorter than this on average are demoted (64x the call cost).
/// assert!(inprof::demote_threshold_ns() > inprof::call_cost_ns());
/// ```
pub fn demote_threshold_ns() -> f64 {
    threshold_ticks() as f64 / crate::engine::clock::ticks_per_ns()
}

/// What a timed call costs on this machine, in nanoseconds: two
/// cycle-counter reads and the stores around them, measured once (a few
/// microseconds, the first time it is needed).
///
/// ```
/// let ns = inprof::call_cost_ns(); // two clock reads, measured at start
/// assert!(ns > 0.0);
/// ```
pub fn call_cost_ns() -> f64 {
    cost_ticks() as f64 / crate::engine::clock::ticks_per_ns()
}

fn cost_ticks() -> u64 {
    let c = COST_TICKS.load(Ordering::Relaxed);
    if c != 0 {
        return c;
    }
    // The minimum over rounds of a timed empty call's clock reads: what a
    // timed call adds at least, with nothing to hide it behind.
    let mut best = u64::MAX;
    for _ in 0..64 {
        let t0 = crate::engine::clock::ticks();
        let a = crate::engine::clock::ticks();
        let b = crate::engine::clock::ticks();
        let t1 = crate::engine::clock::ticks();
        std::hint::black_box(b.wrapping_sub(a));
        best = best.min(t1.wrapping_sub(t0));
    }
    // Two reads of the four, plus the node's stores (about a read's worth).
    let c = (best * 3 / 4).max(1);
    COST_TICKS.store(c, Ordering::Relaxed);
    c
}

fn threshold_ticks() -> u64 {
    let t = THRESHOLD_TICKS.load(Ordering::Relaxed);
    if t != 0 {
        return t;
    }
    let t = cost_ticks() * DEFAULT_DEMOTE_FACTOR;
    if !USER_THRESHOLD.load(Ordering::Relaxed) {
        THRESHOLD_TICKS.store(t, Ordering::Relaxed);
    }
    t
}

/// Every callsite seen so far.
pub(crate) fn callsites() -> impl Iterator<Item = &'static Callsite> {
    let mut p = REGISTRY.load(Ordering::Acquire) as *const Callsite;
    std::iter::from_fn(move || {
        if p.is_null() {
            return None;
        }
        // SAFETY: only `&'static Callsite`s are linked into the registry.
        let c = unsafe { &*p };
        p = c.next.load(Ordering::Acquire);
        Some(c)
    })
}

/// The state byte `cs` should have now.
fn settle(cs: &Callsite) {
    let s = if !ENABLED.load(Ordering::SeqCst) {
        OFF
    } else if cs.demoted.load(Ordering::SeqCst) {
        DEMOTED
    } else {
        ON
    };
    cs.state.store(s, Ordering::SeqCst);
}

/// The first call of a callsite: into the registry, then its state set
/// from the mode (and set again if the mode changed meanwhile).
///
/// `extern "C"`: inlined [`crate::engine::tree::enter`] calls it, and a
/// call of ours in an instrumented function must not be able to unwind
/// (see `enter_scope_on`).
#[cold]
#[inline(never)]
pub(crate) extern "C" fn first_sight(cs: &'static Callsite) -> u8 {
    static LOCK: AtomicBool = AtomicBool::new(false);
    while LOCK
        .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        std::hint::spin_loop();
    }
    if cs.state.load(Ordering::SeqCst) == UNSEEN {
        cs.next
            .store(REGISTRY.load(Ordering::Relaxed), Ordering::Relaxed);
        REGISTRY.store(cs as *const Callsite as *mut Callsite, Ordering::Release);
        settle(cs);
    }
    LOCK.store(false, Ordering::Release);
    cs.state.load(Ordering::SeqCst)
}

/// A path of `cs` has reached [`PROBE_CALLS`] calls taking `ticks` in all:
/// demotes the callsite if their mean is under the threshold.
#[cold]
#[inline(never)]
pub(crate) fn judge(cs: &'static Callsite, calls: u64, ticks: u64) {
    if cs.is_always() || !ADAPTIVE.load(Ordering::Relaxed) || calls == 0 {
        return;
    }
    let mean = ticks / calls;
    if mean < threshold_ticks() && !cs.demoted.swap(true, Ordering::SeqCst) {
        cs.demoted_calls.store(calls, Ordering::Relaxed);
        cs.demoted_mean_ticks.store(mean, Ordering::Relaxed);
        settle(cs);
    }
}

/// A demoted callsite, as the API and profiles show it.
#[derive(Clone, Debug)]
pub struct Demoted {
    /// The function's full name.
    pub name: &'static str,
    /// Its source file and line (as `file!()` and `line!()` say).
    pub file: &'static str,
    /// See `file`.
    pub line: u32,
    /// Calls counted on the path that decided, before demotion.
    pub calls_before: u64,
    /// Their mean inclusive time, ns.
    pub mean_ns: f64,
}

/// The callsites demoted so far.
///
/// ```
/// #[inprof::profile]
/// fn tiny(x: u64) -> u64 { x.wrapping_mul(3) }
///
/// for i in 0..1000 {
///     std::hint::black_box(tiny(i));
/// }
/// for d in inprof::demoted() {
///     println!("{} demoted after {} calls", d.name, d.calls_before);
/// }
/// ```
pub fn demoted() -> Vec<Demoted> {
    let tpn = crate::engine::clock::ticks_per_ns();
    let mut v: Vec<Demoted> = callsites()
        .filter(|c| c.is_demoted())
        .map(|c| Demoted {
            name: c.name(),
            file: c.file(),
            line: c.line(),
            calls_before: c.demoted_calls.load(Ordering::Relaxed),
            mean_ns: c.demoted_mean_ticks.load(Ordering::Relaxed) as f64 / tpn,
        })
        .collect();
    v.sort_by(|a, b| a.name.cmp(b.name));
    v
}
