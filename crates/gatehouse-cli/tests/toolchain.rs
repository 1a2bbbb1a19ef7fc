//! The policy-as-code commands as users see them: `test`, `explain`,
//! `tree`, `inventory`, `diff` and `completions`, on the policies in
//! `policies/` and the fixtures in `tests/`. Snapshots are reviewed with
//! `INSTA_UPDATE=always cargo test` and `git diff`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Runs `gatehouse` from the repository root, so paths in output are
/// relative and stable; never on a terminal, so never in colour.
fn gatehouse(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(args)
        .current_dir(root())
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", stdout(output)))
}

// ---------------------------------------------------------------- test

#[test]
fn test_runs_every_policy_test_with_full_endpoint_coverage() {
    let output = gatehouse(&["test", "policies/", "--coverage"]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}{}", stderr(&output));
    // The summary and coverage (the per-test lines are in the JSON test).
    let tail: String = text
        .lines()
        .filter(|l| !l.starts_with("test ") || l.starts_with("test result"))
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!("test_policies_coverage", tail);
    assert!(
        text.contains("coverage: 256/256 endpoints (100%)"),
        "{tail}"
    );
}

#[test]
fn test_one_policy_lists_its_tests_like_cargo() {
    let output = gatehouse(&["test", "policies/petstore.gate"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    insta::assert_snapshot!("test_petstore", stdout(&output));
}

#[test]
fn test_failures_show_expected_and_actual_and_exit_1() {
    let output = gatehouse(&["test", "tests/policy-tests/failing", "--coverage"]);
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!("test_failing", stdout(&output));
}

#[test]
fn test_filter_selects_by_full_name() {
    let output = gatehouse(&["test", "policies/", "--filter", "petstore::own_profile"]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    assert!(
        text.contains("test petstore::own_profile_response_is_allow_listed_and_masked ... ok"),
        "{text}"
    );
    assert!(text.contains("1 passed; 0 failed;"), "{text}");
}

#[test]
fn test_json_is_versioned_and_names_every_test() {
    let output = gatehouse(&[
        "test",
        "tests/policy-tests/failing",
        "--format",
        "json",
        "--coverage",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let doc = json(&output);
    assert_eq!(doc["schema"], "gatehouse.test-results/v1");
    assert_eq!(doc["passed"], 2);
    assert_eq!(doc["failed"], 3);
    assert_eq!(
        doc["tests"][1]["name"],
        "pets::wrong_expectation_about_scopes"
    );
    assert_eq!(doc["tests"][1]["mismatches"][0]["field"], "decision");
    assert_eq!(doc["coverage"]["endpoints"]["total"], 3);
    insta::assert_json_snapshot!("test_failing_json", doc);
}

#[test]
fn test_rejects_invalid_test_files_before_running_anything() {
    let output = gatehouse(&["test", "tests/policy-tests/invalid/pets.test.json"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout(&output).is_empty());
    insta::assert_snapshot!("test_invalid", stderr(&output));
    let none = gatehouse(&["test", "tests/diagnostics/GH-W0405.gate"]);
    assert_eq!(
        none.status.code(),
        Some(2),
        "no test file beside the policy"
    );
    assert!(stderr(&none).contains("no test files found"));
}

// ---------------------------------------------------------------- explain

fn explain_fixtures() -> Vec<String> {
    let mut files: Vec<String> = Vec::new();
    for dir in ["tests/requests", "tests/explain"] {
        for entry in std::fs::read_dir(root().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                files.push(format!(
                    "{dir}/{}",
                    path.file_name().unwrap().to_string_lossy()
                ));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn explain_traces_every_sample_request() {
    for request in explain_fixtures() {
        let name = Path::new(&request)
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .to_string();
        let output = gatehouse(&["explain", "policies/", "--request", &request]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{request}: {}",
            stderr(&output)
        );
        let text = stdout(&output);
        let deciding = text.lines().filter(|l| l.contains("<- decided")).count();
        assert!(deciding <= 1, "{request}: more than one deciding step");
        insta::assert_snapshot!(format!("explain_{name}"), text);
    }
}

#[test]
fn explain_json_is_versioned_and_agrees_with_eval() {
    for request in explain_fixtures() {
        let trace = json(&gatehouse(&[
            "explain",
            "policies/",
            "--request",
            &request,
            "--format",
            "json",
        ]));
        assert_eq!(trace["schema"], "gatehouse.trace/v1");
        let eval = json(&gatehouse(&[
            "eval",
            "policies/",
            "--request",
            &request,
            "--json",
        ]));
        assert_eq!(trace["decision"]["decision"], eval["decision"], "{request}");
        assert_eq!(trace["decision"]["reason"], eval["reason"], "{request}");
        let steps = trace["steps"].as_array().unwrap();
        assert!(!steps.is_empty(), "{request}");
        if eval["decision"] == "deny" {
            assert_eq!(
                steps.iter().filter(|s| s["deciding"] == true).count(),
                1,
                "{request}: one deciding step"
            );
        }
    }
    let trace = json(&gatehouse(&[
        "explain",
        "policies/",
        "--request",
        "tests/requests/get-user.json",
        "--format",
        "json",
    ]));
    insta::assert_json_snapshot!("explain_get-user_json", trace);
}

#[test]
fn explain_exit_code_on_denial() {
    let denied = gatehouse(&[
        "explain",
        "policies/",
        "--request",
        "tests/requests/get-user.json",
        "--exit-code",
    ]);
    assert_eq!(denied.status.code(), Some(1));
    let allowed = gatehouse(&[
        "explain",
        "policies/",
        "--request",
        "tests/requests/get-own-user.json",
        "--exit-code",
    ]);
    assert_eq!(allowed.status.code(), Some(0));
    let missing = gatehouse(&[
        "explain",
        "policies/",
        "--request",
        "tests/explain/none.json",
    ]);
    assert_eq!(missing.status.code(), Some(2));
}

// ---------------------------------------------------------------- tree

#[test]
fn tree_text_for_every_policy() {
    for policy in ["petstore", "banking", "admin", "github"] {
        let file = format!("policies/{policy}.gate");
        let output = gatehouse(&["tree", &file]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        insta::assert_snapshot!(format!("tree_{policy}"), stdout(&output));
    }
}

#[test]
fn tree_dot_and_mermaid() {
    let dot = stdout(&gatehouse(&[
        "tree",
        "policies/petstore.gate",
        "--format",
        "dot",
    ]));
    assert!(dot.starts_with("digraph gatehouse {") && dot.trim_end().ends_with('}'));
    assert_eq!(
        dot.matches('{').count(),
        dot.matches('}').count() + count_in_labels(&dot, '{') - count_in_labels(&dot, '}')
    );
    insta::assert_snapshot!("tree_petstore_dot", dot);
    let mermaid = stdout(&gatehouse(&[
        "tree",
        "policies/admin.gate",
        "--format",
        "mermaid",
        "--method",
        "GET",
    ]));
    assert!(mermaid.starts_with("flowchart LR\n"));
    assert_eq!(
        mermaid.matches("subgraph").count(),
        mermaid.lines().filter(|l| l.trim() == "end").count()
    );
    insta::assert_snapshot!("tree_admin_get_mermaid", mermaid);
    let doc = json(&gatehouse(&[
        "tree",
        "policies/petstore.gate",
        "--format",
        "json",
    ]));
    assert_eq!(doc["schema"], "gatehouse.tree/v1");
    let unknown = gatehouse(&["tree", "policies/petstore.gate", "--api", "nope"]);
    assert_eq!(unknown.status.code(), Some(2));
}

/// Braces inside quoted labels (`{id:int}`), which are not graph syntax.
fn count_in_labels(dot: &str, brace: char) -> usize {
    dot.split('"')
        .skip(1)
        .step_by(2)
        .map(|label| label.matches(brace).count())
        .sum()
}

// ---------------------------------------------------------------- inventory

#[test]
fn inventory_in_every_format() {
    let table = gatehouse(&["inventory", "policies/"]);
    assert_eq!(table.status.code(), Some(0), "{}", stderr(&table));
    insta::assert_snapshot!("inventory_table", stdout(&table));
    insta::assert_snapshot!(
        "inventory_banking_csv",
        stdout(&gatehouse(&[
            "inventory",
            "policies/banking.gate",
            "--format",
            "csv"
        ]))
    );
    insta::assert_snapshot!(
        "inventory_petstore_markdown",
        stdout(&gatehouse(&[
            "inventory",
            "policies/petstore.gate",
            "--format",
            "markdown"
        ]))
    );
    let doc = json(&gatehouse(&["inventory", "policies/", "--format", "json"]));
    assert_eq!(doc["schema"], "gatehouse.inventory/v1");
    assert_eq!(doc["endpoints"].as_array().unwrap().len(), 256);
    insta::assert_json_snapshot!(
        "inventory_petstore_json",
        json(&gatehouse(&[
            "inventory",
            "policies/petstore.gate",
            "--format",
            "json"
        ]))
    );
}

#[test]
fn inventory_csv_has_one_record_per_endpoint() {
    let csv = stdout(&gatehouse(&["inventory", "policies/", "--format", "csv"]));
    assert_eq!(csv.split("\r\n").filter(|l| !l.is_empty()).count(), 257);
}

// ---------------------------------------------------------------- diff

#[test]
fn diff_reports_every_kind_of_change() {
    let output = gatehouse(&["diff", "tests/diff/old", "tests/diff/new"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    insta::assert_snapshot!("diff_fixture", stdout(&output));
    let doc = json(&gatehouse(&[
        "diff",
        "tests/diff/old",
        "tests/diff/new",
        "--format",
        "json",
    ]));
    assert_eq!(doc["schema"], "gatehouse.diff/v1");
    insta::assert_json_snapshot!("diff_fixture_json", doc);
}

#[test]
fn diff_fail_on_widen() {
    let widened = gatehouse(&[
        "diff",
        "tests/diff/old",
        "tests/diff/new",
        "--fail-on-widen",
    ]);
    assert_eq!(widened.status.code(), Some(1));
    let same = gatehouse(&["diff", "policies/", "policies/", "--fail-on-widen"]);
    assert_eq!(same.status.code(), Some(0));
    insta::assert_snapshot!("diff_none", stdout(&same));
    // Reversed, the change only narrows... except where it is not ordered.
    let reversed = json(&gatehouse(&[
        "diff",
        "tests/diff/new",
        "tests/diff/old",
        "--format",
        "json",
    ]));
    assert!(reversed["counts"]["narrow"].as_u64().unwrap() > 0);
    let missing = gatehouse(&["diff", "tests/diff/none", "tests/diff/new"]);
    assert_eq!(missing.status.code(), Some(2));
}

// ---------------------------------------------------------------- completions and colour
// (`--help` with examples for every command: tests/cli.rs)

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let output = gatehouse(&["completions", shell]);
        assert_eq!(output.status.code(), Some(0), "{shell}");
        let script = stdout(&output);
        for command in ["explain", "inventory", "diff"] {
            assert!(
                script.contains(command),
                "{shell} completions lack `{command}`"
            );
        }
    }
}

#[test]
fn colour_only_when_asked_or_on_a_terminal_and_never_with_no_color() {
    let args = [
        "explain",
        "policies/",
        "--request",
        "tests/requests/get-user.json",
    ];
    assert!(
        !stdout(&gatehouse(&args)).contains('\u{1b}'),
        "colour in piped output"
    );
    let forced = gatehouse(&[&args[..], &["--color", "always"]].concat());
    assert!(stdout(&forced).contains('\u{1b}'));
    let no_color = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!stdout(&no_color).contains('\u{1b}'));
    let test_forced = gatehouse(&["test", "policies/petstore.gate", "--color", "always"]);
    assert!(stdout(&test_forced).contains('\u{1b}'));
}
