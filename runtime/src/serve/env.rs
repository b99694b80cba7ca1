//! Profiles from the environment, with no code change beyond annotations
//! (like `go test -cpuprofile cpu.out -memprofile mem.out`):
//!
//! | variable | effect |
//! |---|---|
//! | `INPROF_CPUPROFILE=FILE` | the time profile of the whole run, written at exit |
//! | `INPROF_MEMPROFILE=FILE` | the heap profile, written at exit |
//! | `INPROF_ALLOCSPROFILE=FILE` | the allocs profile, written at exit |
//! | `INPROF_BLOCKPROFILE=FILE` | block profile rate 1, profile written at exit |
//! | `INPROF_MUTEXPROFILE=FILE` | mutex profile fraction 1, profile written at exit |
//! | `INPROF_THREADCREATEPROFILE=FILE` | the threadcreate profile, written at exit |
//! | `INPROF_TASKCREATEPROFILE=FILE` | the taskcreate profile, written at exit |
//! | `INPROF_HTTP=127.0.0.1:6060` | serve the pprof endpoint there |
//! | `INPROF_AGENT=1` | start the agent (found by `inprof ps`) |
//! | `INPROF_ADAPTIVE=0` | no demotion: every instrumented call is timed |
//! | `INPROF_DEMOTE_NS=N` | demote functions whose calls take under N ns on average |
//! | `INPROF_DEMOTED=FILE` | at exit, add the demoted functions to FILE; a build with the same variable compiles them without instrumentation |
//!
//! A switch (`INPROF_AGENT`, `INPROF_ADAPTIVE`) is `1`, `on`, `true`,
//! `yes` or `0`, `off`, `false`, `no`; another value, or an
//! `INPROF_DEMOTE_NS` that is not a whole number, is reported on stderr
//! and ignored (the default stays: no agent, adaptation on).
//!
//! In a FILE, `%p` becomes the process id and `%e` the executable's name
//! (under `cargo test`, a FILE with neither gets `-%e` before its
//! extension: one file per test binary),
//! so that every process of a run keeps its own profile
//! (`INPROF_CPUPROFILE=cpu-%e.pb.gz cargo test`: one file per test binary).
//!
//! The profile files and rates are read when inprof is first used (the
//! first allocation through `inprof::Alloc`, instrumented call or API call
//! of any thread); the servers start at the first instrumented call or API
//! call.
//!
//! Files are written when the process exits normally (returning from
//! `main`, `std::process::exit`, a test harness finishing), and when it is
//! stopped by SIGTERM or SIGINT (as Kubernetes and Ctrl-C stop programs):
//! the profiles are written, then the signal's default action runs, so
//! the process still ends by that signal. inprof takes a signal only if
//! the program has not set its own handler for it before inprof's first
//! use; a program that handles them itself and then exits normally gets
//! its files written at that exit. Only the process that read the
//! variables writes them (a forked child that exits does not overwrite its
//! parent's files). They are created readable by this user only, never
//! through a symlink (see [`files`](crate::serve::files)).
//!
//! A profile that cannot be written is reported on stderr, and a process
//! that was exiting with status 0 exits with status 2 instead (on glibc),
//! so that a CI job notices.

use crate::engine::start::Trigger;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};
use std::sync::Once;

const FILES: &[(&str, &str)] = &[
    ("INPROF_CPUPROFILE", "time"),
    ("INPROF_MEMPROFILE", "heap"),
    ("INPROF_ALLOCSPROFILE", "allocs"),
    ("INPROF_BLOCKPROFILE", "block"),
    ("INPROF_MUTEXPROFILE", "mutex"),
    ("INPROF_THREADCREATEPROFILE", "threadcreate"),
    ("INPROF_TASKCREATEPROFILE", "taskcreate"),
];

/// Installs the engine's start-up hook when the program is loaded, so
/// that the first use of inprof (an instrumented call, an allocation
/// through `inprof::Alloc`, a profile API) reads the environment. Storing
/// a function pointer is all it does before `main`.
#[ctor::ctor(unsafe)]
fn install_start_hook() {
    crate::engine::start::install(on_start);
}

/// The start-up hook: the profile files and rates at any first use; the
/// servers only outside the allocator.
fn on_start(trigger: Trigger) {
    init_files_once();
    if trigger == Trigger::Use {
        init_servers_once();
    }
}

static FILES_INIT: Once = Once::new();
static SERVERS_INIT: Once = Once::new();
static HOOK: Once = Once::new();
/// The process that read the `INPROF_*PROFILE` variables (0: none yet).
static OWNER_PID: AtomicU32 = AtomicU32::new(0);
/// Set once the profiles have been written (at exit or on a signal); held
/// while they are written, so that an exit during a signal's writing waits
/// for the files to be complete.
static WRITTEN: std::sync::Mutex<bool> = std::sync::Mutex::new(false);

/// Reads the profile files and rates from the environment once.
fn init_files_once() {
    FILES_INIT.call_once(|| {
        let any_file = FILES.iter().any(|(v, _)| std::env::var_os(v).is_some());
        if std::env::var_os("INPROF_BLOCKPROFILE").is_some()
            && crate::profiles::contention::block_profile_rate() == 0
        {
            crate::profiles::contention::set_block_profile_rate(1);
        }
        if std::env::var_os("INPROF_MUTEXPROFILE").is_some()
            && crate::profiles::contention::mutex_profile_fraction() == 0
        {
            crate::profiles::contention::set_mutex_profile_fraction(1);
        }
        if std::env::var_os("INPROF_CPUPROFILE").is_some() {
            // A whole-run time profile: time is recorded from the start.
            crate::profiles::time::set_time_recording(true);
        }
        if flag("INPROF_ADAPTIVE") == Some(false) {
            crate::engine::mode::set_adaptive(false);
        }
        if let Ok(v) = std::env::var("INPROF_DEMOTE_NS") {
            match parse_nanos(&v) {
                Ok(ns) => crate::engine::mode::set_demote_threshold(Some(
                    std::time::Duration::from_nanos(ns),
                )),
                Err(e) => eprintln!("inprof: INPROF_DEMOTE_NS={v}: {e}; ignored"),
            }
        }
        if std::env::var_os("INPROF_DEMOTED").is_some() {
            register_exit_hook();
        }
        if any_file {
            OWNER_PID.store(std::process::id(), Ordering::Relaxed);
            register_exit_hook();
            signals::install();
        }
    });
}

/// Starts the endpoint and the agent named in the environment once.
fn init_servers_once() {
    SERVERS_INIT.call_once(|| {
        if let Ok(addr) = std::env::var("INPROF_HTTP") {
            match crate::serve::http::serve(addr.as_str()) {
                Ok(s) => {
                    eprintln!("inprof: serving /debug/pprof/ on http://{}", s.local_addr());
                    std::mem::forget(s);
                }
                Err(e) => eprintln!("inprof: INPROF_HTTP={addr}: {e}"),
            }
        }
        if flag("INPROF_AGENT") == Some(true) {
            match crate::serve::agent::listen(Default::default()) {
                Ok(a) => std::mem::forget(a),
                Err(e) => eprintln!("inprof: INPROF_AGENT: {e}"),
            }
        }
    });
}

/// A switch's value: `1`, `on`, `true`, `yes` and `0`, `off`, `false`,
/// `no` (any case, around spaces); anything else is an error.
fn parse_flag(v: &str) -> Result<bool, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "on" | "true" | "yes" => Ok(true),
        "0" | "off" | "false" | "no" => Ok(false),
        _ => Err("not a switch (1, on, true, yes or 0, off, false, no)".to_owned()),
    }
}

/// The switch in variable `name`: `None` if unset, or set to something
/// that is not a switch (said on stderr: the default is kept, so that a
/// typo never turns on what was meant to be off).
fn flag(name: &str) -> Option<bool> {
    let v = std::env::var(name).ok()?;
    match parse_flag(&v) {
        Ok(b) => Some(b),
        Err(e) => {
            eprintln!("inprof: {name}={v}: {e}; ignored");
            None
        }
    }
}

/// A count of nanoseconds (digits, around spaces).
fn parse_nanos(v: &str) -> Result<u64, String> {
    v.trim()
        .parse::<u64>()
        .map_err(|_| "not a whole number of nanoseconds".to_owned())
}

/// Registers the process-exit hook once.
pub(crate) fn register_exit_hook() {
    HOOK.call_once(|| {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        {
            extern "C" {
                fn on_exit(
                    cb: extern "C" fn(std::os::raw::c_int, *mut std::os::raw::c_void),
                    arg: *mut std::os::raw::c_void,
                ) -> std::os::raw::c_int;
            }
            // SAFETY: glibc's `on_exit` takes a function of (status, arg)
            // and an argument it passes back; `at_exit_status` never
            // unwinds (it catches panics) and ignores the argument.
            unsafe {
                on_exit(at_exit_status, std::ptr::null_mut());
            }
        }
        #[cfg(all(unix, not(all(target_os = "linux", target_env = "gnu"))))]
        {
            extern "C" {
                fn atexit(cb: extern "C" fn()) -> std::os::raw::c_int;
            }
            // SAFETY: `atexit` takes a plain function pointer with no
            // arguments; `at_exit` never unwinds (it catches panics).
            unsafe {
                atexit(at_exit);
            }
        }
    });
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
extern "C" fn at_exit_status(status: std::os::raw::c_int, _: *mut std::os::raw::c_void) {
    let ok = std::panic::catch_unwind(exit_work).unwrap_or(false);
    if !ok && status == 0 {
        // SAFETY: flushes the C library's streams, then ends the process
        // with status 2 at once (the profile could not be written).
        unsafe {
            libc::fflush(std::ptr::null_mut());
            libc::_exit(2);
        }
    }
}

#[cfg(all(unix, not(all(target_os = "linux", target_env = "gnu"))))]
extern "C" fn at_exit() {
    let _ = std::panic::catch_unwind(exit_work);
}

/// At exit: the profiles, the demoted list and the agent's port file.
/// False if a profile could not be written.
fn exit_work() -> bool {
    let ok = write_owned_profiles();
    write_demoted_list();
    crate::serve::agent::cleanup();
    ok
}

/// With `INPROF_DEMOTED=FILE`: adds the functions demoted in this run to
/// FILE (`FILE:LINE NAME` lines), which a build with the same variable
/// reads to compile them without instrumentation.
pub fn write_demoted_list() {
    let Some(path) = std::env::var_os("INPROF_DEMOTED") else {
        return;
    };
    let path = std::path::PathBuf::from(path);
    let mut lines: std::collections::BTreeSet<String> = std::fs::read_to_string(&path)
        .map(|t| t.lines().map(str::to_owned).collect())
        .unwrap_or_default();
    let before = lines.len();
    for d in crate::engine::mode::demoted() {
        if !d.file.is_empty() {
            lines.insert(format!("{}:{} {}", d.file, d.line, d.name));
        }
    }
    if lines.len() == before {
        return;
    }
    let mut text = lines.into_iter().collect::<Vec<_>>().join("\n");
    text.push('\n');
    if let Err(e) = crate::serve::files::write_private(&path, text.as_bytes()) {
        eprintln!("inprof: INPROF_DEMOTED={}: {e}", path.display());
    }
}

/// Writes the profiles once, in the process that read the variables.
fn write_owned_profiles() -> bool {
    if OWNER_PID.load(Ordering::Relaxed) != std::process::id() {
        return true;
    }
    let mut written = WRITTEN.lock().unwrap_or_else(|e| e.into_inner());
    if *written {
        return true;
    }
    *written = true;
    write_env_profiles()
}

/// The path named by a variable, with `%p` (process id) and `%e` (the
/// executable's file name) replaced.
///
/// Under `cargo test` (a test harness: an executable in a `deps`
/// directory named `NAME-HASH`, or a doctest) a path without `%p` or `%e`
/// gets `-%e` before its extension, so that each test binary writes its
/// own file instead of the last one overwriting the others
/// (`cpu.pb.gz` → `cpu-mytests-0123abcd.pb.gz`).
fn expand(path: &std::ffi::OsStr) -> PathBuf {
    let Some(s) = path.to_str() else {
        return PathBuf::from(path);
    };
    let exe_path = std::env::current_exe().ok();
    let exe = exe_path
        .as_ref()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "inprof".into());
    let mut s = s.to_owned();
    if !s.contains("%p") && !s.contains("%e") && exe_path.as_deref().is_some_and(is_test_harness) {
        let name_at = s.rfind('/').map_or(0, |i| i + 1);
        let ext_at = s[name_at..].find('.').map_or(s.len(), |i| name_at + i);
        s.insert_str(ext_at, "-%e");
    }
    if !s.contains('%') {
        return PathBuf::from(s);
    }
    PathBuf::from(
        s.replace("%p", &std::process::id().to_string())
            .replace("%e", &exe),
    )
}

/// Whether `exe` looks like a `cargo test` harness: `target/.../deps/
/// NAME-HASH` (16 hex digits), or a doctest (rustdoc's `rust_out`).
fn is_test_harness(exe: &std::path::Path) -> bool {
    let name = exe.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let in_deps = exe
        .parent()
        .and_then(|d| d.file_name())
        .is_some_and(|d| d == "deps");
    let hashed = name
        .rsplit_once('-')
        .is_some_and(|(_, h)| h.len() == 16 && h.chars().all(|c| c.is_ascii_hexdigit()));
    (in_deps && hashed) || name == "rust_out"
}

/// Writes every profile named by an `INPROF_*PROFILE` variable now.
/// Returns false (after saying why on stderr) if one could not be written.
pub fn write_env_profiles() -> bool {
    let mut ok = true;
    for (var, name) in FILES {
        let Some(path) = std::env::var_os(var) else {
            continue;
        };
        let path = expand(&path);
        let r = crate::serve::files::PrivateFile::create(&path)
            .map_err(crate::Error::from)
            .and_then(|mut f| {
                if *name == "time" {
                    crate::profiles::time::write_time_profile(&mut f)?;
                } else if let Some(p) = crate::profiles::named::lookup(name) {
                    p.write_to(&mut f, 0)?;
                }
                f.commit().map_err(crate::Error::from)
            });
        if let Err(e) = r {
            eprintln!("inprof: {var}={}: {e}", path.display());
            ok = false;
        }
    }
    ok
}

/// SIGTERM and SIGINT: the profiles, then the signal's default action.
#[cfg(not(target_os = "linux"))]
mod signals {
    /// Not taken on this platform: profiles are written at normal exit.
    pub(super) fn install() {}
}

/// SIGTERM and SIGINT: the profiles, then the signal's default action.
#[cfg(target_os = "linux")]
mod signals {
    use super::*;

    /// The write end of the pipe the handler writes the signal number to.
    static PIPE_W: AtomicI32 = AtomicI32::new(-1);

    const SIGNALS: [libc::c_int; 2] = [libc::SIGTERM, libc::SIGINT];

    /// The handler: one write to a pipe (async-signal-safe: no lock, no
    /// allocation); a thread does the rest.
    extern "C" fn on_signal(sig: libc::c_int) {
        let fd = PIPE_W.load(Ordering::Relaxed);
        if fd >= 0 {
            let b = sig as u8;
            // SAFETY: write(2) is async-signal-safe; `b` is a local byte.
            unsafe { libc::write(fd, (&b as *const u8).cast(), 1) };
        }
    }

    /// Takes SIGTERM and SIGINT where the program left their default
    /// action, and starts the thread that writes the profiles.
    pub(super) fn install() {
        let mut fds = [-1; 2];
        // SAFETY: `fds` has room for the two descriptors pipe2 returns.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            return;
        }
        let (r, w) = (fds[0], fds[1]);
        let watcher = std::thread::Builder::new()
            .name("inprof-signals".into())
            .spawn(move || {
                crate::engine::tree::mark_internal();
                watch(r)
            });
        if watcher.is_err() {
            // SAFETY: closing the two descriptors made above.
            unsafe {
                libc::close(r);
                libc::close(w);
            }
            return;
        }
        PIPE_W.store(w, Ordering::Relaxed);
        for sig in SIGNALS {
            // SAFETY: `old` and `new` are fully initialized sigaction
            // structs; the new handler only calls write(2).
            unsafe {
                let mut old: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(sig, std::ptr::null(), &mut old) != 0
                    || old.sa_sigaction != libc::SIG_DFL
                {
                    // The program handles it (or ignores it): leave it.
                    continue;
                }
                let mut new: libc::sigaction = std::mem::zeroed();
                new.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
                new.sa_flags = libc::SA_RESTART;
                libc::sigemptyset(&mut new.sa_mask);
                libc::sigaction(sig, &new, std::ptr::null_mut());
            }
        }
    }

    fn watch(r: libc::c_int) {
        let mut b = 0u8;
        loop {
            // SAFETY: reads one byte into a local.
            let n = unsafe { libc::read(r, (&mut b as *mut u8).cast(), 1) };
            if n == 1 {
                break;
            }
            if n == 0 {
                return;
            }
        }
        let sig = libc::c_int::from(b);
        let _ = std::panic::catch_unwind(write_owned_profiles);
        // SAFETY: puts back the default action and raises the signal again
        // for the whole process, which then ends as it would have.
        unsafe {
            let mut dfl: libc::sigaction = std::mem::zeroed();
            dfl.sa_sigaction = libc::SIG_DFL;
            libc::sigemptyset(&mut dfl.sa_mask);
            libc::sigaction(sig, &dfl, std::ptr::null_mut());
            libc::kill(libc::getpid(), sig);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switches_and_nanoseconds_parse_strictly() {
        for on in ["1", "on", "TRUE", " yes "] {
            assert_eq!(parse_flag(on), Ok(true), "{on}");
        }
        for off in ["0", "off", "False", "no"] {
            assert_eq!(parse_flag(off), Ok(false), "{off}");
        }
        // A typo is an error, not "on" (INPROF_AGENT=of used to start
        // the agent: any value but "" and "0" did).
        for bad in ["", "of", "2", "maybe", "enabled"] {
            let e = parse_flag(bad).unwrap_err();
            assert!(e.contains("not a switch"), "{bad}: {e}");
        }
        assert_eq!(parse_nanos(" 1500 "), Ok(1500));
        for bad in ["abc", "1.5", "-3", "", "1us"] {
            let e = parse_nanos(bad).unwrap_err();
            assert!(e.contains("nanoseconds"), "{bad}: {e}");
        }
    }
}
