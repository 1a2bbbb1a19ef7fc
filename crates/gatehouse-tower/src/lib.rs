//! A [tower] layer that enforces a Gatehouse policy inside a Rust service
//! (axum, hyper, or anything built on `tower::Service` over `http` types).
//!
//! [`GatehouseLayer`] wraps a service in [`Gatehouse`], which, for every
//! request:
//! 1. finds the client's address ([`GatehouseLayer::client_addr`]; by
//!    default a [`PeerAddr`] or [`std::net::SocketAddr`] extension), and
//!    refuses with a 500 `peer_unknown` when there is none (fail closed);
//! 2. verifies its credentials with the policy's
//!    [`Authenticator`], if given one
//!    (a refusal is a 401 with `WWW-Authenticate`, or a 503
//!    `keys_unavailable`; a request the policy turns away before looking
//!    at the principal, such as an unknown route, gets that answer instead);
//! 3. decides it with [`PolicySet::begin`](gatehouse::PolicySet::begin),
//!    counting its quotas, and reads the body as it streams in, chunk by
//!    chunk: reading stops at the endpoint's `body max` (413) or at the
//!    first denial, and the bytes read are handed on to the service, the
//!    same bytes the client sent;
//! 4. answers a denial itself, with the decision's status and headers
//!    (`WWW-Authenticate`, `Allow`, `Retry-After`, `RateLimit-*`) and an
//!    RFC 9457 `application/problem+json` body;
//! 5. on an allow, puts the principal (`Arc<Principal>`) and the endpoint
//!    ([`Matched`]) in the request's extensions and calls the service;
//! 6. for an endpoint with response rules (`mask response`, `response
//!    only`), masks the JSON response with the library's streaming masker;
//!    a response that cannot be masked is withheld (502
//!    `response_withheld`), never passed through. Other responses stream
//!    through untouched. The allowed request's `RateLimit-*` headers are
//!    added;
//! 7. writes one audit record through the [`AuditSink`].
//!
//! ```
//! use axum::{routing::get, Extension, Router};
//! use gatehouse::{PolicySet, Principal};
//! use gatehouse_tower::GatehouseLayer;
//! use std::sync::Arc;
//!
//! let policy = PolicySet::from_source("notes.gate", r#"
//!     api "notes"
//!     auth user = jwt(issuer: "https://id.example.com")
//!     endpoint GET /notes { authenticate user }
//!     endpoint GET /health { public }
//! "#)?;
//! let authenticator = gatehouse_credentials::Authenticator::builder(&policy).build()?;
//!
//! async fn notes(Extension(principal): Extension<Arc<Principal>>) -> String {
//!     format!("notes of {}", principal.subject)
//! }
//!
//! let app: Router = Router::new()
//!     .route("/notes", get(notes))
//!     .route("/health", get(|| async { "ok" }))
//!     .layer(
//!         GatehouseLayer::new(policy)
//!             .authenticator(authenticator)
//!             // axum's `into_make_service_with_connect_info::<SocketAddr>()`
//!             // puts the peer's address here.
//!             .client_addr(|parts| {
//!                 parts
//!                     .extensions
//!                     .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
//!                     .map(|info| info.0.ip())
//!             }),
//!     );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The client's address
//!
//! `allow from`/`deny from` networks and IP quotas need the TCP peer's
//! address, which only the server knows. By default the layer reads a
//! [`PeerAddr`] extension, then a [`std::net::SocketAddr`] one. With axum,
//! serve with `into_make_service_with_connect_info::<SocketAddr>()` and
//! read axum's `ConnectInfo` with [`GatehouseLayer::client_addr`] as above;
//! with hyper, insert `PeerAddr(remote.ip())` into each request from the
//! `service_fn` that accepted the connection. A request whose address
//! cannot be found is refused (500 `peer_unknown`): never decided as if it
//! came from nowhere.
//!
//! # Keys
//!
//! The layer verifies bearer tokens with the keys the authenticator holds.
//! For keys that are fetched (a `jwks` URL, OpenID discovery), either give
//! the layer a [`JwksFetcher`]
//! ([`GatehouseLayer::jwks_fetcher`]) or call
//! `Authenticator::refresh_keys` on a timer with the same `Arc`.
//!
//! [tower]: https://docs.rs/tower
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod audit;
mod body;
mod problem;
mod service;

use std::net::IpAddr;
use std::sync::Arc;

use gatehouse::mask::MaskConfig;
use gatehouse::PolicySet;
use gatehouse_credentials::jwt::JwksFetcher;
use gatehouse_credentials::Authenticator;
use tower_layer::Layer;

pub use audit::{AuditSink, TracingAuditSink};
pub use body::{BoxError, GatehouseBody};
pub use problem::LayerReason;
pub use service::{Gatehouse, RequestBody, ResponseFuture};

/// The client's address, as a request extension: the default
/// [`GatehouseLayer::client_addr`] reads it (then a
/// [`std::net::SocketAddr`] extension).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PeerAddr(pub IpAddr);

/// The endpoint that allowed a request, put in the request's extensions
/// for the handler.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Matched {
    /// The API's name (`api "petstore"`).
    pub api: String,
    /// The API's version, if it declares one.
    pub api_version: Option<String>,
    /// The endpoint as audit records name it: `GET /pets/{id:int}`.
    pub endpoint: String,
}

/// How the layer finds a request's client address.
type ClientAddr = dyn Fn(&http::request::Parts) -> Option<IpAddr> + Send + Sync;

/// The largest body the layer buffers by default where the policy sets a
/// larger `body max`, or none: 16 MiB.
pub const DEFAULT_MAX_BUFFERED_BODY: u64 = 16 << 20;

/// What every request of a [`Gatehouse`] service reads: built by the
/// layer's methods, shared (`Arc`) by the services it makes.
#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) policy: PolicySet,
    pub(crate) authenticator: Option<Arc<Authenticator>>,
    pub(crate) fetcher: Option<Arc<dyn JwksFetcher>>,
    pub(crate) mask: MaskConfig,
    pub(crate) audit: Arc<dyn AuditSink>,
    pub(crate) client_addr: Arc<ClientAddr>,
    pub(crate) max_buffered_body: u64,
}

/// The default client address: a [`PeerAddr`] extension, else a
/// [`std::net::SocketAddr`] one.
fn peer_from_extensions(parts: &http::request::Parts) -> Option<IpAddr> {
    parts
        .extensions
        .get::<PeerAddr>()
        .map(|peer| peer.0)
        .or_else(|| {
            parts
                .extensions
                .get::<std::net::SocketAddr>()
                .map(std::net::SocketAddr::ip)
        })
}

/// A tower [`Layer`] that enforces a policy set in front of a service: see
/// the [crate docs](crate). Configure it with its methods, as tower-http's
/// layers are; clones share the policy set and its quota store.
#[derive(Clone)]
pub struct GatehouseLayer {
    config: Config,
}

impl std::fmt::Debug for GatehouseLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatehouseLayer")
            .field("policy", &self.config.policy)
            .field("authenticator", &self.config.authenticator.is_some())
            .field("fetcher", &self.config.fetcher.is_some())
            .field("max_buffered_body", &self.config.max_buffered_body)
            .finish_non_exhaustive()
    }
}

impl GatehouseLayer {
    /// A layer for `policy` (quotas are counted in its store). Without an
    /// authenticator, a principal is one the host put in the request's
    /// extensions (`Arc<Principal>`), else none.
    pub fn new(policy: PolicySet) -> GatehouseLayer {
        GatehouseLayer {
            config: Config {
                policy,
                authenticator: None,
                fetcher: None,
                mask: MaskConfig::default(),
                audit: Arc::new(TracingAuditSink),
                client_addr: Arc::new(peer_from_extensions),
                max_buffered_body: DEFAULT_MAX_BUFFERED_BODY,
            },
        }
    }

    /// Verifies credentials with `authenticator` (built for the same
    /// policy set).
    pub fn authenticator(mut self, authenticator: impl Into<Arc<Authenticator>>) -> GatehouseLayer {
        self.config.authenticator = Some(authenticator.into());
        self
    }

    /// Fetches a bearer token's keys with `fetcher` where its scheme's are
    /// missing or stale (see `Authenticator::authenticate_fetching`).
    pub fn jwks_fetcher(mut self, fetcher: Arc<dyn JwksFetcher>) -> GatehouseLayer {
        self.config.fetcher = Some(fetcher);
        self
    }

    /// The limits and hash key responses are masked with.
    pub fn mask_config(mut self, config: MaskConfig) -> GatehouseLayer {
        self.config.mask = config;
        self
    }

    /// Writes audit records to `sink` instead of [`TracingAuditSink`].
    pub fn audit_sink(mut self, sink: impl AuditSink) -> GatehouseLayer {
        self.config.audit = Arc::new(sink);
        self
    }

    /// How to find a request's client address (the TCP peer's; the policy
    /// itself believes `X-Forwarded-For` only from its trusted proxies).
    /// `None` refuses the request (500 `peer_unknown`).
    pub fn client_addr<F>(mut self, find: F) -> GatehouseLayer
    where
        F: Fn(&http::request::Parts) -> Option<IpAddr> + Send + Sync + 'static,
    {
        self.config.client_addr = Arc::new(find);
        self
    }

    /// The largest request body the layer buffers for the service where
    /// the endpoint's `body max` is larger, or absent (413
    /// `body_too_large` beyond it); [`DEFAULT_MAX_BUFFERED_BODY`] unless
    /// set.
    pub fn max_buffered_body(mut self, bytes: u64) -> GatehouseLayer {
        self.config.max_buffered_body = bytes;
        self
    }
}

impl<S> Layer<S> for GatehouseLayer {
    type Service = Gatehouse<S>;

    fn layer(&self, inner: S) -> Gatehouse<S> {
        Gatehouse::new(inner, Arc::new(self.config.clone()))
    }
}
