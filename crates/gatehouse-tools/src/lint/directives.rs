//! Allow directives: how a finding is accepted for one endpoint, with a
//! written reason.
//!
//! ```text
//! # gatehouse: allow GH-L008 -- git refs contain slashes (`heads/feature/x`)
//! endpoint PATCH /repos/{owner}/{repo}/git/refs/** { ... }
//! ```
//!
//! A directive is a comment, so it changes nothing the evaluator sees and
//! `gatehouse fmt` keeps it with the item it belongs to. Its form is
//! `# gatehouse: allow RULE[, RULE...] -- REASON`, each `RULE` a code
//! (`GH-L008`) or a name (`unrestricted-wildcard-write`). It attaches to a
//! top-level item the way the formatter attaches comments:
//!
//! - inside the item's span (anywhere in an endpoint's block) → that item;
//! - at the end of a line of code after an item → the item it trails;
//! - on its own line(s) before an item → the item it precedes.
//!
//! It allows the findings of those rules located inside the item, and, for
//! an endpoint, the findings about it (even when they point at a rule it
//! inherits from `defaults`). A finding about a rule of `defaults` itself is
//! reported once, located in `defaults`, and allowed there.
//!
//! A directive without a reason is `GH-L017` (it still allows), a malformed
//! one `GH-L018`, and a rule that it allows but that has no finding there
//! `GH-L019`.

use super::rules::{allow_without_reason, invalid_allow, unused_allow};
use super::{Allowed, LintOptions, Rule};
use crate::diag::{did_you_mean, Diagnostic};
use crate::span::{FileId, Sources, Span};
use crate::syntax::ast::PolicyAst;
use crate::syntax::comments::{comments, Comment};

/// The prefix that makes a comment a directive.
pub const PREFIX: &str = "gatehouse:";

/// A parsed allow directive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    /// The comment.
    pub span: Span,
    pub rules: Vec<Rule>,
    /// The text after ` -- `, trimmed; `None` when missing or empty.
    pub reason: Option<String>,
    /// The top-level item it is attached to.
    pub target: Option<Span>,
}

impl Directive {
    fn covers(&self, finding: &Diagnostic) -> bool {
        let Some(target) = self.target else {
            return false;
        };
        let inside = |span: Span| {
            span.file == target.file
                && target.start <= span.start
                && span.start < target.end.max(target.start + 1)
        };
        self.rules.iter().any(|rule| rule.code() == finding.code)
            && (inside(finding.span)
                || finding
                    .endpoint
                    .as_ref()
                    .is_some_and(|(span, _)| inside(*span)))
    }
}

/// Why a `# gatehouse:` comment is not a directive.
struct Invalid {
    message: String,
    help: String,
}

/// Reads the directives of every file; malformed ones become findings.
pub(crate) fn directives(
    sources: &Sources,
    files: &[(FileId, PolicyAst)],
) -> (Vec<Directive>, Vec<Diagnostic>) {
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for (file, ast) in files {
        let Some(source) = sources.get(*file) else {
            continue;
        };
        for comment in comments(&source.text) {
            let span = Span::new(*file, comment.start, comment.end);
            match parse(&comment.text) {
                None => {}
                Some(Err(invalid)) => {
                    problems.push(invalid_allow::finding(span, invalid.message, invalid.help))
                }
                Some(Ok((rules, reason, invalid))) => {
                    if let Some(invalid) = invalid {
                        problems.push(invalid_allow::finding(span, invalid.message, invalid.help));
                    }
                    if !rules.is_empty() {
                        found.push(Directive {
                            span,
                            rules,
                            reason,
                            target: attach(*file, ast, &comment),
                        });
                    }
                }
            }
        }
    }
    (found, problems)
}

/// Splits findings into the ones still reported and the allowed ones, and
/// adds the findings about the directives themselves.
pub(crate) fn apply(
    sources: &Sources,
    files: &[(FileId, PolicyAst)],
    raw: Vec<Diagnostic>,
    options: &LintOptions,
) -> (Vec<Diagnostic>, Vec<Allowed>) {
    let (directives, problems) = directives(sources, files);
    let mut used: Vec<Vec<bool>> = directives
        .iter()
        .map(|d| vec![false; d.rules.len()])
        .collect();
    let mut findings = Vec::new();
    let mut allowed = Vec::new();
    for finding in raw {
        let by = directives.iter().position(|d| d.covers(&finding));
        match by.and_then(|i| directives.get(i).map(|d| (i, d))) {
            Some((i, directive)) => {
                if let Some(slot) = used.get_mut(i).and_then(|u| {
                    directive
                        .rules
                        .iter()
                        .position(|r| r.code() == finding.code)
                        .and_then(|p| u.get_mut(p))
                }) {
                    *slot = true;
                }
                allowed.push(Allowed {
                    finding,
                    reason: directive.reason.clone().unwrap_or_default(),
                    directive: directive.span,
                });
            }
            None => findings.push(finding),
        }
    }
    findings.extend(
        problems
            .into_iter()
            .filter(|problem| Rule::from_code(problem.code).is_some_and(|r| options.enabled(r))),
    );
    for (directive, used) in directives.iter().zip(&used) {
        if directive.reason.is_none() && options.enabled(Rule::AllowWithoutReason) {
            let names: Vec<&str> = directive.rules.iter().map(|r| r.code().as_str()).collect();
            findings.push(allow_without_reason::finding(
                directive.span,
                &names.join(", "),
            ));
        }
        for (rule, used) in directive.rules.iter().zip(used) {
            if !used && options.enabled(*rule) && options.enabled(Rule::UnusedAllow) {
                findings.push(unused_allow::finding(
                    directive.span,
                    *rule,
                    directive.target.is_some(),
                ));
            }
        }
    }
    (findings, allowed)
}

/// `None`: not a directive. `Some(Err)`: a directive that allows nothing.
/// `Some(Ok)`: the rules it allows, its reason, and a problem with part of
/// it (an unknown rule next to known ones).
#[allow(clippy::type_complexity)]
fn parse(comment: &str) -> Option<Result<(Vec<Rule>, Option<String>, Option<Invalid>), Invalid>> {
    let body = comment.strip_prefix('#')?.trim_start();
    let rest = body.strip_prefix(PREFIX)?.trim();
    let (spec, reason) = match rest.split_once("--") {
        Some((spec, reason)) => (
            spec.trim(),
            Some(reason.trim())
                .filter(|r| !r.is_empty())
                .map(str::to_string),
        ),
        None => (rest, None),
    };
    let mut words = spec
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty());
    let usage = "write `# gatehouse: allow RULE -- REASON`, with RULE a lint code (`GH-L001`) or name (`public-without-quota`)";
    match words.next() {
        Some("allow") => {}
        Some(other) => {
            return Some(Err(Invalid {
                message: format!("unknown directive `{PREFIX} {other}`"),
                help: format!("the only directive is `allow`: {usage}"),
            }))
        }
        None => {
            return Some(Err(Invalid {
                message: "empty `gatehouse:` directive".into(),
                help: usage.into(),
            }))
        }
    }
    let mut rules = Vec::new();
    let mut invalid = None;
    let mut any = false;
    for word in words {
        any = true;
        match Rule::find(word) {
            Some(rule) if rule.is_directive_rule() => {
                invalid.get_or_insert(Invalid {
                    message: format!("`{}` ({}) cannot be allowed", rule.code(), rule.name()),
                    help: "fix the directive instead".into(),
                });
            }
            Some(rule) => rules.push(rule),
            None => {
                let upper = word.to_ascii_uppercase();
                let help = if upper.starts_with("GH-E") || upper.starts_with("GH-W") {
                    "checker diagnostics (`GH-E...`, `GH-W...`) cannot be allowed; fix the policy"
                        .to_string()
                } else {
                    let names = Rule::ALL
                        .iter()
                        .map(|r| r.name())
                        .chain(Rule::ALL.iter().map(|r| r.code().as_str()));
                    match did_you_mean(word, names) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => "`gatehouse lint --list-rules` lists the rules".to_string(),
                    }
                };
                invalid.get_or_insert(Invalid {
                    message: format!("`{word}` is not a lint rule"),
                    help,
                });
            }
        }
    }
    if !any {
        return Some(Err(Invalid {
            message: "`allow` names no rule".into(),
            help: usage.into(),
        }));
    }
    if rules.is_empty() {
        return invalid.map(Err);
    }
    Some(Ok((rules, reason, invalid)))
}

/// The top-level item a comment belongs to (see the module docs).
fn attach(file: FileId, ast: &PolicyAst, comment: &Comment) -> Option<Span> {
    let at = u32::try_from(comment.start).unwrap_or(u32::MAX);
    let items = &ast.items;
    let found = items
        .iter()
        .find(|i| i.span.start <= at && at < i.span.end)
        .or_else(|| {
            if comment.own_line {
                None
            } else {
                items.iter().rev().find(|i| i.span.end <= at)
            }
        })
        .or_else(|| items.iter().find(|i| i.span.start > at));
    found.map(|i| Span { file, ..i.span })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_directives() {
        let (rules, reason, invalid) =
            parse("# gatehouse: allow GH-L001, shadow-endpoint -- a reason")
                .unwrap()
                .ok()
                .unwrap();
        assert_eq!(rules, [Rule::PublicWithoutQuota, Rule::ShadowEndpoint]);
        assert_eq!(reason.as_deref(), Some("a reason"));
        assert!(invalid.is_none());
        let (_, reason, _) = parse("#gatehouse: allow gh-l001").unwrap().ok().unwrap();
        assert_eq!(reason, None);
        assert!(parse("# a comment about gatehouse: allow").is_none());
        assert!(parse("# gatehouse: alow GH-L001 -- x").unwrap().is_err());
        assert!(parse("# gatehouse: allow -- x").unwrap().is_err());
        assert!(parse("# gatehouse: allow GH-E0202 -- x").unwrap().is_err());
        assert!(parse("# gatehouse: allow unused-allow -- x")
            .unwrap()
            .is_err());
        let (rules, _, invalid) = parse("# gatehouse: allow GH-L001 GH-L999 -- x")
            .unwrap()
            .ok()
            .unwrap();
        assert_eq!(rules, [Rule::PublicWithoutQuota]);
        assert!(invalid.is_some());
    }

    /// Above an item, inside it, trailing its last line: as the formatter
    /// attaches comments.
    #[test]
    fn attaches_like_the_formatter() {
        let text = "api \"a\"\n# gatehouse: allow GH-L001 -- above b\n\nendpoint GET /b {\n  public  # gatehouse: allow GH-L016 -- inside b\n}  # gatehouse: allow GH-L003 -- trailing b\nendpoint GET /c {\n  public\n}\n# gatehouse: allow GH-L014 -- after everything\n";
        let (ast, _) = crate::syntax::parse(FileId(0), text);
        let ast = ast.unwrap();
        let b = ast.items[1].span;
        let targets: Vec<Option<Span>> = comments(text)
            .iter()
            .map(|c| attach(FileId(0), &ast, c))
            .collect();
        assert_eq!(targets, [Some(b), Some(b), Some(b), None]);
    }
}
