//! The CPU sampler: on-CPU time, sampled like Go's CPU profile, on the
//! exact call paths, with the native frames below the nearest annotated
//! frame.
//!
//! While a CPU profile is recorded, every live thread inprof knows has a
//! per-thread CPU-time timer (Linux `timer_create` on the thread's CPU
//! clock, delivered to that thread with `SIGEV_THREAD_ID`, as Go does since
//! 1.18: a process-wide `setitimer` under-counts busy threads). Each expiry
//! runs `on_sigprof` on the thread that used the CPU. The handler is
//! async-signal-safe: it reads the thread's current call-path node and the
//! interrupted registers, walks the frame-pointer chain with every address
//! checked against the thread's stack bounds (`unwind`), and counts the
//! sample in a preallocated lock-free table. No allocation, no lock, no
//! unwinding library. Symbolization and aggregation happen when a profile
//! is built, in normal context, with a cache; what they allocate is not
//! charged to the program's heap profile.
//!
//! Timers are managed by a controller thread that runs while sampling is
//! on: every 10 ms it gives new threads a timer and deletes those of
//! threads that exited.
//!
//! Where there are no per-thread CPU timers (not Linux), sampling is
//! unavailable and time profiles are wall-only; they say so.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

/// Go's default CPU profiling rate: 100 samples per second of CPU.
pub const DEFAULT_CPU_PROFILE_RATE: u32 = 100;

/// The highest rate accepted (samples per CPU second).
pub const MAX_CPU_PROFILE_RATE: u32 = 10_000;

static RATE: AtomicU32 = AtomicU32::new(DEFAULT_CPU_PROFILE_RATE);

/// Sets the CPU sampling rate in samples per second of CPU time, like Go's
/// `runtime.SetCPUProfileRate`: 100 by default, 0 turns CPU sampling off
/// (time profiles are then wall-only), values above 10 000 are clamped. It
/// takes effect when the next CPU profile starts (while one runs, the rate
/// it started with stays).
///
/// ```
/// inprof::set_cpu_profile_rate(500); // before starting a CPU profile
/// assert_eq!(inprof::cpu_profile_rate(), 500);
/// # inprof::set_cpu_profile_rate(inprof::DEFAULT_CPU_PROFILE_RATE);
/// ```
pub fn set_cpu_profile_rate(hz: u32) {
    RATE.store(hz.min(MAX_CPU_PROFILE_RATE), Ordering::Relaxed);
}

/// The CPU sampling rate set by [`set_cpu_profile_rate`].
pub fn cpu_profile_rate() -> u32 {
    RATE.load(Ordering::Relaxed)
}

/// Native frames kept per CPU sample (the interrupted PC first).
pub(crate) const CPU_DEPTH: usize = 64;

/// One aggregated CPU sample: a thread's call-path node and the native
/// return addresses below it, and how many samples hit them.
#[derive(Debug, Clone)]
pub(crate) struct CpuSample {
    /// The tree (thread) the samples were taken on.
    pub tree: usize,
    /// The tree's id then (a tree is reused after its thread exits).
    pub tree_id: u64,
    /// The call-path node the thread was in.
    pub node: u32,
    /// The interrupted PC, then return addresses, innermost first; empty
    /// when the thread was in the annotated function itself.
    pub pcs: Vec<usize>,
    /// Samples.
    pub count: u64,
}

/// A CPU sampling session: sampling runs while one lives. Sessions may
/// overlap (a profile on the endpoint while another is written); each sees
/// the samples taken since it began.
pub(crate) struct Sampling {
    base: Vec<u64>,
    base_dropped: u64,
    hz: u32,
}

/// Why a session could not sample.
pub(crate) type Unavailable = String;

struct Session {
    users: usize,
    hz: u32,
    #[cfg(target_os = "linux")]
    controller: Option<imp::Controller>,
}

static SESSION: Mutex<Session> = Mutex::new(Session {
    users: 0,
    hz: 0,
    #[cfg(target_os = "linux")]
    controller: None,
});

fn lock_session() -> std::sync::MutexGuard<'static, Session> {
    SESSION.lock().unwrap_or_else(|e| e.into_inner())
}

impl Sampling {
    /// Starts sampling (or joins the session running), or says why it
    /// cannot.
    pub(crate) fn start() -> Result<Sampling, Unavailable> {
        let _not_counted = crate::engine::counters::Reentrant::enter();
        // The lock serializes sessions starting and ending; neither the
        // signal handler nor the allocator ever takes it.
        let mut s = lock_session();
        #[cfg(target_os = "linux")]
        if s.users > 0 && s.controller.as_ref().is_some_and(imp::Controller::is_stale) {
            // A forked child inherited a session whose timers and
            // controller stayed in the parent: start its own, shared by
            // the inherited sessions until the last one ends.
            let hz = s.hz;
            if let Some(c) = s.controller.take() {
                imp::end(c);
            }
            s.controller = Some(imp::begin(hz)?);
        }
        if s.users == 0 {
            let hz = RATE.load(Ordering::Relaxed);
            if hz == 0 {
                return Err("CPU sampling is off (set_cpu_profile_rate(0))".into());
            }
            #[cfg(target_os = "linux")]
            {
                s.controller = Some(imp::begin(hz)?);
                s.hz = hz;
            }
            #[cfg(not(target_os = "linux"))]
            {
                return Err("no per-thread CPU timers on this platform".into());
            }
        }
        s.users += 1;
        let hz = s.hz;
        drop(s);
        let base = imp_counts();
        Ok(Sampling {
            base,
            base_dropped: dropped_total(),
            hz,
        })
    }

    /// The rate the session samples at.
    pub(crate) fn hz(&self) -> u32 {
        self.hz
    }

    /// Nanoseconds of CPU one sample stands for.
    pub(crate) fn period_ns(&self) -> i64 {
        1_000_000_000 / i64::from(self.hz.max(1))
    }

    /// The samples taken since the session began.
    pub(crate) fn samples(&self) -> Vec<CpuSample> {
        #[cfg(target_os = "linux")]
        {
            imp::samples(&self.base)
        }
        #[cfg(not(target_os = "linux"))]
        {
            Vec::new()
        }
    }

    /// Samples lost since the session began (the table was full).
    pub(crate) fn dropped(&self) -> u64 {
        dropped_total().saturating_sub(self.base_dropped)
    }
}

impl Drop for Sampling {
    fn drop(&mut self) {
        let _not_counted = crate::engine::counters::Reentrant::enter();
        let mut s = lock_session();
        s.users -= 1;
        if s.users == 0 {
            #[cfg(target_os = "linux")]
            if let Some(c) = s.controller.take() {
                imp::end(c);
            }
        }
    }
}

fn imp_counts() -> Vec<u64> {
    #[cfg(target_os = "linux")]
    {
        imp::counts()
    }
    #[cfg(not(target_os = "linux"))]
    {
        Vec::new()
    }
}

/// Samples that found no room in the table, since the process started.
static DROPPED: AtomicU64 = AtomicU64::new(0);
/// Threads given a timer in the running session.
static TIMED_THREADS: AtomicUsize = AtomicUsize::new(0);
/// Whether the handler records (a session runs).
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// Handlers running now (a session ends only when none is).
static IN_HANDLER: AtomicUsize = AtomicUsize::new(0);

fn dropped_total() -> u64 {
    DROPPED.load(Ordering::Relaxed)
}

/// Threads that had a CPU timer in the current or last session.
pub(crate) fn timed_threads() -> usize {
    TIMED_THREADS.load(Ordering::Relaxed)
}

#[cfg(target_os = "linux")]
mod imp {
    use super::{CpuSample, ACTIVE, CPU_DEPTH, DROPPED, IN_HANDLER, TIMED_THREADS};
    use crate::engine::tree::{self, State, Tree};
    use crate::profiles::unwind;
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, Ordering};
    use std::sync::Arc;

    /// Distinct (thread, call path, native stack) records the table holds;
    /// a sample of a new stack past that is counted at its call path alone
    /// (or, failing that, as dropped).
    const CAPACITY: usize = 4096;
    /// Slots probed before giving up.
    const PROBES: usize = 64;

    const EMPTY: u8 = 0;
    const FILLING: u8 = 1;
    const READY: u8 = 2;

    /// Linux's `SIGEV_THREAD_ID`: deliver to one thread.
    const SIGEV_THREAD_ID: libc::c_int = 4;

    /// One slot of the table, filled from the signal handler without lock
    /// or allocation. All-zero is a valid empty slot.
    struct Record {
        state: AtomicU8,
        hash: AtomicU64,
        tree: AtomicPtr<Tree>,
        tree_id: AtomicU64,
        node: AtomicU32,
        len: AtomicU32,
        pcs: [std::sync::atomic::AtomicUsize; CPU_DEPTH],
        count: AtomicU64,
    }

    /// The table: allocated zeroed from the system allocator by the first
    /// session, in normal context; never freed.
    static TABLE: AtomicPtr<Record> = AtomicPtr::new(std::ptr::null_mut());

    fn table() -> Option<&'static [Record]> {
        let p = TABLE.load(Ordering::Acquire);
        if p.is_null() {
            return None;
        }
        // SAFETY: TABLE is set once to a zeroed allocation of CAPACITY
        // records (all-zero is a valid empty Record) and never freed.
        Some(unsafe { std::slice::from_raw_parts(p, CAPACITY) })
    }

    fn ensure_table() -> Result<&'static [Record], String> {
        if let Some(t) = table() {
            return Ok(t);
        }
        let layout = Layout::array::<Record>(CAPACITY).map_err(|e| e.to_string())?;
        // SAFETY: non-zero size; the system allocator never recurses into
        // the global one.
        let p = unsafe { System.alloc_zeroed(layout) } as *mut Record;
        if p.is_null() {
            return Err("no memory for the CPU sample table".into());
        }
        if TABLE
            .compare_exchange(std::ptr::null_mut(), p, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            // SAFETY: allocated above with this layout, never shared.
            unsafe { System.dealloc(p as *mut u8, layout) };
        }
        table().ok_or_else(|| "no CPU sample table".into())
    }

    /// Whether our handler is installed (it stays installed: a SIGPROF
    /// still pending when a session ends must not kill the process).
    static INSTALLED: AtomicBool = AtomicBool::new(false);

    fn install_handler() -> Result<(), String> {
        if INSTALLED.load(Ordering::Acquire) {
            return Ok(());
        }
        // SAFETY: sigaction with a zeroed, then filled, struct; the old
        // action is read into a local.
        unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(libc::SIGPROF, std::ptr::null(), &mut old) != 0 {
                return Err(format!(
                    "cannot read the SIGPROF action: {}",
                    std::io::Error::last_os_error()
                ));
            }
            if old.sa_sigaction != libc::SIG_DFL && old.sa_sigaction != libc::SIG_IGN {
                return Err("SIGPROF already has a handler (another profiler?)".into());
            }
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_sigprof as *const () as usize;
            sa.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART | libc::SA_ONSTACK;
            libc::sigemptyset(&mut sa.sa_mask);
            if libc::sigaction(libc::SIGPROF, &sa, std::ptr::null_mut()) != 0 {
                return Err(format!(
                    "cannot install the SIGPROF handler: {}",
                    std::io::Error::last_os_error()
                ));
            }
        }
        INSTALLED.store(true, Ordering::Release);
        Ok(())
    }

    /// Begins a session: table cleared, handler installed, controller
    /// started.
    pub(super) fn begin(hz: u32) -> Result<Controller, String> {
        let table = ensure_table()?;
        install_handler()?;
        // No session runs and no handler is inside the table (the last
        // session waited for them): clear it.
        for r in table {
            r.state.store(EMPTY, Ordering::Relaxed);
            r.count.store(0, Ordering::Relaxed);
        }
        unwind::refresh_text();
        TIMED_THREADS.store(0, Ordering::Relaxed);
        ACTIVE.store(true, Ordering::SeqCst);
        let stop = Arc::new(AtomicBool::new(false));
        let period = std::time::Duration::from_nanos(1_000_000_000 / u64::from(hz.max(1)));
        let s2 = Arc::clone(&stop);
        let handle = std::thread::Builder::new()
            .name("inprof-cpu".into())
            .spawn(move || controller(period, &s2))
            .map_err(|e| {
                ACTIVE.store(false, Ordering::SeqCst);
                format!("cannot start the CPU sampler thread: {e}")
            })?;
        Ok(Controller {
            stop,
            handle,
            pid: std::process::id(),
        })
    }

    /// The controller of a session.
    pub(super) struct Controller {
        stop: Arc<AtomicBool>,
        handle: std::thread::JoinHandle<()>,
        /// The process that started it: a forked child has neither the
        /// controller thread nor the timers (POSIX timers are not
        /// inherited), so it must not wait for them.
        pid: u32,
    }

    impl Controller {
        /// Whether it was started by another process (this is a forked
        /// child of it).
        pub(super) fn is_stale(&self) -> bool {
            self.pid != std::process::id()
        }
    }

    /// Ends a session: no more recording, every timer deleted, and no
    /// handler left inside the table.
    pub(super) fn end(c: Controller) {
        ACTIVE.store(false, Ordering::SeqCst);
        c.stop.store(true, Ordering::SeqCst);
        if c.is_stale() {
            // A forked child: the controller thread exists only in the
            // parent, and joining it here would wait forever; so would
            // waiting for handlers that parent threads were inside at the
            // fork (this thread is the only one here, and in none).
            std::mem::forget(c.handle);
            IN_HANDLER.store(0, Ordering::SeqCst);
        } else {
            c.handle.thread().unpark();
            let _ = c.handle.join();
        }
        while IN_HANDLER.load(Ordering::SeqCst) != 0 {
            std::thread::yield_now();
        }
    }

    /// The kernel's CPU clock of thread `tid` (glibc's
    /// `pthread_getcpuclockid`: `MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED)`).
    fn thread_cpu_clock(tid: i32) -> libc::clockid_t {
        ((!tid) << 3) | 6
    }

    /// A timer on thread `tid`'s CPU clock that sends it SIGPROF every
    /// `period` of its CPU time, carrying `tree`. Raw system calls: the C
    /// library's wrappers may allocate.
    fn create_timer(
        tid: i32,
        tree: *const Tree,
        period: std::time::Duration,
        seed: u64,
    ) -> Option<i32> {
        // SAFETY: a zeroed sigevent is valid; the kernel reads it and
        // writes the timer id into a local.
        unsafe {
            let mut sev: libc::sigevent = std::mem::zeroed();
            sev.sigev_notify = SIGEV_THREAD_ID;
            sev.sigev_signo = libc::SIGPROF;
            sev.sigev_notify_thread_id = tid;
            sev.sigev_value = libc::sigval {
                sival_ptr: tree as *mut libc::c_void,
            };
            let mut id: libc::c_int = 0;
            let r = libc::syscall(
                libc::SYS_timer_create,
                thread_cpu_clock(tid),
                &mut sev as *mut libc::sigevent,
                &mut id as *mut libc::c_int,
            );
            if r != 0 {
                return None;
            }
            let ns = period.as_nanos() as i64;
            // The first expiry at a random point of the first period, so
            // that threads started together are not sampled in step.
            let first = 1 + (seed % ns.max(1) as u64) as i64;
            let spec = libc::itimerspec {
                it_interval: libc::timespec {
                    tv_sec: ns / 1_000_000_000,
                    tv_nsec: ns % 1_000_000_000,
                },
                it_value: libc::timespec {
                    tv_sec: first / 1_000_000_000,
                    tv_nsec: first % 1_000_000_000,
                },
            };
            let r = libc::syscall(
                libc::SYS_timer_settime,
                id,
                0,
                &spec as *const libc::itimerspec,
                std::ptr::null_mut::<libc::itimerspec>(),
            );
            if r != 0 {
                delete_timer(id);
                return None;
            }
            Some(id)
        }
    }

    fn delete_timer(id: i32) {
        // SAFETY: deletes a timer this module created; an id already gone
        // makes the call fail harmlessly.
        unsafe { libc::syscall(libc::SYS_timer_delete, id) };
    }

    /// Keeps one timer on every live thread inprof knows, until stopped.
    fn controller(period: std::time::Duration, stop: &AtomicBool) {
        crate::engine::tree::mark_internal();
        // tree address -> (tree id, timer id; -1 if none could be made)
        let mut timers: HashMap<usize, (u64, i32)> = HashMap::new();
        let mut seed = crate::engine::clock::ticks() | 1;
        while !stop.load(Ordering::SeqCst) {
            {
                let lock = crate::engine::fold::read();
                let mut live: Vec<(usize, u64, i32)> = Vec::new();
                for t in tree::trees(&lock) {
                    if t.state() == State::Live && !t.is_internal() && t.os_tid() != 0 {
                        live.push((t as *const Tree as usize, t.id(), t.os_tid() as i32));
                    }
                }
                drop(lock);
                timers.retain(|addr, (id, timer)| {
                    let keep = live.iter().any(|(a, i, _)| a == addr && i == id);
                    if !keep && *timer >= 0 {
                        delete_timer(*timer);
                    }
                    keep
                });
                for (addr, id, tid) in live {
                    timers.entry(addr).or_insert_with(|| {
                        // xorshift for the first expiry's offset.
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        let timer =
                            create_timer(tid, addr as *const Tree, period, seed).unwrap_or(-1);
                        if timer >= 0 {
                            TIMED_THREADS.fetch_add(1, Ordering::Relaxed);
                        }
                        (id, timer)
                    });
                }
            }
            std::thread::park_timeout(std::time::Duration::from_millis(10));
        }
        for (_, (_, timer)) in timers {
            if timer >= 0 {
                delete_timer(timer);
            }
        }
    }

    fn hash_of(tree: usize, id: u64, node: u32, pcs: &[usize]) -> u64 {
        // FNV-1a over the words: no allocation, deterministic.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for w in [tree as u64, id, u64::from(node)]
            .into_iter()
            .chain(pcs.iter().map(|&p| p as u64))
        {
            h ^= w;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h | 1
    }

    /// Counts one sample of (tree, node, pcs) in the table; false if no
    /// slot could be had. Lock-free, allocation-free.
    fn count(table: &[Record], tree: &Tree, node: u32, pcs: &[usize], samples: u64) -> bool {
        let tp = tree as *const Tree as usize;
        let id = tree.id();
        let h = hash_of(tp, id, node, pcs);
        let start = (h as usize) % CAPACITY;
        for k in 0..PROBES {
            let r = &table[(start + k) % CAPACITY];
            let mut st = r.state.load(Ordering::Acquire);
            if st == EMPTY {
                match r
                    .state
                    .compare_exchange(EMPTY, FILLING, Ordering::Acquire, Ordering::Acquire)
                {
                    Ok(_) => {
                        r.hash.store(h, Ordering::Relaxed);
                        r.tree.store(tp as *mut Tree, Ordering::Relaxed);
                        r.tree_id.store(id, Ordering::Relaxed);
                        r.node.store(node, Ordering::Relaxed);
                        for (slot, pc) in r.pcs.iter().zip(pcs) {
                            slot.store(*pc, Ordering::Relaxed);
                        }
                        r.len.store(pcs.len() as u32, Ordering::Relaxed);
                        r.state.store(READY, Ordering::Release);
                        st = READY;
                    }
                    Err(now) => st = now,
                }
            }
            if st == READY
                && r.hash.load(Ordering::Relaxed) == h
                && r.tree.load(Ordering::Relaxed) as usize == tp
                && r.tree_id.load(Ordering::Relaxed) == id
                && r.node.load(Ordering::Relaxed) == node
                && r.len.load(Ordering::Relaxed) as usize == pcs.len()
                && r.pcs[..pcs.len()]
                    .iter()
                    .zip(pcs)
                    .all(|(a, b)| a.load(Ordering::Relaxed) == *b)
            {
                r.count.fetch_add(samples, Ordering::Relaxed);
                return true;
            }
        }
        false
    }

    /// The interrupted (pc, sp, fp) from a signal's context.
    ///
    /// # Safety
    /// `ctx` is the `ucontext_t` the kernel passed to an SA_SIGINFO handler.
    unsafe fn registers(ctx: *const libc::c_void) -> (usize, usize, usize) {
        // SAFETY: per the function's contract.
        let uc = unsafe { &*(ctx as *const libc::ucontext_t) };
        #[cfg(target_arch = "x86_64")]
        {
            let g = &uc.uc_mcontext.gregs;
            (
                g[libc::REG_RIP as usize] as usize,
                g[libc::REG_RSP as usize] as usize,
                g[libc::REG_RBP as usize] as usize,
            )
        }
        #[cfg(target_arch = "aarch64")]
        {
            let m = &uc.uc_mcontext;
            (m.pc as usize, m.sp as usize, m.regs[29] as usize)
        }
        #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
        {
            let _ = uc;
            (0, 0, 0)
        }
    }

    /// The SIGPROF handler.
    extern "C" fn on_sigprof(
        _sig: libc::c_int,
        info: *mut libc::siginfo_t,
        ctx: *mut libc::c_void,
    ) {
        // SAFETY: __errno_location returns this thread's errno slot; it is
        // saved and restored so the interrupted code never sees a change.
        let errno = unsafe { *libc::__errno_location() };
        IN_HANDLER.fetch_add(1, Ordering::SeqCst);
        if ACTIVE.load(Ordering::SeqCst) {
            // SAFETY: the kernel passes a valid siginfo and ucontext to an
            // SA_SIGINFO handler.
            unsafe { record(info, ctx) };
        }
        IN_HANDLER.fetch_sub(1, Ordering::SeqCst);
        // SAFETY: as above.
        unsafe { *libc::__errno_location() = errno };
    }

    /// Records one sample for the interrupted thread.
    ///
    /// # Safety
    /// `info` and `ctx` are what the kernel passed to the handler.
    unsafe fn record(info: *const libc::siginfo_t, ctx: *const libc::c_void) {
        // SAFETY: per the function's contract.
        let info = unsafe { &*info };
        if info.si_code != libc::SI_TIMER {
            // Not one of our timers (someone's kill or setitimer).
            return;
        }
        // SAFETY: a timer's siginfo carries the sigval it was created with.
        let tree = unsafe { info.si_value().sival_ptr } as *const Tree;
        let Some(table) = super::imp::table() else {
            return;
        };
        if tree.is_null() {
            return;
        }
        // SAFETY: trees are never freed; the timer carries the address of
        // a registered tree.
        let tree = unsafe { &*tree };
        // inprof itself at work on this thread (building or writing a
        // profile): not the program's CPU, as its memory is not the
        // program's heap. The flag is a const-initialized thread-local
        // `Cell<bool>` without a destructor: reading it is one TLS load,
        // no lazy initialization, safe in a signal handler.
        if crate::engine::counters::Reentrant::active() {
            return;
        }
        // SAFETY: gettid has no preconditions and is async-signal-safe.
        let tid = unsafe { libc::syscall(libc::SYS_gettid) } as u64;
        if tree.os_tid() != tid || tree.state() != State::Live {
            // The tree was handed to another thread since: not ours.
            return;
        }
        // SAFETY: ctx is the handler's ucontext.
        let (pc, sp, fp) = unsafe { registers(ctx) };
        let node = tree.current_idx();
        let frame_sp = tree.frame_sp();
        let mut pcs = [0usize; CPU_DEPTH];
        let mut n = 0;
        // At or above the annotated frame's stack pointer, the thread is
        // in that function itself: the call path says it all.
        if pc != 0 && sp < frame_sp {
            let bounds = unwind::Bounds {
                lo: sp,
                hi: tree.stack_hi(),
            };
            pcs[0] = pc;
            n = 1;
            // Interrupted before its frame is set up or after it is torn
            // down, a function's caller is not in the frame-pointer chain:
            // its return address is on the stack top.
            if let Some(ret) = unwind::frameless_return(pc, sp, bounds) {
                pcs[1] = ret;
                n = 2;
            }
            n += unwind::walk(fp, bounds, frame_sp, &mut pcs[n..]);
        }
        // The kernel checks CPU timers once per scheduler tick: periods
        // shorter than a tick expire several times per signal, and the
        // signal says how many more (`si_overrun`). Each is a sample.
        // SAFETY: a timer's siginfo carries its overrun count.
        let samples = 1 + u64::from(unsafe { info.si_overrun() }.max(0) as u32);
        if !count(table, tree, node, &pcs[..n], samples)
            && (n == 0 || !count(table, tree, node, &[], samples))
        {
            DROPPED.fetch_add(samples, Ordering::Relaxed);
        }
    }

    /// Every slot's count now (what a session subtracts at its end).
    pub(super) fn counts() -> Vec<u64> {
        match table() {
            Some(t) => t
                .iter()
                .map(|r| {
                    if r.state.load(Ordering::Acquire) == READY {
                        r.count.load(Ordering::Relaxed)
                    } else {
                        0
                    }
                })
                .collect(),
            None => Vec::new(),
        }
    }

    /// The samples counted since `base` (from [`counts`]).
    pub(super) fn samples(base: &[u64]) -> Vec<CpuSample> {
        let Some(table) = table() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, r) in table.iter().enumerate() {
            if r.state.load(Ordering::Acquire) != READY {
                continue;
            }
            let c = r
                .count
                .load(Ordering::Relaxed)
                .saturating_sub(base.get(i).copied().unwrap_or(0));
            if c == 0 {
                continue;
            }
            let n = (r.len.load(Ordering::Relaxed) as usize).min(CPU_DEPTH);
            out.push(CpuSample {
                tree: r.tree.load(Ordering::Relaxed) as usize,
                tree_id: r.tree_id.load(Ordering::Relaxed),
                node: r.node.load(Ordering::Relaxed),
                pcs: r.pcs[..n]
                    .iter()
                    .map(|p| p.load(Ordering::Relaxed))
                    .collect(),
                count: c,
            });
        }
        out
    }
}
