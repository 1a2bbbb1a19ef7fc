//! Snapshot tests of every diagnostic the checker can produce.
//!
//! `tests/diagnostics/` (at the repository root) holds one small bad policy
//! per diagnostic code, named by the code: `GH-E0202.gate`. A code that needs
//! more than one file (`GH-E0307`, overlapping APIs) has a directory instead,
//! `GH-E0307/`, checked as one policy set. For each case this test runs the
//! built `gatehouse check` from the repository root, so that file names in the
//! output are relative, and snapshots both the human output and the JSON
//! output under `tests/snapshots/`.
//!
//! To accept changed output after reviewing it:
//! `INSTA_UPDATE=always cargo test -p gatehouse-cli --test diagnostics`, then
//! read every changed `.snap` file. With `CI=true`, a missing or changed
//! snapshot fails the test instead.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::Command;

use gatehouse::{Code, Reason, Severity, Sources};

/// The repository root: the working directory for every run.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository root")
}

/// One diagnostic case: the code it is named after and the path to check,
/// relative to the repository root, with forward slashes.
struct Case {
    code: String,
    path: String,
}

/// Every case in `tests/diagnostics/`, sorted by name.
fn cases() -> Vec<Case> {
    let dir = root().join("tests/diagnostics");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            entry
                .expect("a directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let is_dir = dir.join(&name).is_dir();
            let code = if is_dir {
                name.clone()
            } else {
                name.strip_suffix(".gate")
                    .unwrap_or_else(|| {
                        panic!("tests/diagnostics/{name}: expected `<code>.gate` or a `<code>/` directory")
                    })
                    .to_string()
            };
            Case { code, path: format!("tests/diagnostics/{name}") }
        })
        .collect()
}

struct Output {
    stdout: String,
    exit: i32,
}

fn gatehouse_check(path: &str, extra: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .current_dir(root())
        .args(["check", path, "--color", "never"])
        .args(extra)
        .env_remove("NO_COLOR")
        .output()
        .expect("the gatehouse binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.is_empty(),
        "{path}: unexpected output on stderr:\n{stderr}"
    );
    Output {
        stdout: String::from_utf8(output.stdout).expect("UTF-8 output"),
        exit: output.status.code().expect("an exit code, not a signal"),
    }
}

/// Runs one case: exit code, presence of its code, and both snapshots.
fn check_case(case: &Case) {
    let code = Code::from_code(&case.code).unwrap_or_else(|| {
        panic!(
            "{}: `{}` is not a diagnostic code (see Code::ALL)",
            case.path, case.code
        )
    });
    assert_eq!(
        code.as_str(),
        case.code,
        "{}: name the case exactly as the code is spelt",
        case.path
    );
    let expected_exit = match code.severity() {
        Severity::Error => 1,
        Severity::Warning => 0,
    };

    let human = gatehouse_check(&case.path, &[]);
    assert_eq!(
        human.exit,
        expected_exit,
        "{}: `gatehouse check` exited with {}; a {} case must exit with {expected_exit}\n{}",
        case.path,
        human.exit,
        code.severity().as_str(),
        human.stdout
    );
    assert!(
        human.stdout.contains(&case.code),
        "{}: the output does not mention {}:\n{}",
        case.path,
        case.code,
        human.stdout
    );

    let json = gatehouse_check(&case.path, &["--format", "json"]);
    assert_eq!(
        json.exit, expected_exit,
        "{}: exit code with --format json",
        case.path
    );
    let doc: serde_json::Value =
        serde_json::from_str(&json.stdout).expect("--format json prints JSON");
    let codes: Vec<&str> = doc["diagnostics"]
        .as_array()
        .expect("a `diagnostics` array")
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    assert!(
        codes.contains(&case.code.as_str()),
        "{}: JSON diagnostics are {codes:?}, without {}",
        case.path,
        case.code
    );

    let mut settings = insta::Settings::clone_current();
    settings.set_input_file(root().join(&case.path));
    settings.set_omit_expression(true);
    settings.set_description(format!("gatehouse check {} --color never", case.path));
    settings.bind(|| insta::assert_snapshot!(case.code.clone(), human.stdout));
    settings.set_description(format!(
        "gatehouse check {} --color never --format json",
        case.path
    ));
    settings.bind(|| insta::assert_snapshot!(format!("{}.json", case.code), json.stdout));
}

/// Every case, reporting every failing one rather than only the first.
#[test]
fn every_diagnostic_case_matches_its_snapshots() {
    let cases = cases();
    assert!(!cases.is_empty(), "tests/diagnostics/ is empty");
    let failed: Vec<&str> = cases
        .iter()
        .filter(|case| catch_unwind(AssertUnwindSafe(|| check_case(case))).is_err())
        .map(|case| case.path.as_str())
        .collect();
    assert!(
        failed.is_empty(),
        "{} diagnostic case(s) failed (see above): {failed:?}",
        failed.len()
    );
}

/// A new checker code without a case fails here. (Lint codes have their
/// fixtures in `tests/lint/`, which `tests/lint.rs` requires.)
#[test]
fn every_code_has_a_case() {
    let cases = cases();
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| !c.is_lint())
        .map(|c| c.as_str())
        .filter(|code| !cases.iter().any(|case| case.code == *code))
        .collect();
    assert!(
        missing.is_empty(),
        "no case in tests/diagnostics/ for {missing:?}: add `tests/diagnostics/<code>.gate`, a small policy that produces it"
    );
}

/// The language reference documents every checker code and every reason
/// code. (Its lint section is generated from the lint registry and checked
/// by `tests/lint.rs`.)
#[test]
fn the_reference_mentions_every_code() {
    let path = root().join("grammar/REFERENCE.md");
    let reference =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let missing_codes: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| !c.is_lint())
        .map(|c| c.as_str())
        .filter(|code| !reference.contains(code))
        .collect();
    assert!(
        missing_codes.is_empty(),
        "grammar/REFERENCE.md does not document diagnostic codes {missing_codes:?}"
    );
    let missing_reasons: Vec<&str> = Reason::ALL
        .iter()
        .map(|r| r.as_str())
        .filter(|reason| !reference.contains(&format!("`{reason}`")))
        .collect();
    assert!(
        missing_reasons.is_empty(),
        "grammar/REFERENCE.md does not document reason codes {missing_reasons:?}"
    );
}

/// The `gate` code blocks of the reference, with the line each starts on.
fn gate_blocks(text: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    // Inside a fenced block: `Some(Some(..))` for a `gate` block being read,
    // `Some(None)` for a block in another language.
    let mut open: Option<Option<(usize, String)>> = None;
    for (index, line) in text.lines().enumerate() {
        let fence = line.starts_with("```");
        open = match open {
            None if fence => {
                Some((line.trim_end() == "```gate").then(|| (index + 2, String::new())))
            }
            None => None,
            Some(Some(block)) if fence => {
                blocks.push(block);
                None
            }
            Some(Some((start, mut body))) => {
                body.push_str(line);
                body.push('\n');
                Some(Some((start, body)))
            }
            Some(None) if fence => None,
            Some(None) => Some(None),
        };
    }
    blocks
}

/// Checker codes named in the comments of an example: `# GH-E0202: ...`.
/// (A lint code there, as in an allow directive, is not the checker's to
/// give.)
fn codes_in_comments(example: &str) -> Vec<&'static str> {
    let mut codes = Vec::new();
    for line in example.lines() {
        let Some((_, comment)) = line.split_once('#') else {
            continue;
        };
        for (at, _) in comment.match_indices("GH-") {
            let candidate = comment.get(at..at + 8).unwrap_or("");
            if let Some(code) = Code::from_code(candidate).filter(|c| !c.is_lint()) {
                codes.push(code.as_str());
            }
        }
    }
    codes
}

/// Every `gate` example in the reference checks as documented: an example
/// whose comments name codes produces each of them, any other example checks
/// clean (no errors, no warnings). An example that does not start with `api`
/// is checked after the prelude (the first example), as the reference says;
/// the `GH-E0101` example (a file without `api`) is checked on its own.
#[test]
fn the_reference_examples_check_as_documented() {
    let path = root().join("grammar/REFERENCE.md");
    let reference =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let blocks = gate_blocks(&reference);
    let prelude = blocks
        .first()
        .map(|(_, text)| text.clone())
        .expect("the reference has `gate` examples");
    let mut problems = Vec::new();
    for (line, example) in &blocks {
        let wanted = codes_in_comments(example);
        let whole_file =
            example.lines().any(|l| l.starts_with("api ")) || wanted.contains(&"GH-E0101");
        let text = if whole_file {
            example.clone()
        } else {
            format!("{prelude}\n{example}")
        };
        let mut sources = Sources::new();
        sources.add(format!("grammar/REFERENCE.md:{line}"), text);
        let diagnostics = gatehouse_tools::check(&sources);
        let got: Vec<&str> = diagnostics.iter().map(|d| d.code.as_str()).collect();
        if wanted.is_empty() && !got.is_empty() {
            problems.push(format!(
                "line {line}: the example should check clean, but gives {got:?}"
            ));
        }
        for code in wanted.iter().filter(|code| !got.contains(code)) {
            problems.push(format!(
                "line {line}: the example should give {code}, but gives {got:?}"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "grammar/REFERENCE.md examples:\n{}",
        problems.join("\n")
    );
}
