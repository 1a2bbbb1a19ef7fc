//! The analyses behind `explain`, `test` and `diff`, held to the evaluator:
//! the trace of every conformance case and policy test reaches the decision
//! `decide` reaches, and the diff fixture exercises every change kind.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use gatehouse::{PolicySet, RequestData, Sources};
use gatehouse_tools::analysis::diff::{self, Kind};
use gatehouse_tools::analysis::testing::{self, TestFile};
use gatehouse_tools::analysis::trace::Outcome;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn files(dir: &str, suffix: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    out.sort();
    out
}

fn load(dir: &str) -> PolicySet {
    let mut sources = Sources::new();
    for path in files(dir, ".gate") {
        let name = path
            .strip_prefix(root())
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        sources.add(name, std::fs::read_to_string(&path).unwrap());
    }
    PolicySet::load(sources).unwrap_or_else(|e| panic!("{dir} does not load: {e}"))
}

#[derive(serde::Deserialize)]
struct Case {
    name: String,
    request: RequestData,
}

#[test]
fn the_trace_decides_as_decide_for_every_case_and_policy_test() {
    let policy = load("policies");
    let mut requests: Vec<(String, RequestData)> = Vec::new();
    for file in files("tests/cases", ".json") {
        let cases: Vec<serde_json::Value> =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        for case in cases {
            let case: Case = serde_json::from_value(
                serde_json::json!({"name": case["name"], "request": case["request"]}),
            )
            .unwrap();
            requests.push((case.name, case.request));
        }
    }
    for file in files("policies", ".test.json") {
        let tests = TestFile::parse(&std::fs::read_to_string(&file).unwrap()).unwrap();
        requests.extend(tests.tests.into_iter().map(|t| (t.name, t.request)));
    }
    assert!(requests.len() > 600);
    for (name, data) in &requests {
        let headers = data.headers.pairs();
        let request = data.as_request(&headers);
        let decision = policy.decide(&request);
        let trace = gatehouse_tools::analysis::trace::trace(&policy, &request);
        assert_eq!(&trace.verdict, decision.internals(), "{name}");
        assert_eq!(trace.decision.reason, decision.reason(), "{name}");
        let deciding: Vec<_> = trace.steps.iter().filter(|s| s.deciding).collect();
        if !decision.allowed() {
            assert_eq!(deciding.len(), 1, "{name}: one deciding step");
            assert_eq!(deciding[0].outcome, Outcome::Fail, "{name}");
        }
        // Every shadow finding has a step that would have failed.
        let would = trace
            .steps
            .iter()
            .filter(|s| s.outcome == Outcome::WouldFail)
            .count();
        assert!(
            would >= decision.internals().shadow.len(),
            "{name}: {would} steps for {} findings",
            decision.internals().shadow.len()
        );
    }
}

#[test]
fn the_policy_tests_pass_and_cover_every_endpoint() {
    let policy = load("policies");
    let mut coverage = testing::Coverage::new(&policy);
    for file in files("policies", ".test.json") {
        let tests = TestFile::parse(&std::fs::read_to_string(&file).unwrap()).unwrap();
        assert_eq!(
            testing::check_file(&tests),
            Vec::<String>::new(),
            "{}",
            file.display()
        );
        for test in &tests.tests {
            let result = testing::run(&policy, &tests, test);
            assert!(result.passed(), "{}: {:?}", test.name, result.mismatches);
            coverage.record(&result);
        }
    }
    let report = coverage.report();
    assert_eq!(report.endpoints.covered, report.endpoints.total);
    assert_eq!(report.rules.covered, report.rules.total);
}

#[test]
fn the_diff_fixture_exercises_every_change_kind() {
    let old = load("tests/diff/old");
    let new = load("tests/diff/new");
    let result = diff::diff(&old, &new);
    let seen: BTreeSet<Kind> = result.changes.iter().map(|c| c.kind).collect();
    let missing: Vec<&str> = Kind::ALL
        .iter()
        .filter(|k| !seen.contains(k))
        .map(|k| k.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "kinds the fixture does not exercise: {missing:?}"
    );
    assert!(result.widens());
    // A policy set compared with itself has no changes.
    assert!(diff::diff(&new, &new).changes.is_empty());
    assert!(diff::diff(&load("policies"), &load("policies"))
        .changes
        .is_empty());
}
