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
//! | `INPROF_HTTP=127.0.0.1:6060` | serve the pprof endpoint there |
//! | `INPROF_AGENT=1` | start the agent (found by `inprof ps`) |
//!
//! The profile files and rates are read when inprof is first used (the
//! first allocation through `inprof::Alloc`, instrumented call or API call
//! of any thread); the servers start at the first instrumented call or API
//! call. Files are written when the
//! process exits normally: returning from `main`, `std::process::exit`, or
//! a test harness finishing; they are created readable by this user only.

use crate::engine::start::Trigger;
use std::sync::Once;

const FILES: &[(&str, &str)] = &[
    ("INPROF_CPUPROFILE", "time"),
    ("INPROF_MEMPROFILE", "heap"),
    ("INPROF_ALLOCSPROFILE", "allocs"),
    ("INPROF_BLOCKPROFILE", "block"),
    ("INPROF_MUTEXPROFILE", "mutex"),
    ("INPROF_THREADCREATEPROFILE", "threadcreate"),
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
        if any_file {
            register_exit_hook();
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
        if std::env::var("INPROF_AGENT").is_ok_and(|v| !v.is_empty() && v != "0") {
            match crate::serve::agent::listen(Default::default()) {
                Ok(a) => std::mem::forget(a),
                Err(e) => eprintln!("inprof: INPROF_AGENT: {e}"),
            }
        }
    });
}

/// Registers the process-exit hook once.
pub(crate) fn register_exit_hook() {
    HOOK.call_once(|| {
        #[cfg(unix)]
        {
            extern "C" {
                fn atexit(cb: extern "C" fn()) -> std::os::raw::c_int;
            }
            // SAFETY: `atexit` from the C library takes a plain function
            // pointer with no arguments; `at_exit` never unwinds (it
            // catches panics).
            unsafe {
                atexit(at_exit);
            }
        }
    });
}

extern "C" fn at_exit() {
    let _ = std::panic::catch_unwind(|| {
        write_env_profiles();
        crate::serve::agent::cleanup();
    });
}

/// Writes every profile named by an `INPROF_*PROFILE` variable now.
pub fn write_env_profiles() {
    for (var, name) in FILES {
        let Some(path) = std::env::var_os(var) else {
            continue;
        };
        let path = std::path::PathBuf::from(path);
        let r = crate::serve::files::open_private(&path)
            .map_err(crate::Error::from)
            .and_then(|f| {
                if *name == "time" {
                    crate::profiles::time::write_time_profile(f)
                } else {
                    match crate::profiles::named::lookup(name) {
                        Some(p) => p.write_to(f, 0),
                        None => Ok(()),
                    }
                }
            });
        if let Err(e) = r {
            eprintln!("inprof: {var}={}: {e}", path.display());
        }
    }
}
