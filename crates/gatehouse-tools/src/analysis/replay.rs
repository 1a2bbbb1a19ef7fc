//! Replay: decide a timed sequence of requests with quotas counted in a
//! store, to see when a quota bites. This is the library half of
//! `gatehouse eval --replay` and a reference for how the evaluator combines
//! a decision with its quotas (`gatehouse_core::quota::settle` is the
//! evaluator's own).
//!
//! The input is JSON lines, one request per line: the time in milliseconds
//! (since any epoch; only differences matter) and the request in the format
//! `gatehouse eval --request` reads:
//!
//! ```text
//! {"at_ms": 0,    "request": {"method": "GET", "path": "/health", "client_ip": "203.0.113.9"}}
//! {"at_ms": 250,  "request": {"method": "GET", "path": "/health", "client_ip": "203.0.113.9"}}
//! ```
//!
//! Blank lines and lines starting with `#` are skipped; unknown fields are
//! errors.

use serde::{Deserialize, Serialize};

use gatehouse_core::decision::Decision;
use gatehouse_core::quota::settle::phase_for;
use gatehouse_core::quota::{check_request, QuotaStore, QuotaTable, StoreError, Verdict};
use gatehouse_core::request::RequestData;
use gatehouse_core::CompiledSet;

/// One line of a replay file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayLine {
    /// When the request arrives, in milliseconds (since any epoch; only
    /// differences matter).
    pub at_ms: u64,
    /// The request, in the JSON form `gatehouse eval --request` reads.
    pub request: RequestData,
}

/// A line that is not a replay line: its number (from 1) and the error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplayParseError {
    /// The line number, from 1.
    pub line: usize,
    /// What is wrong with it, from the JSON reader.
    pub message: String,
}

impl std::fmt::Display for ReplayParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ReplayParseError {}

/// Parses a replay file; the first bad line is an error.
pub fn parse(text: &str) -> Result<Vec<ReplayLine>, ReplayParseError> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty() && !line.trim_start().starts_with('#'))
        .map(|(i, line)| {
            serde_json::from_str(line).map_err(|e| ReplayParseError {
                line: i + 1,
                message: e.to_string(),
            })
        })
        .collect()
}

/// One replayed request.
#[derive(Clone, Debug)]
pub struct ReplayStep {
    /// When the request arrived, in milliseconds: its line's `at_ms`.
    pub at_ms: u64,
    /// The decision before quotas.
    pub decision: Decision,
    /// The quota check, if the decision called for one.
    pub quota: Option<Result<Verdict, StoreError>>,
}

impl ReplayStep {
    /// Whether the request goes through once quotas are counted (a store
    /// error denies, as with the default `on_store_error = deny`).
    pub fn allowed(&self) -> bool {
        self.decision.allowed
            && self
                .quota
                .as_ref()
                .is_none_or(|q| q.as_ref().is_ok_and(|v| v.allowed))
    }

    /// The quota that denied, if one did (an IP or header quota denial
    /// takes precedence over a later check's denial).
    pub fn denied_by(&self) -> Option<usize> {
        self.quota.as_ref()?.as_ref().ok()?.denied
    }
}

/// Decides each line in order with `policy`, counting quotas in `store` at
/// each line's time.
pub fn replay<S: QuotaStore + ?Sized>(
    policy: &CompiledSet,
    table: &QuotaTable,
    store: &S,
    lines: &[ReplayLine],
) -> Vec<ReplayStep> {
    lines
        .iter()
        .map(|line| {
            let headers = line.request.headers.pairs();
            let request = line.request.as_request(&headers);
            // The decision before quotas: this function counts them itself.
            let decision = gatehouse_core::eval::decide(policy.tree(), &request);
            let quota = match (phase_for(&decision), decision.api, decision.endpoint) {
                (Some(phase), Some(api), Some(endpoint)) => {
                    let specs = table.endpoint(api, endpoint);
                    let client_ip = decision.client_ip.unwrap_or(request.peer);
                    Some(check_request(
                        store, line.at_ms, specs, phase, &request, client_ip,
                    ))
                }
                _ => None,
            };
            ReplayStep {
                at_ms: line.at_ms,
                decision,
                quota,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use gatehouse_core::quota::MemoryStore;

    const POLICY: &str = r#"
api "pets" version "1.4"
auth user = jwt(issuer: "https://id.example.com")

defaults {
  authenticate user
  quota 50/s by ip
}

endpoint GET /health {
  public
  quota 2/s by ip
}
"#;

    #[test]
    fn replay_shows_when_a_quota_bites() {
        let policy = CompiledSet::from_source("pets.gate", POLICY).unwrap();
        let table = QuotaTable::new(policy.model());
        let store = MemoryStore::new();
        let text = r#"
# three health checks in one second, then one a second later
{"at_ms": 0, "request": {"method": "GET", "path": "/health", "client_ip": "203.0.113.9"}}
{"at_ms": 100, "request": {"method": "GET", "path": "/health", "client_ip": "203.0.113.9"}}
{"at_ms": 200, "request": {"method": "GET", "path": "/health", "client_ip": "203.0.113.9"}}
{"at_ms": 1200, "request": {"method": "GET", "path": "/health", "client_ip": "203.0.113.9"}}
{"at_ms": 1300, "request": {"method": "GET", "path": "/nowhere", "client_ip": "203.0.113.9"}}
"#;
        let lines = parse(text).unwrap();
        let steps = replay(&policy, &table, &store, &lines);
        let allowed: Vec<bool> = steps.iter().map(ReplayStep::allowed).collect();
        assert_eq!(allowed, [true, true, false, true, false]);
        // The endpoint's own 2/s, after the defaults' 50/s.
        assert_eq!(steps[2].denied_by(), Some(1));
        assert!(steps[4].quota.is_none());
        let err = parse("{\"at_ms\": 1}\n").unwrap_err();
        assert_eq!(err.line, 1);
    }
}
