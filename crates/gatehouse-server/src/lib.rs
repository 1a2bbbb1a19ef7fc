//! `gatehouse serve`: the authorization service gateways ask before they
//! let a request through.
//!
//! - [`config`]: the TOML configuration.
//! - [`gate::Gate`]: the policies and credentials in use (swapped whole on
//!   reload) and the check itself, protocol-free: [`check::CheckInput`] in,
//!   [`check::CheckOutcome`] out.
//! - [`forward_auth`]: nginx `auth_request`, Caddy `forward_auth` and
//!   Traefik `forwardAuth`: the gateway's headers in, its expected answer
//!   out.
//! - [`envoy`]: Envoy's `ext_authz`, over gRPC (`envoy.service.auth.v3`,
//!   on its own listener) and over HTTP (under `/ext_authz` on the check
//!   listener).
//! - [`gateway`]: the configuration `gatehouse gateway` prints for nginx,
//!   Caddy, Traefik or Envoy, from the policy's APIs.
//! - [`http`]: the listeners (HTTP/1.1 and HTTP/2, limits, graceful
//!   shutdown), [`metrics`] and [`audit`].
//!
//! [`run`] puts these together: it serves until SIGTERM or Ctrl-C, reloads
//! when the policy or key files change ([`reload`]) and on SIGHUP, and
//! refreshes fetched JWT keys on a timer.
// Tests may unwrap and index: a panic there is a failing test, not a crash.
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod audit;
pub mod check;
pub mod config;
pub mod envoy;
pub mod files;
pub mod forward_auth;
pub mod gate;
pub mod gateway;
pub mod http;
pub mod ids;
pub mod metrics;
pub mod reload;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

pub use config::Config;
pub use gate::Gate;

/// How often fetched JWT keys are refreshed (each key source is fetched
/// only when its keys are stale, so this is how soon staleness is noticed).
const KEY_REFRESH: Duration = Duration::from_secs(30);

/// A running server: its addresses, and the handle that stops it.
#[derive(Debug)]
pub struct Running {
    /// The check listener's address (useful with port 0).
    pub check: SocketAddr,
    /// The gRPC (Envoy ext_authz) listener's address, if there is one.
    pub grpc: Option<SocketAddr>,
    /// The admin listener's address, if there is one.
    pub admin: Option<SocketAddr>,
    /// The shared state.
    pub gate: Arc<Gate>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// Stops accepting, lets requests in flight finish (up to the grace),
    /// and returns when every listener is closed.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Starts the listeners and background tasks of `gate` on the current
/// tokio runtime.
pub async fn start(gate: Gate) -> Result<Running, String> {
    let gate = Arc::new(gate);
    let (shutdown, receiver) = watch::channel(false);
    let config = gate.config().clone();
    let bind = |address: SocketAddr| async move {
        TcpListener::bind(address)
            .await
            .map_err(|e| format!("listen on {address}: {e}"))
    };
    let check_listener = bind(config.listen.check).await?;
    let check = check_listener
        .local_addr()
        .map_err(|e| format!("listen: {e}"))?;
    let mut tasks = vec![tokio::spawn(http::serve(
        check_listener,
        Arc::clone(&gate),
        http::Role::Check,
        receiver.clone(),
    ))];
    let mut grpc = None;
    if let Some(address) = config.listen.grpc {
        let listener = bind(address).await?;
        grpc = Some(listener.local_addr().map_err(|e| format!("listen: {e}"))?);
        tasks.push(tokio::spawn(envoy::grpc::serve(
            listener,
            Arc::clone(&gate),
            receiver.clone(),
        )));
    }
    let mut admin = None;
    if let Some(address) = config.listen.admin {
        let listener = bind(address).await?;
        admin = Some(listener.local_addr().map_err(|e| format!("listen: {e}"))?);
        tasks.push(tokio::spawn(http::serve(
            listener,
            Arc::clone(&gate),
            http::Role::Admin,
            receiver.clone(),
        )));
    }
    tasks.push(tokio::spawn(refresh_keys(
        Arc::clone(&gate),
        receiver.clone(),
    )));
    tasks.push(tokio::spawn(reload::reload_on_change(
        Arc::clone(&gate),
        receiver,
    )));
    tracing::info!(%check, ?grpc, ?admin, "serving");
    Ok(Running {
        check,
        grpc,
        admin,
        gate,
        shutdown,
        tasks,
    })
}

/// Refreshes fetched keys at once (so that the first requests find them)
/// and then on a timer, until shutdown.
async fn refresh_keys(gate: Arc<Gate>, mut shutdown: watch::Receiver<bool>) {
    let mut timer = tokio::time::interval(KEY_REFRESH);
    loop {
        tokio::select! {
            _ = timer.tick() => gate.refresh_keys().await,
            _ = shutdown.changed() => return,
        }
    }
}

/// Runs the server for `config` until SIGTERM or Ctrl-C; SIGHUP reloads
/// the policies and credentials.
pub async fn run(config: Config) -> Result<(), String> {
    let gate = Gate::start(config)?;
    let running = start(gate).await?;
    wait_for_signals(&running.gate).await;
    tracing::info!("shutting down; requests in flight finish");
    running.stop().await;
    Ok(())
}

#[cfg(unix)]
async fn wait_for_signals(gate: &Gate) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut terminate), Ok(mut hangup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) else {
        let _ = tokio::signal::ctrl_c().await;
        return;
    };
    loop {
        tokio::select! {
            _ = terminate.recv() => return,
            _ = tokio::signal::ctrl_c() => return,
            _ = hangup.recv() => {
                let _ = gate.reload();
            }
        }
    }
}

#[cfg(not(unix))]
async fn wait_for_signals(_gate: &Gate) {
    let _ = tokio::signal::ctrl_c().await;
}
