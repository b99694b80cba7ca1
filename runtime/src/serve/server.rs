//! The HTTP server behind [`serve`]: std's TCP listener, `httparse` for the
//! request head, and a small fixed pool of inprof's own threads.
//!
//! It is built to be left running in production: requests are read under
//! a deadline with capped head and body sizes; open connections are capped
//! (more get a 503 at once); a handler that panics answers 500 and frees
//! its place; every connection is closed after its response (no idle
//! keep-alive); a long profile stops when its client goes away. Its
//! threads are created once, belong to inprof (no call trees, not in any
//! profile), and their number never exceeds the connection cap. Without
//! `allow_remote` it binds loopback only and answers only requests whose
//! `Host` is a loopback name (no DNS rebinding); with it, a token is
//! required and compared in constant time.

use crate::serve::http::{self, Limits, Request, Response};
use crate::Error;
use crossbeam_channel::{Receiver, Sender};
use std::io::{Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Options for [`serve_with`].
#[derive(Debug, Clone)]
pub struct Options {
    /// Allow addresses other than loopback, and any `Host` header. Needs
    /// a `token`.
    pub allow_remote: bool,
    /// Require `Authorization: Bearer TOKEN` on every request.
    pub token: Option<String>,
    /// The longest `seconds` a request may ask for (this server only).
    pub max_seconds: u64,
    /// Connections served at once; more get 503 at once.
    pub max_concurrent: usize,
    /// How long a client may take to send its request (head and body).
    pub read_timeout: Duration,
    /// The largest request head (request line and headers), in bytes;
    /// larger gets 431.
    pub max_header_bytes: usize,
    /// The most headers a request may have; more gets 431.
    pub max_headers: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            allow_remote: false,
            token: None,
            max_seconds: http::DEFAULT_MAX_SECONDS,
            max_concurrent: 8,
            read_timeout: Duration::from_secs(10),
            max_header_bytes: 16 * 1024,
            max_headers: 64,
        }
    }
}

/// What answers a request: [`http::handle_with`], or a test's stand-in.
pub(crate) type Handler = Arc<dyn Fn(&Request<'_>, &Limits) -> Response + Send + Sync>;

/// The largest request body read (POST /symbol); larger gets 413.
const MAX_BODY: usize = 64 * 1024;

/// A running endpoint; dropping it leaves the server running,
/// [`Server::shutdown`] stops it.
pub struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
}

impl Server {
    /// The address it listens on (with the real port when 0 was asked).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting connections (requests being served finish).
    pub fn shutdown(&self) {
        if !self.stop.swap(true, Ordering::SeqCst) {
            // Wake the accepting thread with a connection it will drop.
            let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        }
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
///
/// ```no_run
/// let server = inprof::http::serve_with(
///     "0.0.0.0:6060",
///     inprof::http::Options {
///         allow_remote: true,
///         token: Some(std::env::var("PPROF_TOKEN").expect("a token")),
///         ..Default::default()
///     },
/// )?;
/// # Ok::<(), inprof::Error>(())
/// ```
pub fn serve_with<A: ToSocketAddrs>(addr: A, opts: Options) -> Result<Server, Error> {
    serve_handler(addr, opts, Arc::new(http::handle_with))
}

/// [`serve_with`] with any handler.
pub(crate) fn serve_handler<A: ToSocketAddrs>(
    addr: A,
    opts: Options,
    handler: Handler,
) -> Result<Server, Error> {
    let addrs: Vec<SocketAddr> = addr
        .to_socket_addrs()
        .map_err(|e| Error::Serve(format!("resolving address: {e}")))?
        .collect();
    let Some(first) = addrs.first().copied() else {
        return Err(Error::Serve("address resolves to nothing".into()));
    };
    if opts.allow_remote {
        if opts.token.as_deref().is_none_or(str::is_empty) {
            return Err(Error::Serve(
                "Options::allow_remote needs Options::token: a profiling endpoint open to other hosts must not answer without one".into(),
            ));
        }
    } else if let Some(a) = addrs.iter().find(|a| !a.ip().is_loopback()) {
        return Err(Error::Serve(format!(
            "refusing to listen on {a}: not a loopback address (set Options::allow_remote and a token to serve other hosts)"
        )));
    }
    if opts.max_concurrent == 0 {
        return Err(Error::Serve(
            "Options::max_concurrent must be at least 1".into(),
        ));
    }
    let listener =
        TcpListener::bind(first).map_err(|e| Error::Serve(format!("listening on {first}: {e}")))?;
    let local = listener.local_addr().unwrap_or(first);
    let stop = Arc::new(AtomicBool::new(false));
    let st = stop.clone();
    std::thread::Builder::new()
        .name("inprof-http".into())
        .spawn(move || {
            crate::engine::tree::mark_internal();
            accept_loop(listener, st, Arc::new(opts), handler, local)
        })
        .map_err(|e| Error::Serve(format!("starting server thread: {e}")))?;
    Ok(Server { addr: local, stop })
}

/// Connections handed to the workers, and how many are in hand.
struct Pool {
    tx: Sender<TcpStream>,
    rx: Receiver<TcpStream>,
    /// Connections queued or being served.
    busy: AtomicUsize,
    /// Worker threads started (never more than `max_concurrent`).
    workers: AtomicUsize,
}

fn accept_loop(
    listener: TcpListener,
    stop: Arc<AtomicBool>,
    opts: Arc<Options>,
    handler: Handler,
    local: SocketAddr,
) {
    let (tx, rx) = crossbeam_channel::unbounded();
    let pool = Arc::new(Pool {
        tx,
        rx,
        busy: AtomicUsize::new(0),
        workers: AtomicUsize::new(0),
    });
    for conn in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = conn else {
            // Out of file descriptors and the like: back off a little.
            std::thread::sleep(Duration::from_millis(10));
            continue;
        };
        if pool.busy.fetch_add(1, Ordering::SeqCst) >= opts.max_concurrent {
            pool.busy.fetch_sub(1, Ordering::SeqCst);
            refuse(stream);
            continue;
        }
        // One more worker if every started one may be busy.
        let started = pool.workers.load(Ordering::SeqCst);
        if started < opts.max_concurrent && started < pool.busy.load(Ordering::SeqCst) {
            pool.workers.fetch_add(1, Ordering::SeqCst);
            let (p, o, h) = (pool.clone(), opts.clone(), handler.clone());
            let spawned = std::thread::Builder::new()
                .name("inprof-http-worker".into())
                .spawn(move || {
                    crate::engine::tree::mark_internal();
                    worker(&p, &o, &h, local)
                });
            if spawned.is_err() {
                pool.workers.fetch_sub(1, Ordering::SeqCst);
            }
        }
        if pool.workers.load(Ordering::SeqCst) == 0 || pool.tx.send(stream).is_err() {
            pool.busy.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// Answers 503 at once to a connection over the cap, without reading it.
fn refuse(mut stream: TcpStream) {
    let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
    let r = Response::error(503, "too many requests in progress");
    let _ = write_response(&mut stream, &r);
    let _ = stream.shutdown(Shutdown::Both);
}

fn worker(pool: &Pool, opts: &Options, handler: &Handler, local: SocketAddr) {
    for stream in pool.rx.iter() {
        // The place is given back however serving ends.
        struct Release<'a>(&'a AtomicUsize);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::SeqCst);
            }
        }
        let _release = Release(&pool.busy);
        serve_connection(stream, opts, handler, local);
    }
}

/// What went wrong reading a request, as the status it is answered with.
struct Reject(u16, &'static str);

/// A request read off the wire.
struct Incoming {
    method: String,
    target: String,
    host: Option<String>,
    authorization: Option<String>,
    body: Vec<u8>,
}

fn serve_connection(mut stream: TcpStream, opts: &Options, handler: &Handler, local: SocketAddr) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(Some(Duration::from_secs(30)));
    let response = match read_request(&mut stream, opts) {
        Ok(req) => respond(&stream, req, opts, handler, local),
        Err(Reject(status, msg)) => Response::error(status, msg),
    };
    let _ = write_response(&mut stream, &response);
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Both);
}

/// Reads one request: its head (capped in bytes and headers) and its body
/// (capped), all within `opts.read_timeout`.
fn read_request(stream: &mut TcpStream, opts: &Options) -> Result<Incoming, Reject> {
    let deadline = Instant::now() + opts.read_timeout;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    let head_len = loop {
        if let Some(end) = find_head_end(&buf) {
            break end;
        }
        if buf.len() >= opts.max_header_bytes {
            return Err(Reject(431, "request header fields too large"));
        }
        let n = read_some(stream, &mut chunk, deadline)?;
        buf.extend_from_slice(&chunk[..n]);
    };
    if head_len > opts.max_header_bytes {
        return Err(Reject(431, "request header fields too large"));
    }
    let mut headers = vec![httparse::EMPTY_HEADER; opts.max_headers];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(&buf[..head_len]) {
        Ok(httparse::Status::Complete(_)) => {}
        Err(httparse::Error::TooManyHeaders) => {
            return Err(Reject(431, "request header fields too large"))
        }
        _ => return Err(Reject(400, "malformed request")),
    }
    let header = |name: &str| {
        req.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).into_owned())
    };
    if header("Transfer-Encoding").is_some() {
        return Err(Reject(501, "chunked request bodies are not supported"));
    }
    let len: usize = match header("Content-Length") {
        None => 0,
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| Reject(400, "bad Content-Length"))?,
    };
    if len > MAX_BODY {
        return Err(Reject(413, "request body too large"));
    }
    let incoming = Incoming {
        method: req.method.unwrap_or("GET").to_owned(),
        target: req.path.unwrap_or("/").to_owned(),
        host: header("Host"),
        authorization: header("Authorization"),
        body: Vec::new(),
    };
    let mut body = buf[head_len..].to_vec();
    while body.len() < len {
        let n = read_some(stream, &mut chunk, deadline)?;
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(len);
    Ok(Incoming { body, ..incoming })
}

/// The length of the request head (up to and including the blank line).
fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

/// One read before `deadline`: at least one byte, or the request is over.
fn read_some(stream: &mut TcpStream, chunk: &mut [u8], deadline: Instant) -> Result<usize, Reject> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(Reject(408, "request timeout"));
    }
    let _ = stream.set_read_timeout(Some(left));
    match stream.read(chunk) {
        Ok(0) => Err(Reject(
            400,
            "connection closed before the request was complete",
        )),
        Ok(n) => Ok(n),
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            Err(Reject(408, "request timeout"))
        }
        Err(_) => Err(Reject(400, "reading the request failed")),
    }
}

/// Checks the request against the server's rules, then runs the handler,
/// turning a panic into a 500.
fn respond(
    stream: &TcpStream,
    req: Incoming,
    opts: &Options,
    handler: &Handler,
    local: SocketAddr,
) -> Response {
    if !opts.allow_remote {
        if let Some(h) = &req.host {
            if !is_loopback_host(h, local) {
                return Response::error(
                    403,
                    "invalid Host header: this endpoint answers loopback names only",
                );
            }
        }
    }
    if let Some(tok) = &opts.token {
        if !bearer_authorized(req.authorization.as_deref(), tok) {
            let mut r = Response::error(401, "unauthorized: send Authorization: Bearer TOKEN");
            r.headers
                .push(("WWW-Authenticate".into(), "Bearer realm=\"inprof\"".into()));
            return r;
        }
    }
    let (path, query) = req.target.split_once('?').unwrap_or((&req.target, ""));
    let gone = || client_gone(stream);
    let limits = Limits {
        max_seconds: opts.max_seconds,
    };
    let request = Request {
        method: &req.method,
        path,
        query,
        body: &req.body,
        client_gone: &gone,
    };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handler(&request, &limits))) {
        Ok(r) => r,
        Err(_) => Response::error(500, "internal error in the profiling endpoint"),
    }
}

/// Whether an `Authorization` header carries `token` with the Bearer
/// scheme (any case), compared in constant time.
pub fn bearer_authorized(header: Option<&str>, token: &str) -> bool {
    let Some(h) = header else {
        return false;
    };
    let h = h.trim();
    let Some((scheme, cred)) = h.split_once(' ') else {
        return false;
    };
    scheme.eq_ignore_ascii_case("bearer") && token_matches(cred.trim(), token)
}

/// Whether `given` is `token`, compared in constant time (the time taken
/// tells nothing of how much of it matched).
pub fn token_matches(given: &str, token: &str) -> bool {
    use subtle::ConstantTimeEq;
    bool::from(given.as_bytes().ct_eq(token.as_bytes()))
}

/// A new secret token: 128 bits from the system's random source
/// (`/dev/urandom`), as 32 hex digits. There is no fallback to a weaker
/// source: without it, what wanted a token should not start.
pub fn random_token() -> std::io::Result<String> {
    use std::io::Read;
    let mut b = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut b)?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// Whether a `Host` header names this machine's loopback (DNS rebinding
/// sends a foreign name to a loopback address): `localhost`, a name under
/// `.localhost`, a loopback IP or `local`'s own, with or without a port.
pub fn is_loopback_host(host: &str, local: SocketAddr) -> bool {
    let host = host.trim();
    let name = if let Some(rest) = host.strip_prefix('[') {
        // [v6]:port
        rest.split(']').next().unwrap_or("")
    } else {
        match host.rsplit_once(':') {
            Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
            _ => host,
        }
    };
    if name.eq_ignore_ascii_case("localhost") || name.to_ascii_lowercase().ends_with(".localhost") {
        return true;
    }
    match name.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback() || ip == local.ip(),
        Err(_) => false,
    }
}

/// Whether the client has closed its side of the connection (checked
/// while a long profile runs, so that it stops for nobody).
fn client_gone(stream: &TcpStream) -> bool {
    let mut b = [0u8; 1];
    if stream.set_nonblocking(true).is_err() {
        return false;
    }
    let gone = match stream.peek(&mut b) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
    };
    let _ = stream.set_nonblocking(false);
    gone
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        413 => "Payload Too Large",
        431 => "Request Header Fields Too Large",
        499 => "Client Closed Request",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        _ => "",
    }
}

fn write_response(stream: &mut TcpStream, r: &Response) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", r.status, reason(r.status));
    for (k, v) in &r.headers {
        // Header values are ours; never let one break the framing.
        if k.contains(['\r', '\n']) || v.contains(['\r', '\n']) {
            continue;
        }
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        r.body.len()
    ));
    stream.write_all(head.as_bytes())?;
    stream.write_all(&r.body)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn bearer_scheme_any_case_and_exact_token() {
        assert!(bearer_authorized(Some("Bearer s3cret"), "s3cret"));
        assert!(bearer_authorized(Some("bearer s3cret"), "s3cret"));
        assert!(bearer_authorized(Some("BEARER  s3cret "), "s3cret"));
        assert!(!bearer_authorized(Some("Bearer s3cre"), "s3cret"));
        assert!(!bearer_authorized(Some("Basic s3cret"), "s3cret"));
        assert!(!bearer_authorized(Some("s3cret"), "s3cret"));
        assert!(!bearer_authorized(None, "s3cret"));
    }

    fn get(addr: SocketAddr, path: &str) -> (u16, String) {
        request(addr, path, "")
    }

    /// GETs `path` with `Host: localhost` and `headers` (each ending in
    /// CRLF): the status and the whole reply.
    pub(crate) fn request(addr: SocketAddr, path: &str, headers: &str) -> (u16, String) {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(s, "GET {path} HTTP/1.1\r\nHost: localhost\r\n{headers}\r\n").unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        let status = out
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        (status, out)
    }

    #[test]
    fn a_panicking_handler_answers_500_and_frees_its_place() {
        let server = serve_handler(
            "127.0.0.1:0",
            Options {
                max_concurrent: 4,
                ..Options::default()
            },
            Arc::new(|req: &Request<'_>, _: &Limits| {
                if req.path == "/panic" {
                    panic!("handler bug");
                }
                Response::error(200, "fine")
            }),
        )
        .unwrap();
        let addr = server.local_addr();
        // Ten times the cap: a leaked place per panic would end in 503s.
        for _ in 0..40 {
            let (status, body) = get(addr, "/panic");
            assert_eq!(status, 500, "{body}");
            assert!(body.contains("X-Go-Pprof: 1"), "{body}");
        }
        let (status, body) = get(addr, "/ok");
        assert_eq!(status, 200, "{body}");
        server.shutdown();
    }

    #[test]
    fn loopback_hosts_only() {
        let local: SocketAddr = "127.0.0.1:6060".parse().unwrap();
        for ok in [
            "localhost",
            "localhost:6060",
            "127.0.0.1",
            "127.0.0.1:6060",
            "127.1.2.3:80",
            "[::1]:6060",
            "LOCALHOST",
            "app.localhost:1",
        ] {
            assert!(is_loopback_host(ok, local), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:6060",
            "10.0.0.1",
            "[2001:db8::1]:1",
            "",
        ] {
            assert!(!is_loopback_host(bad, local), "{bad}");
        }
    }
}
