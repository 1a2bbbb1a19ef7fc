//! API keys: `auth key = api_key(header: "X-API-Key")` made real.
//!
//! A key reads `gk_2Hq8ZtLm_q1W0b7cVgYk3nR5TfXz9AaJd4Ls6MeP83WIwkh`: a
//! public prefix, a public id, a random secret and a checksum (the exact
//! format and why: [`format`](self#key-format)). A [`KeyStore`] holds, per
//! key, its id, owner, scopes, times and allowed networks, and only a
//! digest of the secret keyed with a [`ServerSecret`] that is never in the
//! store file (SHA-256 behind a secret-keyed block: HMAC-SHA256's inner
//! hash; why not all of HMAC is in `digest.rs`). So a leaked store yields no key, and guesses
//! cannot be tested against it without the server secret.
//!
//! - [`api_key_from_request`] finds the key in a request (refusing one
//!   sent twice);
//! - [`KeyStore::check`] verifies it, in one hash lookup by id and one
//!   digest, and yields a [`KeyMatch`] whose
//!   [`principal`](KeyMatch::principal) the evaluator reads, or a
//!   [`Refusal`](crate::Refusal) with its reason;
//! - [`KeyStore::issue`] and [`KeyStore::rotate`] make keys,
//!   [`KeyFile::revoke`] revokes one, [`KeyFile::save`] writes the store
//!   atomically, and [`KeyStore::reload_if_changed`] lets a running host
//!   pick up changes. A [`KeyFile`] is the store without the server
//!   secret: enough to list and revoke keys;
//! - [`is_well_formed`] tells a key from a typo without the store (for
//!   secret scanners and clients).
//!
//! The library reads no clock: every time is a parameter, in Unix seconds.
//!
//! ```
//! use std::net::{IpAddr, Ipv4Addr};
//! use gatehouse_credentials::keys::{api_key_from_request, KeyStore, NewKey, ServerSecret};
//!
//! let secret = ServerSecret::new(b"an example server secret of 32+ bytes")?;
//! let mut store = KeyStore::new("gk_", secret)?;
//! let now = 1_767_225_600;
//! let new = NewKey { owner: "billing".into(), scopes: vec!["pets:read".into()], ..NewKey::default() };
//! let issued = store.issue(new, now)?;
//!
//! let headers = [("X-API-Key", issued.key())];
//! let key = api_key_from_request("key", &headers, None, Some("X-API-Key"), None)
//!     .map_err(|refusal| refusal.reason.as_str())?;
//! let client = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 5));
//! let accepted = store
//!     .check("key", key.unwrap_or_default(), client, now + 60)
//!     .map_err(|refusal| refusal.reason.as_str())?;
//! let principal = accepted.principal();
//! assert_eq!(principal.subject, "billing");
//! assert_eq!(principal.claims["key_id"], issued.id());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Key format
//!
#![doc = include_str!("format.md")]

mod check;
mod digest;
mod extract;
mod format;
mod store;
#[cfg(test)]
mod tests;

pub use check::{KeyMatch, KEY_ID_CLAIM};
pub use digest::{SecretTooShort, ServerSecret, MIN_SECRET_LEN};
pub use extract::api_key_from_request;
pub use format::{is_well_formed, DEFAULT_PREFIX};
/// The networks of [`NewKey::networks`] and [`KeyEntry::networks`].
pub use ipnet::IpNet;
pub use store::{IssuedKey, KeyEntry, KeyFile, KeyStatus, KeyStore, NewKey, StoreError};
