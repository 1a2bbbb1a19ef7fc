//! Keys fetched from the issuer: the [`JwksFetcher`] trait (the transport:
//! one `GET`; [`HttpFetcher`](super::HttpFetcher) is one), [`KeySource`]
//! and [`fetch_key_set`] (OpenID discovery or a JWKS URL, whatever the
//! transport), and the [`Verifier`] methods that drive the
//! [`KeyCache`](super::KeyCache) with them: refresh stale keys, refetch
//! once for an unknown `kid`, and treat a failed fetch (an error, a
//! timeout, a document that is not a good key set) as an outage, in which
//! the cached keys keep working until their grace deadline.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use serde_json::Value;

use super::keys::{JwksError, KeySet};
use super::token::strict_object;
use super::verify::{Verified, Verifier};
use crate::{Refusal, RefusalReason};

/// A future returned by a [`JwksFetcher`].
pub type FetchFuture<'a> = Pin<Box<dyn Future<Output = Result<Vec<u8>, FetchError>> + Send + 'a>>;

/// The transport keys are fetched with: one `GET`. The crate does the
/// rest (discovery, the issuer check, parsing the key set), whatever the
/// transport. [`HttpFetcher`](super::HttpFetcher) (feature `fetch`) is one,
/// over HTTPS or plain HTTP; a host with its own HTTP client implements
/// this with it.
pub trait JwksFetcher: Send + Sync {
    /// The body of a `200 OK` answer to `GET url`, or why there is none.
    /// An implementation bounds the time and the size (at least
    /// [`MAX_JWKS_BYTES`](super::MAX_JWKS_BYTES)) and follows no redirect.
    fn get<'a>(&'a self, url: &'a str) -> FetchFuture<'a>;
}

/// Where a scheme's keys are fetched from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KeySource {
    /// OpenID Connect discovery: `ISSUER/.well-known/openid-configuration`,
    /// which must name the issuer, then its `jwks_uri`.
    Discovery {
        /// The issuer, as the scheme declares it.
        issuer: String,
    },
    /// A JWKS document at this URL (the policy's `jwks: "https://..."`).
    Jwks {
        /// The key set's URL.
        url: String,
    },
}

impl KeySource {
    /// The URL fetched first: the discovery document or the key set.
    fn first_url(&self) -> String {
        match self {
            KeySource::Discovery { issuer } => format!(
                "{}/.well-known/openid-configuration",
                issuer.trim_end_matches('/')
            ),
            KeySource::Jwks { url } => url.clone(),
        }
    }
}

impl fmt::Display for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::Discovery { issuer } => write!(f, "discovery from {issuer}"),
            KeySource::Jwks { url } => f.write_str(url),
        }
    }
}

/// Fetches the key set `source` names with `fetcher`.
///
/// For discovery, the document must name the issuer it was fetched for
/// (OpenID Connect Discovery 1.0, section 4.3), or its keys are someone
/// else's; and a `jwks_uri` over plain HTTP is refused when the document
/// came over HTTPS, so that the keys are never less protected than the
/// document that points at them.
pub async fn fetch_key_set(
    fetcher: &dyn JwksFetcher,
    source: &KeySource,
) -> Result<KeySet, FetchError> {
    let first_url = source.first_url();
    let first = fetcher.get(&first_url).await?;
    let jwks = match source {
        KeySource::Jwks { .. } => first,
        KeySource::Discovery { issuer } => {
            let discovery = strict_object(&first).ok_or(FetchError::BadDiscovery)?;
            if discovery.get("issuer").and_then(Value::as_str) != Some(issuer.as_str()) {
                return Err(FetchError::BadDiscovery);
            }
            let Some(Value::String(jwks_uri)) = discovery.get("jwks_uri") else {
                return Err(FetchError::BadDiscovery);
            };
            if is_https(&first_url) && !is_https(jwks_uri) {
                return Err(FetchError::BadDiscovery);
            }
            fetcher.get(jwks_uri).await?
        }
    };
    let text = String::from_utf8(jwks).map_err(|_| FetchError::BadKeySet(JwksError::NotAJwks))?;
    KeySet::from_jwks(&text).map_err(FetchError::BadKeySet)
}

fn is_https(url: &str) -> bool {
    url.get(..8)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
}

/// Why keys could not be fetched. Messages hold no response body.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchError {
    /// The URL is not one this fetcher can get (not `http` or `https`, or
    /// plain `http` where the fetcher allows only HTTPS).
    UnsupportedUrl,
    /// Connecting or the response took too long.
    Timeout,
    /// The connection failed.
    Connect,
    /// The TLS handshake failed: the server's certificate is not trusted
    /// for its name, say.
    Tls,
    /// The server answered with this status instead of 200.
    Status(u16),
    /// The response was larger than the fetcher's limit.
    TooLarge,
    /// The discovery document is not JSON with a `jwks_uri`, names another
    /// issuer, or points from HTTPS to a plain-HTTP `jwks_uri`.
    BadDiscovery,
    /// The document fetched is not a usable key set.
    BadKeySet(JwksError),
    /// Another failure, described.
    Other(String),
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::UnsupportedUrl => f.write_str("the key set's URL is not supported"),
            FetchError::Timeout => f.write_str("fetching the key set timed out"),
            FetchError::Connect => f.write_str("the key set's server could not be reached"),
            FetchError::Tls => f.write_str("the key set's server failed the TLS handshake"),
            FetchError::Status(status) => write!(f, "the key set's server answered {status}"),
            FetchError::TooLarge => f.write_str("the key set's server sent too much"),
            FetchError::BadDiscovery => f.write_str("the issuer's discovery document is unusable"),
            FetchError::BadKeySet(error) => write!(f, "the fetched key set is unusable: {error}"),
            FetchError::Other(what) => write!(f, "fetching the key set failed: {what}"),
        }
    }
}

impl std::error::Error for FetchError {}

impl Verifier {
    /// Fetches the issuer's keys now if the rate limit allows: `Ok(true)`
    /// if new keys are in place, `Ok(false)` if no fetch was made (another
    /// caller fetched a moment ago, or the keys are fixed). On failure the
    /// old keys stay, until their grace deadline.
    pub async fn refresh_keys(
        &self,
        fetcher: &dyn JwksFetcher,
        now_unix_seconds: u64,
    ) -> Result<bool, FetchError> {
        if !self.with_keys(|keys| keys.begin_fetch(now_unix_seconds)) {
            return Ok(false);
        }
        let fetched = fetch_key_set(fetcher, &self.key_source()).await;
        self.with_keys(|keys| match fetched {
            Ok(set) => {
                keys.fetch_succeeded(set, now_unix_seconds);
                Ok(true)
            }
            Err(error) => {
                keys.fetch_failed(now_unix_seconds);
                Err(error)
            }
        })
    }

    /// Verifies `token` as [`Verifier::verify`] does, fetching keys first
    /// if there are none or they are stale, and once more if the token
    /// names a `kid` the keys do not hold (the issuer may have rotated).
    /// Fetches are rate-limited (see [`KeyCachePolicy`](super::KeyCachePolicy));
    /// a failed fetch leaves the cached keys in use until their grace
    /// deadline, after which tokens are refused `keys_unavailable`.
    pub async fn verify_fetching(
        &self,
        fetcher: &dyn JwksFetcher,
        token: &str,
        now_unix_seconds: u64,
    ) -> Result<Verified, Refusal> {
        let now = now_unix_seconds;
        if self.read_keys(|keys| keys.needs_refresh(now)) {
            // A failure is an outage: the verdict below says what it means
            // for this token (cached keys, or `keys_unavailable`).
            let _ = self.refresh_keys(fetcher, now).await;
        }
        match self.verify(token, now) {
            Err(refusal)
                if refusal.reason == RefusalReason::UnknownKey
                    && self.read_keys(|keys| keys.should_refetch_for_unknown_kid(now)) =>
            {
                match self.refresh_keys(fetcher, now).await {
                    Ok(true) => self.verify(token, now),
                    _ => Err(refusal),
                }
            }
            verdict => verdict,
        }
    }
}
