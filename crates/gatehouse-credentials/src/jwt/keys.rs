//! [`KeySet`]: the public keys of an issuer, read from a JWKS document
//! (RFC 7517), and which of them may check a given token.
//!
//! Only signature keys of the kinds the accepted algorithms use are kept:
//! RSA (2048 bits or more), EC on P-256 and P-384, and Ed25519. Symmetric
//! (`oct`) keys are skipped on purpose: an HMAC secret is configured on the
//! scheme, never published in a key set, so a public key can never be used
//! as an HMAC secret. Keys marked for encryption (`"use": "enc"`), of other
//! kinds or curves, or with an `alg` gatehouse does not accept are skipped,
//! so an issuer that publishes them alongside its signing keys still works.
//! A key of an accepted kind that is malformed refuses the whole document,
//! as do two keys with the same `kid`: which of them signed would be a
//! guess.
//!
//! Keys without a `kid` are kept apart: a token with a `kid` is checked only
//! against the key of that `kid`, and a token without one only against the
//! keys without one (those of its algorithm's kind, each in turn). So a
//! `kid` never falls back to "try every key", and a key set that names all
//! its keys refuses every token that names none.

use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::path::Path;

use jsonwebtoken::crypto::CryptoProvider;
use jsonwebtoken::DecodingKey;
use serde_json::{Map, Value};

use super::algorithm::{Algorithm, KeyKind, Verifying as _};
use super::token::{decode_part, strict_object};

/// The largest JWKS document read (256 KiB): far above any real issuer's,
/// small enough that a hostile or broken endpoint cannot exhaust memory.
pub const MAX_JWKS_BYTES: usize = 256 * 1024;

/// The most keys one JWKS may hold: a token without `kid` may be checked
/// against each key without one, so this also bounds that work.
pub const MAX_JWKS_KEYS: usize = 64;

/// The smallest RSA modulus accepted, in bytes (2048 bits).
const MIN_RSA_MODULUS_BYTES: usize = 256;

/// One verification key.
#[derive(Clone)]
pub(crate) struct Key {
    kind: KeyKind,
    /// The JWK's `alg`, when it names one: the key then checks only that.
    alg: Option<Algorithm>,
    decoding: DecodingKey,
}

impl Key {
    /// Whether this key may check a signature made with `alg`.
    pub(crate) fn fits(&self, alg: Algorithm) -> bool {
        self.kind == alg.key_kind() && self.alg.is_none_or(|own| own == alg)
    }

    pub(crate) fn decoding(&self) -> &DecodingKey {
        &self.decoding
    }
}

/// The public keys of one issuer, by `kid`.
#[derive(Clone, Default)]
pub struct KeySet {
    by_kid: HashMap<String, Key>,
    without_kid: Vec<Key>,
}

impl fmt::Debug for KeySet {
    /// The `kid`s and counts: keys are public, but a debug line has no use
    /// for their bytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut kids: Vec<&str> = self.by_kid.keys().map(String::as_str).collect();
        kids.sort_unstable();
        f.debug_struct("KeySet")
            .field("kids", &kids)
            .field("without_kid", &self.without_kid.len())
            .finish()
    }
}

/// Why a JWKS document was refused. Messages name the problem and the
/// key's position or `kid`, never key material.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum JwksError {
    /// The document is larger than [`MAX_JWKS_BYTES`].
    TooLarge,
    /// The document is not a JSON object with a `keys` array (or repeats a
    /// key in an object).
    NotAJwks,
    /// The document holds more than [`MAX_JWKS_KEYS`] keys.
    TooManyKeys,
    /// Two keys share this `kid`.
    DuplicateKid(String),
    /// The key at this position (from 0) is of an accepted kind but
    /// malformed or too weak.
    InvalidKey(usize),
    /// The file could not be read.
    Io(std::io::ErrorKind),
}

impl fmt::Display for JwksError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JwksError::TooLarge => {
                write!(f, "the key set is larger than {MAX_JWKS_BYTES} bytes")
            }
            JwksError::NotAJwks => f.write_str("the key set is not a JWKS document"),
            JwksError::TooManyKeys => {
                write!(f, "the key set holds more than {MAX_JWKS_KEYS} keys")
            }
            JwksError::DuplicateKid(kid) => {
                write!(
                    f,
                    "two keys in the key set have the kid `{}`",
                    kid.escape_debug()
                )
            }
            JwksError::InvalidKey(index) => {
                write!(f, "key {index} of the key set is malformed or too weak")
            }
            JwksError::Io(kind) => write!(f, "the key set could not be read: {kind}"),
        }
    }
}

impl std::error::Error for JwksError {}

impl KeySet {
    /// A key set from a JWKS document's text.
    pub fn from_jwks(text: &str) -> Result<KeySet, JwksError> {
        if text.len() > MAX_JWKS_BYTES {
            return Err(JwksError::TooLarge);
        }
        let document = strict_object(text.as_bytes()).ok_or(JwksError::NotAJwks)?;
        let Some(Value::Array(keys)) = document.get("keys") else {
            return Err(JwksError::NotAJwks);
        };
        if keys.len() > MAX_JWKS_KEYS {
            return Err(JwksError::TooManyKeys);
        }
        let mut set = KeySet::default();
        for (index, jwk) in keys.iter().enumerate() {
            let Value::Object(jwk) = jwk else {
                return Err(JwksError::InvalidKey(index));
            };
            let Some(key) = read_jwk(jwk).map_err(|()| JwksError::InvalidKey(index))? else {
                continue;
            };
            match jwk.get("kid") {
                None => set.without_kid.push(key),
                Some(Value::String(kid)) => {
                    if set.by_kid.insert(kid.clone(), key).is_some() {
                        return Err(JwksError::DuplicateKid(kid.clone()));
                    }
                }
                Some(_) => return Err(JwksError::InvalidKey(index)),
            }
        }
        Ok(set)
    }

    /// A key set from a JWKS file (at most [`MAX_JWKS_BYTES`] are read).
    pub fn from_jwks_file(path: impl AsRef<Path>) -> Result<KeySet, JwksError> {
        let file = std::fs::File::open(path).map_err(|e| JwksError::Io(e.kind()))?;
        let mut text = String::new();
        // One byte more than allowed, to tell "exactly the limit" from "more".
        let limit = u64::try_from(MAX_JWKS_BYTES + 1).unwrap_or(u64::MAX);
        file.take(limit)
            .read_to_string(&mut text)
            .map_err(|e| JwksError::Io(e.kind()))?;
        KeySet::from_jwks(&text)
    }

    /// How many keys the set holds.
    pub fn len(&self) -> usize {
        self.by_kid.len() + self.without_kid.len()
    }

    /// Whether the set holds no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether a key has this `kid`.
    pub fn contains_kid(&self, kid: &str) -> bool {
        self.by_kid.contains_key(kid)
    }

    pub(crate) fn by_kid(&self, kid: &str) -> Option<&Key> {
        self.by_kid.get(kid)
    }

    pub(crate) fn without_kid(&self) -> &[Key] {
        &self.without_kid
    }
}

/// The key `jwk` describes; `Ok(None)` for a key of a kind, curve, use or
/// algorithm gatehouse does not verify with (skipped), `Err` for a
/// malformed key of a kind it does.
fn read_jwk(jwk: &Map<String, Value>) -> Result<Option<Key>, ()> {
    let text = |name: &str| match jwk.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(()),
    };
    if text("use")?.is_some_and(|usage| usage != "sig") {
        return Ok(None);
    }
    let alg = match text("alg")? {
        None => None,
        Some(name) => match name.parse::<Algorithm>() {
            Ok(alg) if !alg.is_hmac() => Some(alg),
            // An algorithm gatehouse never accepts: the key is for something else.
            _ => return Ok(None),
        },
    };
    let required = |name: &str| text(name)?.ok_or(());
    let (kind, decoding) = match text("kty")? {
        Some("RSA") => {
            let (n, e) = (required("n")?, required("e")?);
            let modulus = decode_part(n).ok_or(())?;
            let significant = modulus.iter().skip_while(|b| **b == 0).count();
            if significant < MIN_RSA_MODULUS_BYTES || decode_part(e).is_none() {
                return Err(());
            }
            let key = DecodingKey::from_rsa_components(n, e).map_err(|_| ())?;
            (KeyKind::Rsa, key)
        }
        Some("EC") => {
            let (kind, size) = match text("crv")? {
                Some("P-256") => (KeyKind::P256, 32),
                Some("P-384") => (KeyKind::P384, 48),
                _ => return Ok(None),
            };
            let (x, y) = (required("x")?, required("y")?);
            let sized = |c: &str| decode_part(c).is_some_and(|b| b.len() == size);
            if !sized(x) || !sized(y) {
                return Err(());
            }
            (kind, DecodingKey::from_ec_components(x, y).map_err(|_| ())?)
        }
        Some("OKP") => {
            if text("crv")? != Some("Ed25519") {
                return Ok(None);
            }
            let x = required("x")?;
            if decode_part(x).is_none_or(|b| b.len() != 32) {
                return Err(());
            }
            (
                KeyKind::Ed25519,
                DecodingKey::from_ed_components(x).map_err(|_| ())?,
            )
        }
        // `oct` (an HMAC secret has no place in a published key set) and
        // kinds gatehouse does not verify with.
        _ => return Ok(None),
    };
    if alg.is_some_and(|alg| alg.key_kind() != kind) {
        return Err(());
    }
    // Build a verifier once now, so that a key the crypto backend rejects
    // (a point not on the curve, say) refuses the document at load time
    // rather than every token later.
    let probe = match kind {
        KeyKind::Rsa => Algorithm::RS256,
        KeyKind::P256 => Algorithm::ES256,
        KeyKind::P384 => Algorithm::ES384,
        KeyKind::Ed25519 | KeyKind::Hmac => Algorithm::EdDSA,
    };
    let provider = CryptoProvider::try_get_default().ok_or(())?;
    (provider.verifier_factory)(&probe.to_jsonwebtoken(), &decoding).map_err(|_| ())?;
    Ok(Some(Key {
        kind,
        alg,
        decoding,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_what_it_does_not_verify_with() {
        let set = KeySet::from_jwks(
            r#"{"keys":[
                {"kty":"oct","kid":"h","k":"c2VjcmV0"},
                {"kty":"EC","kid":"p521","crv":"P-521","x":"AA","y":"AA"},
                {"kty":"RSA","kid":"enc","use":"enc","n":"AQAB","e":"AQAB"},
                {"kty":"RSA","kid":"hs","alg":"HS256","n":"AQAB","e":"AQAB"},
                {"kty":"weird"}
            ]}"#,
        );
        assert!(set.is_ok_and(|set| set.is_empty()));
    }

    #[test]
    fn refuses_broken_documents() {
        assert_eq!(KeySet::from_jwks("[]").err(), Some(JwksError::NotAJwks));
        assert_eq!(KeySet::from_jwks("{}").err(), Some(JwksError::NotAJwks));
        assert_eq!(
            KeySet::from_jwks(r#"{"keys":[],"keys":[]}"#).err(),
            Some(JwksError::NotAJwks)
        );
        // A short RSA modulus is a weak key, not one to skip.
        assert_eq!(
            KeySet::from_jwks(r#"{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}"#).err(),
            Some(JwksError::InvalidKey(0))
        );
        assert_eq!(
            KeySet::from_jwks(&" ".repeat(MAX_JWKS_BYTES + 1)).err(),
            Some(JwksError::TooLarge)
        );
        let many = vec![r#"{"kty":"oct"}"#; MAX_JWKS_KEYS + 1].join(",");
        assert_eq!(
            KeySet::from_jwks(&format!(r#"{{"keys":[{many}]}}"#)).err(),
            Some(JwksError::TooManyKeys)
        );
        assert_eq!(
            KeySet::from_jwks_file("/nonexistent/gatehouse/jwks.json").err(),
            Some(JwksError::Io(std::io::ErrorKind::NotFound))
        );
    }
}
