//! The HTTP listeners: connections accepted up to a limit, HTTP/1.1 and
//! HTTP/2 on one port (hyper-util's `auto` builder), header size and read
//! timeouts, and a graceful shutdown that lets checks in flight finish.
//!
//! Routes of the check listener: the check path (forward-auth), `/denial`
//! (nginx's replay of a denial), `/ext_authz/…` (Envoy's HTTP ext_authz),
//! `/healthz` and `/readyz`. Routes of the admin listener: `/metrics`,
//! `/healthz` and `/readyz`. The gRPC listener ([`crate::envoy::grpc`])
//! shares the accept loop, `accept`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

use crate::check::ServerReason;
use crate::config::Limits;
use crate::envoy;
use crate::forward_auth;
use crate::gate::Gate;

/// Which routes a listener serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Checks, `/denial`, `/ext_authz/…`, `/healthz`, `/readyz`.
    Check,
    /// `/metrics`, `/healthz`, `/readyz`.
    Admin,
}

/// Serves `listener` until `shutdown` turns true, then waits up to the
/// configured grace for open requests to finish.
pub async fn serve(
    listener: TcpListener,
    gate: Arc<Gate>,
    role: Role,
    shutdown: watch::Receiver<bool>,
) {
    let limits: Limits = gate.config().limits.clone();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_millis(limits.header_timeout_ms))
        .max_buf_size(limits.max_header_bytes.max(8192));
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX));
    accept(listener, &limits, &builder, shutdown, |peer| {
        let gate = Arc::clone(&gate);
        hyper::service::service_fn(move |request| {
            let gate = Arc::clone(&gate);
            async move { Ok::<_, Infallible>(route(&gate, role, peer, request).await) }
        })
    })
    .await;
}

/// The accept loop every listener shares: connections up to
/// `limits.connections` (more are closed at once), each served by the
/// service `service` makes for its peer, until `shutdown` turns true; then
/// open connections get up to `limits.shutdown_grace_ms` to finish.
pub(crate) async fn accept<M, S, B>(
    listener: TcpListener,
    limits: &Limits,
    builder: &auto::Builder<TokioExecutor>,
    mut shutdown: watch::Receiver<bool>,
    service: M,
) where
    M: Fn(SocketAddr) -> S,
    S: hyper::service::Service<Request<Incoming>, Response = Response<B>> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let connections = Arc::new(Semaphore::new(limits.connections));
    let graceful = GracefulShutdown::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.changed() => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors, say: wait a little, as every
                // accept loop should, rather than spin.
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&connections).try_acquire_owned() else {
            // At the limit: close at once; the gateway retries elsewhere or
            // later, and memory stays bounded.
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (builder, watcher, service) = (builder.clone(), graceful.watcher(), service(peer));
        let first_byte = Duration::from_millis(limits.header_timeout_ms);
        tokio::spawn(async move {
            // A connection that sends nothing holds a slot of the limit:
            // it gets as long as a request's headers do to start one.
            // (hyper's header timeout starts with the first byte, so without
            // this ten thousand silent connections would shut every gateway
            // out.)
            // `peek` asks the socket itself (readiness alone starts out
            // set), and leaves the byte for hyper.
            let mut first = [0u8; 1];
            match tokio::time::timeout(first_byte, stream.peek(&mut first)).await {
                Ok(Ok(n)) if n > 0 => {}
                _ => return,
            }
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            let _ = watcher.watch(connection.into_owned()).await;
            drop(permit);
        });
    }
    drop(listener);
    let grace = Duration::from_millis(limits.shutdown_grace_ms);
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("shutdown grace over with requests still open");
    }
}

async fn route(
    gate: &Gate,
    role: Role,
    peer: SocketAddr,
    request: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let path = request.uri().path();
    match (role, path) {
        (_, "/healthz") => text(StatusCode::OK, "ok\n"),
        (_, "/readyz") => match gate.ready().await {
            Ok(()) => match gate.reload_error() {
                None => text(StatusCode::OK, "ready\n"),
                // Still serving the last good set: ready, and saying so.
                Some(error) => text(
                    StatusCode::OK,
                    &format!(
                        "ready; the last reload failed, the previous policies serve: {error}\n"
                    ),
                ),
            },
            Err(error) => text(
                StatusCode::SERVICE_UNAVAILABLE,
                &format!("not ready: {error}\n"),
            ),
        },
        (Role::Admin, "/metrics") => {
            let mut response = text(
                StatusCode::OK,
                &gate.metrics().render(gate.audit_log().dropped()),
            );
            response.headers_mut().insert(
                hyper::header::CONTENT_TYPE,
                hyper::header::HeaderValue::from_static(
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                ),
            );
            response
        }
        (Role::Check, forward_auth::DENIAL_PATH) => {
            if !trusted(gate, peer) {
                return refused(gate, ServerReason::UntrustedGateway);
            }
            forward_auth::replay_denial(request.headers())
                .unwrap_or_else(|| text(StatusCode::BAD_REQUEST, "not a denial\n"))
        }
        (Role::Check, path) if path == gate.config().listen.check_path => {
            if !trusted(gate, peer) {
                return refused(gate, ServerReason::UntrustedGateway);
            }
            let forwarded = match forward_auth::read(request.headers()) {
                Ok(forwarded) => forwarded,
                Err(reason) => return refused(gate, reason),
            };
            let outcome = gate.check(&forwarded.input(None)).await;
            forward_auth::render(&outcome, forwarded.mode)
        }
        (Role::Check, path) if envoy::http::is_check(path) => {
            if !trusted(gate, peer) {
                return refused(gate, ServerReason::UntrustedGateway);
            }
            envoy::http::check(gate, request).await
        }
        _ => text(StatusCode::NOT_FOUND, "not found\n"),
    }
}

/// Whether the peer is a configured gateway.
pub(crate) fn trusted(gate: &Gate, peer: SocketAddr) -> bool {
    let ip = peer.ip().to_canonical();
    gate.config()
        .gateways
        .trusted
        .iter()
        .any(|net| net.contains(&ip))
}

/// The answer to a check refused before the policy is asked.
pub(crate) fn refused(gate: &Gate, reason: ServerReason) -> Response<Full<Bytes>> {
    let outcome = gate.refuse(None, reason);
    forward_auth::render(&outcome, forward_auth::Mode::Forwarded)
}

fn text(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
