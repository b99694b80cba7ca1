//! The endpoint mounted in an axum app: `go tool pprof` reads from it,
//! errors keep Go's status and message, and it answers clients on this
//! machine only, or holders of its token.

mod common;
use common::*;

#[global_allocator]
static ALLOC: inprof::Alloc = inprof::Alloc::system();

#[inprof::profile]
fn held() -> Vec<u8> {
    std::hint::black_box(vec![3u8; 77_777])
}

#[test]
fn axum_router_serves_pprof() {
    let kept = held();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let addr = rt.block_on(async {
        let app = axum::Router::new()
            .route("/", axum::routing::get(|| async { "my app" }))
            .merge(inprof::axum::router());
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let svc = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
        tokio::spawn(async move { axum::serve(l, svc).await.unwrap() });
        addr
    });
    let dir = tmpdir("axum");
    let file = dir.join("heap.pb.gz");
    let body = ureq::get(&format!("http://{addr}/debug/pprof/heap"))
        .call()
        .unwrap();
    assert_eq!(
        body.header("Content-Type"),
        Some("application/octet-stream")
    );
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut body.into_reader(), &mut bytes).unwrap();
    std::fs::write(&file, bytes).unwrap();
    let rows = top(&file, &["-sample_index=inuse_space", "-unit=B"]);
    assert_eq!(row(&rows, "axum_router::held").flat, 77_777.0);
    match ureq::get(&format!("http://{addr}/debug/pprof/nope")).call() {
        Err(ureq::Error::Status(404, r)) => {
            assert_eq!(r.header("X-Go-Pprof"), Some("1"));
            assert_eq!(r.into_string().unwrap(), "Unknown profile\n");
        }
        other => panic!("{other:?}"),
    }
    let app = ureq::get(&format!("http://{addr}/"))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    assert_eq!(app, "my app");
    // A rebound name is refused, and nothing of the process sent.
    match ureq::get(&format!("http://{addr}/debug/pprof/cmdline"))
        .set("Host", "attacker.example")
        .call()
    {
        Err(ureq::Error::Status(403, r)) => {
            let body = r.into_string().unwrap();
            assert!(body.contains("loopback names only"), "{body}");
        }
        other => panic!("{:?}", other.map(|r| r.status())),
    }
    drop(kept);
}

/// An app served without its clients' addresses cannot tell a client on
/// this machine from one elsewhere: the router refuses, and says how to
/// serve the app; with a token (`router_with`), any client that sends it
/// is answered.
#[test]
fn axum_router_refuses_unknown_clients_and_takes_a_token() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let serve = |app: axum::Router| {
        rt.block_on(async {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = l.local_addr().unwrap();
            tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
            addr
        })
    };
    let plain = serve(inprof::axum::router());
    match ureq::get(&format!("http://{plain}/debug/pprof/cmdline")).call() {
        Err(ureq::Error::Status(403, r)) => {
            let body = r.into_string().unwrap();
            assert!(
                body.contains("into_make_service_with_connect_info::<SocketAddr>()"),
                "{body}"
            );
        }
        other => panic!("{:?}", other.map(|r| r.status())),
    }
    let opts = inprof::http::Options {
        allow_remote: true,
        token: Some("s3cret".into()),
        ..Default::default()
    };
    let remote = serve(inprof::axum::router_with(opts).unwrap());
    let url = format!("http://{remote}/debug/pprof/cmdline");
    match ureq::get(&url).call() {
        Err(ureq::Error::Status(401, r)) => {
            assert_eq!(
                r.header("WWW-Authenticate"),
                Some("Bearer realm=\"inprof\"")
            );
        }
        other => panic!("{:?}", other.map(|r| r.status())),
    }
    let cmdline = ureq::get(&url)
        .set("Authorization", "Bearer s3cret")
        .set("Host", "profiler.example")
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    assert!(cmdline.contains("axum_router"), "{cmdline:?}");
}
