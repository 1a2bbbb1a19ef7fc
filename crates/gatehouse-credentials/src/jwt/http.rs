//! [`HttpFetcher`] (feature `fetch`): the [`JwksFetcher`] transport over
//! HTTPS (rustls, with Mozilla's root certificates or the host's own) and
//! plain HTTP/1, with tokio and hyper-util's client.
//!
//! Every request has a connect timeout, a timeout for the whole response
//! (the TLS handshake included) and a size limit, and fails with a
//! [`FetchError`] otherwise. Redirects are not followed: an issuer's
//! documents live where it says they do. Plain HTTP suits an issuer
//! reached over a trusted local network or a sidecar, and tests;
//! [`HttpFetcher::https_only`] refuses it. It must run inside a tokio
//! runtime with timers enabled.

use std::error::Error as _;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper::{StatusCode, Uri};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::CertificateDer;
use rustls::RootCertStore;

use super::fetch::{FetchError, FetchFuture, JwksFetcher};
use super::keys::MAX_JWKS_BYTES;

/// Fetches discovery documents and key sets over HTTPS or plain HTTP (see
/// the module documentation).
#[derive(Clone, Debug)]
pub struct HttpFetcher {
    client: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
    response_timeout: Duration,
    max_bytes: usize,
    https_only: bool,
}

impl Default for HttpFetcher {
    fn default() -> HttpFetcher {
        HttpFetcher::new(Duration::from_secs(2), Duration::from_secs(5))
    }
}

impl HttpFetcher {
    /// A fetcher that trusts Mozilla's root certificates (the
    /// `webpki-roots` set, so it works the same in a container with no
    /// certificate store), gives up connecting after `connect_timeout` and
    /// on a response (handshake, headers and body) after
    /// `response_timeout`, and reads at most [`MAX_JWKS_BYTES`] of a body.
    pub fn new(connect_timeout: Duration, response_timeout: Duration) -> HttpFetcher {
        let roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        HttpFetcher::with_roots(roots, connect_timeout, response_timeout)
    }

    /// A fetcher that trusts only these root certificates (DER): an
    /// issuer behind a private certificate authority. `Err` names the
    /// first certificate that is not a usable root.
    pub fn with_root_certificates(
        certificates: &[Vec<u8>],
        connect_timeout: Duration,
        response_timeout: Duration,
    ) -> Result<HttpFetcher, FetchError> {
        let mut roots = RootCertStore::empty();
        for (index, der) in certificates.iter().enumerate() {
            roots
                .add(CertificateDer::from(der.clone()))
                .map_err(|_| FetchError::Other(format!("root certificate {index} is unusable")))?;
        }
        Ok(HttpFetcher::with_roots(
            roots,
            connect_timeout,
            response_timeout,
        ))
    }

    fn with_roots(
        roots: RootCertStore,
        connect_timeout: Duration,
        response_timeout: Duration,
    ) -> HttpFetcher {
        // rustls deprecates ring's provider for lacking post-quantum key
        // exchange, which guards a session's secrecy against recording it
        // now and breaking it later. A key set is public: what matters is
        // that it is authentic, which the certificate's (classical)
        // signatures give, the same with either provider. ring keeps the
        // build free of a C/CMake toolchain step of aws-lc.
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            // The ring provider supports the default versions; were it not
            // to, a config with no version would fail every handshake
            // (closed), not accept one.
            .unwrap_or_else(|_| {
                rustls::ClientConfig::builder_with_protocol_versions(&[&rustls::version::TLS13])
            })
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut tcp = HttpConnector::new();
        tcp.set_connect_timeout(Some(connect_timeout));
        // The TLS layer decides which schemes pass (`https_or_http`).
        tcp.enforce_http(false);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(tcp);
        HttpFetcher {
            client: Client::builder(TokioExecutor::new()).build(connector),
            response_timeout,
            max_bytes: MAX_JWKS_BYTES,
            https_only: false,
        }
    }

    /// Refuse plain-HTTP URLs (`UnsupportedUrl`): keys only over HTTPS.
    pub fn https_only(mut self) -> HttpFetcher {
        self.https_only = true;
        self
    }

    /// The body at `url`, if the server answers 200 in time and within the
    /// size limit.
    async fn fetch(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        let uri: Uri = url.parse().map_err(|_| FetchError::UnsupportedUrl)?;
        let scheme_allowed = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => !self.https_only,
            _ => false,
        };
        if !scheme_allowed || uri.host().is_none() {
            return Err(FetchError::UnsupportedUrl);
        }
        let exchange = async {
            let response = self.client.get(uri).await.map_err(|error| {
                if is_tls_failure(&error) {
                    FetchError::Tls
                } else if error.is_connect() {
                    FetchError::Connect
                } else {
                    FetchError::Other("the request failed".to_owned())
                }
            })?;
            if response.status() != StatusCode::OK {
                return Err(FetchError::Status(response.status().as_u16()));
            }
            let body = Limited::new(response.into_body(), self.max_bytes);
            match body.collect().await {
                Ok(collected) => Ok(collected.to_bytes().to_vec()),
                Err(error) if error.is::<http_body_util::LengthLimitError>() => {
                    Err(FetchError::TooLarge)
                }
                Err(_) => Err(FetchError::Other("the response broke off".to_owned())),
            }
        };
        tokio::time::timeout(self.response_timeout, exchange)
            .await
            .unwrap_or(Err(FetchError::Timeout))
    }
}

/// Whether the client's error comes from the TLS layer. rustls reports
/// through an `io::Error` wrapping its own error, which hyper-rustls wraps
/// in another; `io::Error::source` skips the error it wraps, so each
/// `io::Error` is opened with `get_ref`.
fn is_tls_failure(error: &hyper_util::client::legacy::Error) -> bool {
    error
        .source()
        .is_some_and(|cause| caused_by_rustls(cause, 8))
}

fn caused_by_rustls(error: &(dyn std::error::Error + 'static), depth: u8) -> bool {
    if error.is::<rustls::Error>() {
        return true;
    }
    let Some(depth) = depth.checked_sub(1) else {
        return false;
    };
    let wrapped = error
        .downcast_ref::<std::io::Error>()
        .and_then(std::io::Error::get_ref)
        .map(|inner| inner as &(dyn std::error::Error + 'static));
    wrapped
        .into_iter()
        .chain(error.source())
        .any(|cause| caused_by_rustls(cause, depth))
}

impl JwksFetcher for HttpFetcher {
    fn get<'a>(&'a self, url: &'a str) -> FetchFuture<'a> {
        Box::pin(self.fetch(url))
    }
}
