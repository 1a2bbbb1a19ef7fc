//! Keys fetched from the issuer: the [`JwksFetcher`] trait (how a JWKS
//! document is got; [`HttpFetcher`](super::HttpFetcher) is one) and the
//! [`Verifier`] methods that drive the [`KeyCache`](super::KeyCache) with
//! it: refresh stale keys, refetch once for an unknown `kid`, and treat a
//! failed fetch (an error, a timeout, a document that is not a good key
//! set) as an outage, in which the cached keys keep working until their
//! grace deadline.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use super::keys::{JwksError, KeySet};
use super::verify::{Verified, Verifier};
use crate::{Refusal, RefusalReason};

/// A future returned by a [`JwksFetcher`].
pub type FetchFuture<'a> = Pin<Box<dyn Future<Output = Result<String, FetchError>> + Send + 'a>>;

/// Gets an issuer's JWKS document. [`HttpFetcher`](super::HttpFetcher)
/// follows OpenID discovery over plain HTTP; a host that needs HTTPS (any
/// real issuer) implements this with its own TLS-capable client.
pub trait JwksFetcher: Send + Sync {
    /// The JWKS document of `issuer`, as text.
    fn fetch_jwks<'a>(&'a self, issuer: &'a str) -> FetchFuture<'a>;
}

/// Why keys could not be fetched. Messages hold no response body.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchError {
    /// The issuer or `jwks_uri` is not a URL this fetcher can get (an
    /// `https` URL for the plain-HTTP fetcher, say).
    UnsupportedUrl,
    /// Connecting or the response took too long.
    Timeout,
    /// The connection failed.
    Connect,
    /// The server answered with this status instead of 200.
    Status(u16),
    /// The response was larger than the fetcher's limit.
    TooLarge,
    /// The discovery document is not JSON with a `jwks_uri`, or names
    /// another issuer.
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
        let fetched = fetcher
            .fetch_jwks(self.scheme().issuer())
            .await
            .and_then(|text| KeySet::from_jwks(&text).map_err(FetchError::BadKeySet));
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
