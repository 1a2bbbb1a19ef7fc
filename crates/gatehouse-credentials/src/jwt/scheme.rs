//! [`JwtScheme`]: what a policy's `auth NAME = jwt(issuer: ..., audience:
//! ...)` asks of a token, plus the settings a host may tune. Checked once,
//! when a [`Verifier`](super::Verifier) is built.

use std::fmt;

use jsonwebtoken::DecodingKey;

use super::algorithm::Algorithm;

/// The least HMAC secret accepted, in bytes: RFC 7518 (section 3.2) asks
/// for a key at least as long as the hash, and 32 bytes is that for HS256.
pub const MIN_HMAC_SECRET_BYTES: usize = 32;

/// Where a token's scopes are read from.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum ScopeClaim {
    /// `scope` as a space-separated string (RFC 8693, RFC 9068); if the
    /// token has no `scope`, `scp` as an array of strings or a
    /// space-separated string (as some issuers send).
    #[default]
    ScopeOrScp,
    /// This claim only, as a space-separated string or an array of strings.
    Named(String),
}

/// An HMAC secret (wiped from memory when dropped, by jsonwebtoken); its
/// `Debug` shows no byte of it. `None` for an empty secret, which
/// `JwtScheme::check` refuses as too short.
#[derive(Clone)]
pub(crate) struct HmacSecret {
    pub(crate) key: Option<DecodingKey>,
    len: usize,
}

impl fmt::Debug for HmacSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HmacSecret([redacted])")
    }
}

/// A JWT scheme: the policy's name for it, the issuer and audience it
/// accepts, and how tokens are checked. Built with [`JwtScheme::new`] and
/// the methods after it.
#[derive(Clone, Debug)]
pub struct JwtScheme {
    pub(crate) name: String,
    pub(crate) issuer: String,
    pub(crate) audience: Option<String>,
    pub(crate) algorithms: Vec<Algorithm>,
    pub(crate) hmac_secret: Option<HmacSecret>,
    pub(crate) leeway: u64,
    pub(crate) scope_claim: ScopeClaim,
    pub(crate) max_token_bytes: usize,
    pub(crate) cache_capacity: usize,
    pub(crate) jwks_url: Option<String>,
}

impl JwtScheme {
    /// The scheme `name` (`user` in `auth user = jwt(...)`) for tokens from
    /// `issuer` (compared with `iss` exactly), with the defaults: the
    /// asymmetric algorithms, no audience check, 60 s of leeway, scopes from
    /// `scope` or `scp`, tokens of at most 8 KiB, 10,000 cached tokens.
    pub fn new(name: impl Into<String>, issuer: impl Into<String>) -> JwtScheme {
        JwtScheme {
            name: name.into(),
            issuer: issuer.into(),
            audience: None,
            algorithms: Algorithm::ASYMMETRIC.to_vec(),
            hmac_secret: None,
            leeway: 60,
            scope_claim: ScopeClaim::default(),
            max_token_bytes: 8 * 1024,
            cache_capacity: 10_000,
            jwks_url: None,
        }
    }

    /// Accept only tokens whose `aud` is this audience or an array holding
    /// it.
    pub fn audience(mut self, audience: impl Into<String>) -> JwtScheme {
        self.audience = Some(audience.into());
        self
    }

    /// Accept exactly these algorithms. An HMAC algorithm needs an HMAC
    /// secret ([`JwtScheme::hmac_secret`]).
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> JwtScheme {
        self.algorithms = algorithms.into_iter().collect();
        self
    }

    /// Verify HMAC tokens (the HMAC algorithms in [`JwtScheme::algorithms`])
    /// with this shared secret, of at least [`MIN_HMAC_SECRET_BYTES`]. Only
    /// this secret ever checks an HMAC token: never a key from a key set.
    pub fn hmac_secret(mut self, secret: &[u8]) -> JwtScheme {
        // `from_secret` fails only for an empty secret, which `check`
        // refuses as too short.
        self.hmac_secret = Some(HmacSecret {
            key: DecodingKey::from_secret(secret).ok(),
            len: secret.len(),
        });
        self
    }

    /// How far `exp` and `nbf` may be off, in seconds (clock skew): 60 by
    /// default.
    pub fn leeway(mut self, seconds: u64) -> JwtScheme {
        self.leeway = seconds;
        self
    }

    /// Where scopes are read from.
    pub fn scope_claim(mut self, claim: ScopeClaim) -> JwtScheme {
        self.scope_claim = claim;
        self
    }

    /// The largest token accepted, in bytes (8 KiB by default); larger ones
    /// are refused `credential_malformed` before any decoding.
    pub fn max_token_bytes(mut self, bytes: usize) -> JwtScheme {
        self.max_token_bytes = bytes;
        self
    }

    /// How many verified tokens are remembered (10,000 by default; 0 turns
    /// the cache off).
    pub fn cache_capacity(mut self, tokens: usize) -> JwtScheme {
        self.cache_capacity = tokens;
        self
    }

    /// Fetch keys from this JWKS URL rather than by OpenID discovery from
    /// the issuer (for a [`Verifier`](super::Verifier) whose keys are
    /// fetched: see [`Verifier::key_source`](super::Verifier::key_source)).
    pub fn jwks_url(mut self, url: impl Into<String>) -> JwtScheme {
        self.jwks_url = Some(url.into());
        self
    }

    /// The scheme's name in the policy.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The issuer.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The audience a token's `aud` must hold, if the scheme requires one.
    pub fn audience_name(&self) -> Option<&str> {
        self.audience.as_deref()
    }

    /// Whether the scheme is usable: some algorithm accepted, and an HMAC
    /// secret if and only if an HMAC algorithm is.
    pub(crate) fn check(&self) -> Result<(), SchemeError> {
        if self.algorithms.is_empty() {
            return Err(SchemeError::NoAlgorithm);
        }
        let hmac = self.algorithms.iter().any(|alg| alg.is_hmac());
        match &self.hmac_secret {
            None if hmac => Err(SchemeError::HmacWithoutSecret),
            Some(_) if !hmac => Err(SchemeError::SecretWithoutHmac),
            Some(secret) if secret.len < MIN_HMAC_SECRET_BYTES || secret.key.is_none() => {
                Err(SchemeError::HmacSecretTooShort)
            }
            _ => Ok(()),
        }
    }
}

/// Why a [`JwtScheme`] cannot be used. No message holds a secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SchemeError {
    /// The algorithm list is empty.
    NoAlgorithm,
    /// An HMAC algorithm is accepted but no secret is configured.
    HmacWithoutSecret,
    /// A secret is configured but no HMAC algorithm accepted: it would
    /// never be used, which is likely a mistake.
    SecretWithoutHmac,
    /// The HMAC secret is shorter than [`MIN_HMAC_SECRET_BYTES`].
    HmacSecretTooShort,
}

impl fmt::Display for SchemeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SchemeError::NoAlgorithm => "the scheme accepts no algorithm",
            SchemeError::HmacWithoutSecret => {
                "the scheme accepts an HMAC algorithm but has no HMAC secret"
            }
            SchemeError::SecretWithoutHmac => {
                "the scheme has an HMAC secret but accepts no HMAC algorithm"
            }
            SchemeError::HmacSecretTooShort => "the scheme's HMAC secret is shorter than 32 bytes",
        })
    }
}

impl std::error::Error for SchemeError {}
