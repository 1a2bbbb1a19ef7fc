//! [`Gate`]: the policy set and authenticator in use (swapped whole on
//! reload), the quota store they share across reloads, and
//! [`Gate::check`], which turns a [`CheckInput`] into a [`CheckOutcome`]:
//! credentials verified → the request decided (its body too, when the
//! gateway sent it) → the outcome, with its audit record.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwap;
use gatehouse::{Begin, Decision, PolicySet, Principal, QuotaStore, Request};
use gatehouse_credentials::jwt::{HttpFetcher, KeySet};
use gatehouse_credentials::keys::{KeyStore, ServerSecret};
use gatehouse_credentials::{Authenticator, CredentialRequest, Refusal};
use gatehouse_redis::{RedisConfig, RedisStore};
use serde_json::{json, Value};

use crate::audit::AuditLog;
use crate::check::{CheckInput, CheckOutcome, ServerReason, PRINCIPAL_HEADERS};
use crate::config::Config;
use crate::files;
use crate::ids::DecisionIds;
use crate::metrics::Metrics;

/// The environment variable holding the key store's secret when the
/// configuration names no file.
pub const SECRET_ENV: &str = "GATEHOUSE_KEY_SECRET";

/// What a reload swaps in: a policy set and the authenticator built for it.
pub struct Loaded {
    /// The policy set.
    pub policy: PolicySet,
    /// Its credentials verifier.
    pub authenticator: Authenticator,
    /// 1 for the first set loaded, then one more per successful reload.
    pub generation: u64,
    /// The files it was loaded from (policies, key store, key sets), for
    /// the watcher.
    pub files: Vec<PathBuf>,
}

/// The state every check reads. Shared by every connection (`Arc<Gate>`).
pub struct Gate {
    config: Config,
    loaded: ArcSwap<Loaded>,
    quota_store: Arc<dyn QuotaStore + Send + Sync>,
    redis: Option<Arc<RedisStore>>,
    fetcher: HttpFetcher,
    ids: DecisionIds,
    audit: AuditLog,
    metrics: Metrics,
    generations: AtomicU64,
    /// Why the last reload failed, until one succeeds.
    reload_error: Mutex<Option<String>>,
}

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gate")
            .field("generation", &self.loaded.load().generation)
            .finish_non_exhaustive()
    }
}

impl Gate {
    /// Loads everything `config` names: the policies (every error reported
    /// at once), the credentials, the quota store and the audit sink.
    pub fn start(config: Config) -> Result<Gate, String> {
        let (quota_store, redis): (Arc<dyn QuotaStore + Send + Sync>, _) =
            if config.quota.store == "memory" {
                (Arc::new(gatehouse::MemoryStore::new()), None)
            } else {
                let store = Arc::new(
                    RedisStore::new(RedisConfig::new(config.quota.store.clone()))
                        .map_err(|e| format!("quota store: {e}"))?,
                );
                (store.clone(), Some(store))
            };
        let audit = AuditLog::open(&config.audit)?;
        let loaded = load(&config, &quota_store, 1)?;
        Ok(Gate {
            loaded: ArcSwap::from_pointee(loaded),
            quota_store,
            redis,
            fetcher: HttpFetcher::default(),
            ids: DecisionIds::new(),
            audit,
            metrics: Metrics::new(),
            generations: AtomicU64::new(1),
            reload_error: Mutex::new(None),
            config,
        })
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The set in use.
    pub fn loaded(&self) -> Arc<Loaded> {
        self.loaded.load_full()
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The audit log.
    pub fn audit_log(&self) -> &AuditLog {
        &self.audit
    }

    /// Loads the files again and swaps the new set in, or keeps the last
    /// good one and says why not. Quota counters carry over (the store is
    /// the same); checks in flight finish on the set they started with.
    pub fn reload(&self) -> Result<u64, String> {
        let generation = self.generations.load(Ordering::Relaxed) + 1;
        match load(&self.config, &self.quota_store, generation) {
            Ok(loaded) => {
                self.generations.store(generation, Ordering::Relaxed);
                self.loaded.store(Arc::new(loaded));
                *self.lock_reload_error() = None;
                self.metrics.reloaded(true);
                tracing::info!(generation, "policies reloaded");
                Ok(generation)
            }
            Err(error) => {
                *self.lock_reload_error() = Some(error.clone());
                self.metrics.reloaded(false);
                tracing::error!(%error, "reload failed; the last good policies keep serving");
                Err(error)
            }
        }
    }

    fn lock_reload_error(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.reload_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Why the last reload failed, while no later one succeeded.
    pub fn reload_error(&self) -> Option<String> {
        self.lock_reload_error().clone()
    }

    /// Whether checks can be answered: policies are loaded (always, once
    /// started) and the quota store answers. `Err` says what is wrong.
    pub async fn ready(&self) -> Result<(), String> {
        if let Some(redis) = &self.redis {
            let redis = Arc::clone(redis);
            tokio::task::spawn_blocking(move || redis.ping())
                .await
                .map_err(|_| "the quota store check did not finish".to_string())?
                .map_err(|e| format!("quota store: {e}"))?;
        }
        Ok(())
    }

    /// Fetches the key sets of schemes whose keys are fetched (call on a
    /// timer, so that keys are fresh before requests need them).
    pub async fn refresh_keys(&self) {
        let loaded = self.loaded();
        let result = loaded
            .authenticator
            .refresh_keys(&self.fetcher, unix_seconds())
            .await;
        self.metrics.jwks_fetched(result.is_ok());
        if let Err(error) = result {
            tracing::warn!(%error, "fetching keys failed; cached keys stay in use until their grace deadline");
        }
    }

    /// A check refused before the policy is asked.
    pub fn refuse(&self, input: Option<&CheckInput<'_>>, reason: ServerReason) -> CheckOutcome {
        let outcome = CheckOutcome {
            allowed: false,
            status: reason.status(),
            reason: reason.as_str().to_string(),
            detail: reason.detail().to_string(),
            decision_id: self.ids.next_id(),
            response_headers: Vec::new(),
            principal_headers: Vec::new(),
        };
        self.metrics.decided(None, &outcome);
        if self.audit.wants(false) {
            self.audit
                .write(plain_audit(&outcome, input, None, "server").to_string());
        }
        outcome
    }

    /// Decides `input`: credentials, then the policy.
    pub async fn check(&self, input: &CheckInput<'_>) -> CheckOutcome {
        let started = std::time::Instant::now();
        let loaded = self.loaded();
        let now_ms = unix_millis();
        let query = input.target.split_once('?').map(|(_, query)| query);
        let credentials = CredentialRequest {
            headers: input.headers,
            query,
            peer: Some(input.peer),
            client_ip: None,
            client_certificate: input.client_certificate,
        };
        let authenticated = loaded
            .authenticator
            .authenticate_fetching(&self.fetcher, &credentials, now_ms / 1000)
            .await;
        let outcome = match authenticated {
            Ok(principal) => self.decide(&loaded, input, principal.as_deref(), now_ms),
            Err(refusal) => self.refused(&loaded, input, &refusal, now_ms),
        };
        self.metrics.observe_latency(started.elapsed());
        outcome
    }

    /// The decision for a request whose credentials verified (or that
    /// carried none).
    fn decide(
        &self,
        loaded: &Loaded,
        input: &CheckInput<'_>,
        principal: Option<&Principal>,
        now_ms: u64,
    ) -> CheckOutcome {
        let mut request = request_of(input, now_ms);
        if let Some(principal) = principal {
            request = request.principal(principal);
        }
        let decided = self.with_store(|| decide_request(&loaded.policy, &request, input));
        match decided {
            Ok(decision) => self.answer(loaded, &request, &decision, principal, now_ms),
            Err(reason) => self.refuse(Some(input), reason),
        }
    }

    /// The outcome of `decision`, the answer to `request`: counted in the
    /// metrics and audited.
    fn answer(
        &self,
        loaded: &Loaded,
        request: &Request<'_>,
        decision: &Decision,
        principal: Option<&Principal>,
        now_ms: u64,
    ) -> CheckOutcome {
        let decision_id = self.ids.next_id();
        let response_headers: Vec<(String, String)> = loaded
            .policy
            .response_headers(request, decision)
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        let allowed = decision.allowed();
        let principal_headers = if allowed {
            principal_headers(principal, &decision_id)
        } else {
            Vec::new()
        };
        let outcome = CheckOutcome {
            allowed,
            status: decision.status(),
            reason: decision.reason().as_str().to_string(),
            detail: decision.reason().summary().to_string(),
            decision_id,
            response_headers,
            principal_headers,
        };
        let endpoint = loaded.policy.endpoint(decision);
        self.metrics.decided(
            endpoint.as_ref().map(|e| (e.api(), e.method(), e.path())),
            &outcome,
        );
        if self.audit.wants(allowed) {
            let record = loaded.policy.audit(request, decision, Some(now_ms));
            let mut record = serde_json::to_value(&record).unwrap_or(Value::Null);
            if let Value::Object(fields) = &mut record {
                fields.insert(
                    "decision_id".into(),
                    Value::String(outcome.decision_id.clone()),
                );
            }
            self.audit.write(record.to_string());
        }
        outcome
    }

    /// The answer to a credential that did not verify: the request is
    /// decided without a principal first, so that what fails before
    /// authentication (a malformed path, no route, a wrong method, a
    /// denied network) answers as it would for anyone; otherwise the
    /// refusal (401 with its challenge, or 503 `keys_unavailable`).
    fn refused(
        &self,
        loaded: &Loaded,
        input: &CheckInput<'_>,
        refusal: &Refusal,
        now_ms: u64,
    ) -> CheckOutcome {
        let request = request_of(input, now_ms);
        let anonymous = self.with_store(|| loaded.policy.decide(&request));
        if !anonymous.allowed() && anonymous.reason().is_before_authentication() {
            // Decided before any body rule, so this is the whole answer.
            return self.answer(loaded, &request, &anonymous, None, now_ms);
        }
        let mut response_headers = Vec::new();
        if let Some(challenge) = loaded.authenticator.challenge(refusal) {
            response_headers.push(("WWW-Authenticate".to_string(), challenge));
        }
        let outcome = CheckOutcome {
            allowed: false,
            status: refusal.reason.status(),
            reason: refusal.reason.as_str().to_string(),
            detail: refusal.reason.description().to_string(),
            decision_id: self.ids.next_id(),
            response_headers,
            principal_headers: Vec::new(),
        };
        self.metrics.decided(None, &outcome);
        if self.audit.wants(false) {
            self.audit.write(
                plain_audit(&outcome, Some(input), Some(&refusal.scheme), "credentials")
                    .to_string(),
            );
        }
        outcome
    }

    /// Runs `decide` where a blocking quota store may block: on a worker
    /// thread of a multi-threaded runtime, told that it blocks (Redis);
    /// directly otherwise (the in-memory store never blocks).
    fn with_store<T>(&self, decide: impl FnOnce() -> T) -> T {
        let multi_thread = tokio::runtime::Handle::try_current().is_ok_and(|handle| {
            handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread
        });
        if self.redis.is_some() && multi_thread {
            tokio::task::block_in_place(decide)
        } else {
            decide()
        }
    }
}

/// The evaluator's request for `input`, arriving at `now_ms`, without a
/// principal.
fn request_of<'a>(input: &CheckInput<'a>, now_ms: u64) -> Request<'a> {
    let request = Request::new(input.method, input.target, input.peer)
        .headers(input.headers)
        .at(now_ms);
    match input.host {
        Some(host) => request.host(host),
        None => request,
    }
}

/// Decides `request`, with its body when the gateway sent it. An endpoint
/// with body rules and a request with a body that did not come is refused
/// (`body_not_forwarded`): never let through unchecked.
fn decide_request(
    policy: &PolicySet,
    request: &Request<'_>,
    input: &CheckInput<'_>,
) -> Result<Decision, ServerReason> {
    match policy.begin(request) {
        Begin::Decided(decision) => Ok(decision),
        Begin::Body(mut check) => match input.body {
            Some(body) => Ok(match check.feed(body) {
                Some(decision) => decision,
                None => check.finish(),
            }),
            None if input.has_body => Err(ServerReason::BodyNotForwarded),
            None => Ok(check.finish()),
        },
    }
}

/// The headers an allow passes upstream: every name of
/// [`PRINCIPAL_HEADERS`], empty where it does not apply.
fn principal_headers(
    principal: Option<&Principal>,
    decision_id: &str,
) -> Vec<(&'static str, String)> {
    let [subject, scheme, scopes, key_id, id] = PRINCIPAL_HEADERS;
    let (subject_value, scheme_value, scopes_value, key_value) = match principal {
        None => Default::default(),
        Some(principal) => (
            header_safe(&principal.subject),
            header_safe(&principal.scheme),
            header_safe(&principal.scopes.join(" ")),
            principal
                .claims
                .get("key_id")
                .and_then(Value::as_str)
                .map(header_safe)
                .unwrap_or_default(),
        ),
    };
    vec![
        (subject, subject_value),
        (scheme, scheme_value),
        (scopes, scopes_value),
        (key_id, key_value),
        (id, decision_id.to_string()),
    ]
}

/// A value as a header value: visible ASCII and spaces kept, anything
/// else (control characters, non-ASCII) percent-encoded, so that a
/// subject can never split a header or smuggle one.
fn header_safe(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if (0x20..0x7f).contains(&byte) && byte != b'%' {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// An audit record for a check refused outside the policy (a server or
/// credential refusal), in the shape of `gatehouse.audit/v1`.
fn plain_audit(
    outcome: &CheckOutcome,
    input: Option<&CheckInput<'_>>,
    scheme: Option<&str>,
    stage: &str,
) -> Value {
    let request = input.map(|input| {
        json!({
            "method": input.method,
            "path": input.target.split_once('?').map_or(input.target, |(path, _)| path),
            "host": input.host,
            "peer": input.peer.to_string(),
        })
    });
    json!({
        "schema": "gatehouse.audit/v1",
        "time_ms": unix_millis(),
        "decision": "deny",
        "status": outcome.status,
        "reason": outcome.reason,
        "stage": stage,
        "credential_scheme": scheme,
        "request": request,
        "decision_id": outcome.decision_id,
    })
}

/// Loads the policies and builds their authenticator.
fn load(
    config: &Config,
    quota_store: &Arc<dyn QuotaStore + Send + Sync>,
    generation: u64,
) -> Result<Loaded, String> {
    let policy_files = files::policy_files(&config.policies)?;
    let sources = files::read_sources(&policy_files)?;
    let policy = PolicySet::load(sources)
        .map_err(|error| error.to_string())?
        .with_quota_store(Arc::clone(quota_store));
    let mut watched = policy_files;
    let credentials = &config.credentials;
    let mut builder = Authenticator::builder(&policy);
    for (scheme, path) in &credentials.jwks {
        let keys = KeySet::from_jwks_file(path)
            .map_err(|e| format!("the keys of `{scheme}`, {}: {e:?}", path.display()))?;
        builder = builder.jwks(scheme.clone(), keys);
        watched.push(path.clone());
    }
    for (scheme, path) in &credentials.hmac_secret_files {
        let secret = std::fs::read(path)
            .map_err(|e| format!("the HMAC secret of `{scheme}`, {}: {e}", path.display()))?;
        builder = builder.hmac_secret(scheme.clone(), trim_newline(&secret));
    }
    if let Some(path) = &credentials.key_store {
        let secret = server_secret(credentials.secret_file.as_deref())?;
        let store = KeyStore::load(path, secret)
            .map_err(|e| format!("the key store {}: {e}", path.display()))?;
        builder = builder.key_store(Arc::new(store));
        watched.push(path.clone());
    }
    let authenticator = builder.build().map_err(|e| e.to_string())?;
    Ok(Loaded {
        policy,
        authenticator,
        generation,
        files: watched,
    })
}

fn server_secret(file: Option<&std::path::Path>) -> Result<ServerSecret, String> {
    let bytes = match file {
        Some(path) => std::fs::read(path)
            .map_err(|e| format!("the key store's secret, {}: {e}", path.display()))?,
        None => std::env::var_os(SECRET_ENV)
            .filter(|value| !value.is_empty())
            .map(std::ffi::OsString::into_encoded_bytes)
            .ok_or_else(|| {
                format!("the key store needs its secret: `credentials.secret_file` or {SECRET_ENV}")
            })?,
    };
    ServerSecret::new(trim_newline(&bytes)).map_err(|e| format!("the key store's secret: {e}"))
}

fn trim_newline(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    bytes.strip_suffix(b"\r").unwrap_or(bytes)
}

/// Milliseconds since the Unix epoch (0 if the clock is before it).
pub fn unix_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_millis()
        .try_into()
        .unwrap_or(u64::MAX)
}

fn unix_seconds() -> u64 {
    unix_millis() / 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_cannot_split_headers() {
        assert_eq!(header_safe("alice"), "alice");
        assert_eq!(header_safe("a\r\nX-Admin: 1"), "a%0D%0AX-Admin: 1");
        assert_eq!(header_safe("zoë%"), "zo%C3%AB%25");
    }
}
