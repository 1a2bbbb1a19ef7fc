//! Verifies the credentials a Gatehouse policy declares and yields the
//! [`Principal`](gatehouse::Principal) the evaluator needs, or a
//! [`Refusal`]: a stable reason code, the scheme that refused, and the
//! `WWW-Authenticate` challenge (RFC 6750) to send with the 401.
//!
//! The evaluator (`gatehouse`) reads no clock, file or network, and builds
//! for WebAssembly; this crate is where credentials meet the outside world
//! (keys, key stores, certificates), so that every host verifies them the
//! same way instead of writing that glue itself:
//!
//! - [`jwt`]: bearer JWTs against a JWKS (inline, a file, or fetched from
//!   the issuer's OpenID discovery document), with an algorithm allow-list,
//!   issuer, audience and lifetime checks, and a verified-token cache;
//! - [`keys`]: API keys with a public prefix and id, checked against a key
//!   store that holds only keyed digests;
//! - [`mtls`]: the names of a client certificate that the host's TLS
//!   verified, or that a trusted proxy passes in a header.
//!
//! [`Authenticator`] puts them together for a policy set: built from
//! [`PolicySet::auth_schemes`](gatehouse::PolicySet::auth_schemes) (each
//! `jwt` scheme's issuer, audience, algorithms, leeway, scope claim and
//! `jwks` file), plus what the policy does not hold (HMAC secrets, the key
//! store, keys the host fetched), it takes a request's headers, query,
//! peer and verified client certificate and yields the principal, `None`
//! when no credential was sent, or a [`Refusal`]. A bearer token goes to
//! the scheme of its issuer; credentials for two schemes at once are
//! refused `credential_ambiguous`.
//!
//! No error, log line or audit record made here ever holds a credential:
//! a refusal says what was wrong, never what was sent.
//!
//! # JWT
//!
//! A [`jwt::Verifier`] holds one [`jwt::JwtScheme`] (issuer, audience,
//! algorithm allow-list, leeway, scope claim), its keys and a cache of
//! verified tokens. [`jwt::Verifier::verify`] takes the token and the time
//! (Unix seconds; the crate reads no clock) and returns a [`jwt::Verified`]
//! holding the shared [`Principal`](gatehouse::Principal) and the token's
//! expiry, or a [`Refusal`] whose reason is one of `credential_malformed`,
//! `algorithm_not_allowed`, `unknown_key`, `keys_unavailable`,
//! `signature_invalid`, `token_expired`, `token_not_yet_valid`,
//! `issuer_mismatch` and `audience_mismatch` (and, from
//! [`jwt::Verifier::authenticate`] and [`jwt::bearer_token`],
//! `credential_missing` and `credential_ambiguous`). Keys are fixed (a
//! [`jwt::KeySet`] from JWKS text or a file) or fetched
//! ([`jwt::Verifier::verify_fetching`] with a [`jwt::JwksFetcher`], by
//! OpenID discovery or from a `jwks` URL; the `fetch` feature's
//! [`jwt::HttpFetcher`] fetches over HTTPS), kept by a [`jwt::KeyCache`]
//! that fails closed once its grace period is over. The [`jwt`] module documentation has a runnable example.

mod authenticator;
pub mod jwt;
pub mod keys;
pub mod mtls;
mod refusal;

pub use authenticator::{Authenticator, AuthenticatorBuilder, BuildError, CredentialRequest};
pub use refusal::{ChallengeKind, Refusal, RefusalReason};
