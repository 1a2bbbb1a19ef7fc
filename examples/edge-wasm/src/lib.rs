//! An evaluate-only WebAssembly module: load a policy, decide requests.
//!
//! This is the module an edge runtime (a CDN worker, a proxy's Wasm
//! filter) would ship in front of an API: it depends on the `gatehouse`
//! facade alone, so it holds the parser, checker, compiler and evaluator
//! but none of the linter, formatter, reference interpreter or analyses
//! that the playground's module (`crates/gatehouse-wasm`) carries. Its size
//! is in the README (`examples/edge-wasm/build.sh` prints it).
//!
//! ```js
//! import init, { Policy } from "./pkg/gatehouse_edge_wasm.js";
//! await init();
//! const policy = new Policy("pets.gate", text);       // throws the diagnostics
//! policy.decide(JSON.stringify(request), Date.now()); // '{"allowed":false,"status":401,...}'
//! ```

use gatehouse::{PolicySet, RequestData};
use serde_json::{json, Map, Value};
use wasm_bindgen::prelude::*;

/// A loaded policy set.
#[wasm_bindgen]
pub struct Policy {
    set: PolicySet,
}

#[wasm_bindgen]
impl Policy {
    /// Parses, checks and compiles one policy file; an error lists every
    /// diagnostic, one per line.
    #[wasm_bindgen(constructor)]
    pub fn new(name: &str, text: &str) -> Result<Policy, JsError> {
        load(name, text).map_err(|message| JsError::new(&message))
    }

    /// Decides a request given as JSON (the form `gatehouse eval --request`
    /// reads) at `now_ms` (milliseconds since the Unix epoch, for quotas):
    /// `{"allowed", "status", "reason", "headers"}` as JSON text.
    pub fn decide(&self, request_json: &str, now_ms: f64) -> Result<String, JsError> {
        decide(&self.set, request_json, now_ms).map_err(|message| JsError::new(&message))
    }
}

/// [`Policy::new`], with a plain error (testable off wasm32).
pub fn load(name: &str, text: &str) -> Result<Policy, String> {
    PolicySet::from_source(name, text)
        .map(|set| Policy { set })
        .map_err(|error| error.to_string())
}

/// [`Policy::decide`], with a plain error (testable off wasm32).
pub fn decide(set: &PolicySet, request_json: &str, now_ms: f64) -> Result<String, String> {
    let data: RequestData =
        serde_json::from_str(request_json).map_err(|e| format!("not a valid request: {e}"))?;
    let headers = data.headers.pairs();
    // Whole milliseconds; a negative or non-finite time is no time (and a
    // request with a quota is then denied, never counted wrongly).
    let now = (now_ms.is_finite() && now_ms >= 0.0).then_some(now_ms as u64);
    let mut request = data.as_request(&headers);
    request.now_ms = data.time_ms.or(now);
    let decision = set.decide(&request);
    let response_headers: Map<String, Value> = set
        .response_headers(&request, &decision)
        .iter()
        .map(|(name, value)| (name.to_string(), Value::String(value.to_string())))
        .collect();
    Ok(json!({
        "allowed": decision.allowed(),
        "status": decision.status(),
        "reason": decision.reason().as_str(),
        "headers": response_headers,
    })
    .to_string())
}

impl Policy {
    /// The loaded policy set.
    pub fn set(&self) -> &PolicySet {
        &self.set
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    const POLICY: &str = r#"
api "pets" version "1"
auth user = jwt(issuer: "https://id.example.com")
scopes { pets:read "Read pets" }
endpoint GET /pets/{id:int} {
  authenticate user
  require pets:read
  quota 1/min by principal
}
"#;

    fn decided(policy: &Policy, request: &str) -> Value {
        serde_json::from_str(&decide(policy.set(), request, 1_700_000_000_000.0).unwrap()).unwrap()
    }

    #[test]
    fn decides_with_status_reason_and_headers() {
        let policy = load("pets.gate", POLICY).unwrap();
        let alice = r#"{"method": "GET", "path": "/pets/7",
            "principal": {"scheme": "user", "subject": "alice", "scopes": ["pets:read"]}}"#;
        let first = decided(&policy, alice);
        assert_eq!(first["allowed"], true);
        assert_eq!(first["headers"]["RateLimit-Remaining"], "0");
        let second = decided(&policy, alice);
        assert_eq!(
            (second["status"].as_u64(), second["reason"].as_str()),
            (Some(429), Some("quota_exceeded"))
        );
        assert!(second["headers"]["Retry-After"].is_string());

        let anonymous = decided(&policy, r#"{"method": "GET", "path": "/pets/7"}"#);
        assert_eq!(anonymous["status"], 401);
        assert_eq!(
            anonymous["headers"]["WWW-Authenticate"],
            "Bearer realm=\"pets\""
        );
        let traversal = decided(&policy, r#"{"method": "GET", "path": "/pets/../admin"}"#);
        assert_eq!(traversal["reason"], "path_malformed");
    }

    #[test]
    fn errors_are_messages() {
        assert!(
            load("bad.gate", "api \"x\"\nendpoint GET /x { require nope }\n")
                .err()
                .unwrap()
                .contains("GH-E")
        );
        let policy = load("pets.gate", POLICY).unwrap();
        assert!(decide(policy.set(), "{", 0.0)
            .unwrap_err()
            .starts_with("not a valid request"));
    }
}
