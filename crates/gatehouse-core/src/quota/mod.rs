//! Quotas: GCRA buckets, the [`QuotaStore`] trait that checks and charges
//! every quota of one request atomically, and the exact in-memory store.
//!
//! - [`gcra`]: the pure arithmetic (emission interval, tolerance, cost,
//!   remaining, reset, retry-after), shared by every store.
//! - [`key`]: key values ([`KeyValue`]) and their normalisation.
//! - [`memory`]: [`MemoryStore`], the embedded default.
//! - [`settle`]: how the evaluator charges a decision's quotas and folds
//!   the verdict into the decision.
//! - `gatehouse-redis` (its own crate): a store shared by a fleet of
//!   gateways, one Redis round trip per request.
//!
//! The library reads no clock: callers pass `now` in milliseconds since an
//! epoch of their choice (the Unix epoch in a gateway; anything in tests).
//!
//! # How a request's quotas are checked
//!
//! [`QuotaTable::new`] names every quota of a model once: a [`QuotaSpec`]
//! per quota, in the endpoint's order (inherited first, as in
//! [`crate::model::Endpoint::quotas`]). For a request,
//! [`check_request`] picks the quotas of a [`Phase`], reads each one's key
//! value from the request, and calls the store once:
//!
//! ```
//! use gatehouse_core::quota::{self, MemoryStore, Phase, QuotaTable};
//! use gatehouse_core::{CompiledSet, Principal, Request};
//!
//! let policy = CompiledSet::from_source("pets.gate", r#"
//!     api "pets" version "1"
//!     auth user = jwt(issuer: "https://id.example.com")
//!     endpoint GET /pets {
//!         authenticate user
//!         quota 2/min by principal
//!         quota 100/s by ip
//!     }
//! "#).unwrap();
//! let table = QuotaTable::new(policy.model());
//! let store = MemoryStore::new();
//!
//! let alice = Principal::new("user", "alice");
//! let peer = "203.0.113.9".parse().unwrap();
//! let request = Request::new("GET", "/pets", peer).principal(&alice);
//! let decision = policy.decide_with(&request, &store);
//! let (api, endpoint) = (decision.api.unwrap(), decision.endpoint.unwrap());
//! let specs = table.endpoint(api, endpoint);
//!
//! let now_ms = 1_700_000_000_000;
//! for _ in 0..2 {
//!     let verdict = quota::check_request(&store, now_ms, specs, Phase::All, &request, peer).unwrap();
//!     assert!(verdict.allowed);
//! }
//! let verdict = quota::check_request(&store, now_ms, specs, Phase::All, &request, peer).unwrap();
//! let (index, state) = verdict.report.unwrap();
//! assert_eq!(verdict.denied, Some(index));
//! assert_eq!(specs[index].key(), &gatehouse_core::model::QuotaKey::Principal);
//! assert_eq!((state.limit(), state.remaining(), state.retry_after_secs()), (2, 0, 30));
//! ```
//!
//! # Wiring into the evaluator
//!
//! [`settle`] is how a decision and its quotas combine (the tools crate's
//! `analysis::replay` does the same, step by step, for a timed file of
//! requests): decide without quotas, then [`settle::phase_for`] tells which
//! quotas to check (none for a request stopped by routing or IP rules; the
//! IP and header quotas for one that a later check denied; all of them for
//! one that passed every other check), then one [`check_request`] call. A
//! denial by an IP or header quota overrides a later check's denial (it is
//! step 3 of the order of checks); a store error denies with
//! `quota_store_unavailable` unless the API's `on_store_error` is `allow`.
//!
//! # Atomicity
//!
//! A store checks all the quotas of one call together: if every enforced
//! quota allows the request, each is charged; if any denies, **none** is.
//! A `shadow` quota never denies: it is charged when the enforced quotas
//! allow the request and it would allow it too, so its counter tracks what
//! an enforced quota would have done, and its would-be denials are reported
//! in [`Verdict::shadow_denied`].
//!
//! # Counters across policy reloads
//!
//! A counter is named by its quota's [id](QuotaSpec::id): the API name and
//! version, the endpoint (`GET /pets/{id}`) or `defaults` for an inherited
//! quota, the key kind and the window, not the rate, burst or cost. So
//! reloading a policy keeps every counter, and a quota whose rate changes
//! keeps its debt: GCRA stores the time at which the bucket is full again,
//! which reads sensibly under any rate (a client that spent half its window
//! has spent half under the new rate too). A quota written in `defaults` is
//! one counter for the whole API, not one per endpoint. Changing the API
//! version, an endpoint's path or a quota's key or window starts afresh.

// Re-exported by the `gatehouse` facade: every public item is documented.
#![warn(missing_docs)]

use std::net::IpAddr;
use std::sync::Arc;

use serde::Serialize;

pub use crate::model::QuotaKey;
use crate::model::{Api, ApiId, AuthKind, Endpoint, EndpointId, Model, Quota};
use crate::request::{Principal, Request};
use crate::span::Span;

pub mod gcra;
pub mod key;
pub mod memory;
pub mod settle;

pub use gcra::Gcra;
pub use key::{KeyRef, KeyValue};
pub use memory::MemoryStore;

/// One quota of one endpoint, named and ready for a store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuotaSpec {
    id: Arc<str>,
    /// A fixed hash of `id`, so stores hash a number instead of the text.
    id_hash: u64,
    gcra: Gcra,
    rate: u64,
    window_secs: u64,
    cost: u64,
    key: QuotaKey,
    shadow: bool,
    span: Span,
    /// For `by key`: the API's `api_key` schemes.
    key_schemes: Arc<[String]>,
}

impl QuotaSpec {
    /// A quota of the model, named by `id` (see [`QuotaTable`] for the ids
    /// the evaluator uses).
    pub fn new(id: impl Into<Arc<str>>, quota: &Quota) -> QuotaSpec {
        let id = id.into();
        QuotaSpec {
            id_hash: id_hash(&id),
            id,
            gcra: Gcra::new(quota.rate, quota.window_secs, quota.burst),
            rate: quota.rate,
            window_secs: quota.window_secs,
            cost: quota.cost,
            key: quota.key.clone(),
            shadow: quota.meta.shadow,
            span: quota.meta.span,
            key_schemes: Arc::from(Vec::new()),
        }
    }

    /// A quota from its parts, for stores, tests and tools that have no
    /// policy: `rate` per `window_secs`, `burst` at once, keyed by principal.
    pub fn from_parts(
        id: impl Into<Arc<str>>,
        rate: u64,
        window_secs: u64,
        burst: u64,
    ) -> QuotaSpec {
        let id = id.into();
        QuotaSpec {
            id_hash: id_hash(&id),
            id,
            gcra: Gcra::new(rate, window_secs, burst),
            rate,
            window_secs,
            cost: 1,
            key: QuotaKey::Principal,
            shadow: false,
            span: Span::default(),
            key_schemes: Arc::from(Vec::new()),
        }
    }

    /// The same quota with another cost per request.
    pub fn with_cost(mut self, cost: u64) -> QuotaSpec {
        self.cost = cost;
        self
    }

    /// The same quota, report-only.
    pub fn with_shadow(mut self, shadow: bool) -> QuotaSpec {
        self.shadow = shadow;
        self
    }

    /// The same quota counted by another key.
    pub fn with_key(mut self, key: QuotaKey) -> QuotaSpec {
        self.key = key;
        self
    }

    /// The stable name of this quota's counters (without the key value):
    /// `petstore:1.4:GET /pets:principal:60s`. Parts are percent-encoded so
    /// that none contains `:`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The GCRA parameters (emission interval and burst) stores step with.
    pub fn gcra(&self) -> Gcra {
        self.gcra
    }

    /// Requests allowed per window: the `100` of `quota 100/min`.
    pub fn rate(&self) -> u64 {
        self.rate
    }

    /// The window, in seconds: 60 for `/min`.
    pub fn window_secs(&self) -> u64 {
        self.window_secs
    }

    /// The tokens one request spends from the bucket (1 unless the quota
    /// says `cost N`).
    pub fn cost(&self) -> u64 {
        self.cost
    }

    /// What the quota counts by: `principal`, `ip`, `key`, a claim or a
    /// header.
    pub fn key(&self) -> &QuotaKey {
        &self.key
    }

    /// Report-only (`shadow { quota ... }`).
    pub fn is_shadow(&self) -> bool {
        self.shadow
    }

    /// Checked before authentication: keyed by IP or a header.
    pub fn is_pre_auth(&self) -> bool {
        matches!(self.key, QuotaKey::Ip | QuotaKey::Header(_))
    }

    /// The `quota` rule, for explanations.
    pub fn span(&self) -> Span {
        self.span
    }

    /// The `RateLimit-Policy` value: `100;w=60`, with `;burst=20` when the
    /// burst differs from the rate.
    pub fn policy_header(&self) -> String {
        if self.gcra.burst() == self.rate {
            format!("{};w={}", self.rate, self.window_secs)
        } else {
            format!(
                "{};w={};burst={}",
                self.rate,
                self.window_secs,
                self.gcra.burst()
            )
        }
    }

    /// The value this quota counts `request` by. `client_ip` is the client
    /// address the evaluator settled on (after trusted proxies).
    ///
    /// - `ip`: the client address, normalised ([`KeyValue::ip`]);
    /// - `header.NAME`: the header's first value;
    /// - `principal`: the principal's subject;
    /// - `key`: the subject of a principal authenticated by an `api_key`
    ///   scheme;
    /// - `claim.NAME`: the claim ([`KeyValue::claim`]).
    ///
    /// Whatever is missing is [`KeyValue::Absent`]: such requests share one
    /// counter instead of escaping the quota.
    pub fn key_value<'a>(&self, request: &Request<'a>, client_ip: IpAddr) -> KeyValue<'a> {
        let principal: Option<&'a Principal> = request.principal;
        match &self.key {
            QuotaKey::Ip => KeyValue::ip(client_ip),
            QuotaKey::Header(name) => request
                .header_values(name)
                .next()
                .map_or(KeyValue::Absent, KeyValue::Text),
            QuotaKey::Principal => {
                principal.map_or(KeyValue::Absent, |p| KeyValue::Text(&p.subject))
            }
            QuotaKey::ApiKey => match principal {
                Some(p) if self.key_schemes.contains(&p.scheme) => KeyValue::Text(&p.subject),
                _ => KeyValue::Absent,
            },
            QuotaKey::Claim(path) => {
                let mut parts = path.split('.');
                let mut value = parts.next().and_then(|name| principal?.claims.get(name));
                for part in parts {
                    value = value.and_then(|v| v.get(part));
                }
                KeyValue::claim(value)
            }
        }
    }
}

fn id_hash(id: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    // Ids come from the policy, not from clients: a fixed hash is fine.
    let mut hasher = rustc_hash::FxHasher::default();
    id.hash(&mut hasher);
    hasher.finish()
}

/// One quota to check for one request: which quota, and the key value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuotaCheck<'a> {
    /// The quota.
    pub spec: &'a QuotaSpec,
    /// The request's value for the quota's key: which counter it charges.
    pub key: KeyValue<'a>,
}

/// One quota's state after a check. It keeps the raw bucket (the TAT the
/// store holds once the check is done, and the time of the check), so that
/// a store only copies numbers; the header values ([`gcra`] defines them)
/// are computed when asked for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct QuotaState {
    /// This quota alone would allow the request.
    pub allowed: bool,
    /// The request was charged to this quota (the call allowed it).
    pub charged: bool,
    gcra: Gcra,
    cost: u64,
    tat_us: u64,
    now_us: u64,
}

impl QuotaState {
    /// The numbers a decision reports for the quota at `index` in this
    /// state (each capped at `u32::MAX`).
    pub fn report(&self, index: u16) -> crate::decision::QuotaReport {
        let small = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
        crate::decision::QuotaReport {
            index,
            allowed: self.allowed,
            remaining: small(self.remaining()),
            reset_ms: small(self.reset_ms()),
            retry_after_ms: small(self.retry_after_ms()),
        }
    }

    /// The state of a bucket whose TAT is `tat_us` once a check of `cost`
    /// at `now_us` is done.
    #[inline]
    pub fn new(
        gcra: Gcra,
        cost: u64,
        tat_us: u64,
        now_us: u64,
        allowed: bool,
        charged: bool,
    ) -> QuotaState {
        QuotaState {
            allowed,
            charged,
            gcra,
            cost,
            tat_us,
            now_us,
        }
    }

    /// `RateLimit-Limit`: the burst, the most requests allowed at once.
    pub fn limit(&self) -> u64 {
        self.gcra.burst()
    }

    /// `RateLimit-Remaining`: requests of cost 1 allowed now (after this one
    /// if it was charged).
    pub fn remaining(&self) -> u64 {
        self.gcra.remaining(self.tat_us, self.now_us)
    }

    /// Milliseconds until the bucket is full again.
    pub fn reset_ms(&self) -> u64 {
        self.tat_us.saturating_sub(self.now_us).div_ceil(1_000)
    }

    /// When not `allowed`: milliseconds until the same request would be; 0
    /// when allowed.
    pub fn retry_after_ms(&self) -> u64 {
        if self.allowed {
            0
        } else {
            self.gcra
                .step(self.tat_us, self.now_us, self.cost)
                .retry_after_us
                .div_ceil(1_000)
        }
    }

    /// `RateLimit-Reset`: whole seconds, rounded up.
    pub fn reset_secs(&self) -> u64 {
        self.reset_ms().div_ceil(1_000)
    }

    /// `Retry-After`: whole seconds, rounded up (at least 1 when denied).
    pub fn retry_after_secs(&self) -> u64 {
        self.retry_after_ms().div_ceil(1_000)
    }
}

/// Serialises the header values, not the raw bucket.
impl Serialize for QuotaState {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("QuotaState", 6)?;
        s.serialize_field("allowed", &self.allowed)?;
        s.serialize_field("charged", &self.charged)?;
        s.serialize_field("limit", &self.limit())?;
        s.serialize_field("remaining", &self.remaining())?;
        s.serialize_field("reset_ms", &self.reset_ms())?;
        s.serialize_field("retry_after_ms", &self.retry_after_ms())?;
        s.end()
    }
}

/// Why a store could not answer. Every variant means "the store is
/// unavailable" to the evaluator: it denies with `quota_store_unavailable`
/// unless the policy says `on_store_error = allow`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreError {
    /// The store could not be reached, or did not answer in time.
    Unavailable(String),
    /// The store's answer made no sense.
    BadReply(String),
    /// The in-memory store is full of keys that are not idle yet.
    Full,
    /// The caller passed a different number of states than checks.
    StatesLength {
        /// How many checks were passed.
        checks: usize,
        /// How many states there was room for.
        states: usize,
    },
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Unavailable(why) => write!(f, "the quota store is unavailable: {why}"),
            StoreError::BadReply(why) => {
                write!(f, "the quota store answered something unexpected: {why}")
            }
            StoreError::Full => f.write_str("the quota store is full of active keys"),
            StoreError::StatesLength { checks, states } => {
                write!(f, "{checks} quota check(s) but room for {states} state(s)")
            }
        }
    }
}

impl std::error::Error for StoreError {}

/// Where quota counters live.
///
/// `check` checks every quota in `checks` at `now_ms` and writes one state
/// per check into `states` (which must have the same length). It is atomic:
/// if every enforced (non-shadow) quota allows the request, all of them are
/// charged, and each shadow quota that allows it too; otherwise nothing is
/// charged. Concurrent calls behave as if they ran one after the other, so
/// no key is ever charged beyond its limit. Implementations never panic and
/// never block for long: a store that cannot answer returns an error.
pub trait QuotaStore {
    /// Checks, and if allowed charges, every quota in `checks` at `now_ms`
    /// (milliseconds since the caller's epoch), writing one state per check
    /// into `states`.
    fn check(
        &self,
        now_ms: u64,
        checks: &[QuotaCheck<'_>],
        states: &mut [QuotaState],
    ) -> Result<(), StoreError>;
}

impl<T: QuotaStore + ?Sized> QuotaStore for &T {
    fn check(
        &self,
        now_ms: u64,
        checks: &[QuotaCheck<'_>],
        states: &mut [QuotaState],
    ) -> Result<(), StoreError> {
        (**self).check(now_ms, checks, states)
    }
}

impl<T: QuotaStore + ?Sized> QuotaStore for Arc<T> {
    fn check(
        &self,
        now_ms: u64,
        checks: &[QuotaCheck<'_>],
        states: &mut [QuotaState],
    ) -> Result<(), StoreError> {
        (**self).check(now_ms, checks, states)
    }
}

/// What the evaluator needs from a store's answer. Indexes are positions
/// in the spec slice given to [`check_request`] (so, in
/// `Endpoint::quotas`), or in `checks` for [`Verdict::from_states`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// Every enforced quota allowed the request, and it was charged.
    pub allowed: bool,
    /// The first enforced quota that denied.
    pub denied: Option<usize>,
    /// The state for the `RateLimit-*` headers: the denying quota's, or,
    /// when allowed, the enforced quota with the fewest requests remaining
    /// (the first, on a tie). `None` when no enforced quota was checked.
    pub report: Option<(usize, QuotaState)>,
    /// Bit `i` is set when shadow quota `i` would have denied (indexes
    /// above 63 are not reported).
    pub shadow_denied: u64,
}

impl Verdict {
    /// Summarises a store's states for `checks`; indexes are positions in
    /// `checks` mapped through `index`.
    pub fn from_states(
        checks: &[QuotaCheck<'_>],
        states: &[QuotaState],
        index: impl Fn(usize) -> usize,
    ) -> Verdict {
        let mut verdict = Verdict {
            allowed: true,
            ..Verdict::default()
        };
        for (i, (check, state)) in checks.iter().zip(states).enumerate() {
            let at = index(i);
            if check.spec.is_shadow() {
                if !state.allowed && at < 64 {
                    verdict.shadow_denied |= 1 << at;
                }
                continue;
            }
            if !state.allowed && verdict.denied.is_none() {
                verdict.allowed = false;
                verdict.denied = Some(at);
                verdict.report = Some((at, *state));
            }
            if verdict.denied.is_none()
                && verdict
                    .report
                    .is_none_or(|(_, best)| state.remaining() < best.remaining())
            {
                verdict.report = Some((at, *state));
            }
        }
        verdict
    }
}

/// Which of an endpoint's quotas a check covers (see the order of checks
/// in the language reference).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Only the quotas keyed by IP or header: for a request that a later
    /// check (authentication to body rules) denies. Such requests spend
    /// client quota (they are what those quotas are for) but no principal
    /// quota.
    PreAuth,
    /// Every quota, IP and header quotas first: for a request that passed
    /// every other check. One store call, so one Redis round trip.
    All,
}

/// How many checks [`check_request`] keeps on the stack; endpoints with
/// more quotas allocate.
const INLINE: usize = 8;

/// Checks the quotas of `specs` (one endpoint's, from
/// [`QuotaTable::endpoint`]) selected by `phase`, keyed from `request` and
/// `client_ip`, in one store call. Indexes in the verdict are positions in
/// `specs`. Allocates nothing for up to 8 quotas.
pub fn check_request<S: QuotaStore + ?Sized>(
    store: &S,
    now_ms: u64,
    specs: &[QuotaSpec],
    phase: Phase,
    request: &Request<'_>,
    client_ip: IpAddr,
) -> Result<Verdict, StoreError> {
    // IP and header quotas first, then the rest: the first denial decides,
    // and step 3 comes before step 10.
    let selected = specs
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_pre_auth())
        .chain(
            specs
                .iter()
                .enumerate()
                .filter(|(_, s)| phase == Phase::All && !s.is_pre_auth()),
        );
    let count = selected.clone().count();
    let Some((_, first)) = selected.clone().next() else {
        return Ok(Verdict {
            allowed: true,
            ..Verdict::default()
        });
    };
    let filler = QuotaCheck {
        spec: first,
        key: KeyValue::Absent,
    };
    let (mut indexes_inline, mut checks_inline, mut states_inline) = (
        [0usize; INLINE],
        [filler; INLINE],
        [QuotaState::default(); INLINE],
    );
    let (mut indexes_spilled, mut checks_spilled, mut states_spilled) =
        (Vec::new(), Vec::new(), Vec::new());
    let (indexes, checks, states): (&mut [usize], &mut [QuotaCheck<'_>], &mut [QuotaState]) =
        if count <= INLINE {
            (
                indexes_inline.get_mut(..count).unwrap_or_default(),
                checks_inline.get_mut(..count).unwrap_or_default(),
                states_inline.get_mut(..count).unwrap_or_default(),
            )
        } else {
            indexes_spilled.resize(count, 0);
            checks_spilled.resize(count, filler);
            states_spilled.resize(count, QuotaState::default());
            (
                &mut indexes_spilled,
                &mut checks_spilled,
                &mut states_spilled,
            )
        };
    for ((index, check), (i, spec)) in indexes.iter_mut().zip(checks.iter_mut()).zip(selected) {
        *index = i;
        *check = QuotaCheck {
            spec,
            key: spec.key_value(request, client_ip),
        };
    }
    store.check(now_ms, checks, states)?;
    Ok(Verdict::from_states(checks, states, |i| {
        indexes.get(i).copied().unwrap_or(usize::MAX)
    }))
}

/// The [`QuotaSpec`]s of every endpoint of a model, named for stores. Build
/// it once per loaded policy set.
#[derive(Clone, Debug, Default)]
pub struct QuotaTable {
    /// Per API, its endpoints' quotas; an API without any has an empty
    /// list, so that a decision need not read a slot per endpoint (with
    /// thousands of endpoints, that read is a cache miss).
    apis: Vec<Vec<Box<[QuotaSpec]>>>,
}

impl QuotaTable {
    /// Names every quota of every endpoint of `model`, for stores (see
    /// [`QuotaSpec::id`]).
    pub fn new(model: &Model) -> QuotaTable {
        let apis = model
            .apis
            .iter()
            .map(|api| {
                let key_schemes: Arc<[String]> = api
                    .schemes
                    .iter()
                    .filter(|s| matches!(s.kind, AuthKind::ApiKey { .. }))
                    .map(|s| s.name.clone())
                    .collect();
                let specs: Vec<Box<[QuotaSpec]>> = api
                    .endpoints
                    .iter()
                    .map(|endpoint| endpoint_specs(api, endpoint, &key_schemes))
                    .collect();
                if specs.iter().all(|s| s.is_empty()) {
                    Vec::new()
                } else {
                    specs
                }
            })
            .collect();
        QuotaTable { apis }
    }

    /// The quotas of an endpoint, in the order of `Endpoint::quotas`; empty
    /// for an unknown endpoint.
    pub fn endpoint(&self, api: ApiId, endpoint: EndpointId) -> &[QuotaSpec] {
        self.apis
            .get(api.0 as usize)
            .and_then(|endpoints| endpoints.get(endpoint.0 as usize))
            .map_or(&[], |specs| specs)
    }
}

fn endpoint_specs(api: &Api, endpoint: &Endpoint, key_schemes: &Arc<[String]>) -> Box<[QuotaSpec]> {
    let mut seen: Vec<String> = Vec::new();
    endpoint
        .quotas
        .iter()
        .map(|quota| {
            let mut id = String::new();
            key::push_part(&mut id, &api.name);
            id.push(':');
            key::push_part(&mut id, api.version.as_deref().unwrap_or(""));
            id.push(':');
            if quota.meta.inherited {
                id.push_str("defaults");
            } else {
                key::push_part(&mut id, &endpoint.label());
            }
            id.push(':');
            key::push_part(&mut id, &quota.key.text());
            id.push(':');
            id.push_str(&format!("{}s", quota.window_secs));
            // Two quotas with the same key and window in one block.
            let twins = seen.iter().filter(|s| **s == id).count();
            seen.push(id.clone());
            if twins > 0 {
                id.push_str(&format!("#{}", twins + 1));
            }
            let mut spec = QuotaSpec::new(id, quota);
            spec.key_schemes = Arc::clone(key_schemes);
            spec
        })
        .collect()
}

#[cfg(test)]
mod tests;
