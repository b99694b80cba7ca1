//! The pprof endpoint as an axum [`Router`], to mount in an
//! existing axum app instead of running `inprof::http::serve`.
//!
//! An app is often served on every interface, so the router guards itself
//! as `inprof::http::serve` does. [`router`] answers clients on this
//! machine only: a loopback peer address (so the app must be served with
//! its clients' addresses, `into_make_service_with_connect_info`) and a
//! loopback `Host` (no DNS rebinding); anyone else gets 403, and nothing
//! of the process.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! let app = axum::Router::new().merge(inprof::axum::router());
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:3000").await?;
//! axum::serve(
//!     listener,
//!     app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
//! )
//! .await
//! # }
//! ```
//!
//! A reverse proxy on this machine is a loopback peer too: behind one, or
//! to serve other hosts, require a token with [`router_with`]
//! (`allow_remote` and `token`, as for `inprof::http::serve_with`), and
//! read with `inprof --token` or any client that sends
//! `Authorization: Bearer TOKEN`.
//!
//! Requests run on tokio's blocking pool (a time profile waits its
//! `seconds`, at most `max_seconds`). Routes: `/debug/pprof/...` (as
//! net/http/pprof) and `/debug/inprof/...` (memstats, stats, version, used
//! by the CLI).

use ::axum::body::Body;
use ::axum::extract::{ConnectInfo, Request};
use ::axum::http::StatusCode;
use ::axum::response::Response;
use ::axum::routing::any;
use ::axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;

/// The largest request body read (pprof's `symbol` lookups are a few
/// hundred bytes).
const MAX_BODY: usize = 64 * 1024;

/// Who may be answered, and what they may ask.
#[derive(Debug)]
struct Access {
    allow_remote: bool,
    token: Option<String>,
    limits: crate::http::Limits,
}

/// A router serving `/debug/pprof/` and `/debug/inprof/` to clients on
/// this machine only (a loopback peer and `Host`; see the module docs).
pub fn router() -> Router {
    routes(Access {
        allow_remote: false,
        token: None,
        limits: crate::http::Limits::default(),
    })
}

/// [`router`] with options: `allow_remote` answers any client and `Host`
/// and needs a `token` (an error without one); a `token` alone is
/// required on top of the loopback checks; `max_seconds` bounds a
/// request's `seconds`. The connection options (`max_concurrent`,
/// timeouts, header limits) are the app's own.
pub fn router_with(opts: crate::http::Options) -> Result<Router, crate::Error> {
    let token = opts.token.filter(|t| !t.is_empty());
    if opts.allow_remote && token.is_none() {
        return Err(crate::Error::Serve(
            "allow_remote needs a token: a profiling endpoint open to other hosts must not answer without one".into(),
        ));
    }
    Ok(routes(Access {
        allow_remote: opts.allow_remote,
        token,
        limits: crate::http::Limits {
            max_seconds: opts.max_seconds,
        },
    }))
}

fn routes(access: Access) -> Router {
    let access = Arc::new(access);
    let handler = move |req: Request| serve(Arc::clone(&access), req);
    Router::new()
        .route("/debug/pprof", any(handler.clone()))
        .route("/debug/pprof/", any(handler.clone()))
        .route("/debug/pprof/{*rest}", any(handler.clone()))
        .route("/debug/inprof/{*rest}", any(handler))
}

/// Why a request is refused: its status and message.
type Refusal = (StatusCode, &'static str);

/// Whether `access` lets a request in, from its peer (if the app was
/// served with its clients' addresses), `Host` and `Authorization`.
fn admit(
    access: &Access,
    peer: Option<SocketAddr>,
    host: Option<&str>,
    authorization: Option<&str>,
) -> Result<(), Refusal> {
    if !access.allow_remote {
        match peer {
            None => {
                return Err((
                    StatusCode::FORBIDDEN,
                    "inprof::axum::router answers clients on this machine only, and this app was served without its clients' addresses: serve it with into_make_service_with_connect_info::<SocketAddr>(), or use router_with with allow_remote and a token\n",
                ))
            }
            Some(p) if !p.ip().to_canonical().is_loopback() => {
                return Err((
                    StatusCode::FORBIDDEN,
                    "this endpoint answers clients on this machine only\n",
                ))
            }
            Some(_) => {}
        }
        // No local address here: loopback names and addresses only.
        let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
        if host.is_some_and(|h| !crate::http::is_loopback_host(h, loopback)) {
            return Err((
                StatusCode::FORBIDDEN,
                "invalid Host header: this endpoint answers loopback names only\n",
            ));
        }
    }
    if let Some(t) = &access.token {
        if !crate::http::bearer_authorized(authorization, t) {
            return Err((
                StatusCode::UNAUTHORIZED,
                "unauthorized: send Authorization: Bearer TOKEN\n",
            ));
        }
    }
    Ok(())
}

async fn serve(access: Arc<Access>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let header = |name| {
        parts
            .headers
            .get(name)
            .and_then(|v: &::axum::http::HeaderValue| v.to_str().ok())
    };
    if let Err((status, msg)) = admit(
        &access,
        peer,
        header(::axum::http::header::HOST),
        header(::axum::http::header::AUTHORIZATION),
    ) {
        let mut b = Response::builder().status(status);
        if status == StatusCode::UNAUTHORIZED {
            b = b.header("WWW-Authenticate", "Bearer realm=\"inprof\"");
        }
        return b.body(Body::from(msg)).unwrap_or_default();
    }
    let body = match ::axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return Response::builder()
                .status(StatusCode::PAYLOAD_TOO_LARGE)
                .body(Body::from("request body too large\n"))
                .unwrap_or_default()
        }
    };
    let method = parts.method;
    let uri = parts.uri;
    let limits = access.limits;
    let r = tokio::task::spawn_blocking(move || {
        let never = || false;
        crate::http::handle_with(
            &crate::http::Request {
                method: method.as_str(),
                path: uri.path(),
                query: uri.query().unwrap_or(""),
                body: &body,
                client_gone: &never,
            },
            &limits,
        )
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

#[cfg(test)]
mod tests {
    use super::*;

    fn access(allow_remote: bool, token: Option<&str>) -> Access {
        Access {
            allow_remote,
            token: token.map(str::to_owned),
            limits: crate::http::Limits::default(),
        }
    }

    #[test]
    fn loopback_clients_only_unless_remote_with_a_token() {
        let local: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let mapped: SocketAddr = "[::ffff:127.0.0.1]:5000".parse().unwrap();
        let remote: SocketAddr = "203.0.113.7:5000".parse().unwrap();
        let code = |r: Result<(), Refusal>| r.err().map(|e| e.0.as_u16());
        let a = access(false, None);
        assert_eq!(
            code(admit(&a, Some(local), Some("localhost:3000"), None)),
            None
        );
        assert_eq!(code(admit(&a, Some(mapped), None, None)), None);
        // Another host, an unknown peer, a rebound name.
        assert_eq!(
            code(admit(&a, Some(remote), Some("localhost"), None)),
            Some(403)
        );
        assert_eq!(code(admit(&a, None, Some("localhost"), None)), Some(403));
        let e = admit(&a, None, None, None).unwrap_err().1;
        assert!(e.contains("into_make_service_with_connect_info"), "{e}");
        assert_eq!(
            code(admit(&a, Some(local), Some("attacker.example:3000"), None)),
            Some(403)
        );
        // A token on top of the loopback checks.
        let t = access(false, Some("s3cret"));
        assert_eq!(code(admit(&t, Some(local), None, None)), Some(401));
        assert_eq!(
            code(admit(&t, Some(local), None, Some("Bearer s3cret"))),
            None
        );
        assert_eq!(
            code(admit(&t, Some(remote), None, Some("Bearer s3cret"))),
            Some(403)
        );
        // Remote: any peer and Host, the token required.
        let r = access(true, Some("s3cret"));
        assert_eq!(
            code(admit(
                &r,
                Some(remote),
                Some("profiler.example"),
                Some("Bearer s3cret")
            )),
            None
        );
        assert_eq!(code(admit(&r, None, None, Some("Bearer s3cret"))), None);
        assert_eq!(
            code(admit(&r, Some(remote), None, Some("Bearer nope"))),
            Some(401)
        );
        assert_eq!(code(admit(&r, Some(remote), None, None)), Some(401));
        // allow_remote without a token is refused when the router is made.
        let opts = crate::http::Options {
            allow_remote: true,
            ..Default::default()
        };
        assert!(router_with(opts).is_err());
    }
}
