//! The net/http/pprof endpoint: the same routes, status codes, headers and
//! messages as Go's, so `go tool pprof http://HOST/debug/pprof/...` works.
//!
//! [`serve`] listens on a loopback address on a background thread; the
//! handler itself, [`handle`], takes a plain [`Request`] and returns a
//! [`Response`], so it can be mounted in any server.

use crate::format::delta::delta;
use crate::format::pprof::Profile;
use crate::format::report;
use crate::profiles::named;
use crate::Error;
use std::collections::HashMap;
use std::io::Read;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    fn error(status: u16, msg: &str) -> Response {
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

/// The longest `seconds` a request may ask for (profile or delta).
pub const DEFAULT_MAX_SECONDS: u64 = 600;

static MAX_SECONDS: AtomicUsize = AtomicUsize::new(DEFAULT_MAX_SECONDS as usize);

fn query_map(q: &str) -> HashMap<String, String> {
    q.split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// Percent-decoding of a query component (`+` is a space).
fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                match u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16)
                {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

const DESCRIPTIONS: &[(&str, &str)] = &[
    ("allocs", "A record of all past memory allocations, exact, per call path."),
    ("block", "Call paths that waited on inprof's locks, condvars, barriers, channels and joins."),
    ("cmdline", "The command line of this program."),
    ("goroutine", "Live threads, each at its current call path. Use debug=2 for the full dump with creation stacks."),
    ("heap", "Live memory, exact, per call path (inuse = alloc - free)."),
    ("mutex", "Call paths of lock holders, charged with the waiting they caused."),
    ("profile", "Exact wall time and calls per call path over ?seconds=N (default 30). Read it with go tool pprof."),
    ("symbol", "Maps addresses to function names (inprof profiles carry their names; nothing to resolve)."),
    ("threadcreate", "Call paths that spawned threads through inprof::thread."),
    ("trace", "Not supported by inprof."),
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
/// `/debug/inprof/` routes used by the CLI).
pub fn handle(req: &Request<'_>) -> Response {
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
            let args: Vec<String> = std::env::args().collect();
            Response::text(args.join("\0"))
        }
        "profile" => cpu_profile(req, &q),
        "symbol" => symbol(req),
        "trace" => Response::error(404, "Unknown profile"),
        name => named(name, &q),
    }
}

fn max_seconds() -> u64 {
    MAX_SECONDS.load(Ordering::Relaxed) as u64
}

fn cpu_profile(req: &Request<'_>, q: &HashMap<String, String>) -> Response {
    // Go: an invalid or non-positive value silently becomes 30.
    let mut sec = q
        .get("seconds")
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or(30);
    if sec <= 0 {
        sec = 30;
    }
    if sec as u64 > max_seconds() {
        return Response::error(
            400,
            &format!(
                "profile duration exceeds server's limit of {} seconds",
                max_seconds()
            ),
        );
    }
    match crate::profiles::time::profile_for(Duration::from_secs(sec as u64), req.client_gone) {
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

fn named(name: &str, q: &HashMap<String, String>) -> Response {
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
            "allocs" | "block" | "goroutine" | "heap" | "mutex" | "threadcreate"
        ) {
            return Response::error(
                400,
                "\"seconds\" parameter is not supported for this profile type",
            );
        }
        if sec > max_seconds() {
            return Response::error(
                400,
                &format!(
                    "profile duration exceeds server's limit of {} seconds",
                    max_seconds()
                ),
            );
        }
        let t0 = Instant::now();
        let p0 = p.build();
        std::thread::sleep(Duration::from_secs(sec));
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
            let live = crate::engine::tree::trees()
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

/// Options for [`serve_with`].
#[derive(Debug, Clone)]
pub struct Options {
    /// Allow addresses other than loopback (off: `serve` refuses them).
    pub allow_remote: bool,
    /// Require `Authorization: Bearer TOKEN` on every request.
    pub token: Option<String>,
    /// The longest `seconds` a request may ask for.
    pub max_seconds: u64,
    /// Requests served at once; more get 503.
    pub max_concurrent: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            allow_remote: false,
            token: None,
            max_seconds: DEFAULT_MAX_SECONDS,
            max_concurrent: 32,
        }
    }
}

/// A running endpoint; dropping it leaves the server running, [`Server::shutdown`]
/// stops it.
pub struct Server {
    addr: SocketAddr,
    inner: Arc<tiny_http::Server>,
    stop: Arc<AtomicBool>,
}

impl Server {
    /// The address it listens on (with the real port when 0 was asked).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting requests.
    pub fn shutdown(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.inner.unblock();
    }
}

/// Serves the endpoint on `addr` (a loopback address) on background
/// threads, like `import _ "net/http/pprof"` with `ListenAndServe`.
///
/// ```no_run
/// let server = inprof::http::serve("127.0.0.1:6060")?;
/// println!("go tool pprof http://{}/debug/pprof/heap", server.local_addr());
/// # Ok::<(), inprof::Error>(())
/// ```
pub fn serve<A: ToSocketAddrs>(addr: A) -> Result<Server, Error> {
    serve_with(addr, Options::default())
}

/// [`serve`] with options (remote access, token, limits).
pub fn serve_with<A: ToSocketAddrs>(addr: A, opts: Options) -> Result<Server, Error> {
    let addrs: Vec<SocketAddr> = addr
        .to_socket_addrs()
        .map_err(|e| Error::Serve(format!("resolving address: {e}")))?
        .collect();
    let Some(first) = addrs.first().copied() else {
        return Err(Error::Serve("address resolves to nothing".into()));
    };
    if !opts.allow_remote {
        if let Some(a) = addrs.iter().find(|a| !a.ip().is_loopback()) {
            return Err(Error::Serve(format!(
                "refusing to listen on {a}: not a loopback address (set Options::allow_remote to serve other hosts)"
            )));
        }
    }
    MAX_SECONDS.store(opts.max_seconds as usize, Ordering::Relaxed);
    let server = tiny_http::Server::http(first)
        .map_err(|e| Error::Serve(format!("listening on {first}: {e}")))?;
    let local = server.server_addr().to_ip().unwrap_or(first);
    let inner = Arc::new(server);
    let stop = Arc::new(AtomicBool::new(false));
    let (srv, st) = (inner.clone(), stop.clone());
    std::thread::Builder::new()
        .name("inprof-http".into())
        .spawn(move || accept_loop(srv, st, opts, local))
        .map_err(|e| Error::Serve(format!("starting server thread: {e}")))?;
    Ok(Server {
        addr: local,
        inner,
        stop,
    })
}

fn accept_loop(
    server: Arc<tiny_http::Server>,
    stop: Arc<AtomicBool>,
    opts: Options,
    local: SocketAddr,
) {
    crate::engine::tree::mark_internal();
    let active = Arc::new(AtomicUsize::new(0));
    let opts = Arc::new(opts);
    while !stop.load(Ordering::SeqCst) {
        let req = match server.recv() {
            Ok(r) => r,
            Err(_) => continue,
        };
        if stop.load(Ordering::SeqCst) {
            break;
        }
        if active.fetch_add(1, Ordering::SeqCst) >= opts.max_concurrent {
            active.fetch_sub(1, Ordering::SeqCst);
            let _ = req.respond(to_tiny(Response::error(
                503,
                "too many requests in progress",
            )));
            continue;
        }
        let (a, o) = (active.clone(), opts.clone());
        let spawned = std::thread::Builder::new()
            .name("inprof-http-req".into())
            .spawn(move || {
                crate::engine::tree::mark_internal();
                serve_one(req, &o, local);
                a.fetch_sub(1, Ordering::SeqCst);
            });
        if spawned.is_err() {
            active.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// The largest request body read (POST /symbol).
const MAX_BODY: u64 = 64 * 1024;

fn serve_one(mut req: tiny_http::Request, opts: &Options, local: SocketAddr) {
    if let Some(tok) = &opts.token {
        let ok = req.headers().iter().any(|h| {
            h.field.equiv("Authorization")
                && h.value.as_str().strip_prefix("Bearer ") == Some(tok.as_str())
        });
        if !ok {
            let _ = req.respond(to_tiny(Response::error(401, "unauthorized")));
            return;
        }
    }
    let mut body = Vec::new();
    let _ = req.as_reader().take(MAX_BODY).read_to_end(&mut body);
    let url = req.url().to_owned();
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let method = req.method().as_str().to_owned();
    let remote = req.remote_addr().copied();
    let gone = move || remote.map(|r| peer_closed(local, r)).unwrap_or(false);
    let r = handle(&Request {
        method: &method,
        path,
        query,
        body: &body,
        client_gone: &gone,
    });
    let _ = req.respond(to_tiny(r));
}

fn to_tiny(r: Response) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
    let mut t = tiny_http::Response::from_data(r.body).with_status_code(r.status);
    for (k, v) in r.headers {
        if let Ok(h) = tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()) {
            t = t.with_header(h);
        }
    }
    t
}

/// Whether the TCP peer `remote` of our socket at `local` has closed its
/// side (Linux: the connection is in CLOSE_WAIT in /proc/net/tcp).
fn peer_closed(local: SocketAddr, remote: SocketAddr) -> bool {
    fn hex_addr(a: SocketAddr) -> Option<String> {
        match a {
            SocketAddr::V4(v) => {
                let o = v.ip().octets();
                Some(format!(
                    "{:02X}{:02X}{:02X}{:02X}:{:04X}",
                    o[3],
                    o[2],
                    o[1],
                    o[0],
                    v.port()
                ))
            }
            SocketAddr::V6(_) => None,
        }
    }
    let (Some(l), Some(r)) = (hex_addr(local), hex_addr(remote)) else {
        return false;
    };
    let Ok(table) = std::fs::read_to_string("/proc/net/tcp") else {
        return false;
    };
    let mut seen = false;
    for line in table.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() > 3 && f[1] == l && f[2] == r {
            seen = true;
            // 08: CLOSE_WAIT (peer sent FIN); 07: CLOSE.
            if f[3] == "08" || f[3] == "07" {
                return true;
            }
        }
    }
    // No such connection any more: gone too.
    !seen
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
        assert_eq!(decode("%zz%4"), "%zz%4");
    }

    #[test]
    fn bytes_like_gops() {
        assert_eq!(report::human_bytes(1_572_864), "1.50MB (1572864 bytes)");
        assert_eq!(report::human_bytes(12), "12B (12 bytes)");
    }
}
