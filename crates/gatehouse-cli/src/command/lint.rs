//! `gatehouse lint`: check, then run the lint rules (see `gatehouse::lint`).

use gatehouse::Sources;
use gatehouse_tools::lint::{self, Coverage, LintOptions, LintResult, Rule};

use super::emit;
use crate::args::{DenyLevel, LintArgs, LintFormat};
use crate::exit::Exit;
use crate::load;
use crate::render::{self, Style};

pub fn run(args: &LintArgs, style: Style) -> Exit {
    if let Some(rule) = &args.explain {
        return explain(rule);
    }
    if args.list_rules {
        return emit(&list_rules());
    }
    let (files, sources) = match load::policy_files(&args.paths)
        .and_then(|f| load::read_sources(&f).map(|s| (f, s)))
    {
        Ok(found) => found,
        Err(message) => {
            eprintln!("error: {message}");
            return Exit::Usage;
        }
    };
    let result = lint::lint(&sources, &LintOptions::default());
    let deny_warnings = args.deny == Some(DenyLevel::Warnings);
    let out = match args.format {
        LintFormat::Json => {
            let doc = lint::report::to_json(&result, &sources, files.len());
            format!(
                "{}\n",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            )
        }
        LintFormat::Sarif => {
            let log = lint::report::to_sarif(&result, &sources);
            format!(
                "{}\n",
                serde_json::to_string_pretty(&log).unwrap_or_default()
            )
        }
        LintFormat::Human => human(&result, &sources, files.len(), deny_warnings, style),
    };
    if emit(&out) == Exit::Usage {
        Exit::Usage
    } else if result.errors() > 0 || (deny_warnings && result.warnings() > 0) {
        Exit::Findings
    } else {
        Exit::Ok
    }
}

fn explain(rule: &str) -> Exit {
    match Rule::find(rule) {
        Some(rule) => emit(&rule.doc()),
        None => {
            let names = Rule::ALL
                .iter()
                .map(|r| r.name())
                .chain(Rule::ALL.iter().map(|r| r.code().as_str()));
            match gatehouse_tools::diagnostics::did_you_mean(rule, names) {
                Some(s) => eprintln!("error: `{rule}` is not a lint rule; did you mean `{s}`?"),
                None => eprintln!(
                    "error: `{rule}` is not a lint rule; `gatehouse lint --list-rules` lists them"
                ),
            }
            Exit::Usage
        }
    }
}

fn list_rules() -> String {
    let width = Rule::ALL.iter().map(|r| r.name().len()).max().unwrap_or(0);
    let mut out = String::new();
    for rule in Rule::ALL {
        let code = rule.code();
        out.push_str(&format!(
            "{code}  {:<7}  {:<width$}  {}\n",
            code.severity().as_str(),
            rule.name(),
            code.summary()
        ));
    }
    out
}

/// Diagnostics and findings with source excerpts, then the summary.
fn human(
    result: &LintResult,
    sources: &Sources,
    files: usize,
    deny_warnings: bool,
    style: Style,
) -> String {
    let mut out = render::diagnostics_human(&result.diagnostics, sources, style);
    // Findings are diagnostics too, drawn the same way after the checker's.
    for finding in &result.findings {
        out.push_str(&render::diagnostic(finding, sources, style));
        out.push('\n');
    }
    if !result.check_failed() {
        out.push_str(&coverage(&result.coverage));
    }
    out.push_str(&status(result, files, deny_warnings, style));
    out.push('\n');
    out
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn status(result: &LintResult, files: usize, deny_warnings: bool, style: Style) -> String {
    let files = plural(files, "file");
    if result.check_failed() {
        return format!(
            "{} {files}: {}, so the lint rules did not run",
            style.paint("31", "failed"),
            plural(result.diagnostics.errors().count(), "error")
        );
    }
    let errors = result.errors();
    let warnings = result.warnings();
    let allowed = match result.allowed.len() {
        0 => String::new(),
        n => format!(" ({n} allowed by a directive)"),
    };
    if errors == 0 && warnings == 0 {
        format!("{} {files}: no findings{allowed}", style.paint("32", "ok"))
    } else if errors == 0 && !deny_warnings {
        format!(
            "{} {files}: {}{allowed}",
            style.paint("33", "ok"),
            plural(warnings, "warning")
        )
    } else {
        let denied = if errors == 0 {
            ", denied by `--deny warnings`"
        } else {
            ""
        };
        format!(
            "{} {files}: {}, {}{denied}{allowed}",
            style.paint("31", "failed"),
            plural(errors, "error"),
            plural(warnings, "warning")
        )
    }
}

/// The share of secured endpoints, per API and in total.
fn coverage(apis: &[Coverage]) -> String {
    let total = Coverage::total("total", apis);
    let share = |n: usize, of: usize| -> String {
        match (n * 100 + of / 2).checked_div(of) {
            Some(percent) => format!("{n}/{of} {percent:>3}%"),
            None => "-".to_string(),
        }
    };
    let mut rows: Vec<[String; 7]> = vec![[
        "api".into(),
        "endpoints".into(),
        "authenticated".into(),
        "scoped".into(),
        "quota".into(),
        "body limit*".into(),
        "secured".into(),
    ]];
    let mut lines: Vec<&Coverage> = apis.iter().collect();
    if apis.len() > 1 {
        lines.push(&total);
    }
    for c in lines {
        rows.push([
            c.api.clone(),
            c.endpoints.to_string(),
            share(c.authenticated, c.endpoints),
            share(c.scoped, c.endpoints),
            share(c.quota, c.endpoints),
            share(c.body_limited, c.writes),
            share(c.secured, c.endpoints),
        ]);
    }
    let mut widths = [0usize; 7];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row.iter()) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
            if i == 0 {
                line.push_str(&format!("{cell:<w$}"));
            } else {
                line.push_str(&format!("  {cell:>w$}"));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let writes = match total.writes {
        0 => "* no endpoint accepts writes".to_string(),
        n => format!("* of the {} accepting writes", plural(n, "endpoint")),
    };
    out.push_str(&format!(
        "{writes}. secured: authenticated, scoped, with a quota and (for writes) a body limit"
    ));
    if total.shadow > 0 {
        out.push_str(&format!(
            "; {} in shadow mode not counted",
            plural(total.shadow, "endpoint")
        ));
    }
    out.push_str("\n\n");
    out
}
