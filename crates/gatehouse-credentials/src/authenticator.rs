//! [`Authenticator`]: a verifier for every `auth` scheme of a policy set,
//! built from what the policy declares, and one call per request that
//! yields the principal or a refusal.
//!
//! Which scheme a request's credential is for:
//! - a bearer token (`Authorization: Bearer ...`) goes to the `jwt` scheme
//!   whose `issuer` equals the token's `iss` and whose `audience` is in its
//!   `aud` (read before verifying, only to choose the verifier: the chosen
//!   verifier checks both again, with the signature), else to the scheme
//!   of its issuer; a token whose issuer no scheme declares is refused
//!   `issuer_mismatch` by the first `jwt` scheme; a token a scheme
//!   verified before is answered from that scheme's cache;
//! - an API key goes to the `api_key` scheme whose header or query
//!   parameter carries it;
//! - a client certificate (from the host's TLS, or a trusted proxy's
//!   header) goes to the `mtls` schemes.
//!
//! A request that carries credentials for more than one scheme is refused
//! `credential_ambiguous`: which caller it is must never depend on the
//! order schemes are tried in. A request with none is `Ok(None)`: the
//! evaluator then decides (`unauthenticated` wherever an endpoint needs a
//! principal, allowed where it is `public`).

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use base64::Engine;
use gatehouse::schemes::{AuthSchemeKind, AuthSchemeRef};
use gatehouse::{PolicySet, Principal};

use crate::jwt::{
    self, FetchError, JwksError, JwksFetcher, JwtScheme, KeyCache, KeyCachePolicy, KeySet,
    KeySource, SchemeError, ScopeClaim, Verifier,
};
use crate::keys::{self, KeyStore};
use crate::mtls::{self, ClientCertificate};
use crate::{ChallengeKind, Refusal, RefusalReason};

/// The parts of a request that carry credentials.
#[derive(Clone, Copy, Debug, Default)]
pub struct CredentialRequest<'a> {
    /// The request's headers, as received.
    pub headers: &'a [(&'a str, &'a str)],
    /// The raw query string, without `?`.
    pub query: Option<&'a str>,
    /// The address of the peer that sent the request.
    pub peer: Option<IpAddr>,
    /// The client's address as the evaluator will see it (for an API
    /// key's allowed networks); the peer's when `None`.
    pub client_ip: Option<IpAddr>,
    /// The DER of the client certificate the host's TLS verified.
    pub client_certificate: Option<&'a [u8]>,
}

/// Why an [`Authenticator`] could not be built from a policy. Messages
/// name schemes and files, never key material.
#[derive(Debug)]
#[non_exhaustive]
pub enum BuildError {
    /// A scheme's `jwks` file could not be read or is not a usable key set.
    Jwks {
        scheme: String,
        path: PathBuf,
        error: JwksError,
    },
    /// A scheme's settings cannot make a verifier (HMAC without a secret,
    /// say).
    Scheme { scheme: String, error: SchemeError },
}

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BuildError::Jwks {
                scheme,
                path,
                error,
            } => write!(
                f,
                "scheme `{scheme}`: the key set {} cannot be used: {error:?}",
                path.display()
            ),
            BuildError::Scheme { scheme, error } => {
                write!(f, "scheme `{scheme}`: {error:?}")
            }
        }
    }
}

impl std::error::Error for BuildError {}

/// Builds an [`Authenticator`] for a policy set: what the policy does not
/// say (HMAC secrets, the API-key store, keys given inline) comes here.
pub struct AuthenticatorBuilder {
    policy: PolicySet,
    jwks: HashMap<String, KeySet>,
    hmac_secrets: HashMap<String, Vec<u8>>,
    key_store: Option<Arc<KeyStore>>,
    key_cache: KeyCachePolicy,
}

impl std::fmt::Debug for AuthenticatorBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthenticatorBuilder")
            .field("jwks", &self.jwks.keys().collect::<Vec<_>>())
            .field("hmac_secrets", &self.hmac_secrets.len())
            .field("key_store", &self.key_store.is_some())
            .finish_non_exhaustive()
    }
}

impl AuthenticatorBuilder {
    /// The keys of the `jwt` scheme `scheme`, replacing what its `jwks`
    /// says (keys from a URL the host fetched, or for tests).
    pub fn jwks(mut self, scheme: impl Into<String>, keys: KeySet) -> AuthenticatorBuilder {
        self.jwks.insert(scheme.into(), keys);
        self
    }

    /// The shared secret of a `jwt` scheme that accepts HMAC algorithms.
    pub fn hmac_secret(mut self, scheme: impl Into<String>, secret: &[u8]) -> AuthenticatorBuilder {
        self.hmac_secrets.insert(scheme.into(), secret.to_vec());
        self
    }

    /// The key store that every `api_key` scheme checks keys against.
    pub fn key_store(mut self, store: Arc<KeyStore>) -> AuthenticatorBuilder {
        self.key_store = Some(store);
        self
    }

    /// How fetched keys are kept (TTL, grace, refetch interval).
    pub fn key_cache(mut self, policy: KeyCachePolicy) -> AuthenticatorBuilder {
        self.key_cache = policy;
        self
    }

    /// The verifiers. A `jwt` scheme's keys come from, in order: keys
    /// given to [`AuthenticatorBuilder::jwks`], the policy's `jwks` file
    /// (relative to the policy file), the policy's `jwks` URL, else the
    /// issuer's discovery document. Fetched keys are none until fetched
    /// ([`Authenticator::refresh_keys`], or on demand by
    /// [`Authenticator::authenticate_fetching`]): tokens are refused
    /// `keys_unavailable` meanwhile. Schemes that fetch from the same
    /// source share its keys, so the source is fetched (and rate-limited)
    /// once for all of them.
    pub fn build(mut self) -> Result<Authenticator, BuildError> {
        let mut schemes = Vec::new();
        let mut fetched: HashMap<KeySource, Arc<RwLock<KeyCache>>> = HashMap::new();
        for scheme in self.policy.auth_schemes() {
            let name = scheme.name().to_string();
            match scheme.kind() {
                AuthSchemeKind::Jwt(jwt) => {
                    let mut settings = JwtScheme::new(&name, jwt.issuer())
                        .leeway(u64::from(jwt.leeway_seconds()))
                        .scope_claim(match jwt.scope_claim() {
                            Some(claim) => ScopeClaim::Named(claim.to_string()),
                            None => ScopeClaim::ScopeOrScp,
                        });
                    if let Some(audience) = jwt.audience() {
                        settings = settings.audience(audience);
                    }
                    settings = settings.algorithms(jwt.algorithms().iter().copied());
                    if let Some(secret) = self.hmac_secrets.get(&name) {
                        settings = settings.hmac_secret(secret);
                    }
                    let source = match (self.jwks.remove(&name), jwt.jwks()) {
                        (Some(keys), _) => Err(KeyCache::fixed(keys)),
                        (None, Some(url)) if url.contains("://") => {
                            settings = settings.jwks_url(url);
                            Ok(KeySource::Jwks {
                                url: url.to_string(),
                            })
                        }
                        (None, Some(file)) => {
                            let path = relative_to(&scheme, file);
                            let keys = KeySet::from_jwks_file(&path).map_err(|error| {
                                BuildError::Jwks {
                                    scheme: name.clone(),
                                    path,
                                    error,
                                }
                            })?;
                            Err(KeyCache::fixed(keys))
                        }
                        (None, None) => Ok(KeySource::Discovery {
                            issuer: jwt.issuer().to_string(),
                        }),
                    };
                    let keys = match source {
                        Ok(source) => Arc::clone(fetched.entry(source).or_insert_with(|| {
                            Arc::new(RwLock::new(KeyCache::new(self.key_cache)))
                        })),
                        Err(fixed) => Arc::new(RwLock::new(fixed)),
                    };
                    let verifier = Verifier::with_shared_keys(settings, keys).map_err(|error| {
                        BuildError::Scheme {
                            scheme: name.clone(),
                            error,
                        }
                    })?;
                    schemes.push(SchemeVerifier::Jwt(Box::new(verifier)));
                }
                AuthSchemeKind::ApiKey { header, query } => {
                    schemes.push(SchemeVerifier::ApiKey {
                        name,
                        header: header.map(str::to_string),
                        query: query.map(str::to_string),
                    });
                }
                AuthSchemeKind::Mtls { .. } => schemes.push(SchemeVerifier::Mtls {
                    api: scheme.api().to_string(),
                    name,
                }),
                _ => {}
            }
        }
        Ok(Authenticator {
            policy: self.policy,
            schemes,
            key_store: self.key_store,
        })
    }
}

/// A `jwks` file named in the policy, relative to the policy file.
fn relative_to(scheme: &AuthSchemeRef<'_>, file: &str) -> PathBuf {
    let policy_file = scheme.location().file;
    match Path::new(&policy_file).parent() {
        Some(dir) => dir.join(file),
        None => PathBuf::from(file),
    }
}

enum SchemeVerifier {
    Jwt(Box<Verifier>),
    ApiKey {
        name: String,
        header: Option<String>,
        query: Option<String>,
    },
    Mtls {
        api: String,
        name: String,
    },
}

/// Verifies the credentials of requests against a policy set's schemes.
/// Build one per policy set (and again after a reload) with
/// [`Authenticator::builder`]; share it between threads.
pub struct Authenticator {
    policy: PolicySet,
    schemes: Vec<SchemeVerifier>,
    key_store: Option<Arc<KeyStore>>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("schemes", &self.schemes.len())
            .field("key_store", &self.key_store.is_some())
            .finish_non_exhaustive()
    }
}

impl Authenticator {
    /// A builder for the schemes of `policy`.
    pub fn builder(policy: &PolicySet) -> AuthenticatorBuilder {
        AuthenticatorBuilder {
            policy: policy.clone(),
            jwks: HashMap::new(),
            hmac_secrets: HashMap::new(),
            key_store: None,
            key_cache: KeyCachePolicy::default(),
        }
    }

    /// The request's principal: `Ok(None)` when it carries no credential,
    /// the refusal when it carries one that does not verify, or
    /// credentials for more than one scheme (see the module docs). `now`
    /// is the time in Unix seconds (the crate reads no clock). Keys are
    /// used as they are held: nothing is fetched (see
    /// [`Authenticator::authenticate_fetching`]).
    pub fn authenticate(
        &self,
        request: &CredentialRequest<'_>,
        now_unix_seconds: u64,
    ) -> Result<Option<Arc<Principal>>, Refusal> {
        let bearer = match self.bearer(request, now_unix_seconds)? {
            Bearer::None => None,
            Bearer::Cached(principal) => Some(principal),
            Bearer::Verify(verifier, token) => Some(Arc::clone(
                verifier.verify(token, now_unix_seconds)?.principal(),
            )),
        };
        self.other_credentials(request, now_unix_seconds, bearer)
    }

    /// [`Authenticator::authenticate`], fetching a bearer token's keys
    /// with `fetcher` first where its scheme's are missing or stale, and
    /// once more for a `kid` they do not hold (a rotation): see
    /// [`Verifier::verify_fetching`]. Fetches are rate-limited per key
    /// source; while one fails, the cached keys keep working until their
    /// grace deadline, and a token with no usable key is refused
    /// `keys_unavailable`.
    pub async fn authenticate_fetching(
        &self,
        fetcher: &dyn JwksFetcher,
        request: &CredentialRequest<'_>,
        now_unix_seconds: u64,
    ) -> Result<Option<Arc<Principal>>, Refusal> {
        let bearer = match self.bearer(request, now_unix_seconds)? {
            Bearer::None => None,
            Bearer::Cached(principal) => Some(principal),
            Bearer::Verify(verifier, token) => Some(Arc::clone(
                verifier
                    .verify_fetching(fetcher, token, now_unix_seconds)
                    .await?
                    .principal(),
            )),
        };
        self.other_credentials(request, now_unix_seconds, bearer)
    }

    /// The API-key and mTLS credentials of `request`, with the bearer
    /// token's principal if it had one: one principal, or
    /// `credential_ambiguous`.
    fn other_credentials(
        &self,
        request: &CredentialRequest<'_>,
        now_unix_seconds: u64,
        bearer: Option<Arc<Principal>>,
    ) -> Result<Option<Arc<Principal>>, Refusal> {
        let mut found = bearer;
        // A second credential for another scheme makes the caller
        // ambiguous, whatever the first one was.
        let mut keep = |scheme: &str, principal: Arc<Principal>| {
            if found.replace(principal).is_some() {
                return Err(Refusal::new(scheme, RefusalReason::CredentialAmbiguous));
            }
            Ok(())
        };
        for scheme in &self.schemes {
            match scheme {
                SchemeVerifier::Jwt(_) => {}
                SchemeVerifier::ApiKey {
                    name,
                    header,
                    query,
                } => {
                    let Some(presented) = keys::api_key_from_request(
                        name,
                        request.headers,
                        request.query,
                        header.as_deref(),
                        query.as_deref(),
                    )?
                    else {
                        continue;
                    };
                    let Some(store) = &self.key_store else {
                        // No store: no key can be checked, so none is
                        // accepted (fail closed).
                        return Err(Refusal::new(name, RefusalReason::KeyUnknown));
                    };
                    let client_ip = request
                        .client_ip
                        .or(request.peer)
                        .unwrap_or(IpAddr::from([0, 0, 0, 0]));
                    let matched = store.check(name, presented, client_ip, now_unix_seconds)?;
                    keep(name, Arc::new(matched.principal()))?;
                }
                SchemeVerifier::Mtls { api, name } => {
                    let Some(scheme) = self
                        .policy
                        .auth_schemes()
                        .find(|s| s.api() == api && s.name() == name)
                    else {
                        continue;
                    };
                    let certificate = ClientCertificate {
                        verified_der: request.client_certificate,
                        peer: request.peer,
                    };
                    if let Some(principal) =
                        mtls::authenticate(&scheme, certificate, request.headers)?
                    {
                        keep(name, Arc::new(principal))?;
                    }
                }
            }
        }
        Ok(found)
    }

    /// The bearer token's scheme, chosen by its issuer, or its answer if
    /// that scheme verified it before.
    fn bearer<'s, 'r>(
        &'s self,
        request: &CredentialRequest<'r>,
        now: u64,
    ) -> Result<Bearer<'s, 'r>, Refusal> {
        let mut verifiers = self.schemes.iter().filter_map(|s| match s {
            SchemeVerifier::Jwt(verifier) => Some(&**verifier),
            _ => None,
        });
        let Some(first) = verifiers.next() else {
            return Ok(Bearer::None);
        };
        let Some(token) = jwt::bearer_candidate(first.scheme().name(), request.headers)? else {
            return Ok(Bearer::None);
        };
        // With one `jwt` scheme there is nothing to choose: the payload is
        // read only by the verifier (or not at all, for a cached token).
        let mut others = verifiers.peekable();
        if others.peek().is_none() {
            return Ok(Bearer::Verify(first, token));
        }
        // A token verified before is in its scheme's cache: found there
        // without reading its payload.
        let all = || std::iter::once(first).chain(others.clone());
        if let Some(answer) = all().find_map(|v| v.verify_cached(token, now)) {
            return Ok(Bearer::Cached(Arc::clone(answer?.principal())));
        }
        // The scheme of the token's issuer and audience; else of its
        // issuer (which then refuses the audience); else the first.
        let (issuer, audiences) = unverified_issuer_and_audiences(token).unwrap_or_default();
        let of_issuer = |v: &&Verifier| v.scheme().issuer() == issuer;
        let for_audience = |v: &&Verifier| {
            v.scheme()
                .audience_name()
                .is_none_or(|audience| audiences.iter().any(|a| a == audience))
        };
        let verifier = all()
            .find(|v| of_issuer(v) && for_audience(v))
            .or_else(|| all().find(of_issuer))
            .unwrap_or(first);
        Ok(Bearer::Verify(verifier, token))
    }

    /// The `WWW-Authenticate` challenge for a refusal this authenticator
    /// made, with the scheme's API as the realm (as the evaluator's own
    /// 401s have it): `Bearer` for `jwt` schemes, `ApiKey` for `api_key`
    /// ones; `None` for `mtls`, which has no HTTP challenge.
    pub fn challenge(&self, refusal: &Refusal) -> Option<String> {
        let scheme = self
            .policy
            .auth_schemes()
            .find(|s| s.name() == refusal.scheme)?;
        let kind = match scheme.kind() {
            AuthSchemeKind::Jwt(_) => ChallengeKind::Bearer,
            AuthSchemeKind::ApiKey { .. } => ChallengeKind::ApiKey,
            _ => return None,
        };
        Some(refusal.challenge_in(scheme.api(), kind))
    }

    /// Fetches the keys of every `jwt` scheme whose keys are fetched (by
    /// discovery from its issuer, or from its `jwks` URL), where the rate
    /// limit allows (see [`Verifier::refresh_keys`]): a source shared by
    /// several schemes is fetched once. The first failure is returned
    /// after every scheme was tried. A runtime calls this on a timer, so
    /// that keys are fresh before requests need them.
    pub async fn refresh_keys(
        &self,
        fetcher: &dyn JwksFetcher,
        now_unix_seconds: u64,
    ) -> Result<(), FetchError> {
        let mut first_error = None;
        for scheme in &self.schemes {
            if let SchemeVerifier::Jwt(verifier) = scheme {
                if let Err(error) = verifier.refresh_keys(fetcher, now_unix_seconds).await {
                    first_error.get_or_insert(error);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// What a request's bearer token needs.
enum Bearer<'s, 'r> {
    /// There is none.
    None,
    /// A scheme verified it before: its principal.
    Cached(Arc<Principal>),
    /// This scheme verifies it.
    Verify(&'s Verifier, &'r str),
}

/// The `iss` and `aud` of a token's payload, read without verifying
/// anything: only to choose which scheme verifies it. `None` when they
/// cannot be read (the chosen verifier then refuses the token for what is
/// wrong with it).
fn unverified_issuer_and_audiences(token: &str) -> Option<(String, Vec<String>)> {
    let payload = token.split('.').nth(1)?;
    if payload.len() > 64 * 1024 {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let issuer = value.get("iss")?.as_str()?.to_string();
    let audiences = match value.get("aud") {
        Some(serde_json::Value::String(audience)) => vec![audience.clone()],
        Some(serde_json::Value::Array(audiences)) => audiences
            .iter()
            .filter_map(|a| a.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    Some((issuer, audiences))
}
