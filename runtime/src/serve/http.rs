//! The net/http/pprof endpoint: the same routes, status codes, headers and
//! messages as Go's, so `go tool pprof http://HOST/debug/pprof/...` works.
//!
//! [`serve`] listens on a loopback address on background threads; the
//! handler itself, [`handle`], takes a plain [`Request`] and returns a
//! [`Response`], so it can be mounted in any server.

use crate::format::delta::delta;
use crate::format::pprof::Profile;
use crate::format::report;
use crate::profiles::named;
use crate::Error;
use std::collections::HashMap;
use std::time::{Duration, Instant};

pub use crate::serve::server::{
    bearer_authorized, is_loopback_host, random_token, serve, serve_with, token_matches, Options,
    Server,
};

/// The longest `seconds` a request may ask for by default (profile or
/// delta).
pub const DEFAULT_MAX_SECONDS: u64 = 600;

/// What one server allows its requests (each server has its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The longest `seconds` a request may ask for.
    pub max_seconds: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_seconds: DEFAULT_MAX_SECONDS,
        }
    }
}

/// A request as the handler sees it.
pub struct Request<'a> {
    /// `GET`, `POST`, ...
    pub method: &'a str,
    /// The path, e.g. `/debug/pprof/heap`.
    pub path: &'a str,
    /// The query string without `?`, e.g. `debug=1`.
    pub query: &'a str,
    /// The request body (for `POST /symbol`).
    pub body: &'a [u8],
    /// Whether the client has gone away (checked while a profile runs).
    pub client_gone: &'a (dyn Fn() -> bool + Sync),
}

/// A response: status, headers and body.
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Headers, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    fn new(status: u16, content_type: &str, body: Vec<u8>) -> Response {
        Response {
            status,
            headers: vec![
                ("X-Content-Type-Options".into(), "nosniff".into()),
                ("Content-Type".into(), content_type.into()),
            ],
            body,
        }
    }

    fn text(body: String) -> Response {
        Response::new(200, "text/plain; charset=utf-8", body.into_bytes())
    }

    /// Go's `serveError`: text/plain, `X-Go-Pprof: 1`, the message and a
    /// newline.
    pub fn error(status: u16, msg: &str) -> Response {
        let mut r = Response::new(
            status,
            "text/plain; charset=utf-8",
            format!("{msg}\n").into_bytes(),
        );
        r.headers.push(("X-Go-Pprof".into(), "1".into()));
        r
    }

    fn binary(name: &str, p: &Profile) -> Response {
        let mut body = Vec::new();
        if let Err(e) = p.write_gzip(&mut body) {
            return Response::error(500, &format!("Could not write profile: {e}"));
        }
        let mut r = Response::new(200, "application/octet-stream", body);
        r.headers.push((
            "Content-Disposition".into(),
            format!("attachment; filename=\"{name}\""),
        ));
        r
    }

    /// The value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The query's parameters, percent-decoded (`+` is a space); a key given
/// twice keeps its first value, as Go's `FormValue` does.
fn query_map(q: &str) -> HashMap<String, String> {
    let mut m = HashMap::new();
    for (k, v) in form_urlencoded::parse(q.as_bytes()) {
        m.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    m
}

const DESCRIPTIONS: &[(&str, &str)] = &[
    ("allocs", "A record of all past memory allocations, exact, per call path."),
    ("block", "Call paths that waited on inprof's locks, condvars, barriers, channels and joins."),
    ("cmdline", "The command line of this program."),
    ("goroutine", "Live threads, each at its current call path. Use debug=2 for the full dump with creation stacks, and the live async tasks with their await stacks."),
    ("heap", "Live memory, exact, per call path (inuse = alloc - free)."),
    ("mutex", "Call paths of lock holders, charged with the waiting they caused."),
    ("profile", "CPU profile over ?seconds=N (default 30): sampled CPU time on the exact call paths with the native frames below them, plus exact calls and wall time (-sample_index=wall)."),
    ("taskcreate", "Call paths that spawned async tasks through inprof::task."),
    ("symbol", "Maps addresses to function names (inprof profiles carry their names; nothing to resolve)."),
    ("threadcreate", "Call paths that spawned threads through inprof::thread."),
    ("trace", "Not supported by inprof."),
    ("wall", "The same profile as profile, wall time the default sample type: where threads spent their time, running or not."),
];

fn index() -> Response {
    let mut rows = String::new();
    for p in named::profiles() {
        let name = p.name();
        rows.push_str(&format!(
            "<tr><td>{}</td><td><a href=\"{name}?debug=1\">{name}</a></td></tr>\n",
            p.count()
        ));
    }
    let mut desc = String::new();
    for (name, d) in DESCRIPTIONS {
        desc.push_str(&format!(
            "<li><div class=profile-name>{name}: </div> {d}</li>\n"
        ));
    }
    let html = format!(
        "<html>\n<head>\n<title>/debug/pprof/</title>\n</head>\n<body>\n/debug/pprof/\n<p>Set debug=1 as a query parameter to export in legacy text format</p>\n<br>\nTypes of profiles available:\n<table>\n<thead><td>Count</td><td>Profile</td></thead>\n{rows}</table>\n<a href=\"goroutine?debug=2\">full thread stack dump</a>\n<br>\n<p>\nProfile Descriptions:\n<ul>\n{desc}</ul>\n</p>\n</body>\n</html>\n"
    );
    Response::new(200, "text/html; charset=utf-8", html.into_bytes())
}

/// Handles one request under `/debug/pprof/` (and inprof's own
/// `/debug/inprof/` routes used by the CLI), with the default [`Limits`].
pub fn handle(req: &Request<'_>) -> Response {
    handle_with(req, &Limits::default())
}

/// [`handle`] with a server's own limits.
pub fn handle_with(req: &Request<'_>, limits: &Limits) -> Response {
    let q = query_map(req.query);
    let path = req.path;
    if let Some(rest) = path.strip_prefix("/debug/inprof/") {
        return inprof_route(rest);
    }
    let Some(name) = path
        .strip_prefix("/debug/pprof")
        .map(|s| s.trim_start_matches('/'))
    else {
        return not_found();
    };
    match name {
        "" => index(),
        "cmdline" => {
            // Arguments need not be UTF-8: shown lossily, never a panic.
            let args: Vec<String> = std::env::args_os()
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            Response::text(args.join("\0"))
        }
        "profile" => cpu_profile(req, &q, limits, None),
        "wall" => cpu_profile(req, &q, limits, Some("wall")),
        "symbol" => symbol(req),
        "trace" => Response::error(404, "Unknown profile"),
        name => named(req, name, &q, limits),
    }
}

fn too_long(limits: &Limits) -> Response {
    Response::error(
        400,
        &format!(
            "profile duration exceeds server's limit of {} seconds",
            limits.max_seconds
        ),
    )
}

fn cpu_profile(
    req: &Request<'_>,
    q: &HashMap<String, String>,
    limits: &Limits,
    default: Option<&str>,
) -> Response {
    // Go: an invalid or non-positive value silently becomes 30.
    let mut sec = q
        .get("seconds")
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or(30);
    if sec <= 0 {
        sec = 30;
    }
    if sec as u64 > limits.max_seconds {
        return too_long(limits);
    }
    match crate::profiles::time::profile_for_with(
        Duration::from_secs(sec as u64),
        req.client_gone,
        default,
    ) {
        Ok(p) => Response::binary("profile", &p),
        Err(Error::AlreadyRunning) => Response::error(
            500,
            "Could not enable CPU profiling: cpu profiling already in use",
        ),
        Err(e) => Response::error(500, &format!("Could not enable CPU profiling: {e}")),
    }
}

fn symbol(req: &Request<'_>) -> Response {
    // inprof's locations carry their functions' names, so pprof never asks
    // us to resolve one; answer like Go with the count line and resolve
    // nothing we do not know.
    let _ = req.body;
    Response::text("num_symbols: 1\n".to_string())
}

fn named(req: &Request<'_>, name: &str, q: &HashMap<String, String>, limits: &Limits) -> Response {
    let Some(p) = named::lookup(name) else {
        return Response::error(404, "Unknown profile");
    };
    let debug: u8 = q.get("debug").and_then(|s| s.parse().ok()).unwrap_or(0);
    if let Some(sec) = q.get("seconds") {
        if debug != 0 {
            return Response::error(400, "seconds and debug params are incompatible");
        }
        let sec = match sec.parse::<i64>() {
            Ok(s) if s > 0 => s as u64,
            _ => {
                return Response::error(
                    400,
                    "invalid value for \"seconds\" - must be a positive integer",
                )
            }
        };
        if !matches!(
            name,
            "allocs" | "block" | "goroutine" | "heap" | "mutex" | "taskcreate" | "threadcreate"
        ) {
            return Response::error(
                400,
                "\"seconds\" parameter is not supported for this profile type",
            );
        }
        if sec > limits.max_seconds {
            return too_long(limits);
        }
        let t0 = Instant::now();
        let p0 = p.build();
        if !wait(Duration::from_secs(sec), req.client_gone) {
            // The client went away: nobody to answer.
            return Response::error(499, "client closed the connection");
        }
        let p1 = p.build();
        let d = delta(&p0, &p1, t0.elapsed());
        return Response::binary(&format!("{}-delta", p.name()), &d);
    }
    if debug == 0 {
        return Response::binary(p.name(), &p.build());
    }
    let mut out = Vec::new();
    match p.write_to(&mut out, debug) {
        Ok(()) => Response::new(200, "text/plain; charset=utf-8", out),
        Err(e) => Response::error(500, &format!("Could not write profile: {e}")),
    }
}

/// Sleeps `d`, checking `gone` every 100 ms; false if the client left.
pub(crate) fn wait(d: Duration, gone: &(dyn Fn() -> bool + Sync)) -> bool {
    let deadline = Instant::now() + d;
    loop {
        let now = Instant::now();
        if now >= deadline {
            return true;
        }
        if gone() {
            return false;
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(100)));
    }
}

fn inprof_route(rest: &str) -> Response {
    match rest {
        "version" => Response::text(format!("inprof {}\n", env!("CARGO_PKG_VERSION"))),
        "memstats" => {
            let s = crate::profiles::alloc::heap_stats();
            Response::text(format!(
                "alloc: {}\ntotal-alloc: {}\npeak-alloc: {}\nmallocs: {}\nfrees: {}\nheap-objects: {}\n",
                report::human_bytes(s.live_bytes),
                report::human_bytes(s.total_allocated_bytes),
                report::human_bytes(s.peak_live_bytes),
                s.allocations,
                s.frees,
                s.live_objects
            ))
        }
        "stats" => {
            let lock = crate::engine::fold::read();
            let live = crate::engine::tree::trees(&lock)
                .filter(|t| !t.exited() && !t.is_internal())
                .count();
            let os_threads = std::fs::read_dir("/proc/self/task")
                .map(|d| d.count())
                .unwrap_or(0);
            let cpus = std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1);
            Response::text(format!(
                "threads: {live}\nos-threads: {os_threads}\nthreads-registered: {}\nnum-cpu: {cpus}\npid: {}\n",
                crate::engine::tree::registered_threads(),
                std::process::id()
            ))
        }
        "time" => Response::binary("time", &crate::profiles::time::time_profile()),
        _ => not_found(),
    }
}

/// What Go's mux answers outside the pprof routes.
fn not_found() -> Response {
    Response::new(
        404,
        "text/plain; charset=utf-8",
        b"404 page not found\n".to_vec(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_decoding() {
        let q = query_map("seconds=5&debug=1&x=a%20b+c&empty");
        assert_eq!(q["seconds"], "5");
        assert_eq!(q["x"], "a b c");
        assert_eq!(q["empty"], "");
        assert_eq!(query_map("seconds=1&seconds=2")["seconds"], "1");
        assert_eq!(query_map("x=%zz%4")["x"], "%zz%4");
    }

    #[test]
    fn bytes_like_gops() {
        assert_eq!(report::human_bytes(1_572_864), "1.50MB (1572864 bytes)");
        assert_eq!(report::human_bytes(12), "12B (12 bytes)");
    }
}
