//! The time profile: exact flat wall time and call counts per call path,
//! over an interval (start/stop, the difference of two snapshots) or since
//! the process started.

use crate::engine::clock;
use crate::engine::tree::{self, Tree};
use crate::format::pprof::{Builder, Profile};
use crate::profiles::paths::Paths;
use crate::Error;
use std::io::Write;
use std::sync::atomic::Ordering;
use std::sync::Mutex;

/// (calls, ticks) of every node of one thread at one moment.
pub(crate) struct ThreadSnap {
    pub tree: &'static Tree,
    pub nodes: Vec<(u64, u64)>,
}

/// The time counters of every thread at one moment. While a snapshot
/// lives, no tree is folded, so a later snapshot finds the same trees.
pub(crate) struct Snapshot {
    pub unix_nanos: i64,
    pub ticks: u64,
    pub threads: Vec<ThreadSnap>,
    _open: crate::engine::fold::Interval,
}

/// Reads every thread's counters now, open frames counted up to now.
pub(crate) fn snapshot() -> Snapshot {
    let _not_counted = crate::engine::counters::Reentrant::enter();
    let open = crate::engine::fold::Interval::open();
    let now = clock::ticks();
    let unix_nanos = clock::unix_nanos();
    let lock = crate::engine::fold::read();
    let threads = tree::trees(&lock)
        .filter(|t| !t.is_internal())
        .map(|t| {
            let n = t.len();
            let mut nodes: Vec<(u64, u64)> = (0..n).map(|i| t.node(i).read_time(now)).collect();
            if crate::engine::mode::timing() && !t.exited() {
                // Frames open since before time recording began have no
                // entry time: counted from when it began.
                let part = now.saturating_sub(crate::engine::mode::timing_since());
                for i in t.open_untimed_path() {
                    if let Some(v) = nodes.get_mut(i) {
                        v.1 += part;
                    }
                }
            }
            ThreadSnap { tree: t, nodes }
        })
        .collect();
    Snapshot {
        unix_nanos,
        ticks: now,
        threads,
        _open: open,
    }
}

/// Per node of one thread: (calls, self nanoseconds) over the interval,
/// as measured (no compensation: demotion keeps the cost of measuring
/// small next to what is measured; see `engine::mode`).
pub(crate) fn self_times(base: Option<&ThreadSnap>, end: &ThreadSnap, tpn: f64) -> Vec<(u64, i64)> {
    let n = end.nodes.len();
    let mut calls = vec![0u64; n];
    let mut total = vec![0f64; n];
    for i in 0..n {
        let (c1, t1) = end.nodes[i];
        let (c0, t0) = base.and_then(|b| b.nodes.get(i).copied()).unwrap_or((0, 0));
        calls[i] = c1.saturating_sub(c0);
        total[i] = t1.saturating_sub(t0) as f64;
    }
    let mut child_sum = vec![0f64; n];
    for (i, &t) in total.iter().enumerate().skip(1) {
        let p = end.tree.node(i).parent_idx() as usize;
        if p != i {
            child_sum[p] += t;
        }
    }
    (0..n)
        .map(|i| {
            let self_ticks = (total[i] - child_sum[i]).max(0.0);
            (calls[i], (self_ticks / tpn).round() as i64)
        })
        .collect()
}

/// Builds the time profile for the interval between two snapshots (or since
/// the process started when `start` is None).
pub(crate) fn build(start: Option<&Snapshot>, end: &Snapshot) -> Profile {
    let _not_counted = crate::engine::counters::Reentrant::enter();
    let tpn = clock::ticks_per_ns();
    let mut b = Builder::new(
        &[("calls", "count"), ("wall", "nanoseconds")],
        ("wall", "nanoseconds"),
        1,
        Some("wall"),
    );
    let start_by_id: std::collections::HashMap<u64, &ThreadSnap> = start
        .map(|s| s.threads.iter().map(|t| (t.tree.id(), t)).collect())
        .unwrap_or_default();
    for th in &end.threads {
        let base = start_by_id.get(&th.tree.id()).copied();
        let times = self_times(base, th, tpn);
        let thread = [b.label_str("thread", &th.tree.name())];
        let paths = Paths::new(&mut b, th.tree, times.len());
        for (i, &(calls, ns)) in times.iter().enumerate().skip(1) {
            if calls == 0 && ns == 0 {
                continue;
            }
            // Time with no annotated frame on the path (label nodes at the
            // root) belongs to no function: left out, like the root's.
            let stack = paths.frames(i);
            if stack.is_empty() {
                continue;
            }
            let labels = paths.sample_labels(&mut b, i, &thread);
            b.sample_labeled(stack, vec![calls as i64, ns], labels);
        }
    }
    let (time_nanos, duration) = match start {
        Some(s) => (
            s.unix_nanos,
            ((end.ticks.wrapping_sub(s.ticks)) as f64 / tpn) as i64,
        ),
        None => (end.unix_nanos, process_age_ns(end)),
    };
    crate::profiles::named::dropped_comment(&mut b, &crate::engine::fold::read());
    demoted_comment(&mut b, tpn);
    b.finish(time_nanos, duration)
}

/// Comments naming the callsites demoted as too short to time, which
/// `go tool pprof -top` shows above the table.
pub(crate) fn demoted_comment(b: &mut Builder, tpn: f64) {
    let mut demoted: Vec<_> = crate::engine::mode::callsites()
        .filter(|c| c.is_demoted())
        .collect();
    if demoted.is_empty() {
        return;
    }
    demoted.sort_by_key(|c| c.name());
    b.comment(&format!(
        "inprof: {} functions demoted (mean call under {:.0} ns, too short to time honestly): counted until demotion, then untimed and uncounted, their time in their callers",
        demoted.len(),
        crate::engine::mode::demote_threshold_ns()
    ));
    for c in demoted {
        b.comment(&format!(
            "inprof: demoted {} (after {} calls of {:.0} ns on average)",
            c.name(),
            c.demoted_calls.load(Ordering::Relaxed),
            c.demoted_mean_ticks.load(Ordering::Relaxed) as f64 / tpn
        ));
    }
}

fn process_age_ns(end: &Snapshot) -> i64 {
    // Duration since inprof started, which is as close to process start as
    // we can measure without platform calls.
    let _ = end;
    crate::engine::clock::since_init().as_nanos() as i64
}

struct Running {
    writer: Box<dyn Write + Send>,
    start: Snapshot,
    /// Calls are timed while the profile runs.
    _timing: crate::engine::mode::Timing,
}

static RUNNING: Mutex<Option<Running>> = Mutex::new(None);

fn lock_running() -> std::sync::MutexGuard<'static, Option<Running>> {
    RUNNING.lock().unwrap_or_else(|e| e.into_inner())
}

/// A running time profile; stop it with [`CpuProfile::stop`],
/// [`stop_cpu_profile`], or by dropping it.
#[must_use = "dropping the guard stops the profile at once"]
pub struct CpuProfile {
    active: bool,
}

impl CpuProfile {
    /// Stops the profile and writes it; errors from writing are returned.
    pub fn stop(mut self) -> Result<(), Error> {
        self.active = false;
        stop_cpu_profile()
    }
}

impl Drop for CpuProfile {
    fn drop(&mut self) {
        if self.active {
            let _ = stop_cpu_profile();
        }
    }
}

/// Starts a time profile (Go's `StartCPUProfile`): exact wall time and
/// calls per call path of every thread from now until stop, written to `w`
/// as gzipped pprof. Fails with [`Error::AlreadyRunning`] if one is running.
pub fn start_cpu_profile<W: Write + Send + 'static>(w: W) -> Result<CpuProfile, Error> {
    let _not_counted = crate::engine::counters::Reentrant::enter();
    crate::engine::start::fire(crate::engine::start::Trigger::Use);
    let mut r = lock_running();
    if r.is_some() {
        return Err(Error::AlreadyRunning);
    }
    let timing = crate::engine::mode::Timing::start();
    *r = Some(Running {
        writer: Box::new(w),
        start: snapshot(),
        _timing: timing,
    });
    Ok(CpuProfile { active: true })
}

/// Profiles `duration` of time exclusively (as `start_cpu_profile` would:
/// fails with [`Error::AlreadyRunning`] while another runs), checking
/// `cancelled` every 100 ms to stop early. Used by the HTTP endpoint.
pub fn profile_for(
    duration: std::time::Duration,
    cancelled: &dyn Fn() -> bool,
) -> Result<Profile, Error> {
    let _not_counted = crate::engine::counters::Reentrant::enter();
    {
        let mut r = lock_running();
        if r.is_some() {
            return Err(Error::AlreadyRunning);
        }
        let timing = crate::engine::mode::Timing::start();
        *r = Some(Running {
            writer: Box::new(std::io::sink()),
            start: snapshot(),
            _timing: timing,
        });
    }
    let deadline = std::time::Instant::now() + duration;
    loop {
        let now = std::time::Instant::now();
        if now >= deadline || cancelled() {
            break;
        }
        std::thread::sleep((deadline - now).min(std::time::Duration::from_millis(100)));
    }
    let end = snapshot();
    match lock_running().take() {
        Some(run) => Ok(build(Some(&run.start), &end)),
        // Someone called stop_cpu_profile meanwhile: nothing to report.
        None => Err(Error::AlreadyRunning),
    }
}

/// Whether a time profile is running.
pub fn cpu_profile_running() -> bool {
    lock_running().is_some()
}

/// Stops the running time profile and writes it (Go's `StopCPUProfile`).
/// Does nothing if none is running.
pub fn stop_cpu_profile() -> Result<(), Error> {
    let _not_counted = crate::engine::counters::Reentrant::enter();
    let end = snapshot();
    let running = lock_running().take();
    let Some(mut run) = running else {
        return Ok(());
    };
    let p = build(Some(&run.start), &end);
    p.write_gzip(&mut run.writer)?;
    run.writer.flush()?;
    Ok(())
}

/// The time profile from `start` to now (used by the HTTP endpoint and
/// tests). Returns the snapshot to pass as `start`.
pub fn begin_interval() -> Interval {
    let _not_counted = crate::engine::counters::Reentrant::enter();
    let timing = crate::engine::mode::Timing::start();
    Interval {
        start: snapshot(),
        _timing: timing,
    }
}

/// The start of a time-profile interval; see [`begin_interval`]. Calls are
/// timed while it lives.
pub struct Interval {
    start: Snapshot,
    _timing: crate::engine::mode::Timing,
}

impl Interval {
    /// The time profile from the start of this interval to now (may be
    /// called more than once).
    pub fn profile(&self) -> Profile {
        let _not_counted = crate::engine::counters::Reentrant::enter();
        let end = snapshot();
        build(Some(&self.start), &end)
    }
}

/// The cumulative time profile: every call since inprof started, with the
/// time recorded while time was recorded (see
/// [`set_time_recording`](crate::engine::mode::set_time_recording)).
pub fn time_profile() -> Profile {
    let _not_counted = crate::engine::counters::Reentrant::enter();
    crate::engine::start::fire(crate::engine::start::Trigger::Use);
    let end = snapshot();
    build(None, &end)
}

/// Writes the cumulative time profile (gzipped pprof) to `w`.
pub fn write_time_profile<W: Write>(w: W) -> Result<(), Error> {
    let _not_counted = crate::engine::counters::Reentrant::enter();
    time_profile().write_gzip(w)?;
    Ok(())
}
