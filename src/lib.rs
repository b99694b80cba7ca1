//! # inprof: exact, instrumented pprof profiles for Rust
//!
//! Annotate functions with [`#[inprof::profile]`](profile), and get Go's
//! pprof experience with numbers that are measured, not sampled: exact flat
//! and cum wall time and call counts per call path, written as real pprof
//! files that `go tool pprof` reads.
//!
//! ```no_run
//! #[inprof::profile]
//! fn parse(input: &str) -> usize {
//!     input.split_whitespace().count()
//! }
//!
//! fn main() -> std::io::Result<()> {
//!     let guard = inprof::start_cpu_profile(inprof::create_private_file("cpu.pb.gz")?)?;
//!     for _ in 0..1000 {
//!         parse("a b c");
//!     }
//!     guard.stop()?; // or inprof::stop_cpu_profile()?; or drop(guard)
//!     Ok(())
//! }
//! ```
//!
//! Then `go tool pprof -top cpu.pb.gz`.
//!
//! ## What an instrumented call costs
//!
//! Nothing when the `enable` feature is off (the item is returned
//! untouched). At run time, a call reads one byte first:
//!
//! - off ([`set_enabled`]`(false)`) or **demoted** (too short to time
//!   honestly, see below): one load and one predictable branch;
//! - tracking (the default, when no time profile is asked for): the call
//!   path is tracked and calls counted, so heap, block and mutex profiles
//!   attribute to it, but no clock is read;
//! - timing (while a time profile runs, or with `INPROF_CPUPROFILE` /
//!   [`set_time_recording`]): about the cost of two cycle-counter reads.
//!
//! **Adaptive instrumentation.** The first 256 calls of each call path are
//! timed; if their mean is under 64 times the cost of a timed call
//! ([`call_cost_ns`]), the function is demoted for good: its later calls
//! are neither timed nor counted, and their time stays in the caller, so
//! that a profile of everything keeps the proportions of the uninstrumented
//! program. [`demoted`] lists them, profiles name them in a comment
//! (`go tool pprof -top` shows it), `#[profile(always)]` keeps a function
//! timed, [`set_adaptive`] and [`set_demote_threshold`] change the rule. A
//! function that is sometimes short and sometimes long is judged by its
//! first 256 calls on one path. See the README for the measured figures.
//!
//! ## Names
//!
//! Frames are named as Rust writes them: `crate::module::function`;
//! `crate::module::Type::method`, per concrete `Self` type for generic
//! impls (`crate::Wrapper<u8>::get`); trait methods with their trait,
//! `<crate::S as core::fmt::Display>::fmt`, per implementing type for
//! default methods and blanket impls; items declared inside a function
//! under it (`crate::outer::Local::method`). A generic function's
//! instances share one frame. `#[profile(name = "...")]` overrides the
//! name.

pub use inprof_runtime::create_private_file;
pub use inprof_runtime::time::{begin_interval, Interval};
pub use inprof_runtime::{agent, channel, env, http, labels, sync, thread, threads};
pub use inprof_runtime::{
    block_profile_rate, mutex_profile_fraction, set_block_profile_rate, set_mutex_profile_fraction,
    with_labels,
};
pub use inprof_runtime::{
    call_cost_ns, demote_threshold_ns, demoted, enabled, set_adaptive, set_demote_threshold,
    set_time_recording, Demoted,
};
pub use inprof_runtime::{
    cpu_profile_rate, set_cpu_profile_rate, DEFAULT_CPU_PROFILE_RATE, MAX_CPU_PROFILE_RATE,
};
pub use inprof_runtime::{
    cpu_profile_running, set_enabled, set_max_depth, set_max_exited_threads, set_max_nodes,
    start_cpu_profile, stop_cpu_profile, time_profile, write_time_profile, CpuProfile, Error,
    Guard,
};
pub use inprof_runtime::{
    heap_stats, lookup, mem_profile_rate, profiles, set_mem_profile_rate, write_heap_profile,
    Alloc, HeapStats, NamedProfile, DEFAULT_MEM_PROFILE_RATE,
};
pub use inprof_runtime::{pprof, report};

/// Instruments a function, method, `async fn`, every method of an `impl`
/// block, or every default method of a trait: each call becomes a frame in
/// inprof's call-path profiles.
///
/// ```
/// #[inprof::profile]
/// fn work(n: u64) -> u64 {
///     (0..n).sum()
/// }
///
/// struct Parser;
///
/// #[inprof::profile]
/// impl Parser {
///     fn parse(&self, s: &str) -> usize { s.len() }   // `crate::Parser::parse`
///     #[profile(skip)]
///     fn cheap(&self) {}                               // not instrumented
///     #[profile(name = "tokenize")]
///     fn tok(&self) {}                                 // named `tokenize`
/// }
/// # assert_eq!(work(3), 3);
/// # assert_eq!(Parser.parse("ab"), 2);
/// ```
///
/// Arguments: `name = "..."` (the frame's name), `skip` (on a method inside
/// an instrumented `impl` or trait: leave it out), `always` (never demoted).
///
/// Rules:
///
/// - a `const fn` inside an instrumented `impl` or trait is skipped (it may
///   run at compile time, where there is no clock), and so is a method
///   with an attribute that may make it `const` as it expands (the `const`
///   keyword among its arguments: `#[rustversion::attr(since(1.83),
///   const)]`), and a naked function (`#[unsafe(naked)]`: its body is one
///   `naked_asm!`); `#[profile]` on such a function itself is an error;
/// - the item is returned as written apart from the instrumentation (inner
///   attributes, spans and lints are the user's); with the `enable` feature
///   off, untouched;
/// - a sync function with a small body (up to 48 tokens) and no inline
///   attribute or `#[cold]` of its own gets `#[inline]`: the recorded
///   path's calls make it look bigger to the inliner than it runs when off
///   or demoted, and it should stay inlinable where it was; its body, if
///   not empty, runs as a closure (inlined when the call is not recorded),
///   the form the inliner finds cheapest;
/// - the order of other attributes does not matter: after `#[tokio::main]`
///   or `#[tokio::test]` the body future is instrumented (not the runtime's
///   idle time), after `#[async_trait]` the boxed future;
/// - in `macro_rules!`, put the attribute on the items in the macro body;
/// - a `#[track_caller]` function keeps its caller's location (a panic in
///   it reports its caller's line), and so do impls of `Index::index` and
///   `IndexMut::index_mut`, which core declares `#[track_caller]`; where a
///   trait of your own declares a method `#[track_caller]`, write it on the
///   impl's method too: the attribute on the impl cannot see the trait.
pub use inprof_macros::profile;

/// Instruments the rest of the enclosing block as a frame named `$name`.
///
/// ```
/// fn load() {
///     inprof::scope!("load::parse");
///     // ... everything up to the end of the block is in `load::parse`
/// }
/// # load();
/// ```
#[cfg(feature = "enable")]
#[macro_export]
macro_rules! scope {
    ($name:expr) => {
        let __inprof_scope_guard = {
            static __INPROF_CALLSITE: $crate::__private::Callsite =
                $crate::__private::Callsite::new($name, ::core::file!(), ::core::line!())
                    .crate_dir(::core::option_env!("CARGO_MANIFEST_DIR"));
            $crate::__private::enter(&__INPROF_CALLSITE, ::core::option::Option::None)
        };
    };
}

/// Instruments the rest of the enclosing block (compiled out: the `enable`
/// feature is off).
#[cfg(not(feature = "enable"))]
#[macro_export]
macro_rules! scope {
    ($name:expr) => {
        let _ = $name;
    };
}

#[doc(hidden)]
pub use inprof_runtime::__private;

pub mod task;

#[cfg(feature = "axum")]
pub mod axum;
#[cfg(any(feature = "criterion", feature = "criterion05"))]
pub mod criterion;
#[cfg(feature = "tracing")]
pub mod tracing;
