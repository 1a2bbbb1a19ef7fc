//! Policy tests: requests with the decision a policy must give them, kept
//! beside the policy and run by `gatehouse test`.
//!
//! A test file is JSON, named after the policy it tests
//! (`policies/petstore.test.json` beside `policies/petstore.gate`):
//!
//! ```json
//! {
//!   "schema": "gatehouse.tests/v1",
//!   "tests": [
//!     {
//!       "name": "owner_reads_own_profile",
//!       "request": {"method": "GET", "path": "/v1/users/alice",
//!                   "principal": {"scheme": "user", "subject": "alice", "scopes": ["users:read"]}},
//!       "response": {"id": "alice", "ssn": "078-05-1120", "password_hash": "x"},
//!       "expect": {"decision": "allow", "reason": "allowed", "endpoint": "GET /users/{uid}",
//!                  "response": {"id": "alice", "ssn": "*******1120"}}
//!     }
//!   ]
//! }
//! ```
//!
//! `request` is a [`RequestData`] (the JSON `gatehouse eval` reads);
//! `response`, optional, is a JSON response body to mask as the gateway
//! would. In `expect`, only `decision` is required; every other field is
//! checked when present: `status`, `reason` (a reason code), `endpoint`
//! (the matched endpoint's label, or `null` for none), `shadow` (the
//! reasons of the shadow findings, in order; `[]` for none), `client_ip`,
//! `response` (the masked response, compared as JSON) and `withheld`
//! (`true` when masking must refuse the response). A file may carry a
//! `hash_key` for `mask ... with hash`: a test key, never a real one.
//!
//! [`check_file`] finds mistakes in the expectations themselves (a reason
//! code that does not exist, a status that does not go with the reason);
//! [`run`] decides one test with `PolicySet::decide`, traces it with the
//! reference interpreter and compares; [`Coverage`] collects which
//! endpoints and rules the tests reached.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::trace::Trace;
use super::Source;
use crate::decision::Reason;
use crate::mask::MaskConfig;
use crate::model::{Access, ApiId, EndpointId};
use crate::request::RequestData;
use crate::span::Span;
use crate::text;
use crate::CompiledSet;

/// The version of the test file format.
pub const SCHEMA: &str = "gatehouse.tests/v1";

/// One test file.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TestFile {
    /// [`SCHEMA`]; optional, but when present it must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// The key for `mask ... with hash` in these tests (at least 16 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash_key: Option<String>,
    /// Where the keys are to verify the credentials that tests' requests
    /// carry (a request without a `principal` is authenticated from its
    /// headers by the runner, as a gateway would). Paths are relative to
    /// the test file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<CredentialFiles>,
    pub tests: Vec<PolicyTest>,
}

/// The key material a test file's requests are verified against: test
/// keys, never production ones.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialFiles {
    /// A JWKS file for each `jwt` scheme, by scheme name (else the
    /// scheme's own `jwks` file).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub jwks: std::collections::BTreeMap<String, std::path::PathBuf>,
    /// The API-key store (`gatehouse keys`) for `api_key` schemes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_store: Option<std::path::PathBuf>,
    /// The file holding that store's server secret (a test secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_secret_file: Option<std::path::PathBuf>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyTest {
    /// Letters, digits, `_`, `-` and `.`: `owner_reads_own_profile`.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub request: RequestData,
    /// A JSON response body to mask with the endpoint's rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Value>,
    pub expect: Expectation,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    Allow,
    Deny,
}

impl Effect {
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "allow",
            Effect::Deny => "deny",
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    pub decision: Effect,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `Some(None)` (JSON `null`): no endpoint may match.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub endpoint: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shadow: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_ip: Option<IpAddr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withheld: Option<bool>,
}

/// A field that is present, possibly `null`.
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

impl TestFile {
    /// Parses a test file; the error names the line and column.
    pub fn parse(text: &str) -> Result<TestFile, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }
}

fn reason_by_code(code: &str) -> Option<Reason> {
    Reason::ALL.iter().copied().find(|r| r.as_str() == code)
}

/// Mistakes in a test file itself, independent of any policy: names that
/// are empty, repeated or not identifiers, unknown reason codes, statuses
/// or decisions that do not go with the reason, a response expected
/// without one to mask.
pub fn check_file(file: &TestFile) -> Vec<String> {
    check_file_with(file, &[])
}

/// [`check_file`] for a runner that verifies credentials: in a file with
/// `credentials`, a reason among `refusal_codes` (why a credential is
/// refused, answered 401 before any decision) is a reason too.
pub fn check_file_with(file: &TestFile, refusal_codes: &[&str]) -> Vec<String> {
    let refusal_codes = if file.credentials.is_some() {
        refusal_codes
    } else {
        &[]
    };
    let mut problems = Vec::new();
    if let Some(schema) = &file.schema {
        if schema != SCHEMA {
            problems.push(format!(
                "`schema` is `{schema}`; this version of gatehouse reads `{SCHEMA}`"
            ));
        }
    }
    if file.tests.is_empty() {
        problems.push("the file has no tests".to_string());
    }
    let mut names = BTreeSet::new();
    for test in &file.tests {
        let name = &test.name;
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !valid {
            problems.push(format!("test `{name}`: a name is letters, digits, `_`, `-` and `.` (write `owner_reads_own_profile`)"));
        }
        if !names.insert(name.as_str()) {
            problems.push(format!("test `{name}`: the name is used twice"));
        }
        let expect = &test.expect;
        if let Some(code) = &expect.reason {
            match reason_by_code(code) {
                None if refusal_codes.contains(&code.as_str()) => {
                    if expect.decision != Effect::Deny || expect.status.is_some_and(|s| s != 401) {
                        problems.push(format!(
                            "test `{name}`: a refused credential (`{code}`) is a deny with status 401"
                        ));
                    }
                }
                None => problems.push(format!("test `{name}`: `{code}` is not a reason code")),
                Some(reason) => {
                    if let Some(status) = expect.status {
                        if status != reason.status() {
                            problems.push(format!(
                                "test `{name}`: status {status} does not go with `{code}` (its status is {})",
                                reason.status()
                            ));
                        }
                    }
                    if (reason == Reason::Allowed) != (expect.decision == Effect::Allow) {
                        problems.push(format!(
                            "test `{name}`: decision `{}` does not go with `{code}`",
                            expect.decision.as_str()
                        ));
                    }
                }
            }
        }
        for code in expect.shadow.iter().flatten() {
            if reason_by_code(code).is_none() {
                problems.push(format!(
                    "test `{name}`: shadow `{code}` is not a reason code"
                ));
            }
        }
        if (expect.response.is_some() || expect.withheld.is_some()) && test.response.is_none() {
            problems.push(format!(
                "test `{name}`: `expect` has a response, but the test gives none to mask"
            ));
        }
        if expect.response.is_some() && expect.withheld == Some(true) {
            problems.push(format!(
                "test `{name}`: a withheld response cannot also have an expected body"
            ));
        }
        if expect.decision == Effect::Deny
            && (expect.response.is_some() || expect.withheld.is_some())
        {
            problems.push(format!(
                "test `{name}`: a denied request has no response to mask"
            ));
        }
    }
    problems
}

/// One way a decision differs from the expectation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Mismatch {
    /// `decision`, `status`, `reason`, `endpoint`, `shadow`, `client_ip`,
    /// `response`, or `interpreter` (the reference interpreter disagrees
    /// with the compiled evaluator: a bug in Gatehouse).
    pub field: &'static str,
    pub expected: String,
    pub actual: String,
}

/// What became of the test's response.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Masked {
    Body(Value),
    /// Masking refused the response: it must not be sent.
    Withheld(String),
    /// The request was denied: there is no response.
    Denied,
}

/// The outcome of one test.
#[derive(Clone, Debug)]
pub struct TestResult {
    pub mismatches: Vec<Mismatch>,
    /// The evaluation, step by step (for failures and coverage).
    pub trace: Trace,
    pub masked: Option<Masked>,
}

impl TestResult {
    pub fn passed(&self) -> bool {
        self.mismatches.is_empty()
    }
}

/// The time a test's request arrives when it gives none (2025-01-01).
pub const TEST_TIME_MS: u64 = 1_735_689_600_000;

/// Runs one test: decides its request with the compiled evaluator (what a
/// gateway runs), traces it with the reference interpreter, masks its
/// response if it has one, and compares everything with the expectation.
pub fn run(policy: &gatehouse::PolicySet, file: &TestFile, test: &PolicyTest) -> TestResult {
    let policy = policy.internals();
    let headers = test.request.headers.pairs();
    // Each test starts with fresh quota counters, at its own time or a
    // fixed one, so tests do not depend on their order or on the clock.
    let request = test
        .request
        .as_request(&headers)
        .at(test.request.time_ms.unwrap_or(TEST_TIME_MS));
    let decision = policy.decide_with(&request, &crate::quota::MemoryStore::new());
    let trace = super::trace::trace_core(policy, &request, &crate::quota::MemoryStore::new());
    let expect = &test.expect;
    let mut mismatches = Vec::new();
    let mut check = |field, expected, actual| differs(&mut mismatches, field, expected, actual);
    check(
        "decision",
        expect.decision.as_str().into(),
        decision.effect().into(),
    );
    if let Some(status) = expect.status {
        check("status", status.to_string(), decision.status.to_string());
    }
    if let Some(reason) = &expect.reason {
        check("reason", reason.clone(), decision.reason.as_str().into());
    }
    if let Some(endpoint) = &expect.endpoint {
        let actual = policy.endpoint(&decision).map(|(_, e)| e.label());
        let show = |e: &Option<String>| e.clone().unwrap_or_else(|| "none".into());
        check("endpoint", show(endpoint), show(&actual));
    }
    if let Some(shadow) = &expect.shadow {
        let actual: Vec<&str> = decision.shadow.iter().map(|f| f.reason.as_str()).collect();
        check(
            "shadow",
            format!("[{}]", shadow.join(", ")),
            format!("[{}]", actual.join(", ")),
        );
    }
    if let Some(ip) = expect.client_ip {
        check(
            "client_ip",
            ip.to_string(),
            decision
                .client_ip
                .map_or_else(|| "none".into(), |ip| ip.to_string()),
        );
    }
    let masked = test.response.as_ref().map(|body| {
        if !decision.allowed {
            return Masked::Denied;
        }
        let mut config = MaskConfig::default();
        if let Some(key) = &file.hash_key {
            config = config.with_hash_key(key.as_bytes().to_vec());
        }
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        match policy.mask_response(&decision, &bytes, &config) {
            Ok(out) => match serde_json::from_slice(&out) {
                Ok(value) => Masked::Body(value),
                Err(e) => Masked::Withheld(format!("the masked response is not JSON: {e}")),
            },
            Err(e) => Masked::Withheld(e.to_string()),
        }
    });
    let describe = |m: &Option<Masked>| match m {
        Some(Masked::Body(v)) => v.to_string(),
        Some(Masked::Withheld(why)) => format!("withheld ({why})"),
        Some(Masked::Denied) => "none (the request was denied)".to_string(),
        None => "none".to_string(),
    };
    if let Some(expected) = &expect.response {
        check("response", expected.to_string(), describe(&masked));
    }
    if let Some(withheld) = expect.withheld {
        let actual = matches!(masked, Some(Masked::Withheld(_)));
        if withheld != actual {
            let expected = if withheld {
                "withheld".to_string()
            } else {
                "a masked response".to_string()
            };
            check("response", expected, describe(&masked));
        }
    }
    if trace.verdict != decision {
        check(
            "interpreter",
            format!(
                "{} {} (compiled evaluator)",
                decision.effect(),
                decision.reason
            ),
            format!(
                "{} {} (reference interpreter): this is a bug in Gatehouse, please report it",
                trace.verdict.effect(),
                trace.verdict.reason
            ),
        );
    }
    TestResult {
        mismatches,
        trace,
        masked,
    }
}

/// Records `field` as a mismatch when `expected` and `actual` differ.
fn differs(mismatches: &mut Vec<Mismatch>, field: &'static str, expected: String, actual: String) {
    if expected != actual {
        mismatches.push(Mismatch {
            field,
            expected,
            actual,
        });
    }
}

/// Runs one test whose request carried a credential that the runner's
/// verifier refused (`reason`: `token_expired`, ...): the request is
/// answered 401 before any decision, and that answer is compared with the
/// expectation (decision, status, reason; no endpoint is reached). The
/// trace is the evaluation of the request without a principal, for
/// coverage and failure reports.
pub fn run_refused(policy: &gatehouse::PolicySet, test: &PolicyTest, reason: &str) -> TestResult {
    let compiled = policy.internals();
    let headers = test.request.headers.pairs();
    let request = test
        .request
        .as_request(&headers)
        .at(test.request.time_ms.unwrap_or(TEST_TIME_MS));
    let trace = super::trace::trace_core(compiled, &request, &crate::quota::MemoryStore::new());
    let expect = &test.expect;
    let mut mismatches = Vec::new();
    let mut check = |field, expected, actual| differs(&mut mismatches, field, expected, actual);
    check("decision", expect.decision.as_str().into(), "deny".into());
    if let Some(status) = expect.status {
        check("status", status.to_string(), "401".into());
    }
    if let Some(expected) = &expect.reason {
        check("reason", expected.clone(), reason.into());
    }
    if let Some(endpoint) = &expect.endpoint {
        check(
            "endpoint",
            endpoint.clone().unwrap_or_else(|| "none".into()),
            "none".into(),
        );
    }
    let masked = test.response.as_ref().map(|_| Masked::Denied);
    if expect.response.is_some() || expect.withheld == Some(true) {
        check(
            "response",
            "a response".into(),
            "none (the credential was refused)".into(),
        );
    }
    TestResult {
        mismatches,
        trace,
        masked,
    }
}

// ---------------------------------------------------------------- coverage

type SpanKey = (u32, u32, u32);

fn key(span: Span) -> SpanKey {
    (span.file.0, span.start, span.end)
}

/// A rule as coverage counts it: written once (in an endpoint or in
/// `defaults`), however many endpoints inherit it.
#[derive(Clone, Debug)]
struct RuleInfo {
    span: Span,
    kind: &'static str,
    /// Public access and response rules cannot deny.
    can_deny: bool,
    endpoints: Vec<(ApiId, EndpointId)>,
}

/// Which endpoints and rules a run of tests reached.
#[derive(Clone, Debug)]
pub struct Coverage<'p> {
    policy: &'p CompiledSet,
    rules: BTreeMap<SpanKey, RuleInfo>,
    endpoints: BTreeSet<(ApiId, EndpointId)>,
    evaluated: BTreeSet<SpanKey>,
    denied: BTreeSet<SpanKey>,
}

/// An endpoint or a rule no test reached.
#[derive(Clone, Debug, Serialize)]
pub struct Uncovered {
    /// `endpoint`, or the rule's kind: `require`, `when`, `allow from`, ...
    pub kind: &'static str,
    /// The API and endpoint: `petstore GET /pets`; for a rule in `defaults`,
    /// the first endpoint that inherits it (and `more` counts the others).
    pub endpoint: String,
    #[serde(skip_serializing_if = "is_zero")]
    pub more: usize,
    pub location: Source,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[derive(Clone, Debug, Serialize)]
pub struct Tally {
    pub total: usize,
    pub covered: usize,
}

impl Tally {
    /// Per cent, rounded down; 100 when there is nothing to cover.
    pub fn percent(&self) -> usize {
        (self.covered * 100).checked_div(self.total).unwrap_or(100)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct CoverageReport {
    pub endpoints: Tally,
    pub rules: Tally,
    /// Endpoints no test's request reached.
    pub uncovered_endpoints: Vec<Uncovered>,
    /// Rules no test evaluated.
    pub uncovered_rules: Vec<Uncovered>,
    /// Rules that can deny, evaluated by tests, but never seen denying: no
    /// test shows that they keep anyone out.
    pub never_denied: Vec<Uncovered>,
}

impl<'p> Coverage<'p> {
    pub fn new(policy: &'p gatehouse::PolicySet) -> Coverage<'p> {
        let policy = policy.internals();
        let mut rules: BTreeMap<SpanKey, RuleInfo> = BTreeMap::new();
        for (index, api) in policy.model().apis.iter().enumerate() {
            let api_id = ApiId(u32::try_from(index).unwrap_or(u32::MAX));
            for e in &api.endpoints {
                let mut add = |span: Span, kind: &'static str, can_deny: bool| {
                    let info = rules.entry(key(span)).or_insert(RuleInfo {
                        span,
                        kind,
                        can_deny,
                        endpoints: Vec::new(),
                    });
                    info.endpoints.push((api_id, e.id));
                };
                for rule in &e.ip_deny {
                    add(rule.meta.span, "deny from", true);
                }
                if let Some(rule) = &e.ip_allow {
                    add(rule.meta.span, "allow from", true);
                }
                match &e.access {
                    Access::Public(span) => add(*span, "public", false),
                    Access::Authenticated { meta, .. } => add(meta.span, "authenticate", true),
                    Access::Closed => {}
                }
                for rule in &e.scopes {
                    add(rule.meta.span, "require", true);
                }
                for rule in &e.conditions {
                    add(rule.meta.span, "when", true);
                }
            }
        }
        Coverage {
            policy,
            rules,
            endpoints: BTreeSet::new(),
            evaluated: BTreeSet::new(),
            denied: BTreeSet::new(),
        }
    }

    /// Counts what one test reached.
    pub fn record(&mut self, result: &TestResult) {
        self.endpoints
            .extend(result.trace.endpoints.iter().copied());
        for hit in &result.trace.hits {
            self.evaluated.insert(key(hit.span));
            if hit.failed {
                self.denied.insert(key(hit.span));
            }
        }
        // A check without hooks (body, quota) is counted by its decision.
        if let Some(rule) = result.trace.verdict.rule {
            self.evaluated.insert(key(rule));
            if !result.trace.verdict.allowed {
                self.denied.insert(key(rule));
            }
        }
    }

    fn label(&self, (api, endpoint): (ApiId, EndpointId)) -> String {
        let api = self.policy.model().apis.get(api.0 as usize);
        match api.and_then(|a| Some((a, a.endpoint(endpoint)?))) {
            Some((a, e)) => format!("{} {} {}", a.name, e.method.as_str(), text::full_path(a, e)),
            None => String::new(),
        }
    }

    pub fn report(&self) -> CoverageReport {
        let sources = self.policy.sources();
        let mut all_endpoints = Vec::new();
        for (index, api) in self.policy.model().apis.iter().enumerate() {
            let api_id = ApiId(u32::try_from(index).unwrap_or(u32::MAX));
            for e in &api.endpoints {
                all_endpoints.push(((api_id, e.id), e.span));
            }
        }
        let uncovered_endpoints: Vec<Uncovered> = all_endpoints
            .iter()
            .filter(|(id, _)| !self.endpoints.contains(id))
            .map(|(id, span)| Uncovered {
                kind: "endpoint",
                endpoint: self.label(*id),
                more: 0,
                location: Source::new(sources, *span),
            })
            .collect();
        let item = |info: &RuleInfo| Uncovered {
            kind: info.kind,
            endpoint: info
                .endpoints
                .first()
                .map(|id| self.label(*id))
                .unwrap_or_default(),
            more: info.endpoints.len().saturating_sub(1),
            location: Source::new(sources, info.span),
        };
        let mut uncovered_rules = Vec::new();
        let mut never_denied = Vec::new();
        for (k, info) in &self.rules {
            if !self.evaluated.contains(k) {
                uncovered_rules.push(item(info));
            } else if info.can_deny && !self.denied.contains(k) {
                never_denied.push(item(info));
            }
        }
        // Column and text break ties between rules on one line, so the
        // unstable sort (smaller code) gives one order.
        let by_place = |a: &Uncovered, b: &Uncovered| {
            let (a, b) = (&a.location, &b.location);
            (&a.file, a.line, a.column, &a.text).cmp(&(&b.file, b.line, b.column, &b.text))
        };
        uncovered_rules.sort_unstable_by(by_place);
        never_denied.sort_unstable_by(by_place);
        CoverageReport {
            endpoints: Tally {
                total: all_endpoints.len(),
                covered: all_endpoints
                    .len()
                    .saturating_sub(uncovered_endpoints.len()),
            },
            rules: Tally {
                total: self.rules.len(),
                covered: self.rules.len().saturating_sub(uncovered_rules.len()),
            },
            uncovered_endpoints,
            uncovered_rules,
            never_denied,
        }
    }
}
