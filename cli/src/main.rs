//! `inprof`: gops and `go tool pprof` for inprof-instrumented programs.
//!
//! ```text
//! inprof ps                          processes with an inprof agent
//! inprof stack PID                   every thread's stack (goroutine?debug=2)
//! inprof memstats PID                allocator figures
//! inprof stats PID                   threads, CPUs
//! inprof version PID                 the inprof version of the process
//! inprof pprof-cpu PID [-s N] [-o F] a time profile over N seconds
//! inprof pprof-heap PID [-o F]       the heap profile
//! inprof profile NAME PID [-o F]     any profile by name (allocs, block, mutex, ...)
//! ```
//!
//! PID may also be `host:port` of an `inprof::http::serve` endpoint.

mod remote;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "inprof",
    version,
    about = "Profiles of inprof-instrumented Rust programs, like gops and go tool pprof"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// List processes running an inprof agent.
    Ps,
    /// Print every thread's stack, state and creation stack.
    Stack {
        /// PID, or host:port of an endpoint.
        target: String,
    },
    /// Print allocator figures (live, total, peak bytes; allocations, frees).
    Memstats {
        /// PID, or host:port.
        target: String,
    },
    /// Print thread and CPU counts.
    Stats {
        /// PID, or host:port.
        target: String,
    },
    /// Print the inprof version of the process.
    Version {
        /// PID, or host:port.
        target: String,
    },
    /// Fetch a time profile over the next N seconds.
    PprofCpu {
        /// PID, or host:port.
        target: String,
        /// How long to profile.
        #[arg(short, long, default_value_t = 30)]
        seconds: u64,
        /// Where to write it (default inprof-TARGET-cpu.pb.gz).
        #[arg(short, long)]
        output: Option<String>,
    },
    /// Fetch the heap profile.
    PprofHeap {
        /// PID, or host:port.
        target: String,
        /// Where to write it (default inprof-TARGET-heap.pb.gz).
        #[arg(short, long)]
        output: Option<String>,
    },
    /// Fetch any profile by name: heap, allocs, block, mutex, goroutine,
    /// threadcreate.
    Profile {
        /// The profile's name.
        name: String,
        /// PID, or host:port.
        target: String,
        /// Where to write it (default inprof-TARGET-NAME.pb.gz; `-` for stdout).
        #[arg(short, long)]
        output: Option<String>,
        /// Text format instead of pprof (1, or 2 for goroutine's full dump).
        #[arg(long, default_value_t = 0)]
        debug: u8,
        /// A delta profile over N seconds.
        #[arg(long)]
        seconds: Option<u64>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.cmd) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("inprof: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cmd: Cmd) -> Result<(), String> {
    use remote::*;
    match cmd {
        Cmd::Ps => ps(),
        Cmd::Stack { target } => print_text(&target, "/debug/pprof/goroutine?debug=2"),
        Cmd::Memstats { target } => print_text(&target, "/debug/inprof/memstats"),
        Cmd::Stats { target } => print_text(&target, "/debug/inprof/stats"),
        Cmd::Version { target } => print_text(&target, "/debug/inprof/version"),
        Cmd::PprofCpu {
            target,
            seconds,
            output,
        } => fetch_profile(
            &target,
            "cpu",
            &format!("/debug/pprof/profile?seconds={seconds}"),
            Some(seconds),
            output,
        ),
        Cmd::PprofHeap { target, output } => {
            fetch_profile(&target, "heap", "/debug/pprof/heap", None, output)
        }
        Cmd::Profile {
            name,
            target,
            output,
            debug,
            seconds,
        } => {
            if debug > 0 {
                return print_text(&target, &format!("/debug/pprof/{name}?debug={debug}"));
            }
            let path = match seconds {
                Some(s) => format!("/debug/pprof/{name}?seconds={s}"),
                None => format!("/debug/pprof/{name}"),
            };
            fetch_profile(&target, &name, &path, seconds, output)
        }
    }
}
