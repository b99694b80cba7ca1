//! The net/http/pprof endpoint, read by the real `go tool pprof` over HTTP,
//! and every error case of net/http/pprof with Go's status and message.

mod common;
use common::*;
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOC: inprof::Alloc = inprof::Alloc::system();

static STOP: AtomicBool = AtomicBool::new(false);

#[inprof::profile]
fn busy() -> u64 {
    let mut x = 1u64;
    for i in 0..20_000u64 {
        x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
    }
    x
}

/// Small enough to be inlined where it is called: `black_box` keeps the
/// optimizer from eliding an allocation its caller never reads.
#[inprof::profile]
fn keeps_memory() -> Vec<u8> {
    std::hint::black_box(vec![7u8; 123_456])
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn get(url: &str, timeout: Duration) -> Result<Reply, String> {
    let agent = ureq::AgentBuilder::new().timeout(timeout).build();
    let r = match agent.get(url).call() {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => return Err(e.to_string()),
    };
    let status = r.status();
    let headers = r
        .headers_names()
        .into_iter()
        .map(|n| {
            let v = r.header(&n).unwrap_or("").to_owned();
            (n, v)
        })
        .collect();
    let mut body = Vec::new();
    r.into_reader()
        .take(64 << 20)
        .read_to_end(&mut body)
        .map_err(|e| e.to_string())?;
    Ok(Reply {
        status,
        headers,
        body,
    })
}

fn rss_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[test]
fn endpoint_parity_with_net_http_pprof() {
    // Remote addresses are refused unless asked for.
    let e = inprof::http::serve("0.0.0.0:0")
        .err()
        .expect("0.0.0.0 must be refused");
    assert!(e.to_string().contains("not a loopback address"), "{e}");

    inprof::set_block_profile_rate(1);
    inprof::set_mutex_profile_fraction(1);
    let server = inprof::http::serve("127.0.0.1:0").unwrap();
    let base = format!("http://{}/debug/pprof", server.local_addr());
    let kept = keeps_memory();
    let worker = inprof::thread::Builder::new()
        .name("busy-worker".into())
        .spawn(|| {
            while !STOP.load(Ordering::Relaxed) {
                busy();
            }
        })
        .unwrap();
    // Some contention, so block and mutex have samples.
    let m = std::sync::Arc::new(inprof::sync::Mutex::new(0));
    let m2 = m.clone();
    let g = m.lock();
    let t = inprof::thread::spawn(move || *m2.lock() += 1);
    std::thread::sleep(Duration::from_millis(20));
    drop(g);
    t.join().unwrap();

    // go tool pprof over HTTP: a 2 s CPU profile shows the workload, with
    // Go's sample types first and cpu the default (what Parca and
    // Pyroscope scrape as process CPU), our exact ones after.
    let url = format!("{base}/profile?seconds=2");
    let cpu_raw = pprof_url(&["-raw"], &url);
    assert!(
        cpu_raw.contains("samples/count cpu/nanoseconds[dflt] calls/count wall/nanoseconds"),
        "{cpu_raw}"
    );
    assert!(cpu_raw.contains("PeriodType: cpu nanoseconds"), "{cpu_raw}");
    let rows = top_url(&url, &[]);
    let b = row(&rows, "http_endpoint::busy");
    // Its CPU and its callees' (cum): unoptimized, its loop calls core's
    // range and arithmetic functions, which show below it as native
    // frames and take most of its flat.
    assert!(
        b.cum > 0.5e9 && b.cum < 2.3e9,
        "busy cpu {} over a 2 s profile",
        b.cum
    );
    // The wall route: the same profile, wall the default.
    let wall_raw = pprof_url(&["-raw"], &format!("{base}/wall?seconds=1"));
    assert!(
        wall_raw.contains("samples/count cpu/nanoseconds calls/count wall/nanoseconds[dflt]"),
        "{wall_raw}"
    );

    for (name, types) in [
        (
            "heap",
            "alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes",
        ),
        (
            "allocs",
            "alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes",
        ),
        ("block", "contentions/count delay/nanoseconds"),
        ("mutex", "contentions/count delay/nanoseconds"),
        ("goroutine", "goroutine/count"),
        ("threadcreate", "threadcreate/count"),
    ] {
        let raw = pprof_url(&["-raw"], &format!("{base}/{name}"));
        let line = raw
            .lines()
            .find(|l| l.contains('/') && !l.contains(':'))
            .unwrap_or("");
        assert_eq!(line.replace("[dflt]", ""), types, "{name}: {raw}");
    }
    let heap = top_url(
        &format!("{base}/heap"),
        &["-sample_index=inuse_space", "-unit=B"],
    );
    assert_eq!(row(&heap, "http_endpoint::keeps_memory").flat, 123_456.0);
    let threads = top_url(&format!("{base}/goroutine"), &[]);
    assert_eq!(row(&threads, "http_endpoint::busy").flat, 1.0);

    // debug=1 texts parse with go tool pprof, as Go's do.
    for name in ["heap", "goroutine", "threadcreate", "block", "mutex"] {
        let r = get(&format!("{base}/{name}?debug=1"), Duration::from_secs(10)).unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.header("Content-Type"), Some("text/plain; charset=utf-8"));
        let f = tmpdir("httptext").join(format!("{name}.txt"));
        std::fs::write(&f, &r.body).unwrap();
        raw(&f);
    }

    // Headers of binary and text replies, index, cmdline, symbol.
    let r = get(&format!("{base}/heap"), Duration::from_secs(10)).unwrap();
    assert_eq!(r.header("Content-Type"), Some("application/octet-stream"));
    assert_eq!(
        r.header("Content-Disposition"),
        Some("attachment; filename=\"heap\"")
    );
    assert_eq!(r.header("X-Content-Type-Options"), Some("nosniff"));
    let idx = get(&format!("{base}/"), Duration::from_secs(10)).unwrap();
    assert_eq!(idx.header("Content-Type"), Some("text/html; charset=utf-8"));
    assert!(
        idx.text().contains("<a href=\"heap?debug=1\">heap</a>"),
        "{}",
        idx.text()
    );
    assert!(idx.text().contains("goroutine?debug=2"));
    let cmd = get(&format!("{base}/cmdline"), Duration::from_secs(10)).unwrap();
    assert!(cmd.text().contains("http_endpoint"), "{}", cmd.text());
    let sym = get(&format!("{base}/symbol"), Duration::from_secs(10)).unwrap();
    assert_eq!(sym.text(), "num_symbols: 1\n");
    let post = ureq::post(&format!("{base}/symbol"))
        .send_string("0x1234+0x5678")
        .unwrap();
    assert_eq!(post.into_string().unwrap(), "num_symbols: 1\n");
    let dump = get(
        &format!("{base}/goroutine?debug=2"),
        Duration::from_secs(10),
    )
    .unwrap();
    assert!(dump.text().contains("\"busy-worker\""), "{}", dump.text());

    // Delta profile: allocations made during the window only.
    let d = std::thread::spawn({
        let url = format!("{base}/allocs?seconds=1");
        move || get(&url, Duration::from_secs(10)).unwrap()
    });
    std::thread::sleep(Duration::from_millis(300));
    let during = keeps_memory();
    let d = d.join().unwrap();
    assert_eq!(d.status, 200);
    assert_eq!(
        d.header("Content-Disposition"),
        Some("attachment; filename=\"allocs-delta\"")
    );
    let f = tmpdir("httpdelta").join("allocs-delta.pb.gz");
    std::fs::write(&f, &d.body).unwrap();
    let rows = top(&f, &["-sample_index=alloc_space", "-unit=B"]);
    assert_eq!(row(&rows, "http_endpoint::keeps_memory").flat, 123_456.0);
    drop(during);

    // Errors: Go's status, message and headers.
    for (path, status, msg) in [
        ("/nope", 404, "Unknown profile"),
        ("/heap/../nope", 404, "Unknown profile"),
        ("/%00%ff", 404, "Unknown profile"),
        (
            "/heap?seconds=abc",
            400,
            "invalid value for \"seconds\" - must be a positive integer",
        ),
        (
            "/heap?seconds=-3",
            400,
            "invalid value for \"seconds\" - must be a positive integer",
        ),
        (
            "/heap?seconds=5&debug=1",
            400,
            "seconds and debug params are incompatible",
        ),
        (
            "/heap?seconds=99999999",
            400,
            "profile duration exceeds server's limit of 600 seconds",
        ),
        (
            "/profile?seconds=99999999",
            400,
            "profile duration exceeds server's limit of 600 seconds",
        ),
    ] {
        let r = get(&format!("{base}{path}"), Duration::from_secs(10)).unwrap();
        assert_eq!(r.status, status, "{path}");
        assert_eq!(r.text(), format!("{msg}\n"), "{path}");
        assert_eq!(r.header("X-Go-Pprof"), Some("1"), "{path}");
        assert_eq!(
            r.header("Content-Type"),
            Some("text/plain; charset=utf-8"),
            "{path}"
        );
    }
    let r = get(
        &format!("http://{}/other", server.local_addr()),
        Duration::from_secs(10),
    )
    .unwrap();
    assert_eq!(r.status, 404);
    assert_eq!(r.text(), "404 page not found\n");

    // A profile while one runs: 500 with Go's message; the first one's
    // client goes away (negative seconds means 30) and it stops early.
    let first = std::thread::spawn({
        let url = format!("{base}/profile?seconds=-5");
        move || get(&url, Duration::from_millis(1500))
    });
    std::thread::sleep(Duration::from_millis(500));
    let busy_reply = get(
        &format!("{base}/profile?seconds=1"),
        Duration::from_secs(10),
    )
    .unwrap();
    assert_eq!(busy_reply.status, 500);
    assert_eq!(
        busy_reply.text(),
        "Could not enable CPU profiling: cpu profiling already in use\n"
    );
    // Meanwhile other profiles are served at once.
    let t0 = Instant::now();
    assert_eq!(
        get(&format!("{base}/heap"), Duration::from_secs(10))
            .unwrap()
            .status,
        200
    );
    assert!(
        t0.elapsed() < Duration::from_secs(5),
        "heap held up by a running profile"
    );
    assert!(
        first.join().unwrap().is_err(),
        "the 30 s profile should have timed out client-side"
    );
    // The abandoned profile stops within moments, not after 30 s.
    let t0 = Instant::now();
    loop {
        let r = get(
            &format!("{base}/profile?seconds=1"),
            Duration::from_secs(10),
        )
        .unwrap();
        if r.status == 200 {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "profile slot never freed: {}",
            r.text()
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    // 1000 requests in a row: all served, memory flat.
    for _ in 0..200 {
        assert_eq!(
            get(
                &format!("{base}/goroutine?debug=1"),
                Duration::from_secs(10)
            )
            .unwrap()
            .status,
            200
        );
    }
    let before = rss_kib();
    for i in 0..800 {
        let path = if i % 2 == 0 {
            "/goroutine?debug=1"
        } else {
            "/garbage%zz?debug=%%"
        };
        let r = get(&format!("{base}{path}"), Duration::from_secs(10)).unwrap();
        assert!(r.status == 200 || r.status == 404);
    }
    let after = rss_kib();
    assert!(
        after < before + 8 * 1024,
        "RSS grew from {before} KiB to {after} KiB over 800 requests"
    );

    // A bearer token, when set, is required.
    let locked = inprof::http::serve_with(
        "127.0.0.1:0",
        inprof::http::Options {
            token: Some("s3cret".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let u = format!("http://{}/debug/pprof/heap", locked.local_addr());
    assert_eq!(get(&u, Duration::from_secs(10)).unwrap().status, 401);
    let ok = ureq::get(&u)
        .set("Authorization", "Bearer s3cret")
        .call()
        .unwrap();
    assert_eq!(ok.status(), 200);

    STOP.store(true, Ordering::Relaxed);
    worker.join().unwrap();
    drop(kept);
}

fn pprof_url(args: &[&str], url: &str) -> String {
    let tmp = tmpdir("pprof-home");
    let out = std::process::Command::new("go")
        .args(["tool", "pprof"])
        .args(args)
        .arg(url)
        .env("PPROF_TMPDIR", &tmp)
        .env("HOME", &tmp)
        .output()
        .expect("go not found");
    assert!(
        out.status.success(),
        "go tool pprof {args:?} {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn top_url(url: &str, extra: &[&str]) -> Vec<Row> {
    // Fetch through pprof once (it saves a copy), then parse its -top.
    let mut args = TOP_ALL.to_vec();
    args.extend_from_slice(extra);
    let out = pprof_url(&args, url);
    let f = tmpdir("topurl").join("out.txt");
    std::fs::write(&f, &out).unwrap();
    parse_top(&out)
}
