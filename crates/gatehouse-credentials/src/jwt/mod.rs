//! Bearer JWTs (RFC 7519, signed as compact JWS): a [`JwtScheme`] says
//! what the policy's `auth NAME = jwt(issuer: ..., audience: ...)` accepts,
//! a [`Verifier`] checks tokens against it and yields a
//! [`Verified`] principal or a [`Refusal`](crate::Refusal).
//!
//! - [`JwtScheme`]: issuer, audience, [`Algorithm`] allow-list (the
//!   asymmetric ones by default; HMAC only with a configured secret; `none`
//!   cannot be named), leeway, [`ScopeClaim`], size limit, cache size.
//! - [`KeySet`]: keys from a JWKS document, inline or from a file; which key
//!   may check which token is documented there.
//! - [`KeyCache`] and [`KeyCachePolicy`]: fetched keys' freshness, refetch
//!   rate limit and grace period, as a state machine with the time passed
//!   in.
//! - [`KeySource`], [`fetch_key_set`], [`JwksFetcher`] and [`HttpFetcher`]
//!   (feature `fetch`, HTTPS): getting keys by OpenID discovery or from a
//!   JWKS URL; [`Verifier::verify_fetching`] drives the cache.
//! - [`Verifier::verify`]: one token at a time with the time passed in;
//!   verified tokens are cached (by their text, compared in constant time),
//!   so a token seen before costs a lookup, not a signature check.
//! - [`bearer_token`]: the token of an `Authorization: Bearer` header.
//!
//! The library reads no clock: every check takes `now` in Unix seconds.
//! No refusal, error or `Debug` output holds a token, a secret or key
//! bytes.
//!
//! ```
//! use gatehouse_credentials::jwt::{Algorithm, JwtScheme, KeySet, Verifier};
//! use gatehouse_credentials::RefusalReason;
//!
//! let secret = b"a shared secret of at least 32 bytes!";
//! let scheme = JwtScheme::new("user", "https://issuer.example")
//!     .audience("pets-api")
//!     .algorithms([Algorithm::HS256])
//!     .hmac_secret(secret);
//! let verifier = Verifier::new(scheme, KeySet::default())?;
//!
//! // A token as the issuer would make it.
//! let claims = serde_json::json!({
//!     "iss": "https://issuer.example", "aud": "pets-api", "sub": "alice",
//!     "exp": 1_900_000_000, "scope": "pets:read pets:write", "team": "blue",
//! });
//! let token = jsonwebtoken::encode(
//!     &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
//!     &claims,
//!     &jsonwebtoken::EncodingKey::from_secret(secret)?,
//! )?;
//!
//! let now = 1_800_000_000;
//! let verified = verifier.verify(&token, now)?;
//! let alice = verified.principal();
//! assert_eq!((alice.scheme.as_str(), alice.subject.as_str()), ("user", "alice"));
//! assert_eq!(alice.scopes, ["pets:read", "pets:write"]);
//! assert_eq!(alice.claims["team"], "blue");
//!
//! // After `exp` (and the leeway), the same token is refused.
//! let refusal = verifier.verify(&token, 1_900_000_061).unwrap_err();
//! assert_eq!(refusal.reason, RefusalReason::TokenExpired);
//! assert_eq!(refusal.reason.as_str(), "token_expired");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod algorithm;
mod bearer;
mod fetch;
#[cfg(feature = "fetch")]
mod http;
mod key_cache;
mod keys;
mod scheme;
mod token;
mod token_cache;
mod verify;

pub use algorithm::{Algorithm, UnknownAlgorithm};
pub(crate) use bearer::bearer_candidate;
pub use bearer::bearer_token;
pub use fetch::{fetch_key_set, FetchError, FetchFuture, JwksFetcher, KeySource};
#[cfg(feature = "fetch")]
pub use http::HttpFetcher;
pub use key_cache::{KeyCache, KeyCachePolicy};
pub use keys::{JwksError, KeySet, MAX_JWKS_BYTES, MAX_JWKS_KEYS};
pub use scheme::{JwtScheme, SchemeError, ScopeClaim, MIN_HMAC_SECRET_BYTES};
pub use verify::{Verified, Verifier};
