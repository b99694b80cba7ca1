//! The endpoint left running in production: it cannot be taken down or
//! grown by what clients send, or by clients that send nothing.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// The tests here measure the process (RSS, threads) and fill the servers'
/// places on purpose: one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Sends `request` raw and returns (status, whole response).
fn raw(addr: SocketAddr, request: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    // The server may answer (and close) before it has read everything.
    let _ = s.write_all(request);
    read_reply(&mut s)
}

fn read_reply(s: &mut TcpStream) -> (u16, String) {
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    raw(
        addr,
        format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n",
            addr.port()
        )
        .as_bytes(),
    )
}

fn stat(addr: SocketAddr, key: &str) -> u64 {
    let (status, text) = get(addr, "/debug/inprof/stats");
    assert_eq!(status, 200, "{text}");
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}: ")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{key} in {text}"))
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[test]
fn many_requests_leave_no_threads_and_no_memory_behind() {
    let _serial = serial();
    let server = inprof::http::serve("127.0.0.1:0").unwrap();
    let addr = server.local_addr();
    for _ in 0..200 {
        assert_eq!(get(addr, "/debug/pprof/cmdline").0, 200);
    }
    let threads0 = stat(addr, "threads-registered");
    let os0 = stat(addr, "os-threads");
    let rss0 = rss_kib();
    for _ in 0..5000 {
        assert_eq!(get(addr, "/debug/pprof/cmdline").0, 200);
    }
    let threads1 = stat(addr, "threads-registered");
    let os1 = stat(addr, "os-threads");
    let rss1 = rss_kib();
    assert_eq!(threads1, threads0, "request threads registered call trees");
    assert!(os1 <= os0 + 8, "os threads {os0} -> {os1}");
    assert!(
        rss1 < rss0 + 4096,
        "RSS grew {rss0} -> {rss1} KiB over 5000 requests"
    );
    server.shutdown();
}

#[test]
fn oversized_heads_and_bodies_are_refused_without_reading_them_all() {
    let _serial = serial();
    let server = inprof::http::serve("127.0.0.1:0").unwrap();
    let addr = server.local_addr();
    // The requests are built first: their own memory is the client's.
    // One 1 MiB header line.
    let mut big = b"GET /debug/pprof/ HTTP/1.1\r\nHost: localhost\r\nX-Big: ".to_vec();
    big.extend(std::iter::repeat_n(b'a', 1 << 20));
    big.extend_from_slice(b"\r\n\r\n");
    // Many small headers.
    let mut many = b"GET /debug/pprof/ HTTP/1.1\r\nHost: localhost\r\n".to_vec();
    for i in 0..200_000 {
        many.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
    }
    many.extend_from_slice(b"\r\n");
    let rss0 = rss_kib();
    let (status, text) = raw(addr, &big);
    assert_eq!(status, 431, "{text}");
    let (status, text) = raw(addr, &many);
    assert_eq!(status, 431, "{text}");
    // More headers than allowed, within the byte cap.
    let mut req = b"GET /debug/pprof/ HTTP/1.1\r\nHost: localhost\r\n".to_vec();
    for i in 0..100 {
        req.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
    }
    req.extend_from_slice(b"\r\n");
    assert_eq!(raw(addr, &req).0, 431);
    // A body over the cap.
    let (status, _) = raw(
        addr,
        b"POST /debug/pprof/symbol HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000000\r\n\r\n0x1",
    );
    assert_eq!(status, 413);
    assert!(rss_kib() < rss0 + 4096, "refusing big requests cost memory");
    // And it still serves.
    assert_eq!(get(addr, "/debug/pprof/cmdline").0, 200);
    server.shutdown();
}

#[test]
fn idle_connections_are_closed_and_over_the_cap_refused_at_once() {
    let _serial = serial();
    let server = inprof::http::serve_with(
        "127.0.0.1:0",
        inprof::http::Options {
            max_concurrent: 4,
            read_timeout: Duration::from_secs(1),
            ..Default::default()
        },
    )
    .unwrap();
    let addr = server.local_addr();
    let t0 = Instant::now();
    // Twelve connections that never send a byte.
    let mut idle: Vec<TcpStream> = (0..12).map(|_| TcpStream::connect(addr).unwrap()).collect();
    let mut statuses = Vec::new();
    for s in &mut idle {
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        statuses.push(read_reply(s).0);
    }
    statuses.sort();
    // Four were served until their deadline (408), eight refused (503).
    assert_eq!(
        statuses,
        [408, 408, 408, 408, 503, 503, 503, 503, 503, 503, 503, 503]
    );
    assert!(
        t0.elapsed() < Duration::from_secs(5),
        "idle connections held {:?}",
        t0.elapsed()
    );
    assert_eq!(get(addr, "/debug/pprof/cmdline").0, 200);
    server.shutdown();
}

#[test]
fn abandoned_long_requests_free_their_places() {
    let _serial = serial();
    let server = inprof::http::serve_with(
        "127.0.0.1:0",
        inprof::http::Options {
            max_concurrent: 4,
            ..Default::default()
        },
    )
    .unwrap();
    let addr = server.local_addr();
    // Delta profiles, and a time profile (only one can run at a time).
    let heap = "/debug/pprof/heap?seconds=30";
    let profile = "/debug/pprof/profile?seconds=30";
    for paths in [[heap, heap, heap, heap], [profile, heap, heap, heap]] {
        let path = paths[0];
        let conns: Vec<TcpStream> = paths
            .iter()
            .map(|path| {
                let mut s = TcpStream::connect(addr).unwrap();
                write!(s, "GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
                s
            })
            .collect();
        std::thread::sleep(Duration::from_millis(300));
        // Every place is taken.
        assert_eq!(get(addr, "/debug/pprof/cmdline").0, 503);
        drop(conns);
        let t0 = Instant::now();
        loop {
            if get(addr, "/debug/pprof/cmdline").0 == 200 {
                break;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(3),
                "{path}: places still taken {:?} after the clients left",
                t0.elapsed()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        // Let every abandoned request notice (they look every 100 ms)
        // before the next round takes all the places again.
        std::thread::sleep(Duration::from_millis(500));
    }
    server.shutdown();
}

#[test]
fn foreign_host_names_token_and_limits() {
    let _serial = serial();
    let server = inprof::http::serve_with(
        "127.0.0.1:0",
        inprof::http::Options {
            max_seconds: 5,
            ..Default::default()
        },
    )
    .unwrap();
    let addr = server.local_addr();
    // DNS rebinding: a foreign name pointing at 127.0.0.1.
    let (status, text) = raw(
        addr,
        b"GET /debug/pprof/ HTTP/1.1\r\nHost: evil.example\r\n\r\n",
    );
    assert_eq!(status, 403, "{text}");
    let (status, _) = raw(
        addr,
        b"GET /debug/pprof/ HTTP/1.1\r\nHost: localhost\r\n\r\n",
    );
    assert_eq!(status, 200);

    // Limits are per server: an agent (default 600 s) leaves this one at 5.
    assert_eq!(get(addr, "/debug/pprof/heap?seconds=6").0, 400);
    let dir = std::env::temp_dir().join(format!("inprof-hardening-{}", std::process::id()));
    let agent = inprof::agent::listen(inprof::agent::AgentOptions {
        config_dir: Some(dir.clone()),
        ..Default::default()
    })
    .unwrap();
    let (status, text) = get(addr, "/debug/pprof/heap?seconds=6");
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("limit of 5 seconds"), "{text}");
    agent.close();
    let _ = std::fs::remove_dir_all(&dir);

    // Remote access needs a token.
    let e = inprof::http::serve_with(
        "127.0.0.1:0",
        inprof::http::Options {
            allow_remote: true,
            ..Default::default()
        },
    )
    .err()
    .expect("allow_remote without a token must be refused");
    assert!(e.to_string().contains("token"), "{e}");

    // Token: any case of the scheme; wrong or missing is 401.
    let secured = inprof::http::serve_with(
        "127.0.0.1:0",
        inprof::http::Options {
            token: Some("s3cret".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let a = secured.local_addr();
    let with = |auth: &str| {
        raw(
            a,
            format!("GET /debug/pprof/cmdline HTTP/1.1\r\nHost: localhost\r\n{auth}\r\n")
                .as_bytes(),
        )
        .0
    };
    assert_eq!(with("Authorization: Bearer s3cret\r\n"), 200);
    assert_eq!(with("authorization: bearer s3cret\r\n"), 200);
    assert_eq!(with("Authorization: Bearer s3cre\r\n"), 401);
    assert_eq!(with("Authorization: Bearer s3cretX\r\n"), 401);
    assert_eq!(with(""), 401);
    secured.shutdown();
    server.shutdown();
}

#[test]
fn cmdline_with_an_argument_that_is_not_utf8() {
    use std::os::unix::ffi::OsStrExt;
    let exe = std::env::current_exe().unwrap();
    let bin = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join("serve");
    assert!(bin.exists(), "{} not built", bin.display());
    let mut child = std::process::Command::new(&bin)
        .arg("30")
        .arg(std::ffi::OsStr::from_bytes(b"caf\xe9"))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let mut out = child.stdout.take().unwrap();
    let mut b = [0u8; 1];
    while !line.ends_with('\n') && out.read(&mut b).unwrap() == 1 {
        line.push(b[0] as char);
    }
    let addr: SocketAddr = line
        .trim()
        .trim_start_matches("serving http://")
        .trim_end_matches("/debug/pprof/")
        .parse()
        .unwrap_or_else(|_| panic!("address in {line:?}"));
    for _ in 0..40 {
        let (status, text) = get(addr, "/debug/pprof/cmdline");
        assert_eq!(status, 200, "{text}");
        assert!(text.contains("caf\u{fffd}"), "{text}");
    }
    let _ = child.kill();
    let _ = child.wait();
}
