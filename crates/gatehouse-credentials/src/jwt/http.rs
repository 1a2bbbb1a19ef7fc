//! [`HttpFetcher`] (feature `fetch`): OpenID discovery
//! (`ISSUER/.well-known/openid-configuration`, then its `jwks_uri`) over
//! plain HTTP/1, with tokio and hyper-util's client.
//!
//! Plain HTTP only: TLS would bring a TLS stack and its certificate roots
//! into every build of this crate. It suits issuers reached over a trusted
//! local network or a sidecar, and tests; for HTTPS, implement
//! [`JwksFetcher`] with the host's own client. Redirects are not followed.
//! Every request has a connect timeout, a timeout for the whole response
//! and a size limit, and fails with a [`FetchError`] otherwise. It must
//! run inside a tokio runtime with timers enabled.

use std::time::Duration;

use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper::{StatusCode, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

use super::fetch::{FetchError, FetchFuture, JwksFetcher};
use super::keys::MAX_JWKS_BYTES;
use super::token::strict_object;

/// Fetches JWKS documents over plain HTTP (see the module documentation).
#[derive(Clone, Debug)]
pub struct HttpFetcher {
    client: Client<HttpConnector, Empty<Bytes>>,
    response_timeout: Duration,
    max_bytes: usize,
}

impl Default for HttpFetcher {
    fn default() -> HttpFetcher {
        HttpFetcher::new(Duration::from_secs(2), Duration::from_secs(5))
    }
}

impl HttpFetcher {
    /// A fetcher that gives up connecting after `connect_timeout` and on a
    /// response (headers and body) after `response_timeout`, reading at most
    /// [`MAX_JWKS_BYTES`] of a body.
    pub fn new(connect_timeout: Duration, response_timeout: Duration) -> HttpFetcher {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(connect_timeout));
        HttpFetcher {
            client: Client::builder(TokioExecutor::new()).build(connector),
            response_timeout,
            max_bytes: MAX_JWKS_BYTES,
        }
    }

    /// The body at `url`, if the server answers 200 in time and within the
    /// size limit.
    async fn get(&self, url: &str) -> Result<Bytes, FetchError> {
        let uri: Uri = url.parse().map_err(|_| FetchError::UnsupportedUrl)?;
        if uri.scheme_str() != Some("http") || uri.host().is_none() {
            return Err(FetchError::UnsupportedUrl);
        }
        let exchange = async {
            let response = self.client.get(uri).await.map_err(|error| {
                if error.is_connect() {
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
                Ok(collected) => Ok(collected.to_bytes()),
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

    async fn fetch(&self, issuer: &str) -> Result<String, FetchError> {
        let discovery_url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let discovery = self.get(&discovery_url).await?;
        let discovery = strict_object(&discovery).ok_or(FetchError::BadDiscovery)?;
        // OpenID Connect Discovery 1.0, section 4.3: the document must name
        // the issuer it was fetched for, or its keys are someone else's.
        if discovery.get("issuer").and_then(Value::as_str) != Some(issuer) {
            return Err(FetchError::BadDiscovery);
        }
        let Some(Value::String(jwks_uri)) = discovery.get("jwks_uri") else {
            return Err(FetchError::BadDiscovery);
        };
        let jwks = self.get(jwks_uri).await?;
        String::from_utf8(jwks.to_vec())
            .map_err(|_| FetchError::BadKeySet(super::keys::JwksError::NotAJwks))
    }
}

impl JwksFetcher for HttpFetcher {
    fn fetch_jwks<'a>(&'a self, issuer: &'a str) -> FetchFuture<'a> {
        Box::pin(self.fetch(issuer))
    }
}
