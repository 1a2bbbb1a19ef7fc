//! The linter: the policy mistakes that leak data or lock people out,
//! beyond what the checker must reject.
//!
//! [`lint`] parses and checks a policy set (errors stop there and are
//! returned as diagnostics), then walks the checked model once
//! (`checker`), calling each enabled rule of the [`registry`] at its
//! dispatch point. Rules live one per file in `rules/`; each file's doc
//! comment is the rule's documentation ([`Rule::doc`]).
//!
//! A finding is a [`Diagnostic`], like the checker's, whose code is its
//! rule's ([`Rule::code`], `GH-L…`); when it is about an endpoint it says
//! which ([`Diagnostic::endpoint`]).
//!
//! A finding is allowed for one endpoint (or one top-level item) with a
//! comment directive and a written reason ([`directives`]):
//!
//! ```text
//! # gatehouse: allow GH-L008 -- git refs contain slashes (`heads/feature/x`)
//! endpoint PATCH /repos/{owner}/{repo}/git/refs/** { ... }
//! ```
//!
//! The result also measures how well the endpoints are secured
//! ([`Coverage`]). [`report`] renders it as versioned JSON and as SARIF
//! 2.1.0; [`Diagnostic::report`] renders one finding through miette.

mod checker;
pub mod directives;
pub mod registry;
pub mod report;
mod rules;

use serde::Serialize;

pub use registry::Rule;

use crate::diag::{Diagnostic, Diagnostics};
use crate::span::{Sources, Span};

/// Which rules run.
#[derive(Clone, Debug, Default)]
pub struct LintOptions {
    /// Rules not to run at all.
    pub disabled: Vec<Rule>,
}

impl LintOptions {
    pub fn enabled(&self, rule: Rule) -> bool {
        !self.disabled.contains(&rule)
    }
}

/// A finding that an allow directive covers, with the directive's reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Allowed {
    pub finding: Diagnostic,
    pub reason: String,
    /// The directive comment.
    pub directive: Span,
}

/// How well one API's endpoints are secured. Shadow endpoints never
/// decide a request, so they are counted apart and not in the shares.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Coverage {
    pub api: String,
    /// Enforced (not shadow) endpoints.
    pub endpoints: usize,
    pub shadow: usize,
    /// Need a principal (`authenticate`).
    pub authenticated: usize,
    /// Need at least one scope (an enforced `require`).
    pub scoped: usize,
    /// Have at least one enforced quota.
    pub quota: usize,
    /// Accept a write method (`POST`, `PUT`, `PATCH`, `DELETE` or `*`).
    pub writes: usize,
    /// Of those, the ones with an enforced `body max`.
    pub body_limited: usize,
    /// Authenticated, scoped, with a quota, and body-limited if they accept writes.
    pub secured: usize,
}

impl Coverage {
    /// The sum over several APIs, named `api`.
    pub fn total<'a>(api: &str, all: impl IntoIterator<Item = &'a Coverage>) -> Coverage {
        let mut total = Coverage {
            api: api.to_string(),
            ..Coverage::default()
        };
        for c in all {
            total.endpoints += c.endpoints;
            total.shadow += c.shadow;
            total.authenticated += c.authenticated;
            total.scoped += c.scoped;
            total.quota += c.quota;
            total.writes += c.writes;
            total.body_limited += c.body_limited;
            total.secured += c.secured;
        }
        total
    }
}

/// What [`lint`] found.
#[derive(Clone, Debug, Default)]
pub struct LintResult {
    /// Parse and check diagnostics. With errors among them, the policy was
    /// not linted.
    pub diagnostics: Diagnostics,
    /// Findings, sorted by file and position.
    pub findings: Vec<Diagnostic>,
    /// Findings covered by an allow directive.
    pub allowed: Vec<Allowed>,
    /// One entry per API, in file order; empty when checking failed.
    pub coverage: Vec<Coverage>,
}

impl LintResult {
    /// Whether the policy had errors, so that lint rules did not run.
    pub fn check_failed(&self) -> bool {
        self.diagnostics.has_errors()
    }

    pub fn errors(&self) -> usize {
        self.diagnostics.errors().count() + self.findings.iter().filter(|f| f.is_error()).count()
    }

    pub fn warnings(&self) -> usize {
        self.diagnostics.warnings().count() + self.findings.iter().filter(|f| !f.is_error()).count()
    }
}

/// Parses, checks and lints a policy set.
pub fn lint(sources: &Sources, options: &LintOptions) -> LintResult {
    let (files, model, diagnostics) = gatehouse_core::parse_and_check(sources);
    if diagnostics.has_errors() {
        return LintResult {
            diagnostics,
            ..LintResult::default()
        };
    }
    let (raw, coverage) = checker::run(&files, &model, options);
    let (mut findings, mut allowed) = directives::apply(sources, &files, raw, options);
    // Unstable sorts (smaller code) on a key that leaves only identical
    // findings tied.
    findings.sort_unstable_by(|a, b| order(a).cmp(&order(b)));
    allowed.sort_unstable_by(|a, b| order(&a.finding).cmp(&order(&b.finding)));
    LintResult {
        diagnostics,
        findings,
        allowed,
        coverage,
    }
}

fn order(f: &Diagnostic) -> (crate::span::FileId, u32, &'static str, u32, &str) {
    (
        f.span.file,
        f.span.start,
        f.code.as_str(),
        f.span.end,
        &f.message,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The prelude of the language reference's examples (its first `gate`
    /// block): an example that does not start with `api` is linted after it.
    const PRELUDE: &str = r#"api "petstore" version "1.4"
base /v1

auth user    = jwt(issuer: "https://id.example.com", audience: "petstore")
auth key     = api_key(header: "X-API-Key")
auth service = mtls(subject: "*.internal.example.com")

scopes {
  pets:read   "Read pets"
  pets:write  "Create and change pets"
  users:read  "Read user profiles"
  admin       "Administer the store"
}
"#;

    fn gate_blocks(text: &str) -> Vec<String> {
        text.split("```gate\n")
            .skip(1)
            .filter_map(|b| b.split("```").next())
            .map(str::to_string)
            .collect()
    }

    fn rules_found(example: &str) -> Vec<Rule> {
        let text = if example.starts_with("api ") {
            example.to_string()
        } else {
            format!("{PRELUDE}\n{example}")
        };
        let mut sources = Sources::new();
        sources.add("example.gate", text);
        let result = lint(&sources, &LintOptions::default());
        // The reference checks its examples too: they must check clean.
        assert!(
            result.diagnostics.is_empty(),
            "the example does not check clean:\n{example}\n{:?}",
            result.diagnostics
        );
        result
            .findings
            .iter()
            .filter_map(|f| Rule::from_code(f.code))
            .collect()
    }

    /// Each rule's bad example produces its finding; its good example does not.
    #[test]
    fn every_rule_example_behaves_as_documented() {
        for rule in Rule::ALL {
            let doc = rule.doc();
            let example = doc.split("## Example").nth(1).unwrap_or("");
            let (bad, good) = example.split_once("Use instead:").unwrap_or(("", ""));
            for block in gate_blocks(bad) {
                assert!(
                    rules_found(&block).contains(rule),
                    "{}: the bad example gives no finding:\n{block}",
                    rule.code()
                );
            }
            for block in gate_blocks(good) {
                let found = rules_found(&block);
                assert!(
                    !found.contains(rule),
                    "{}: the good example still gives the finding:\n{block}",
                    rule.code()
                );
            }
        }
    }

    #[test]
    fn disabled_rules_do_not_run() {
        let mut sources = Sources::new();
        sources.add(
            "a.gate",
            format!("{PRELUDE}\nendpoint GET /x {{\n  public\n}}\n"),
        );
        let all = lint(&sources, &LintOptions::default());
        assert!(all
            .findings
            .iter()
            .any(|f| f.code == Rule::PublicWithoutQuota.code()));
        let options = LintOptions {
            disabled: vec![Rule::PublicWithoutQuota],
        };
        assert!(!lint(&sources, &options)
            .findings
            .iter()
            .any(|f| f.code == Rule::PublicWithoutQuota.code()));
    }

    #[test]
    fn a_policy_with_errors_is_not_linted() {
        let mut sources = Sources::new();
        sources.add(
            "a.gate",
            "api \"a\"\nendpoint GET /x {\n  require nope\n}\n",
        );
        let result = lint(&sources, &LintOptions::default());
        assert!(result.check_failed());
        assert!(result.findings.is_empty() && result.coverage.is_empty());
    }
}
