//! Replay: decide a timed sequence of requests with quotas counted in a
//! store, to see when a quota bites. This is the library half of
//! `gatehouse eval --replay` and a reference for how the evaluator combines
//! a decision with its quotas.
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

use super::{check_request, Phase, QuotaStore, QuotaTable, StoreError, Verdict};
use crate::decision::{Decision, Reason};
use crate::request::RequestData;
use crate::CompiledSet;

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

/// Which quotas a decision made without quotas calls for: none when the
/// request was not routed or was denied by IP (steps 0 to 2), the IP and
/// header quotas when a later check denied it (step 3 still ran), all of
/// them when it passed every other check.
pub fn phase_for(decision: &Decision) -> Option<Phase> {
    decision.endpoint?;
    match decision.reason {
        _ if decision.allowed => Some(Phase::All),
        Reason::IpDenied | Reason::IpNotAllowed => None,
        _ => Some(Phase::PreAuth),
    }
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
            let decision = crate::eval::decide(policy.tree(), &request);
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
