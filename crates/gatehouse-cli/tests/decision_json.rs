//! One document per schema name: `gatehouse eval --json` writes the same
//! `gatehouse.decision/v1` document as the JSON API's `evaluate_with`
//! (which the WebAssembly module's `evaluate` calls; its Node test holds the
//! module to the CLI in turn), on the same requests: every conformance
//! case of `tests/cases/` against its policy, and the sample requests of
//! `tests/requests/` with and without the audit record and a response to
//! mask (masked, withheld and denied).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use gatehouse::{PolicySet, Sources};
use gatehouse_tools::json_api::{self, EvaluateOptions};
use serde_json::Value;

/// Requests without a time get this one on both sides, so quotas count the
/// same (the CLI would otherwise use the clock).
const TIME_MS: u64 = 1_700_000_000_000;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("decision-json-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The policy set the CLI loads for `path` (a file, or every `.gate` file
/// of a directory in name order).
fn load(path: &Path) -> PolicySet {
    let mut files: Vec<PathBuf> = if path.is_dir() {
        std::fs::read_dir(path)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "gate"))
            .collect()
    } else {
        vec![path.to_path_buf()]
    };
    files.sort();
    let mut sources = Sources::default();
    for file in files {
        let name = file
            .strip_prefix(root())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        sources.add(name, std::fs::read_to_string(&file).unwrap());
    }
    PolicySet::load(sources).unwrap()
}

/// A request as both sides can read it: a time when it has none, and a
/// `body_file` inlined as the `body` string (the JSON API reads no files).
fn portable(mut request: Value, dir: &Path) -> Value {
    let map = request.as_object_mut().unwrap();
    map.entry("time_ms").or_insert(TIME_MS.into());
    if let Some(file) = map.remove("body_file") {
        let text = std::fs::read_to_string(dir.join(file.as_str().unwrap())).unwrap();
        map.insert("body".into(), Value::String(text));
    }
    request
}

struct Case<'a> {
    name: String,
    policy_path: &'a str,
    request: Value,
    audit: bool,
    response: Option<&'a str>,
}

/// Runs one case through the CLI and through the JSON API and compares
/// the documents. Each side counts quotas in a fresh store (a CLI process
/// starts with one), so the policy is loaded again for every case.
fn compare(case: &Case<'_>, scratch: &Path) {
    let policy = load(&root().join(case.policy_path));
    let request_text = serde_json::to_string_pretty(&case.request).unwrap();
    let request_file = scratch.join("request.json");
    std::fs::write(&request_file, &request_text).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_gatehouse"));
    command
        .current_dir(root())
        .args(["eval", case.policy_path, "--json", "--request"])
        .arg(&request_file);
    if case.audit {
        command.arg("--audit");
    }
    let mut options = EvaluateOptions {
        audit: case.audit,
        ..EvaluateOptions::default()
    };
    if let Some(response) = case.response {
        let file = scratch.join("response.json");
        std::fs::write(&file, response).unwrap();
        command.arg("--response").arg(&file);
        options.response = Some(response.to_string());
    }
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let cli: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "{}: the CLI did not print JSON ({e}): {stdout}\n{}",
            case.name,
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let api = json_api::evaluate_with(&policy, &request_text, &options).unwrap();
    assert_eq!(cli, api, "{}: the CLI and the JSON API differ", case.name);
    assert_eq!(api["schema"], "gatehouse.decision/v1", "{}", case.name);
}

#[test]
fn the_cli_and_the_json_api_write_the_same_decision_document() {
    let root = root();
    let scratch = scratch("cases");
    let mut compared = 0;

    // Every conformance case, against the policy it is written for.
    for entry in std::fs::read_dir(root.join("tests/cases")).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let policy_path = format!("policies/{stem}.gate");
        let cases: Vec<Value> =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for (i, case) in cases.iter().enumerate() {
            let case = Case {
                name: format!("{stem}[{i}] {}", case["name"]),
                policy_path: &policy_path,
                request: portable(case["request"].clone(), &root),
                audit: true,
                response: None,
            };
            compare(&case, &scratch);
            compared += 1;
        }
    }

    // The sample requests, against every policy, with and without extras.
    let requests_dir = root.join("tests/requests");
    let response = std::fs::read_to_string(root.join("tests/responses/get-own-user.json")).unwrap();
    let mut requests: Vec<PathBuf> = std::fs::read_dir(&requests_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    requests.sort();
    for path in requests {
        let request: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let request = portable(request, &requests_dir);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        for (audit, response) in [
            (false, None),
            (true, None),
            // Masked for an allowed request, request_denied for a denied one.
            (false, Some(response.as_str())),
            // Withheld: not JSON.
            (false, Some(r#"{"id": "alice", "ssn": "078-05"#)),
        ] {
            let case = Case {
                name: format!("{name} audit={audit} response={}", response.is_some()),
                policy_path: "policies/",
                request: request.clone(),
                audit,
                response,
            };
            compare(&case, &scratch);
            compared += 1;
        }
    }
    assert!(compared > 250, "only {compared} documents compared");
    std::fs::remove_dir_all(&scratch).ok();
}
