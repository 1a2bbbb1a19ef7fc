//! Prometheus metrics, served on the admin listener's `/metrics`:
//!
//! - `gatehouse_decisions_total{api, endpoint, outcome, reason}`: checks
//!   answered (`endpoint` is `METHOD /path`, empty before routing);
//! - `gatehouse_decision_duration_seconds`: how long checks took, from the
//!   request read to the answer (credentials and quota store included);
//! - `gatehouse_quota_store_errors_total`: checks denied because the quota
//!   store could not answer;
//! - `gatehouse_reloads_total{result}`: reloads, `success` or `failure`;
//! - `gatehouse_jwks_fetches_total{result}`: scheduled key refreshes;
//! - `gatehouse_audit_dropped_total`: audit records dropped because the
//!   writer fell behind;
//! - `gatehouse_policy_generation`: the generation of the policies in use.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{PoisonError, RwLock};
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::check::CheckOutcome;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DecisionLabels {
    api: String,
    endpoint: String,
    outcome: String,
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: String,
}

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    decisions: Family<DecisionLabels, Counter>,
    /// The counters of `decisions` by a hash of their labels' parts (see
    /// [`Metrics::decided`]); counters are shared handles, so counting
    /// through here counts in the family.
    decision_counters: RwLock<HashMap<u64, Vec<(DecisionLabels, Counter)>>>,
    duration: Histogram,
    quota_store_errors: Counter,
    reloads: Family<ResultLabels, Counter>,
    jwks_fetches: Family<ResultLabels, Counter>,
    audit_dropped: Counter,
    generation: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// Every metric, registered.
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let decisions = Family::<DecisionLabels, Counter>::default();
        registry.register(
            "gatehouse_decisions",
            "Checks answered, by API, endpoint, outcome and reason",
            decisions.clone(),
        );
        // 5 µs to about 160 ms.
        let duration = Histogram::new(exponential_buckets(0.000_005, 2.0, 16));
        registry.register(
            "gatehouse_decision_duration_seconds",
            "How long checks took, credentials and quota store included",
            duration.clone(),
        );
        let quota_store_errors = Counter::default();
        registry.register(
            "gatehouse_quota_store_errors",
            "Checks denied because the quota store could not answer",
            quota_store_errors.clone(),
        );
        let reloads = Family::<ResultLabels, Counter>::default();
        registry.register(
            "gatehouse_reloads",
            "Policy reloads, by result",
            reloads.clone(),
        );
        let jwks_fetches = Family::<ResultLabels, Counter>::default();
        registry.register(
            "gatehouse_jwks_fetches",
            "Scheduled key set refreshes, by result",
            jwks_fetches.clone(),
        );
        let audit_dropped = Counter::default();
        registry.register(
            "gatehouse_audit_dropped",
            "Audit records dropped because the writer fell behind",
            audit_dropped.clone(),
        );
        let generation = Gauge::default();
        registry.register(
            "gatehouse_policy_generation",
            "The generation of the policies in use (1 at start, one more per reload)",
            generation.clone(),
        );
        generation.set(1);
        Metrics {
            registry,
            decisions,
            decision_counters: RwLock::new(HashMap::new()),
            duration,
            quota_store_errors,
            reloads,
            jwks_fetches,
            audit_dropped,
            generation,
        }
    }

    /// Counts one answered check; `endpoint` is its API, method and path
    /// when the policy routed it.
    ///
    /// The counter of a label set seen before is found without building
    /// the labels (four strings, one of them formatted): by a hash of the
    /// borrowed parts, then a comparison. This runs on every check.
    pub fn decided(&self, endpoint: Option<(&str, &str, &str)>, outcome: &CheckOutcome) {
        let (api, method, path) = endpoint.unwrap_or(("", "", ""));
        let outcome_label = if outcome.allowed { "allow" } else { "deny" };
        let key = {
            let mut hasher = rustc_hash::FxHasher::default();
            (api, method, path, outcome_label, outcome.reason.as_str()).hash(&mut hasher);
            hasher.finish()
        };
        let same = |labels: &DecisionLabels| {
            labels.api == api
                && labels.outcome == outcome_label
                && labels.reason == outcome.reason
                && is_endpoint_label(&labels.endpoint, method, path)
        };
        let found = self
            .decision_counters
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
            .and_then(|entries| entries.iter().find(|(labels, _)| same(labels)))
            .map(|(_, counter)| counter.clone());
        let counter = found.unwrap_or_else(|| {
            let labels = DecisionLabels {
                api: api.to_string(),
                endpoint: if method.is_empty() {
                    String::new()
                } else {
                    format!("{method} {path}")
                },
                outcome: outcome_label.to_string(),
                reason: outcome.reason.clone(),
            };
            let counter = self.decisions.get_or_create(&labels).clone();
            self.decision_counters
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(key)
                .or_default()
                .push((labels, counter.clone()));
            counter
        });
        counter.inc();
        if outcome.reason == "quota_store_unavailable" {
            self.quota_store_errors.inc();
        }
    }

    /// Records how long a check took.
    pub fn observe_latency(&self, took: Duration) {
        self.duration.observe(took.as_secs_f64());
    }

    /// Counts a reload.
    pub fn reloaded(&self, success: bool) {
        self.reloads.get_or_create(&result(success)).inc();
        if success {
            self.generation.inc();
        }
    }

    /// Counts a scheduled key refresh.
    pub fn jwks_fetched(&self, success: bool) {
        self.jwks_fetches.get_or_create(&result(success)).inc();
    }

    /// The text exposition format, with the audit drop count as of now.
    pub fn render(&self, audit_dropped: u64) -> String {
        let seen = self.audit_dropped.get();
        if audit_dropped > seen {
            self.audit_dropped.inc_by(audit_dropped - seen);
        }
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

/// Whether `label` is `METHOD /path` (an endpoint label), or empty for
/// no endpoint.
fn is_endpoint_label(label: &str, method: &str, path: &str) -> bool {
    if method.is_empty() {
        return label.is_empty();
    }
    label.len() == method.len() + 1 + path.len()
        && label.starts_with(method)
        && label.ends_with(path)
        && label.as_bytes().get(method.len()) == Some(&b' ')
}

fn result(success: bool) -> ResultLabels {
    ResultLabels {
        result: if success { "success" } else { "failure" }.to_string(),
    }
}
