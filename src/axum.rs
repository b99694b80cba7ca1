//! The pprof endpoint as an axum [`Router`], to mount in an
//! existing axum app instead of running `inprof::http::serve`.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! let app = axum::Router::new().merge(inprof::axum::router());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await
//! # }
//! ```
//!
//! Requests run on tokio's blocking pool (a time profile waits its
//! `seconds`). Routes: `/debug/pprof/...` (as net/http/pprof) and
//! `/debug/inprof/...` (memstats, stats, version, used by the CLI).

use ::axum::body::{Body, Bytes};
use ::axum::http::{Method, StatusCode, Uri};
use ::axum::response::Response;
use ::axum::routing::any;
use ::axum::Router;

/// A router serving `/debug/pprof/` and `/debug/inprof/`.
pub fn router() -> Router {
    Router::new()
        .route("/debug/pprof", any(serve))
        .route("/debug/pprof/", any(serve))
        .route("/debug/pprof/{*rest}", any(serve))
        .route("/debug/inprof/{*rest}", any(serve))
}

async fn serve(method: Method, uri: Uri, body: Bytes) -> Response {
    let r = tokio::task::spawn_blocking(move || {
        let never = || false;
        crate::http::handle(&crate::http::Request {
            method: method.as_str(),
            path: uri.path(),
            query: uri.query().unwrap_or(""),
            body: &body,
            client_gone: &never,
        })
    })
    .await;
    let r = match r {
        Ok(r) => r,
        Err(e) => {
            return Response::builder()
                .status(StatusCode::INTERNAL_SERVER_ERROR)
                .body(Body::from(format!("inprof handler failed: {e}\n")))
                .unwrap_or_default()
        }
    };
    let mut b = Response::builder().status(r.status);
    for (k, v) in &r.headers {
        b = b.header(k.as_str(), v.as_str());
    }
    b.body(Body::from(r.body)).unwrap_or_default()
}
