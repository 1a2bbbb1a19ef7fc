//! [`Verifier`]: a scheme, its keys and its verified-token cache, and the
//! checks a token goes through, in this order:
//!
//! 1. size (before any decoding), then the cache (a hit re-checks only
//!    `exp` and `nbf`, with the leeway);
//! 2. shape: three base64url parts, header and payload strict JSON objects;
//! 3. `alg` against the allow-list, before any key is chosen; `crit`
//!    refused (no extension is understood);
//! 4. the key: the HMAC secret for an HMAC algorithm, else the key set's key
//!    of the token's `kid` (or its keys without one), of the algorithm's
//!    kind; no usable key set at all is `keys_unavailable`;
//! 5. the signature;
//! 6. the claims, only now read: `exp` (required) and `nbf` with the leeway,
//!    `iss`, `aud`, `sub` (required), then scopes.

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

use gatehouse::Principal;
use jsonwebtoken::crypto::CryptoProvider;
use jsonwebtoken::DecodingKey;
use serde_json::{Map, Value};

use super::algorithm::{Algorithm, Verifying as _};
use super::bearer::{bearer_candidate, is_b64token};
use super::fetch::KeySource;
use super::key_cache::KeyCache;
use super::keys::{Key, KeySet};
use super::scheme::{JwtScheme, SchemeError, ScopeClaim};
use super::token::{decode_object, decode_part, split};
use super::token_cache::{Entry, TokenCache};
use crate::{Refusal, RefusalReason};

/// A verified token: who it names and until when.
#[derive(Clone, Debug, PartialEq)]
pub struct Verified {
    principal: Arc<Principal>,
    expires_at: u64,
}

impl Verified {
    /// The principal: scheme = the scheme's name, subject = `sub`, scopes
    /// from the scope claim, claims = every claim but `sub`. Shared with
    /// the cache: cloning it copies no claim.
    pub fn principal(&self) -> &Arc<Principal> {
        &self.principal
    }

    /// The token's `exp`, in Unix seconds (the leeway not added).
    pub fn expires_at(&self) -> u64 {
        self.expires_at
    }
}

/// Verifies one scheme's tokens. Shared by threads (`Sync`); holds the
/// scheme, its keys (a [`KeyCache`]) and a cache of verified tokens.
pub struct Verifier {
    scheme: JwtScheme,
    /// Shared by the verifiers of one key source (an
    /// [`Authenticator`](crate::Authenticator)'s schemes of one issuer), so
    /// that its fetches are rate-limited once, not per scheme.
    keys: Arc<RwLock<KeyCache>>,
    tokens: TokenCache,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("scheme", &self.scheme)
            .field("cached_tokens", &self.tokens.len())
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier with fixed keys (inline or from a file: see [`KeySet`]).
    pub fn new(scheme: JwtScheme, keys: KeySet) -> Result<Verifier, SchemeError> {
        Verifier::with_key_cache(scheme, KeyCache::fixed(keys))
    }

    /// A verifier whose keys live in `keys`: an empty [`KeyCache::new`]
    /// for keys fetched from the issuer (see
    /// [`Verifier::verify_fetching`]).
    pub fn with_key_cache(scheme: JwtScheme, keys: KeyCache) -> Result<Verifier, SchemeError> {
        Verifier::with_shared_keys(scheme, Arc::new(RwLock::new(keys)))
    }

    /// A verifier whose key cache is shared with other verifiers of the
    /// same key source.
    pub(crate) fn with_shared_keys(
        scheme: JwtScheme,
        keys: Arc<RwLock<KeyCache>>,
    ) -> Result<Verifier, SchemeError> {
        scheme.check()?;
        Ok(Verifier {
            tokens: TokenCache::new(scheme.cache_capacity),
            scheme,
            keys,
        })
    }

    /// Where this verifier's keys are fetched from (when they are fetched
    /// at all, not fixed): the scheme's JWKS URL if it has one, else OpenID
    /// discovery from its issuer.
    pub fn key_source(&self) -> KeySource {
        match &self.scheme.jwks_url {
            Some(url) => KeySource::Jwks { url: url.clone() },
            None => KeySource::Discovery {
                issuer: self.scheme.issuer.clone(),
            },
        }
    }

    /// The scheme.
    pub fn scheme(&self) -> &JwtScheme {
        &self.scheme
    }

    /// A copy of the key cache's state (for health checks and tests).
    pub fn key_cache(&self) -> KeyCache {
        self.read_keys(KeyCache::clone)
    }

    /// Reads the key cache (a shared lock: the check every fetching
    /// verification makes).
    pub(crate) fn read_keys<T>(&self, read: impl FnOnce(&KeyCache) -> T) -> T {
        read(&self.keys.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Runs `change` on the key cache.
    pub(crate) fn with_keys<T>(&self, change: impl FnOnce(&mut KeyCache) -> T) -> T {
        let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
        change(&mut keys)
    }

    /// The bearer token of `headers` verified at `now`: a request without
    /// one is refused `credential_missing`.
    pub fn authenticate(
        &self,
        headers: &[(&str, &str)],
        now_unix_seconds: u64,
    ) -> Result<Verified, Refusal> {
        match bearer_candidate(&self.scheme.name, headers)? {
            Some(token) => self.verify(token, now_unix_seconds),
            None => Err(self.refusal(RefusalReason::CredentialMissing)),
        }
    }

    /// Verifies `token` at `now_unix_seconds` with the keys held now (no
    /// fetching: see [`Verifier::verify_fetching`]).
    pub fn verify(&self, token: &str, now_unix_seconds: u64) -> Result<Verified, Refusal> {
        self.check(token, now_unix_seconds)
            .map_err(|reason| self.refusal(reason))
    }

    pub(crate) fn refusal(&self, reason: RefusalReason) -> Refusal {
        Refusal::new(self.scheme.name.as_str(), reason)
    }

    /// The answer for `token` if it is in the cache (verified before):
    /// its principal, or why it no longer holds. `None` for a token not
    /// seen, or not verified, before.
    pub(crate) fn verify_cached(
        &self,
        token: &str,
        now_unix_seconds: u64,
    ) -> Option<Result<Verified, Refusal>> {
        self.check_cached(token, now_unix_seconds)
            .map(|answer| answer.map_err(|reason| self.refusal(reason)))
    }

    fn check_cached(&self, token: &str, now: u64) -> Option<Result<Verified, RefusalReason>> {
        let hit = self.tokens.get(token)?;
        if now > hit.valid_until {
            self.tokens.remove(token);
            return Some(Err(RefusalReason::TokenExpired));
        }
        // Only if the host's clock went back since the token was cached.
        if now < hit.valid_from {
            return Some(Err(RefusalReason::TokenNotYetValid));
        }
        Some(Ok(Verified {
            principal: hit.principal,
            expires_at: hit.exp,
        }))
    }

    fn check(&self, token: &str, now: u64) -> Result<Verified, RefusalReason> {
        use RefusalReason::*;
        if token.len() > self.scheme.max_token_bytes {
            return Err(CredentialMalformed);
        }
        if let Some(answer) = self.check_cached(token, now) {
            return answer;
        }

        // A bearer token's RFC 6750 syntax, for callers that took it from a
        // header without testing it (`bearer_candidate`); a JWT that passes
        // the base64url decoding below always passes this too.
        if !is_b64token(token) {
            return Err(CredentialMalformed);
        }
        let parts = split(token).ok_or(CredentialMalformed)?;
        let header = decode_object(parts.header).ok_or(CredentialMalformed)?;
        let alg = match header.get("alg") {
            Some(Value::String(name)) => name.parse::<Algorithm>().ok(),
            _ => return Err(CredentialMalformed),
        };
        let alg = alg
            .filter(|alg| self.scheme.algorithms.contains(alg))
            .ok_or(AlgorithmNotAllowed)?;
        // `crit` lists extensions the token requires the verifier to
        // understand (RFC 7515, 4.1.11); none is, so none can be honoured.
        // `b64: false` (RFC 7797) changes what is signed: refused too.
        if header.contains_key("crit")
            || header
                .get("b64")
                .is_some_and(|b64| b64 != &Value::Bool(true))
        {
            return Err(CredentialMalformed);
        }
        let kid = match header.get("kid") {
            None => None,
            Some(Value::String(kid)) => Some(kid.as_str()),
            Some(_) => return Err(CredentialMalformed),
        };
        let signature = decode_part(parts.signature).ok_or(CredentialMalformed)?;
        let claims = decode_object(parts.payload).ok_or(CredentialMalformed)?;

        let signed = parts.signed.as_bytes();
        if alg.is_hmac() {
            let secret = self
                .scheme
                .hmac_secret
                .as_ref()
                .and_then(|s| s.key.as_ref());
            let secret = secret.ok_or(KeysUnavailable)?;
            if !signature_ok(alg, secret, signed, &signature) {
                return Err(SignatureInvalid);
            }
        } else {
            let keys = self.current_keys(now).ok_or(KeysUnavailable)?;
            check_with_keys(&keys, kid, alg, signed, &signature)?;
        }

        let (verified, not_before) = self.read_claims(claims, now)?;
        let leeway = self.scheme.leeway;
        self.tokens.insert(
            token,
            Entry {
                principal: Arc::clone(&verified.principal),
                exp: verified.expires_at,
                valid_from: not_before.map_or(0, |nbf| nbf.saturating_sub(leeway)),
                valid_until: verified.expires_at.saturating_add(leeway),
            },
        );
        Ok(verified)
    }

    fn current_keys(&self, now: u64) -> Option<Arc<KeySet>> {
        self.read_keys(|keys| keys.keys(now).cloned())
    }

    /// The principal of a token whose signature verified, if its claims
    /// hold at `now`, and its `nbf` if it has one.
    fn read_claims(
        &self,
        mut claims: Map<String, Value>,
        now: u64,
    ) -> Result<(Verified, Option<u64>), RefusalReason> {
        use RefusalReason::*;
        let leeway = self.scheme.leeway;
        let exp = claims
            .get("exp")
            .and_then(numeric_date)
            .ok_or(CredentialMalformed)?;
        if now > exp.saturating_add(leeway) {
            return Err(TokenExpired);
        }
        let not_before = match claims.get("nbf").map(numeric_date) {
            None => None,
            Some(None) => return Err(CredentialMalformed),
            Some(Some(nbf)) if nbf > now.saturating_add(leeway) => return Err(TokenNotYetValid),
            Some(Some(nbf)) => Some(nbf),
        };
        if claims.get("iss").and_then(Value::as_str) != Some(self.scheme.issuer.as_str()) {
            return Err(IssuerMismatch);
        }
        if let Some(audience) = &self.scheme.audience {
            let holds = match claims.get("aud") {
                Some(Value::String(aud)) => aud == audience,
                Some(Value::Array(auds)) => auds.iter().any(|aud| aud.as_str() == Some(audience)),
                _ => false,
            };
            if !holds {
                return Err(AudienceMismatch);
            }
        }
        let subject = match claims.remove("sub") {
            Some(Value::String(sub)) => sub,
            _ => return Err(CredentialMalformed),
        };
        let scopes = scopes(&claims, &self.scheme.scope_claim);
        let principal = Principal {
            scheme: self.scheme.name.clone(),
            subject,
            scopes,
            claims,
        };
        let verified = Verified {
            principal: Arc::new(principal),
            expires_at: exp,
        };
        Ok((verified, not_before))
    }
}

/// Checks the signature with the key set's key for `kid` (or, for a token
/// without `kid`, its keys without one).
fn check_with_keys(
    keys: &KeySet,
    kid: Option<&str>,
    alg: Algorithm,
    signed: &[u8],
    signature: &Vec<u8>,
) -> Result<(), RefusalReason> {
    let candidates: Vec<&Key> = match kid {
        // A `kid` is only ever a lookup key: one holding a path or SQL text
        // is just one no key has.
        Some(kid) => {
            let key = keys.by_kid(kid).ok_or(RefusalReason::UnknownKey)?;
            if !key.fits(alg) {
                // The key exists but is of another kind (an RSA key for an
                // `ES256` token, say): never try it.
                return Err(RefusalReason::AlgorithmNotAllowed);
            }
            vec![key]
        }
        None => keys.without_kid().iter().filter(|k| k.fits(alg)).collect(),
    };
    if candidates.is_empty() {
        return Err(RefusalReason::UnknownKey);
    }
    if candidates
        .iter()
        .any(|key| signature_ok(alg, key.decoding(), signed, signature))
    {
        Ok(())
    } else {
        Err(RefusalReason::SignatureInvalid)
    }
}

/// Whether `signature` is `alg`'s signature of `signed` under `key`.
// `&Vec<u8>`, not a slice: jsonwebtoken's verifier takes that type.
fn signature_ok(alg: Algorithm, key: &DecodingKey, signed: &[u8], signature: &Vec<u8>) -> bool {
    // No provider only if the build enabled both of jsonwebtoken's crypto
    // backends and the host installed neither: no signature is good then.
    let Some(provider) = CryptoProvider::try_get_default() else {
        return false;
    };
    match (provider.verifier_factory)(&alg.to_jsonwebtoken(), key) {
        Ok(verifier) => verifier.verify(signed, signature).is_ok(),
        Err(_) => false,
    }
}

/// A NumericDate (RFC 7519): non-negative seconds, fractions dropped.
fn numeric_date(value: &Value) -> Option<u64> {
    if let Some(seconds) = value.as_u64() {
        return Some(seconds);
    }
    let seconds = value.as_f64()?;
    if seconds.is_finite() && seconds >= 0.0 {
        // A float cast saturates: a date past `u64::MAX` is "never".
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "finite and non-negative; `as` saturates, which is the intent"
        )]
        Some(seconds as u64)
    } else {
        None
    }
}

/// The scopes `claims` grant, read as `claim` says.
fn scopes(claims: &Map<String, Value>, claim: &ScopeClaim) -> Vec<String> {
    let value = match claim {
        ScopeClaim::ScopeOrScp => claims.get("scope").or_else(|| claims.get("scp")),
        ScopeClaim::Named(name) => claims.get(name),
    };
    match value {
        Some(Value::String(list)) => list.split_whitespace().map(str::to_owned).collect(),
        // Only strings are scopes; anything else in the array grants nothing.
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scopes_come_from_scope_then_scp() {
        let map = |v: Value| v.as_object().cloned().unwrap_or_default();
        let both = map(json!({"scope": "a  b", "scp": ["c"]}));
        assert_eq!(scopes(&both, &ScopeClaim::ScopeOrScp), ["a", "b"]);
        let scp = map(json!({"scp": ["c", 1, "d"]}));
        assert_eq!(scopes(&scp, &ScopeClaim::ScopeOrScp), ["c", "d"]);
        let scp_text = map(json!({"scp": "e f"}));
        assert_eq!(scopes(&scp_text, &ScopeClaim::ScopeOrScp), ["e", "f"]);
        let named = map(json!({"scope": "a", "roles": ["admin"]}));
        assert_eq!(
            scopes(&named, &ScopeClaim::Named("roles".into())),
            ["admin"]
        );
        assert!(scopes(&named, &ScopeClaim::Named("none".into())).is_empty());
    }

    #[test]
    fn numeric_dates() {
        assert_eq!(numeric_date(&json!(10)), Some(10));
        assert_eq!(numeric_date(&json!(10.9)), Some(10));
        assert_eq!(numeric_date(&json!(1e300)), Some(u64::MAX));
        assert_eq!(numeric_date(&json!(-1)), None);
        assert_eq!(numeric_date(&json!("10")), None);
    }
}
