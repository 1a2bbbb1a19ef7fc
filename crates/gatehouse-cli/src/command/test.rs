//! `gatehouse test`: policy tests beside the policy, run like `cargo test`.
//!
//! This module finds the test files and prints; reading, checking and
//! running a test is [`gatehouse_tools::analysis::testing`].

use std::path::{Path, PathBuf};

use gatehouse_credentials::{Authenticator, Refusal, RefusalReason};
use gatehouse_tools::analysis::testing::{
    self, Coverage, CoverageReport, Mismatch, PolicyTest, TestFile, TestResult,
};
use gatehouse_tools::analysis::trace::Outcome;
use serde::Serialize;

use crate::args::{ReportFormat, TestArgs};
use crate::exit::Exit;
use crate::load;
use crate::render::Style;

/// The version of the JSON shape of `gatehouse test --format json`.
const RESULTS_SCHEMA: &str = "gatehouse.test-results/v1";

/// The suffix that marks a test file.
const SUFFIX: &str = ".test.json";

pub fn run(args: &TestArgs, style: Style) -> Exit {
    let (gates, test_paths) = match discover(&args.paths) {
        Ok(found) => found,
        Err(message) => {
            eprintln!("error: {message}");
            return Exit::Usage;
        }
    };
    let policy = match load::policy_set(&gates, style) {
        Ok(policy) => policy,
        Err(exit) => return exit,
    };
    // Read and check every file before running anything: a mistaken
    // expectation must never pass unnoticed.
    let mut files = Vec::new();
    let mut problems = Vec::new();
    let refusal_codes = RefusalReason::ALL.map(RefusalReason::as_str);
    for path in &test_paths {
        let shown = load::display_name(path);
        let parsed = std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|text| TestFile::parse(&text));
        match parsed {
            Ok(file) => {
                problems.extend(
                    testing::check_file_with(&file, &refusal_codes)
                        .into_iter()
                        .map(|p| format!("{shown}: {p}")),
                );
                files.push((suite_name(path), shown, file));
            }
            Err(e) => problems.push(format!("{shown}: {e}")),
        }
    }
    if !problems.is_empty() {
        for p in &problems {
            eprintln!("error: {p}");
        }
        eprintln!(
            "error: {} problem{} in the test files; no test was run",
            problems.len(),
            plural(problems.len())
        );
        return Exit::Usage;
    }

    // Files that name key material have their requests authenticated
    // from their own credentials, as a gateway would.
    let mut authenticators = Vec::new();
    for ((_, shown, file), path) in files.iter().zip(&test_paths) {
        let authenticator = match &file.credentials {
            Some(files) => match authenticator(&policy, files, path) {
                Ok(authenticator) => Some(authenticator),
                Err(message) => {
                    eprintln!("error: {shown}: {message}");
                    return Exit::Usage;
                }
            },
            None => None,
        };
        authenticators.push(authenticator);
    }

    let mut coverage = Coverage::new(&policy);
    let mut results: Vec<Ran> = Vec::new();
    let mut filtered = 0usize;
    for ((suite, shown, file), authenticator) in files.iter().zip(&authenticators) {
        for test in &file.tests {
            let name = format!("{suite}::{}", test.name);
            if args
                .filter
                .as_ref()
                .is_some_and(|f| !name.contains(f.as_str()))
            {
                filtered += 1;
                continue;
            }
            let mut refused = None;
            let result = match authenticator {
                Some(authenticator) if test.request.principal.is_none() => {
                    match authenticated(authenticator, test) {
                        Ok(test) => testing::run(&policy, file, &test),
                        Err(refusal) => {
                            refused = Some(format!(
                                "401 {}: scheme `{}` refused the credential: {}",
                                refusal.reason.as_str(),
                                refusal.scheme,
                                refusal.reason.description()
                            ));
                            testing::run_refused(&policy, test, refusal.reason.as_str())
                        }
                    }
                }
                _ => testing::run(&policy, file, test),
            };
            coverage.record(&result);
            results.push(Ran {
                name,
                file: shown.clone(),
                result,
                refused,
            });
        }
    }
    let failed = results.iter().filter(|r| !r.result.passed()).count();
    let report = args.coverage.then(|| coverage.report());
    let text = match args.format {
        ReportFormat::Human => human(&results, files.len(), filtered, report.as_ref(), style),
        ReportFormat::Json => json(&results, filtered, report),
    };
    let exit = super::emit(&text);
    if exit != Exit::Ok {
        return exit;
    }
    if failed > 0 {
        Exit::Findings
    } else {
        Exit::Ok
    }
}

/// The authenticator for a test file's `credentials` (paths relative to
/// the file).
fn authenticator(
    policy: &gatehouse::PolicySet,
    files: &testing::CredentialFiles,
    test_file: &Path,
) -> Result<Authenticator, String> {
    let dir = test_file.parent().unwrap_or(Path::new(""));
    let secret = crate::args::ServerSecretArg {
        secret_file: files.key_secret_file.as_ref().map(|f| dir.join(f)),
    };
    crate::credentials::authenticator(
        policy,
        files
            .jwks
            .iter()
            .map(|(scheme, file)| (scheme.as_str(), dir.join(file))),
        files
            .key_store
            .as_ref()
            .map(|store| dir.join(store))
            .as_deref(),
        &secret,
    )
}

/// The test with the principal its request's credentials authenticate
/// (unchanged when it carries none), or the refusal.
fn authenticated(authenticator: &Authenticator, test: &PolicyTest) -> Result<PolicyTest, Refusal> {
    let headers = test.request.headers.pairs();
    let time_ms = test.request.time_ms.unwrap_or(testing::TEST_TIME_MS);
    let request = crate::credentials::request(&test.request, &headers);
    let principal = authenticator.authenticate(&request, time_ms / 1000)?;
    let mut test = test.clone();
    test.request.principal = principal.map(|p| (*p).clone());
    Ok(test)
}

struct Ran {
    name: String,
    file: String,
    result: TestResult,
    /// The request's credential was refused before any decision: why.
    refused: Option<String>,
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `policies/petstore.test.json` -> `petstore`.
fn suite_name(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    name.strip_suffix(SUFFIX).unwrap_or(&name).to_string()
}

fn is_test_file(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().ends_with(SUFFIX))
}

/// The policy files to load and the test files to run.
fn discover(paths: &[PathBuf]) -> Result<(Vec<PathBuf>, Vec<PathBuf>), String> {
    let mut gates = Vec::new();
    let mut tests = Vec::new();
    for path in paths {
        if path.is_dir() {
            gates.push(path.clone());
            collect_tests(path, &mut tests)?;
        } else if is_test_file(path) {
            if !path.exists() {
                return Err(format!("{}: no such file", path.display()));
            }
            let gate = path.with_file_name(format!("{}.gate", suite_name(path)));
            if !gate.exists() {
                return Err(format!(
                    "{}: no policy `{}` beside it; name the policy files to test it against",
                    path.display(),
                    gate.display()
                ));
            }
            gates.push(gate);
            tests.push(path.clone());
        } else {
            gates.push(path.clone());
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default();
            let beside = path.with_file_name(format!("{stem}{SUFFIX}"));
            if beside.exists() {
                tests.push(beside);
            }
        }
    }
    // A directory and a file inside it load the file once.
    let mut files = load::policy_files(&gates)?;
    let mut seen = std::collections::BTreeSet::new();
    files.retain(|f| seen.insert(f.canonicalize().unwrap_or_else(|_| f.clone())));
    let mut seen = std::collections::BTreeSet::new();
    tests.retain(|f| seen.insert(f.canonicalize().unwrap_or_else(|_| f.clone())));
    if tests.is_empty() {
        return Err(format!(
            "no test files found: a policy's tests go beside it, as `NAME{SUFFIX}` for `NAME.gate`"
        ));
    }
    Ok((files, tests))
}

fn collect_tests(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            collect_tests(&path, out)?;
        } else if is_test_file(&path) {
            out.push(path);
        }
    }
    Ok(())
}

fn human(
    results: &[Ran],
    files: usize,
    filtered: usize,
    coverage: Option<&CoverageReport>,
    style: Style,
) -> String {
    let mut out = format!(
        "\nrunning {} test{} from {files} file{}\n",
        results.len(),
        plural(results.len()),
        plural(files)
    );
    for r in results {
        let verdict = if r.result.passed() {
            style.paint("32", "ok")
        } else {
            style.paint("31", "FAILED")
        };
        out.push_str(&format!("test {} ... {verdict}\n", r.name));
    }
    let failures: Vec<&Ran> = results.iter().filter(|r| !r.result.passed()).collect();
    if !failures.is_empty() {
        out.push_str("\nfailures:\n");
        for r in &failures {
            out.push_str(&format!("\n---- {} ({}) ----\n", r.name, r.file));
            out.push_str(&failure(r));
        }
        out.push_str("\nfailures:\n");
        for r in &failures {
            out.push_str(&format!("    {}\n", r.name));
        }
    }
    let passed = results.len() - failures.len();
    let verdict = if failures.is_empty() {
        style.paint("32", "ok")
    } else {
        style.paint("31", "FAILED")
    };
    out.push_str(&format!(
        "\ntest result: {verdict}. {passed} passed; {} failed; {filtered} filtered out\n",
        failures.len()
    ));
    if let Some(report) = coverage {
        out.push_str(&coverage_human(report, style));
    }
    out
}

/// What a failed test expected and got, and where the evaluation stopped.
fn failure(r: &Ran) -> String {
    let mut out = String::new();
    let width = r
        .result
        .mismatches
        .iter()
        .map(|m| m.field.len())
        .max()
        .unwrap_or(0)
        + 1;
    for Mismatch {
        field,
        expected,
        actual,
    } in &r.result.mismatches
    {
        out.push_str(&format!(
            "  {:<width$}  expected {expected}\n  {:<width$}       got {actual}\n",
            format!("{field}:"),
            ""
        ));
    }
    if let Some(refused) = &r.refused {
        out.push_str(&format!("  refused:  deny {refused}\n"));
        return out;
    }
    let trace = &r.result.trace;
    let decision = &trace.decision;
    out.push_str(&format!(
        "  decided:  {} {} {}: {}\n",
        decision.decision,
        decision.status,
        decision.reason.as_str(),
        decision.message
    ));
    if let Some(step) = trace.steps.iter().find(|s| s.deciding) {
        if let Some(rule) = &step.rule {
            out.push_str(&format!("  by:       {}  {}\n", rule.short(), rule.text));
        }
    }
    for finding in trace
        .steps
        .iter()
        .filter(|s| s.outcome == Outcome::WouldFail)
    {
        if let Some(rule) = &finding.rule {
            out.push_str(&format!(
                "  shadow:   {}  {}  ({})\n",
                rule.short(),
                rule.text,
                finding.summary
            ));
        }
    }
    for (i, hint) in trace.to_pass.iter().enumerate() {
        let label = if i == 0 { "to pass:" } else { "     or:" };
        out.push_str(&format!("  {label}  {hint}\n"));
    }
    out
}

fn coverage_human(report: &CoverageReport, style: Style) -> String {
    let mut out = format!(
        "\n{} {}/{} endpoints ({}%), {}/{} rules ({}%)\n",
        style.paint("1", "coverage:"),
        report.endpoints.covered,
        report.endpoints.total,
        report.endpoints.percent(),
        report.rules.covered,
        report.rules.total,
        report.rules.percent()
    );
    let section = |title: &str, items: &[testing::Uncovered], out: &mut String| {
        if items.is_empty() {
            return;
        }
        out.push_str(&format!("\n{title} ({}):\n", items.len()));
        for item in items {
            let more = if item.more > 0 {
                format!(" and {} more", item.more)
            } else {
                String::new()
            };
            if item.kind == "endpoint" {
                out.push_str(&format!("  {}  {}\n", item.location.short(), item.endpoint));
            } else {
                out.push_str(&format!(
                    "  {}  {}  (in {}{more})\n",
                    item.location.short(),
                    item.location.text,
                    item.endpoint
                ));
            }
        }
    };
    section(
        "endpoints no test reached",
        &report.uncovered_endpoints,
        &mut out,
    );
    section("rules no test evaluated", &report.uncovered_rules, &mut out);
    section("rules no test saw deny", &report.never_denied, &mut out);
    out
}

#[derive(Serialize)]
struct JsonResults<'a> {
    schema: &'static str,
    passed: usize,
    failed: usize,
    filtered: usize,
    tests: Vec<JsonTest<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    coverage: Option<CoverageReport>,
}

#[derive(Serialize)]
struct JsonTest<'a> {
    name: &'a str,
    file: &'a str,
    passed: bool,
    decision: &'static str,
    status: u16,
    reason: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    endpoint: Option<String>,
    #[serde(skip_serializing_if = "<[Mismatch]>::is_empty")]
    mismatches: &'a [Mismatch],
}

fn json(results: &[Ran], filtered: usize, coverage: Option<CoverageReport>) -> String {
    let failed = results.iter().filter(|r| !r.result.passed()).count();
    let doc = JsonResults {
        schema: RESULTS_SCHEMA,
        passed: results.len() - failed,
        failed,
        filtered,
        tests: results
            .iter()
            .map(|r| {
                let d = &r.result.trace.decision;
                JsonTest {
                    name: &r.name,
                    file: &r.file,
                    passed: r.result.passed(),
                    decision: d.decision,
                    status: d.status,
                    reason: d.reason.as_str(),
                    endpoint: d
                        .endpoint
                        .as_ref()
                        .map(|e| format!("{} {}", e.method, e.path)),
                    mismatches: &r.result.mismatches,
                }
            })
            .collect(),
        coverage,
    };
    format!(
        "{}\n",
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    )
}
