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
//!
//! Reading profiles (any pprof file, ours or Go's, or an http:// URL):
//!
//! ```text
//! inprof top cpu.pb.gz                       like go tool pprof -top
//! inprof top --sample-index=alloc_space heap.pb.gz
//! inprof peek 'parse' cpu.pb.gz              callers and callees
//! inprof traces block.pb.gz
//! inprof tree cpu.pb.gz
//! inprof flame cpu.pb.gz -o cpu.svg          interactive flame graph (--folded for text)
//! inprof graph cpu.pb.gz -o cpu.svg          call graph (DOT, SVG with graphviz)
//! inprof diff base.pb.gz new.pb.gz           what got slower / grew
//! inprof web cpu.pb.gz                       local web UI
//! ```

use inprof_cli::{remote, view, web};

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
    /// Send `Authorization: Bearer TOKEN` to endpoints that require it (an
    /// agent found by PID that made its own token: the one in its port file).
    #[arg(long, global = true, env = "INPROF_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// The most bytes a profile may take, read or decompressed (a gzip
    /// bomb stops there).
    #[arg(long, global = true, default_value_t = inprof_runtime::pprof::DEFAULT_MAX_DECODED)]
    max_bytes: usize,
}

/// Which samples and values a report reads.
#[derive(clap::Args, Clone)]
struct Sel {
    /// The sample type to report (e.g. alloc_space); default: the profile's.
    #[arg(long = "sample-index", alias = "sample_index")]
    sample_index: Option<String>,
    /// Only samples with a function matching this regex.
    #[arg(long)]
    focus: Option<String>,
    /// Drop samples with a function matching this regex.
    #[arg(long)]
    ignore: Option<String>,
    /// Leave frames matching this regex out of every stack.
    #[arg(long)]
    hide: Option<String>,
    /// Keep only frames matching this regex in every stack.
    #[arg(long)]
    show: Option<String>,
    /// Only samples with a label matching `key=regex` (or any label value
    /// matching `regex`).
    #[arg(long)]
    tagfocus: Option<String>,
    /// Drop samples with a label matching `key=regex` (or `regex`).
    #[arg(long)]
    tagignore: Option<String>,
    /// Show values in this unit (ns, us, ms, s, minutes; B, kB, MB, GB).
    #[arg(long)]
    unit: Option<String>,
    /// For /debug/pprof/ URLs: profile (or delta) over this many seconds.
    #[arg(long)]
    seconds: Option<u64>,
}

impl Sel {
    fn select(&self) -> Result<view::Select, String> {
        let re = |s: &Option<String>| -> Result<Option<regex::Regex>, String> {
            s.as_deref()
                .map(|r| regex::Regex::new(r).map_err(|e| format!("bad regex {r:?}: {e}")))
                .transpose()
        };
        let tag = |s: &Option<String>| s.as_deref().map(view::TagFilter::parse).transpose();
        Ok(view::Select {
            sample_index: self.sample_index.clone(),
            focus: re(&self.focus)?,
            ignore: re(&self.ignore)?,
            hide: re(&self.hide)?,
            show: re(&self.show)?,
            tagfocus: tag(&self.tagfocus)?,
            tagignore: tag(&self.tagignore)?,
            unit: self.unit.clone(),
        })
    }
}

#[derive(Subcommand)]
enum Cmd {
    /// The functions with the most flat (or cum) value, like `go tool pprof -top`.
    Top {
        /// Profile files or http:// URLs (several are merged).
        #[arg(required = true, num_args = 1..)]
        sources: Vec<String>,
        /// Sort by cum instead of flat.
        #[arg(long)]
        cum: bool,
        /// How many rows (default: all).
        #[arg(short = 'n', long = "nodecount")]
        n: Option<usize>,
        #[command(flatten)]
        sel: Sel,
    },
    /// Callers and callees of the functions matching REGEX.
    Peek {
        /// Regex of function names.
        regex: String,
        /// Profile files or http:// URLs (several are merged).
        #[arg(required = true, num_args = 1..)]
        sources: Vec<String>,
        #[command(flatten)]
        sel: Sel,
    },
    /// Every sample's stack with its value.
    Traces {
        /// Profile files or http:// URLs (several are merged).
        #[arg(required = true, num_args = 1..)]
        sources: Vec<String>,
        #[command(flatten)]
        sel: Sel,
    },
    /// Callers and callees of every function.
    Tree {
        /// Profile files or http:// URLs (several are merged).
        #[arg(required = true, num_args = 1..)]
        sources: Vec<String>,
        #[command(flatten)]
        sel: Sel,
    },
    /// The source of the functions matching REGEX with each line's flat
    /// and cum, like `go tool pprof -list`.
    List {
        /// Regex of function names.
        regex: String,
        /// Profile files or http:// URLs (several are merged).
        #[arg(required = true, num_args = 1..)]
        sources: Vec<String>,
        #[command(flatten)]
        sel: Sel,
    },
    /// Label keys and values with their share, like `go tool pprof -tags`.
    Tags {
        /// Profile files or http:// URLs (several are merged).
        #[arg(required = true, num_args = 1..)]
        sources: Vec<String>,
        #[command(flatten)]
        sel: Sel,
    },
    /// An interactive flame graph (SVG), or folded stacks with --folded.
    Flame {
        /// A profile file or http:// URL.
        source: String,
        /// Output file (default flame.svg; `-` for stdout).
        #[arg(short, long)]
        output: Option<String>,
        /// Write folded stacks (`a;b;c VALUE`) instead of SVG.
        #[arg(long)]
        folded: bool,
        #[command(flatten)]
        sel: Sel,
    },
    /// The call graph as Graphviz DOT, or SVG when the output ends in .svg.
    Graph {
        /// A profile file or http:// URL.
        source: String,
        /// Output file (.dot or .svg; default stdout DOT).
        #[arg(short, long)]
        output: Option<String>,
        /// At most this many nodes, the highest cum first (pprof's
        /// -nodecount).
        #[arg(long, default_value_t = 80)]
        nodecount: usize,
        /// Drop nodes under this share of the total (pprof's -nodefraction).
        #[arg(long, default_value_t = 0.005)]
        nodefraction: f64,
        /// Drop edges under this share of the total (pprof's -edgefraction).
        #[arg(long, default_value_t = 0.001)]
        edgefraction: f64,
        #[command(flatten)]
        sel: Sel,
    },
    /// What changed from BASE to NEW: top of differences, and a
    /// differential flame graph with -o.
    Diff {
        /// The base profile.
        base: String,
        /// The new profile.
        new: String,
        /// Also write a differential flame graph SVG here.
        #[arg(short, long)]
        output: Option<String>,
        /// How many rows.
        #[arg(short = 'n', long = "nodecount", default_value_t = 30)]
        n: usize,
        #[command(flatten)]
        sel: Sel,
    },
    /// A local web UI: top table, flame graph, peek, call graph.
    ///
    /// It listens on 127.0.0.1 and answers only those with the token in
    /// the URL it prints (then kept in a cookie): other local users cannot
    /// read the profile.
    Web {
        /// A profile file or http:// URL.
        source: String,
        /// Port on 127.0.0.1 (0: any free port).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Do not open the browser.
        #[arg(long)]
        no_browser: bool,
        #[command(flatten)]
        sel: Sel,
    },
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
    /// threadcreate, taskcreate.
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

/// Go's habits, as `go tool pprof` takes them: single-dash long flags
/// (`-cum`, `-sample_index=alloc_space`, `-nodecount=20`, `-focus=x`) and
/// report flags before the profile (`inprof -top x`, `-peek=re`,
/// `-traces`, `-tree`, `-tags`), rewritten into this command's form.
fn go_style(args: Vec<String>) -> Vec<String> {
    const LONG: &[&str] = &[
        "cum",
        "sample_index",
        "sample-index",
        "nodecount",
        "nodefraction",
        "edgefraction",
        "focus",
        "ignore",
        "hide",
        "show",
        "tagfocus",
        "tagignore",
        "unit",
        "seconds",
        "output",
        "token",
        "folded",
        "port",
        "max_bytes",
        "max-bytes",
    ];
    const REPORTS: &[&str] = &["top", "peek", "list", "traces", "tree", "tags"];
    let mut out = Vec::with_capacity(args.len() + 1);
    let mut report: Option<String> = None;
    let mut peek_re: Option<String> = None;
    let mut it = args.into_iter();
    if let Some(prog) = it.next() {
        out.push(prog);
    }
    let mut rest = Vec::new();
    for a in it {
        let single = a.starts_with('-') && !a.starts_with("--") && a.len() > 2;
        if !single {
            rest.push(a);
            continue;
        }
        let body = &a[1..];
        let (name, value) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (body, None),
        };
        if REPORTS.contains(&name) && report.is_none() {
            report = Some(name.to_owned());
            if name == "peek" || name == "list" {
                peek_re = value.map(str::to_owned);
            }
            continue;
        }
        if LONG.contains(&name) {
            let name = name.replace('_', "-");
            rest.push(match value {
                Some(v) => format!("--{name}={v}"),
                None => format!("--{name}"),
            });
        } else {
            rest.push(a);
        }
    }
    if let Some(r) = report {
        out.push(r);
        if let Some(re) = peek_re {
            out.push(re);
        }
    }
    out.extend(rest);
    out
}

fn main() -> ExitCode {
    let cli = Cli::parse_from(go_style(std::env::args().collect()));
    if let Some(t) = cli.token {
        remote::set_token(t);
    }
    view::set_max_bytes(cli.max_bytes);
    match run(cli.cmd) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("inprof: {e}");
            ExitCode::FAILURE
        }
    }
}

fn out(path: Option<&str>, default: &str, data: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let path = path.unwrap_or(default);
    if path == "-" {
        return std::io::stdout().write_all(data).map_err(|e| e.to_string());
    }
    inprof_runtime::serve::files::write_private(std::path::Path::new(path), data)
        .map_err(|e| format!("writing {path}: {e}"))?;
    eprintln!("wrote {path}");
    Ok(())
}

fn run(cmd: Cmd) -> Result<(), String> {
    use remote::*;
    let style = view::Style::detect();
    match cmd {
        Cmd::Top {
            sources,
            cum,
            n,
            sel,
        } => {
            let n = n.unwrap_or(usize::MAX);
            let p = view::load_many(&sources, sel.seconds)?;
            let select = sel.select()?;
            print!("{}", view::top(&p, &select, cum, n, &style)?);
            // A time profile with async functions: their calls, polls,
            // busy time and latency side by side.
            if let Some(t) = view::async_table(&p, &select, n, &style) {
                print!("\n{t}");
            }
            Ok(())
        }
        Cmd::Peek {
            regex,
            sources,
            sel,
        } => {
            let re = regex::Regex::new(&regex).map_err(|e| format!("bad regex {regex:?}: {e}"))?;
            let p = view::load_many(&sources, sel.seconds)?;
            print!("{}", view::peek(&p, &sel.select()?, &re)?);
            Ok(())
        }
        Cmd::Traces { sources, sel } => {
            let p = view::load_many(&sources, sel.seconds)?;
            print!("{}", view::traces(&p, &sel.select()?)?);
            Ok(())
        }
        Cmd::List {
            regex,
            sources,
            sel,
        } => {
            let re = regex::Regex::new(&regex).map_err(|e| format!("bad regex {regex:?}: {e}"))?;
            let p = view::load_many(&sources, sel.seconds)?;
            print!("{}", view::source(&p, &sel.select()?, &re)?);
            Ok(())
        }
        Cmd::Tags { sources, sel } => {
            let p = view::load_many(&sources, sel.seconds)?;
            print!("{}", view::tags(&p, &sel.select()?)?);
            Ok(())
        }
        Cmd::Tree { sources, sel } => {
            let p = view::load_many(&sources, sel.seconds)?;
            let all = regex::Regex::new(".").map_err(|e| e.to_string())?;
            print!("{}", view::peek(&p, &sel.select()?, &all)?);
            Ok(())
        }
        Cmd::Flame {
            source,
            output,
            folded,
            sel,
        } => {
            let p = view::load(&source, sel.seconds)?;
            let s = sel.select()?;
            if folded {
                let (_, _, st) = view::selected(&p, &s)?;
                let text = view::folded(&st).join("\n") + "\n";
                return out(output.as_deref(), "-", text.as_bytes());
            }
            let svg = view::flame_svg(&p, &s, &source)?;
            out(output.as_deref(), "flame.svg", &svg)
        }
        Cmd::Graph {
            source,
            output,
            nodecount,
            nodefraction,
            edgefraction,
            sel,
        } => {
            let p = view::load(&source, sel.seconds)?;
            let opt = view::GraphOptions {
                nodecount,
                node_fraction: nodefraction,
                edge_fraction: edgefraction,
            };
            let dot = view::dot_with(&p, &sel.select()?, opt)?;
            match output.as_deref() {
                Some(o) if o.ends_with(".svg") => out(Some(o), o, &view::dot_to_svg(&dot)?),
                o => out(o, "-", dot.as_bytes()),
            }
        }
        Cmd::Diff {
            base,
            new,
            output,
            n,
            sel,
        } => {
            let b = view::load(&base, sel.seconds)?;
            let a = view::load(&new, sel.seconds)?;
            let s = sel.select()?;
            print!("{}", view::diff_top(&b, &a, &s, n)?);
            if let Some(o) = output {
                out(Some(&o), &o, &view::diff_flame(&b, &a, &s)?)?;
            }
            Ok(())
        }
        Cmd::Web {
            source,
            port,
            no_browser,
            sel,
        } => {
            let p = view::load(&source, sel.seconds)?;
            web::serve(p, sel.select()?, &source, port, !no_browser)
        }
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
