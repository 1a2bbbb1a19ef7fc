//! Machine-readable forms of a [`LintResult`]: a versioned JSON document
//! and a SARIF 2.1.0 log.
//!
//! Both are stable: fields are only ever added, and a change that is not an
//! addition bumps [`JSON_VERSION`]. The SARIF log follows the OASIS SARIF
//! 2.1.0 standard as GitHub code scanning reads it: one run, the metadata
//! of every code in `tool.driver.rules` (for a lint rule: code, name,
//! summary, documentation, default level; the lint rules come first, then
//! the checker's codes), and one result per finding with its file, line and
//! column (columns count Unicode characters: `columnKind` is
//! `unicodeCodePoints`). Allowed findings are included with an in-source
//! suppression that carries the reason.

use serde_json::{json, Value};

use super::{Coverage, LintResult, Rule};
use crate::diag::{Code, Diagnostic, DiagnosticJson, Severity};
use crate::span::{Sources, Span};

/// The version of the JSON document (`"version"`).
pub const JSON_VERSION: u32 = 1;

/// Where the SARIF 2.1.0 JSON schema lives.
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// `gatehouse lint --format json`:
///
/// ```text
/// {"version": 1, "files": 4, "checked": true, "errors": 0, "warnings": 1, "allowed": 3,
///  "diagnostics": [...], "findings": [...], "allowed_findings": [...],
///  "coverage": {"total": {...}, "apis": [...]}}
/// ```
///
/// `diagnostics` are the checker's (as `gatehouse check --format json`
/// prints them); `findings` the lint rules', each also with its `rule`
/// name; each allowed finding carries `reason` and the `directive`'s
/// location.
pub fn to_json(result: &LintResult, sources: &Sources, files: usize) -> Value {
    let allowed: Vec<Value> = result
        .allowed
        .iter()
        .map(|a| {
            let mut value =
                serde_json::to_value(finding_json(&a.finding, sources)).unwrap_or_default();
            if let Some(map) = value.as_object_mut() {
                map.insert("reason".into(), Value::String(a.reason.clone()));
                map.insert(
                    "directive".into(),
                    serde_json::to_value(sources.locate(a.directive)).unwrap_or_default(),
                );
            }
            value
        })
        .collect();
    json!({
        "version": JSON_VERSION,
        "files": files,
        "checked": !result.check_failed(),
        "errors": result.errors(),
        "warnings": result.warnings(),
        "allowed": result.allowed.len(),
        "diagnostics": result.diagnostics.iter().map(|d| d.to_json(sources)).collect::<Vec<_>>(),
        "findings": result.findings.iter().map(|f| finding_json(f, sources)).collect::<Vec<_>>(),
        "allowed_findings": allowed,
        "coverage": {
            "total": Coverage::total("all", &result.coverage),
            "apis": result.coverage,
        },
    })
}

/// A lint finding's JSON: a diagnostic's, with the name of its rule.
fn finding_json(finding: &Diagnostic, sources: &Sources) -> DiagnosticJson {
    DiagnosticJson {
        rule: Rule::from_code(finding.code).map(Rule::name),
        ..finding.to_json(sources)
    }
}

/// `gatehouse lint --format sarif`: a SARIF 2.1.0 log.
pub fn to_sarif(result: &LintResult, sources: &Sources) -> Value {
    // Every code once, the lint rules' first (in rule order), then the
    // checker's; a result's `ruleIndex` is its code's place here.
    let codes: Vec<Code> = Rule::ALL
        .iter()
        .map(|r| r.code())
        .chain(Code::ALL.iter().copied().filter(|c| !c.is_lint()))
        .collect();
    let rules: Vec<Value> = codes
        .iter()
        .map(|c| match Rule::from_code(*c) {
            Some(rule) => lint_rule(rule),
            None => check_rule(*c),
        })
        .collect();
    let index = |code: Code| codes.iter().position(|c| *c == code).unwrap_or(0);

    let mut results: Vec<Value> = result
        .diagnostics
        .iter()
        .chain(&result.findings)
        .map(|d| sarif_result(d, index(d.code), sources))
        .collect();
    for a in &result.allowed {
        let mut value = sarif_result(&a.finding, index(a.finding.code), sources);
        if let Some(map) = value.as_object_mut() {
            let mut suppression = json!({
                "kind": "inSource",
                "status": "accepted",
                "location": location(a.directive, sources),
            });
            // A directive without a reason is reported (GH-L017); it still allows.
            if let (Some(s), false) = (suppression.as_object_mut(), a.reason.is_empty()) {
                s.insert("justification".into(), Value::String(a.reason.clone()));
            }
            map.insert("suppressions".into(), json!([suppression]));
        }
        results.push(value);
    }
    json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "gatehouse",
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://github.com/gatehouse/gatehouse",
                    "rules": rules,
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn lint_rule(rule: Rule) -> Value {
    let doc = rule.doc();
    let code = rule.code();
    json!({
        "id": code.as_str(),
        "name": rule.name(),
        "shortDescription": { "text": code.summary() },
        "fullDescription": { "text": what_it_does(&doc) },
        "help": { "text": doc, "markdown": doc },
        "defaultConfiguration": { "level": level(code.severity()) },
        "properties": { "tags": ["security", "gatehouse-lint"] },
    })
}

fn check_rule(code: Code) -> Value {
    json!({
        "id": code.as_str(),
        "shortDescription": { "text": code.summary() },
        "defaultConfiguration": { "level": level(code.severity()) },
        "properties": { "tags": ["gatehouse-check"] },
    })
}

/// The text of a rule doc's `## What it does` section, on one line.
fn what_it_does(doc: &str) -> String {
    let section = doc.split("## What it does").nth(1).unwrap_or("");
    let section = section.split("\n## ").next().unwrap_or("");
    section.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn message(message: &str, help: Option<&String>) -> Value {
    match help {
        Some(help) => json!({ "text": format!("{message}\nhelp: {help}") }),
        None => json!({ "text": message }),
    }
}

fn location(span: Span, sources: &Sources) -> Value {
    let at = sources.locate(span);
    json!({
        "physicalLocation": {
            "artifactLocation": { "uri": at.file, "uriBaseId": "%SRCROOT%" },
            "region": {
                "startLine": at.line.max(1),
                "startColumn": at.column.max(1),
                "endLine": at.end_line.max(at.line).max(1),
                "endColumn": at.end_column.max(1),
            }
        }
    })
}

fn related(spans: &[(Span, String)], sources: &Sources) -> Vec<Value> {
    spans
        .iter()
        .enumerate()
        .map(|(i, (span, label))| {
            let mut value = location(*span, sources);
            if let Some(map) = value.as_object_mut() {
                map.insert("id".into(), json!(i + 1));
                map.insert("message".into(), json!({ "text": label }));
            }
            value
        })
        .collect()
}

fn sarif_result(d: &Diagnostic, index: usize, sources: &Sources) -> Value {
    json!({
        "ruleId": d.code.as_str(),
        "ruleIndex": index,
        "level": level(d.severity()),
        "message": message(&d.message, d.help.as_ref()),
        "locations": [location(d.span, sources)],
        "relatedLocations": related(&d.related, sources),
    })
}
