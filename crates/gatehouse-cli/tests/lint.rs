//! `gatehouse lint`, as users see it.
//!
//! `tests/lint/` (at the repository root) holds one small policy per lint
//! rule, named by its code (`GH-L001.gate`), that shows the rule's findings
//! next to cases the rule must leave alone. For each, the human and JSON
//! outputs are kept as snapshots. The sample policies in `policies/` must
//! lint clean (with justified allows). The SARIF log is checked against the
//! fields SARIF 2.1.0 requires, and the language reference's table of rules
//! against the registry.
//!
//! To accept changed output after reviewing it:
//! `INSTA_UPDATE=always cargo test -p gatehouse-cli --test lint`, then read
//! every changed `.snap` file. To regenerate the rules section of
//! `grammar/REFERENCE.md`: `GATEHOUSE_BLESS=1 cargo test -p gatehouse-cli --test lint`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use gatehouse::Code;
use gatehouse_tools::lint::Rule;
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

struct Output {
    stdout: String,
    stderr: String,
    exit: i32,
}

fn gatehouse(args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .current_dir(root())
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    Output {
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
        exit: output.status.code().unwrap(),
    }
}

fn json(args: &[&str]) -> (Value, i32) {
    let output = gatehouse(args);
    (
        serde_json::from_str(&output.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}):\n{}", output.stdout)),
        output.exit,
    )
}

/// Every fixture, by rule, in registry order.
fn fixtures() -> Vec<(Rule, String)> {
    let dir = root().join("tests/lint");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let code = name
                .strip_suffix(".gate")
                .unwrap_or_else(|| panic!("tests/lint/{name}: expected `<code>.gate`"));
            let rule = Rule::find(code)
                .unwrap_or_else(|| panic!("tests/lint/{name}: `{code}` is not a lint rule"));
            assert_eq!(
                rule.code().as_str(),
                code,
                "tests/lint/{name}: name the fixture exactly as the code is spelt"
            );
            (rule, format!("tests/lint/{name}"))
        })
        .collect()
}

#[test]
fn every_rule_has_a_fixture() {
    let covered: BTreeSet<Rule> = fixtures().into_iter().map(|(rule, _)| rule).collect();
    let missing: Vec<&str> = Rule::ALL
        .iter()
        .filter(|r| !covered.contains(r))
        .map(|r| r.code().as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "no fixture in tests/lint/ for {missing:?}"
    );
}

#[test]
fn every_fixture_shows_its_rule() {
    for (rule, path) in fixtures() {
        let human = gatehouse(&["lint", &path, "--color", "never"]);
        assert!(human.stderr.is_empty(), "{path}: {}", human.stderr);
        let (doc, exit) = json(&["lint", &path, "--format", "json"]);
        let codes: Vec<&str> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap())
            .collect();
        assert!(
            codes.contains(&rule.code().as_str()),
            "{path}: no {} finding, only {codes:?}",
            rule.code()
        );
        assert!(
            doc["diagnostics"].as_array().unwrap().is_empty(),
            "{path}: the fixture should check clean"
        );
        let expected_exit = if doc["errors"].as_u64().unwrap() > 0 {
            1
        } else {
            0
        };
        assert_eq!(
            human.exit, expected_exit,
            "{path}: exit code\n{}",
            human.stdout
        );
        assert_eq!(exit, expected_exit, "{path}: exit code with --format json");

        let mut settings = insta::Settings::clone_current();
        settings.set_input_file(root().join(&path));
        settings.set_omit_expression(true);
        settings.set_description(format!("gatehouse lint {path} --color never"));
        settings.bind(|| insta::assert_snapshot!(rule.code().as_str(), human.stdout));
        settings.set_description(format!("gatehouse lint {path} --format json"));
        settings.bind(|| insta::assert_json_snapshot!(format!("{}.json", rule.code()), doc));
    }
}

/// The sample policies lint clean: every finding is fixed or allowed with
/// a reason.
#[test]
fn policies_lint_clean() {
    let human = gatehouse(&[
        "lint",
        "policies/",
        "--color",
        "never",
        "--deny",
        "warnings",
    ]);
    assert_eq!(human.exit, 0, "{}", human.stdout);
    insta::assert_snapshot!("lint_policies", human.stdout);
    let (doc, exit) = json(&["lint", "policies/", "--format", "json"]);
    assert_eq!(exit, 0);
    assert_eq!(doc["version"], 1);
    assert_eq!(
        (doc["errors"].as_u64(), doc["warnings"].as_u64()),
        (Some(0), Some(0))
    );
    for allowed in doc["allowed_findings"].as_array().unwrap() {
        let reason = allowed["reason"].as_str().unwrap();
        assert!(
            reason.len() >= 10,
            "an allow in policies/ needs a real reason: {allowed}"
        );
    }
    insta::assert_json_snapshot!("lint_policies_json", doc);
}

#[test]
fn deny_warnings_fails_on_warnings() {
    assert_eq!(gatehouse(&["lint", "tests/lint/GH-L001.gate"]).exit, 0);
    let denied = gatehouse(&[
        "lint",
        "tests/lint/GH-L001.gate",
        "--deny",
        "warnings",
        "--color",
        "never",
    ]);
    assert_eq!(denied.exit, 1);
    assert!(
        denied.stdout.contains("denied by `--deny warnings`"),
        "{}",
        denied.stdout
    );
    assert_eq!(
        gatehouse(&[
            "lint",
            "tests/lint/GH-L001.gate",
            "--format",
            "sarif",
            "--deny",
            "warnings"
        ])
        .exit,
        1
    );
}

#[test]
fn exit_codes() {
    // Errors of the checker stop linting, as `check` reports them.
    let broken = gatehouse(&[
        "lint",
        "tests/diagnostics/GH-E0202.gate",
        "--color",
        "never",
    ]);
    assert_eq!(broken.exit, 1);
    assert!(
        broken.stdout.contains("GH-E0202") && broken.stdout.contains("the lint rules did not run"),
        "{}",
        broken.stdout
    );
    assert_eq!(gatehouse(&["lint", "no/such/dir"]).exit, 2);
    assert_eq!(gatehouse(&["lint", "--explain", "GH-L999"]).exit, 2);
    assert_eq!(gatehouse(&["lint"]).exit, 2);
}

#[test]
fn explain_prints_the_rule_doc() {
    let by_code = gatehouse(&["lint", "--explain", "GH-L012"]);
    assert_eq!(by_code.exit, 0);
    assert_eq!(by_code.stdout, Rule::FailOpenOnStoreError.doc());
    let by_name = gatehouse(&["lint", "--explain", "fail-open-on-store-error"]);
    assert_eq!(by_name.stdout, by_code.stdout);
    insta::assert_snapshot!("explain_GH-L012", by_code.stdout);
    let typo = gatehouse(&["lint", "--explain", "fail-open-on-store-eror"]);
    assert!(
        typo.stderr
            .contains("did you mean `fail-open-on-store-error`?"),
        "{}",
        typo.stderr
    );
}

#[test]
fn list_rules() {
    let output = gatehouse(&["lint", "--list-rules"]);
    assert_eq!(output.exit, 0);
    assert_eq!(output.stdout.lines().count(), Rule::ALL.len());
    insta::assert_snapshot!("list_rules", output.stdout);
}

// ---------------------------------------------------------------- SARIF

/// The properties SARIF 2.1.0 requires (and GitHub code scanning reads) of a
/// log, checked by hand: `version`, `runs`, `tool.driver.name`, rule `id`s,
/// and per result `message.text`, a `ruleId` (and `ruleIndex`) naming a
/// rule, a `level` of the spec's enumeration, and physical locations with
/// an artifact URI and a region whose lines and columns start at 1.
fn assert_valid_sarif(log: &Value, what: &str) {
    assert_eq!(log["version"], "2.1.0", "{what}");
    assert!(
        log["$schema"].as_str().unwrap().contains("sarif-2.1.0"),
        "{what}"
    );
    let runs = log["runs"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: `runs` must be an array"));
    assert_eq!(runs.len(), 1, "{what}");
    for run in runs {
        let driver = &run["tool"]["driver"];
        assert!(
            driver["name"].is_string(),
            "{what}: tool.driver.name is required"
        );
        assert!(
            matches!(
                run["columnKind"].as_str(),
                Some("unicodeCodePoints" | "utf16CodeUnits")
            ),
            "{what}"
        );
        let rules = driver["rules"].as_array().unwrap();
        let mut ids = BTreeSet::new();
        for rule in rules {
            let id = rule["id"]
                .as_str()
                .unwrap_or_else(|| panic!("{what}: a rule without `id`"));
            assert!(ids.insert(id), "{what}: rule {id} listed twice");
            assert!(rule["shortDescription"]["text"].is_string(), "{what}: {id}");
            let level = rule["defaultConfiguration"]["level"].as_str().unwrap();
            assert!(
                ["none", "note", "warning", "error"].contains(&level),
                "{what}: {id}"
            );
        }
        for result in run["results"].as_array().unwrap() {
            let text = result["message"]["text"]
                .as_str()
                .unwrap_or_else(|| panic!("{what}: a result without message.text"));
            assert!(!text.is_empty());
            let id = result["ruleId"].as_str().unwrap();
            let index = result["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[index]["id"], id, "{what}: ruleIndex of {id}");
            assert!(
                ["none", "note", "warning", "error"].contains(&result["level"].as_str().unwrap()),
                "{what}"
            );
            let locations = result["locations"].as_array().unwrap();
            assert!(!locations.is_empty(), "{what}: {id} has no location");
            let related = result["relatedLocations"].as_array().unwrap();
            for location in locations.iter().chain(related) {
                let physical = &location["physicalLocation"];
                let uri = physical["artifactLocation"]["uri"].as_str().unwrap();
                assert!(
                    !uri.is_empty() && !uri.contains('\\') && !uri.starts_with('/'),
                    "{what}: uri {uri}"
                );
                let region = &physical["region"];
                let (line, column) = (
                    region["startLine"].as_u64().unwrap(),
                    region["startColumn"].as_u64().unwrap(),
                );
                let (end_line, end_column) = (
                    region["endLine"].as_u64().unwrap(),
                    region["endColumn"].as_u64().unwrap(),
                );
                assert!(
                    line >= 1 && column >= 1 && end_line >= line,
                    "{what}: {id} region {region}"
                );
                assert!(
                    end_line > line || end_column >= column,
                    "{what}: {id} region {region}"
                );
            }
            if let Some(suppressions) = result.get("suppressions") {
                for s in suppressions.as_array().unwrap() {
                    assert!(
                        ["inSource", "external"].contains(&s["kind"].as_str().unwrap()),
                        "{what}"
                    );
                    if let Some(justification) = s.get("justification") {
                        assert!(
                            !justification.as_str().unwrap().is_empty(),
                            "{what}: {id}: an empty justification"
                        );
                    }
                }
            }
        }
    }
    // Every code, the lint rules' and the checker's, is described (once:
    // see the ids above).
    let rules = &log["runs"][0]["tool"]["driver"]["rules"];
    assert_eq!(rules.as_array().unwrap().len(), Code::ALL.len(), "{what}");
}

#[test]
fn sarif_has_what_code_scanning_needs() {
    let (log, exit) = json(&["lint", "policies/", "--format", "sarif"]);
    assert_eq!(exit, 0);
    assert_valid_sarif(&log, "policies/");
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty(), "policies/ has allowed findings");
    for result in results {
        let reason = &result["suppressions"][0]["justification"];
        assert!(
            reason.as_str().is_some_and(|r| r.len() >= 10),
            "policies/: only findings allowed with a reason: {result}"
        );
    }
    for (rule, path) in fixtures() {
        let (log, _) = json(&["lint", &path, "--format", "sarif"]);
        assert_valid_sarif(&log, &path);
        assert!(
            log["runs"][0]["results"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["ruleId"] == rule.code().as_str()),
            "{path}"
        );
    }
    // Checker diagnostics are results too.
    let (log, exit) = json(&[
        "lint",
        "tests/diagnostics/GH-E0202.gate",
        "--format",
        "sarif",
    ]);
    assert_eq!(exit, 1);
    assert_valid_sarif(&log, "GH-E0202");
    assert_eq!(log["runs"][0]["results"][0]["ruleId"], "GH-E0202");

    // One log in full, without the rules' metadata (their docs are the rule docs).
    let (mut log, _) = json(&["lint", "tests/lint/GH-L006.gate", "--format", "sarif"]);
    log["runs"][0]["tool"]["driver"]["rules"] = Value::String("(elided)".into());
    insta::assert_json_snapshot!("sarif_GH-L006", log);
}

// ---------------------------------------------------------------- the reference

const START: &str = "<!-- lint-rules:start: generated from the lint registry by crates/gatehouse-cli/tests/lint.rs; do not edit -->";
const END: &str = "<!-- lint-rules:end -->";

/// The rules part of the reference's "Linting" section, from the registry.
fn reference_rules() -> String {
    let mut out = format!("{START}\n\n| code | name | level | flags |\n|---|---|---|---|\n");
    for rule in Rule::ALL {
        let code = rule.code();
        out.push_str(&format!(
            "| [{code}](#{}) | `{}` | {} | {} |\n",
            code.as_str().to_lowercase(),
            rule.name(),
            code.severity().as_str(),
            code.summary()
        ));
    }
    for rule in Rule::ALL {
        out.push_str(&format!(
            "\n### {}\n\n`{}`, {} by default.\n",
            rule.code(),
            rule.name(),
            rule.code().severity().as_str()
        ));
        for line in rule.doc().lines().skip(1) {
            match line.strip_prefix("## ") {
                Some(heading) => out.push_str(&format!("#### {heading}\n")),
                None => {
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
    }
    out.push_str(END);
    out
}

/// `grammar/REFERENCE.md` documents every rule as the registry does.
#[test]
fn the_reference_documents_every_rule() {
    let path = root().join("grammar/REFERENCE.md");
    let reference = std::fs::read_to_string(&path).unwrap();
    let expected = reference_rules();
    let (Some(start), Some(end)) = (reference.find(START), reference.find(END)) else {
        panic!("grammar/REFERENCE.md has no generated rules section ({START} ... {END})");
    };
    let current = &reference[start..end + END.len()];
    if current != expected {
        if std::env::var_os("GATEHOUSE_BLESS").is_some() {
            let updated = format!(
                "{}{expected}{}",
                &reference[..start],
                &reference[end + END.len()..]
            );
            std::fs::write(&path, updated).unwrap();
        } else {
            panic!("the rules section of grammar/REFERENCE.md is out of date: run `GATEHOUSE_BLESS=1 cargo test -p gatehouse-cli --test lint`");
        }
    }
}
