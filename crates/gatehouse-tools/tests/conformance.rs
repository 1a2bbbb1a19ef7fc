//! The cross-crate conformance suite: the realistic policies in `policies/`
//! decide the request cases in `tests/cases/*.json`.
//!
//! Every `.gate` file under `policies/` loads as ONE policy set (as a
//! deployment would load the directory), with no errors and no warnings.
//! Each case file is a JSON array of
//!
//! ```json
//! {"name": "...", "request": <RequestData>,
//!  "expect": {"decision": "deny", "status": 403, "reason": "insufficient_scope",
//!             "endpoint": "GET /pets/{id:int}", "shadow": ["condition_failed"],
//!             "client_ip": "172.20.1.5"}}
//! ```
//!
//! `endpoint` is the matched endpoint's label (method and path as written,
//! relative to the base) and is omitted when no endpoint matched; `shadow`
//! lists the reasons of the report-only findings, in order, and is omitted
//! when there are none; `client_ip` (optional) is the address the decision
//! used after trusted-proxy handling; `pointer` is the JSON pointer of the
//! offending value of a body, query or header denial (`/items/3/name`,
//! `/limit`, `""` for the whole body), required exactly when there is one.
//! A request's `body` is a JSON value (sent as compact JSON) or a string
//! (sent as it is).
//!
//! Every case is decided twice, by the compiled tree (`decide`) and by the
//! reference interpreter (`interpret`), and both answers are checked. All
//! failures are collected and reported together.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use gatehouse::{Decision, PolicySet, Reason, RequestData, Sources};
use serde::Deserialize;

/// The fewest cases a policy's case file may have.
const MIN_CASES: usize = 20;

/// Reasons no case needs to produce, and why.
const NOT_COVERED: &[(Reason, &str)] = &[(
    Reason::NoAccessRule,
    "an endpoint without access rule is a load warning, and the suite's policies load without warnings",
)];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    request: RequestData,
    expect: Expect,
    /// Quotas: the same request is sent this many times first (at the same
    /// time, against the same fresh counters); `expect` is for the next one.
    #[serde(default)]
    after: u32,
    /// Quotas: `"down"` decides with a store that cannot answer.
    #[serde(default)]
    store: Option<StoreState>,
    /// Quotas: send the request without a time (an embedder's mistake).
    #[serde(default)]
    no_time: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum StoreState {
    Down,
}

/// A quota store that never answers.
struct DownStore;

impl gatehouse::QuotaStore for DownStore {
    fn check(
        &self,
        _: u64,
        _: &[gatehouse::quota::QuotaCheck<'_>],
        _: &mut [gatehouse::quota::QuotaState],
    ) -> Result<(), gatehouse::quota::StoreError> {
        Err(gatehouse::quota::StoreError::Unavailable(
            "the test store is down".into(),
        ))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    decision: Effect,
    status: u16,
    reason: String,
    #[serde(default)]
    endpoint: Option<String>,
    #[serde(default)]
    shadow: Vec<String>,
    #[serde(default)]
    client_ip: Option<IpAddr>,
    /// For a body, query or header denial: the JSON pointer of the
    /// offending value (`/items/3/name`, `/limit`; `""` for the whole body).
    #[serde(default)]
    pointer: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Effect {
    Allow,
    Deny,
}

impl Effect {
    fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "allow",
            Effect::Deny => "deny",
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every file under `dir` (recursively) with the extension, sorted.
fn files_with_extension(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            out.extend(files_with_extension(&path, extension));
        } else if path.extension().is_some_and(|e| e == extension) {
            out.push(path);
        }
    }
    out
}

fn load_policies() -> PolicySet {
    let dir = root().join("policies");
    let mut sources = Sources::new();
    for path in files_with_extension(&dir, "gate") {
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let name = path
            .strip_prefix(root())
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        sources.add(name, text);
    }
    assert!(
        !sources.is_empty(),
        "no .gate files under {}",
        dir.display()
    );
    let policy =
        PolicySet::load(sources).unwrap_or_else(|error| panic!("policies/ does not load: {error}"));
    let warnings: Vec<String> = policy
        .warnings()
        .iter()
        .map(|d| gatehouse_tools::diagnostics::one_line(d, policy.sources().get(d.span.file)))
        .collect();
    assert!(
        warnings.is_empty(),
        "policies/ loads with warnings:\n{}",
        warnings.join("\n")
    );
    policy
}

fn reason_by_code(code: &str) -> Option<Reason> {
    Reason::ALL.iter().copied().find(|r| r.as_str() == code)
}

/// What is wrong with one decision, compared with the expectation.
fn mismatches(policy: &PolicySet, decision: &Decision, expect: &Expect) -> Vec<String> {
    let mut out = Vec::new();
    if decision.effect() != expect.decision.as_str() {
        out.push(format!(
            "decision: expected {}, got {}",
            expect.decision.as_str(),
            decision.effect()
        ));
    }
    if decision.status() != expect.status {
        out.push(format!(
            "status: expected {}, got {}",
            expect.status,
            decision.status()
        ));
    }
    if decision.reason().as_str() != expect.reason {
        out.push(format!(
            "reason: expected {}, got {}",
            expect.reason,
            decision.reason().as_str()
        ));
    }
    let endpoint = policy.endpoint(decision).map(|e| e.label());
    if endpoint != expect.endpoint {
        out.push(format!(
            "endpoint: expected {:?}, got {:?}",
            expect.endpoint, endpoint
        ));
    }
    let shadow: Vec<&str> = decision
        .internals()
        .shadow
        .iter()
        .map(|f| f.reason.as_str())
        .collect();
    if shadow != expect.shadow {
        out.push(format!(
            "shadow findings: expected {:?}, got {:?}",
            expect.shadow, shadow
        ));
    }
    if let Some(ip) = expect.client_ip {
        if decision.client_ip() != Some(ip) {
            out.push(format!(
                "client_ip: expected {ip}, got {:?}",
                decision.client_ip()
            ));
        }
    }
    let pointer = decision.violation().map(|v| v.pointer.as_str());
    if pointer != expect.pointer.as_deref() {
        out.push(format!(
            "pointer: expected {:?}, got {:?}",
            expect.pointer, pointer
        ));
    }
    out
}

/// Problems with the expectation itself, independent of any decision.
fn expectation_problems(expect: &Expect) -> Vec<String> {
    let mut out = Vec::new();
    match reason_by_code(&expect.reason) {
        None => out.push(format!(
            "expect.reason `{}` is not a reason code",
            expect.reason
        )),
        Some(reason) => {
            if reason.status() != expect.status {
                out.push(format!(
                    "expect.status {} does not go with `{}` (its status is {})",
                    expect.status,
                    expect.reason,
                    reason.status()
                ));
            }
            if (reason == Reason::Allowed) != (expect.decision == Effect::Allow) {
                out.push(format!(
                    "expect.decision `{}` does not go with `{}`",
                    expect.decision.as_str(),
                    expect.reason
                ));
            }
        }
    }
    for code in &expect.shadow {
        if reason_by_code(code).is_none() {
            out.push(format!("expect.shadow `{code}` is not a reason code"));
        }
    }
    out
}

/// When a case's request arrives if it gives no `time_ms` (2025-01-01).
const CASE_TIME_MS: u64 = 1_735_689_600_000;

#[test]
fn policies_decide_every_case_as_expected() {
    let policy = load_policies();
    let case_files = files_with_extension(&root().join("tests/cases"), "json");
    assert!(!case_files.is_empty(), "no case files under tests/cases");

    let mut failures: Vec<String> = Vec::new();
    let mut covered: BTreeSet<Reason> = BTreeSet::new();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut total = 0usize;
    let mut seen_files: BTreeSet<String> = BTreeSet::new();

    for file in &case_files {
        let file_name = file.file_name().unwrap().to_string_lossy().to_string();
        seen_files.insert(file_name.clone());
        let text = std::fs::read_to_string(file)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        let cases: Vec<Case> = match serde_json::from_str(&text) {
            Ok(cases) => cases,
            Err(error) => {
                failures.push(format!("{file_name}: not a list of cases: {error}"));
                continue;
            }
        };
        counts.insert(file_name.clone(), cases.len());
        if cases.len() < MIN_CASES {
            failures.push(format!(
                "{file_name}: {} cases; at least {MIN_CASES} are required",
                cases.len()
            ));
        }

        let mut names: BTreeSet<&str> = BTreeSet::new();
        for case in &cases {
            total += 1;
            let label = format!("{file_name}: {}", case.name);
            if !names.insert(case.name.as_str()) {
                failures.push(format!(
                    "{label}\n    the case name is used twice in this file"
                ));
            }
            let mut problems = expectation_problems(&case.expect);

            let headers = case.request.headers.pairs();
            // Fresh quota counters per case, at the case's time or a fixed one.
            let mut request = case
                .request
                .as_request(&headers)
                .at(case.request.time_ms.unwrap_or(CASE_TIME_MS));
            if case.no_time {
                request.now_ms = None;
            }
            let decide =
                |evaluate: &dyn Fn(&dyn gatehouse::QuotaStore) -> Decision| match case.store {
                    Some(StoreState::Down) => evaluate(&DownStore),
                    None => {
                        let store = gatehouse::MemoryStore::new();
                        for _ in 0..case.after {
                            evaluate(&store);
                        }
                        evaluate(&store)
                    }
                };
            let decided = decide(&|store| policy.decide_with(&request, store));
            let interpreted =
                decide(&|store| gatehouse_tools::interp::interpret_with(&policy, &request, store));
            problems.extend(
                mismatches(&policy, &decided, &case.expect)
                    .into_iter()
                    .map(|m| format!("decide: {m}")),
            );
            problems.extend(
                mismatches(&policy, &interpreted, &case.expect)
                    .into_iter()
                    .map(|m| format!("interpret: {m}")),
            );
            if decided != interpreted {
                problems.push(format!(
                    "decide and interpret disagree:\n      decide:    {decided:?}\n      interpret: {interpreted:?}"
                ));
            }

            // A reason counts as covered only where both evaluators produce it.
            if problems.is_empty() {
                covered.insert(decided.reason());
                covered.extend(decided.internals().shadow.iter().map(|f| f.reason));
            }
            if !problems.is_empty() {
                failures.push(format!("{label}\n    {}", problems.join("\n    ")));
            }
        }
    }

    for required in ["petstore.json", "banking.json", "github.json", "admin.json"] {
        if !seen_files.contains(required) {
            failures.push(format!("tests/cases/{required} is missing"));
        }
    }
    if counts.get("github.json").is_some_and(|n| *n < 30) {
        failures.push(format!(
            "github.json: {} cases; at least 30 are required",
            counts["github.json"]
        ));
    }

    let uncovered: Vec<&str> = Reason::ALL
        .iter()
        .filter(|r| !covered.contains(r) && !NOT_COVERED.iter().any(|(n, _)| n == *r))
        .map(|r| r.as_str())
        .collect();
    if !uncovered.is_empty() {
        failures.push(format!(
            "no passing case produces these reasons: {}",
            uncovered.join(", ")
        ));
    }

    assert!(
        failures.is_empty(),
        "{} conformance failures in {total} cases (cases per file: {counts:?}):\n\n{}\n",
        failures.len(),
        failures.join("\n\n")
    );
}
