//! The time profile: sampled CPU time (`samples`, `cpu`: what Go's CPU
//! profile holds, from the sampler in `cpu`) on the exact call paths with
//! the native frames below them, and exact flat wall time and call counts
//! per call path (`calls`, `wall`), over an interval (start/stop, the
//! difference of two snapshots) or since the process started.
//!
//! The default sample type is `cpu`, so that `go tool pprof`, Parca and
//! Pyroscope read what they expect from a CPU profile;
//! `-sample_index=wall` gives exact wall time. Where CPU sampling is not
//! available (not Linux, `set_cpu_profile_rate(0)`, SIGPROF taken), the
//! profile holds `calls` and `wall` only, `wall` the default, and a comment
//! says why.

use crate::engine::clock;
use crate::engine::tree::{self, Tree};
use crate::format::pprof::{Builder, Profile};
use crate::profiles::cpu::Sampling;
use crate::profiles::paths::Paths;
use crate::Error;
use std::io::Write;
use std::sync::atomic::Ordering;
use std::sync::Mutex;

/// (calls, ticks) of every node of one thread at one moment.
pub(crate) struct ThreadSnap {
    pub tree: &'static Tree,
    pub nodes: Vec<(u64, u64)>,
    /// Per node: futures finished, of them cancelled, their latency in
    /// ticks (async frames only; see `profiles::tasks`).
    pub futures: Vec<[u64; 3]>,
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
            let futures = (0..n)
                .map(|i| {
                    let e = &t.node(i).ext;
                    let cancelled = e.futures_cancelled.load(Ordering::Relaxed);
                    [
                        e.futures_done.load(Ordering::Relaxed) + cancelled,
                        cancelled,
                        e.latency_ticks.load(Ordering::Relaxed)
                            + e.cancelled_latency_ticks.load(Ordering::Relaxed),
                    ]
                })
                .collect();
            ThreadSnap {
                tree: t,
                nodes,
                futures,
            }
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

/// The CPU part of a time profile: a sampling session, why there is none,
/// or none asked for (the cumulative profile without a whole-run session).
pub(crate) type Cpu<'a> = Option<&'a Result<Sampling, String>>;

/// Builds the time profile for the interval between two snapshots (or since
/// the process started when `start` is None), with the CPU samples of
/// `cpu`. `default` overrides the default sample type (`wall` for the
/// wall-clock route).
pub(crate) fn build(
    start: Option<&Snapshot>,
    end: &Snapshot,
    cpu: Cpu<'_>,
    default: Option<&str>,
) -> Profile {
    let _not_counted = crate::engine::counters::Reentrant::enter();
    let tpn = clock::ticks_per_ns();
    let sampling = cpu.and_then(|c| c.as_ref().ok());
    let mut b = match sampling {
        Some(s) => Builder::new(
            &[
                ("samples", "count"),
                ("cpu", "nanoseconds"),
                ("calls", "count"),
                ("wall", "nanoseconds"),
                ("polls", "count"),
                ("latency", "nanoseconds"),
                ("cancelled", "count"),
            ],
            ("cpu", "nanoseconds"),
            s.period_ns(),
            Some(default.unwrap_or("cpu")),
        ),
        None => Builder::new(
            &[
                ("calls", "count"),
                ("wall", "nanoseconds"),
                ("polls", "count"),
                ("latency", "nanoseconds"),
                ("cancelled", "count"),
            ],
            ("wall", "nanoseconds"),
            1,
            Some("wall"),
        ),
    };
    // Where calls, wall, polls, latency and cancelled go in a sample's
    // values.
    let (wall_at, width) = if sampling.is_some() { (2, 7) } else { (0, 5) };
    let start_by_id: std::collections::HashMap<u64, &ThreadSnap> = start
        .map(|s| s.threads.iter().map(|t| (t.tree.id(), t)).collect())
        .unwrap_or_default();
    let mut cpu_by_tree: std::collections::HashMap<
        (usize, u64),
        Vec<crate::profiles::cpu::CpuSample>,
    > = std::collections::HashMap::new();
    if let Some(s) = sampling {
        for smp in s.samples() {
            cpu_by_tree
                .entry((smp.tree, smp.tree_id))
                .or_default()
                .push(smp);
        }
    }
    let mut symbols = crate::profiles::native::take_symbol_cache();
    for th in &end.threads {
        let base = start_by_id.get(&th.tree.id()).copied();
        let times = self_times(base, th, tpn);
        let thread = [b.label_str("thread", &th.tree.name())];
        let key = (
            th.tree as *const crate::engine::tree::Tree as usize,
            th.tree.id(),
        );
        let cpu_samples = cpu_by_tree.remove(&key).unwrap_or_default();
        let n = cpu_samples
            .iter()
            .map(|c| c.node as usize + 1)
            .max()
            .unwrap_or(0)
            .max(times.len());
        let paths = Paths::new(&mut b, th.tree, n);
        for (i, &(calls, ns)) in times.iter().enumerate().skip(1) {
            // An async frame: its entries are polls; its calls are the
            // futures that ended.
            let fut = th.futures.get(i).copied().unwrap_or_default();
            let fut0 = base
                .and_then(|b| b.futures.get(i).copied())
                .unwrap_or_default();
            let is_async = th.tree.node(i).callsite().is_async();
            let (calls, polls) = if is_async {
                (fut[0].saturating_sub(fut0[0]), calls)
            } else {
                (calls, 0)
            };
            let cancelled = fut[1].saturating_sub(fut0[1]);
            let latency = (fut[2].saturating_sub(fut0[2]) as f64 / tpn).round() as i64;
            if calls == 0 && ns == 0 && polls == 0 {
                continue;
            }
            // Time with no annotated frame on the path (label nodes at the
            // root) belongs to no function: left out, like the root's.
            let stack = paths.frames(i);
            if stack.is_empty() {
                continue;
            }
            let labels = paths.sample_labels(&mut b, i, &thread);
            let mut values = vec![0i64; width];
            values[wall_at] = calls as i64;
            values[wall_at + 1] = ns;
            values[wall_at + 2] = polls as i64;
            values[wall_at + 3] = latency;
            values[wall_at + 4] = cancelled as i64;
            b.sample_labeled(stack, values, labels);
        }
        if let Some(s) = sampling {
            let period = s.period_ns();
            for smp in cpu_samples {
                let i = smp.node as usize;
                let annotated = (i != 0 && i < th.tree.len()).then(|| th.tree.node(i).name());
                let mut locs: Vec<u64> =
                    crate::profiles::native::cpu_frames(&smp.pcs, annotated, &mut symbols)
                        .into_iter()
                        .map(|(ip, lines)| b.native_location(ip as u64, &lines))
                        .collect();
                // Below them the exact path; the thread's root frame where
                // no annotated frame is open.
                locs.extend(paths.stack(i));
                let labels = paths.sample_labels(&mut b, i, &thread);
                b.sample_labeled(
                    locs,
                    vec![smp.count as i64, smp.count as i64 * period, 0, 0, 0, 0, 0],
                    labels,
                );
            }
        }
    }
    crate::profiles::native::put_symbol_cache(symbols);
    let (time_nanos, duration) = match start {
        Some(s) => (
            s.unix_nanos,
            ((end.ticks.wrapping_sub(s.ticks)) as f64 / tpn) as i64,
        ),
        None => (end.unix_nanos, process_age_ns(end)),
    };
    match cpu {
        Some(Ok(s)) => {
            b.comment(&format!(
                "inprof: CPU sampled at {} Hz per thread of CPU time on {} threads (per-thread CPU timers); calls and wall exact",
                s.hz(),
                crate::profiles::cpu::timed_threads()
            ));
            let lost = s.dropped();
            if lost > 0 {
                b.comment(&format!(
                    "inprof: {lost} CPU samples lost (the sample table was full)"
                ));
            }
        }
        Some(Err(why)) => b.comment(&format!("inprof: wall time only: {why}")),
        None => b.comment(
            "inprof: wall time only: no CPU sampling ran over the whole run (set_time_recording(true) or INPROF_CPUPROFILE samples it)",
        ),
    }
    crate::profiles::named::dropped_comment(&mut b, &crate::engine::fold::read());
    demoted_comment(&mut b, tpn);
    b.finish(time_nanos, duration)
}

/// Comments naming the functions compiled out by a demoted list, then the
/// callsites demoted as too short to time, which `go tool pprof -top`
/// shows above the table.
pub(crate) fn demoted_comment(b: &mut Builder, tpn: f64) {
    compiled_out_comment(b);
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

/// Comments naming the functions compiled without instrumentation by the
/// demoted list (`INPROF_DEMOTED`) the running code was built with, as
/// the callsites seen so far carry it: they are in no profile.
fn compiled_out_comment(b: &mut Builder) {
    let mut lists: Vec<&'static [u8]> = Vec::new();
    for c in crate::engine::mode::callsites() {
        let l = c.compiled_out_list();
        if !l.is_empty() && !lists.iter().any(|x| std::ptr::eq(*x, l)) {
            lists.push(l);
        }
    }
    // `FILE:LINE NAME` lines (see `serve::env::write_demoted_list`).
    let names: std::collections::BTreeSet<(&str, &str)> = lists
        .iter()
        .filter_map(|l| std::str::from_utf8(l).ok())
        .flat_map(str::lines)
        .filter_map(|l| {
            let (at, name) = l.split_once(' ')?;
            Some((name.trim(), at))
        })
        .collect();
    if names.is_empty() {
        return;
    }
    b.comment(&format!(
        "inprof: {} functions compiled without instrumentation (the INPROF_DEMOTED list of an earlier run): in no profile, their time in their callers",
        names.len()
    ));
    for (name, at) in names {
        b.comment(&format!("inprof: compiled out {name} ({at})"));
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
    /// CPU is sampled while the profile runs (or why not).
    cpu: Result<Sampling, String>,
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

/// Starts a CPU profile (Go's `StartCPUProfile`) of every thread from now
/// until stop, written to `w` as gzipped pprof: sampled CPU time
/// (`samples`, `cpu`, the default) on the exact call paths with the native
/// frames below them, and exact `calls` and `wall` per call path. Fails
/// with [`Error::AlreadyRunning`] if one is running.
///
/// ```
/// # fn run() {}
/// let file = std::env::temp_dir().join(format!("doc-cpu-{}.pb.gz", std::process::id()));
/// let guard = inprof::start_cpu_profile(inprof::create_private_file(&file)?)?;
/// run();
/// guard.stop()?; // or inprof::stop_cpu_profile(), or drop the guard
/// # std::fs::remove_file(&file)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn start_cpu_profile<W: Write + Send + 'static>(w: W) -> Result<CpuProfile, Error> {
    let _not_counted = crate::engine::counters::Reentrant::enter();
    crate::engine::start::fire(crate::engine::start::Trigger::Use);
    // The calling thread is one the profile should see.
    let _ = crate::engine::tree::this_tree();
    let mut r = lock_running();
    if r.is_some() {
        return Err(Error::AlreadyRunning);
    }
    let timing = crate::engine::mode::Timing::start();
    let start = snapshot();
    *r = Some(Running {
        writer: Box::new(w),
        start,
        cpu: Sampling::start(),
        _timing: timing,
    });
    Ok(CpuProfile { active: true })
}

/// Profiles `duration` of time exclusively (as `start_cpu_profile` would:
/// fails with [`Error::AlreadyRunning`] while another runs), checking
/// `cancelled` every 100 ms to stop early. Used by the HTTP endpoint;
/// `default` overrides the default sample type (`wall` for the wall-clock
/// route).
pub fn profile_for(
    duration: std::time::Duration,
    cancelled: &dyn Fn() -> bool,
) -> Result<Profile, Error> {
    profile_for_with(duration, cancelled, None)
}

/// [`profile_for`] with the default sample type set to `default`.
pub fn profile_for_with(
    duration: std::time::Duration,
    cancelled: &dyn Fn() -> bool,
    default: Option<&str>,
) -> Result<Profile, Error> {
    let _not_counted = crate::engine::counters::Reentrant::enter();
    {
        let mut r = lock_running();
        if r.is_some() {
            return Err(Error::AlreadyRunning);
        }
        let timing = crate::engine::mode::Timing::start();
        let start = snapshot();
        *r = Some(Running {
            writer: Box::new(std::io::sink()),
            start,
            cpu: Sampling::start(),
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
    let run = lock_running().take();
    match run {
        Some(run) => Ok(build(Some(&run.start), &end, Some(&run.cpu), default)),
        // Someone called stop_cpu_profile meanwhile: nothing to report.
        None => Err(Error::AlreadyRunning),
    }
}

/// Whether a time profile is running.
///
/// ```
/// assert!(!inprof::cpu_profile_running());
/// ```
pub fn cpu_profile_running() -> bool {
    lock_running().is_some()
}

/// Stops the running time profile and writes it (Go's `StopCPUProfile`).
/// Does nothing if none is running.
///
/// ```
/// let file = std::env::temp_dir().join(format!("doc-stop-{}.pb.gz", std::process::id()));
/// let _guard = inprof::start_cpu_profile(inprof::create_private_file(&file)?)?;
/// inprof::stop_cpu_profile()?; // the guard's drop then does nothing
/// # std::fs::remove_file(&file)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn stop_cpu_profile() -> Result<(), Error> {
    let _not_counted = crate::engine::counters::Reentrant::enter();
    let end = snapshot();
    let running = lock_running().take();
    let Some(mut run) = running else {
        return Ok(());
    };
    let p = build(Some(&run.start), &end, Some(&run.cpu), None);
    drop(run.cpu);
    p.write_gzip(&mut run.writer)?;
    run.writer.flush()?;
    Ok(())
}

/// The time profile from `start` to now (used by the HTTP endpoint and
/// tests). Returns the snapshot to pass as `start`.
///
/// ```
/// #[inprof::profile]
/// fn work() -> u64 { (0..1000).sum() }
///
/// let interval = inprof::begin_interval();
/// work();
/// let profile = interval.profile(); // the time profile of the interval
/// assert!(!profile.sample_type.is_empty());
/// ```
pub fn begin_interval() -> Interval {
    let _not_counted = crate::engine::counters::Reentrant::enter();
    let _ = crate::engine::tree::this_tree();
    let timing = crate::engine::mode::Timing::start();
    let start = snapshot();
    Interval {
        start,
        cpu: Sampling::start(),
        _timing: timing,
    }
}

/// The start of a time-profile interval; see [`begin_interval`]. Calls are
/// timed and CPU sampled while it lives.
pub struct Interval {
    start: Snapshot,
    cpu: Result<Sampling, String>,
    _timing: crate::engine::mode::Timing,
}

impl Interval {
    /// The time profile from the start of this interval to now (may be
    /// called more than once).
    pub fn profile(&self) -> Profile {
        let _not_counted = crate::engine::counters::Reentrant::enter();
        let end = snapshot();
        build(Some(&self.start), &end, Some(&self.cpu), None)
    }
}

/// The whole-run CPU sampling session of [`set_time_recording`].
static WHOLE_RUN: Mutex<Option<Result<Sampling, String>>> = Mutex::new(None);

fn lock_whole_run() -> std::sync::MutexGuard<'static, Option<Result<Sampling, String>>> {
    WHOLE_RUN.lock().unwrap_or_else(|e| e.into_inner())
}

/// Records time for the whole run from now on (on), or only while a time
/// profile runs (off, the default): calls are timed and CPU sampled, and
/// the cumulative profile ([`write_time_profile`], `INPROF_CPUPROFILE`)
/// holds what was recorded since. Turning it off ends the whole-run CPU
/// sampling (its samples are gone from the cumulative profile).
///
/// ```
/// inprof::set_time_recording(true); // first thing in main: the whole run is timed
/// // ... the program ...
/// let mut out = Vec::new();
/// inprof::write_time_profile(&mut out)?;
/// # inprof::set_time_recording(false);
/// # Ok::<(), inprof::Error>(())
/// ```
pub fn set_time_recording(on: bool) {
    let _not_counted = crate::engine::counters::Reentrant::enter();
    let mut w = lock_whole_run();
    crate::engine::mode::set_time_recording(on);
    if on {
        if w.is_none() {
            let _ = crate::engine::tree::this_tree();
            *w = Some(Sampling::start());
        }
    } else {
        *w = None;
    }
}

/// The cumulative time profile: every call since inprof started, with the
/// time recorded while time was recorded (see [`set_time_recording`]), and
/// the CPU sampled since it was turned on. Wall is the default sample type
/// unless the whole run was sampled.
///
/// ```
/// inprof::set_time_recording(true); // at start: time the whole run
/// // ... the program runs ...
/// let profile = inprof::time_profile();
/// # inprof::set_time_recording(false);
/// # let _ = profile;
/// ```
pub fn time_profile() -> Profile {
    let _not_counted = crate::engine::counters::Reentrant::enter();
    crate::engine::start::fire(crate::engine::start::Trigger::Use);
    let end = snapshot();
    let w = lock_whole_run();
    build(None, &end, w.as_ref(), None)
}

/// Writes the cumulative time profile (gzipped pprof) to `w`.
///
/// ```
/// let mut out = Vec::new();
/// inprof::write_time_profile(&mut out)?; // since the process started
/// assert!(!out.is_empty());
/// # Ok::<(), inprof::Error>(())
/// ```
pub fn write_time_profile<W: Write>(w: W) -> Result<(), Error> {
    let _not_counted = crate::engine::counters::Reentrant::enter();
    time_profile().write_gzip(w)?;
    Ok(())
}
