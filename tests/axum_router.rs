//! The endpoint mounted in an axum app: `go tool pprof` reads from it, and
//! errors keep Go's status and message.

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
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
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
    drop(kept);
}
