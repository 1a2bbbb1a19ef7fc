//! Printing diagnostics and decisions for people and for tools.

use std::io::IsTerminal;

use gatehouse::{Diagnostic, Diagnostics, Sources};
use gatehouse_tools::report::DecisionReport;

use crate::args::ColorChoice;

/// Whether to colour output: only on a terminal, never with NO_COLOR.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
}

impl Style {
    pub fn detect(choice: ColorChoice) -> Style {
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stdout().is_terminal()
            }
        };
        Style { color }
    }

    pub fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// Rows of cells as aligned columns, two spaces apart, with no trailing
/// spaces: the plain tables of `inventory` and `keys list`.
pub fn columns(rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = Vec::new();
    for row in rows {
        widths.resize(widths.len().max(row.len()), 0);
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (cell, width) in row.iter().zip(&widths) {
            line.push_str(cell);
            line.push_str(&" ".repeat(width.saturating_sub(cell.chars().count()) + 2));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The miette handler that draws diagnostics and lint findings.
pub fn report_handler(style: Style) -> miette::GraphicalReportHandler {
    let theme = if style.color {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    miette::GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false)
}

/// One diagnostic with its source excerpt, rustc-style.
pub fn diagnostic(d: &Diagnostic, sources: &Sources, style: Style) -> String {
    let handler = report_handler(style);
    let mut out = String::new();
    let report = d.report(sources);
    if handler.render_report(&mut out, &report).is_err() {
        out = gatehouse_tools::diagnostics::one_line(d, sources.get(d.span.file));
    }
    out
}

pub fn diagnostics_human(diagnostics: &Diagnostics, sources: &Sources, style: Style) -> String {
    let mut out = String::new();
    for d in diagnostics.iter() {
        out.push_str(&diagnostic(d, sources, style));
        out.push('\n');
    }
    out
}

pub fn summary(diagnostics: &Diagnostics, files: usize, style: Style) -> String {
    let errors = diagnostics.errors().count();
    let warnings = diagnostics.warnings().count();
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    let files = plural(files, "file");
    if errors == 0 && warnings == 0 {
        format!("{} {files}: no problems found", style.paint("32", "ok"))
    } else if errors == 0 {
        format!(
            "{} {files}: {}",
            style.paint("33", "ok"),
            plural(warnings, "warning")
        )
    } else {
        format!(
            "{} {files}: {}, {}",
            style.paint("31", "failed"),
            plural(errors, "error"),
            plural(warnings, "warning")
        )
    }
}

/// The short human explanation of a decision.
/// A refused credential, printed by `eval` in place of a decision: the
/// 401 a gateway would answer, with the reason's code and the challenge.
/// With `json`, a `gatehouse.credential_refusal/v1` document.
pub fn refusal(
    refusal: &gatehouse_credentials::Refusal,
    challenge: Option<&str>,
    json: bool,
    style: Style,
) -> String {
    let code = refusal.reason.as_str();
    let why = format!(
        "scheme `{}` refused the credential: {}",
        refusal.scheme,
        refusal.reason.description()
    );
    if json {
        let doc = serde_json::json!({
            "format": "gatehouse.credential_refusal/v1",
            "decision": "deny",
            "status": 401,
            "reason": code,
            "scheme": refusal.scheme,
            "message": why,
            "www_authenticate": challenge,
        });
        return format!(
            "{}\n",
            serde_json::to_string_pretty(&doc).unwrap_or_default()
        );
    }
    let mut out = format!("{} 401 {code}\n", style.paint("31;1", "DENY"));
    out.push_str(&format!("  why:      {why}\n"));
    if let Some(challenge) = challenge {
        out.push_str(&format!("  header:   WWW-Authenticate: {challenge}\n"));
    }
    out
}

pub fn decision_human(report: &DecisionReport, style: Style) -> String {
    let mut out = String::new();
    let verdict = if report.decision == "allow" {
        style.paint("32;1", "ALLOW")
    } else {
        style.paint("31;1", "DENY")
    };
    out.push_str(&format!(
        "{verdict} {} {}\n",
        report.status,
        report.reason.as_str()
    ));
    out.push_str(&format!("  why:      {}\n", report.message));
    for note in &report.notes {
        out.push_str(&format!("  note:     {note}\n"));
    }
    if let Some(hint) = &report.hint {
        out.push_str(&format!("  fix:      {hint}\n"));
    }
    if let Some(endpoint) = &report.endpoint {
        out.push_str(&format!(
            "  endpoint: {} {}  ({})\n",
            endpoint.method, endpoint.path, endpoint.location
        ));
    }
    if let Some(rule) = &report.rule {
        out.push_str(&format!("  rule:     {}  ({})\n", rule.text, rule.location));
    }
    if let Some(v) = &report.violation {
        let at = if v.pointer.is_empty() {
            "(the whole body)"
        } else {
            v.pointer.as_str()
        };
        out.push_str(&format!("  at:       {} {at}\n", v.part.as_str()));
        out.push_str(&format!(
            "  breaks:   {}  ({})\n",
            v.rule.text, v.rule.location
        ));
    }
    for (name, value) in &report.headers {
        out.push_str(&format!("  header:   {name}: {value}\n"));
    }
    for finding in &report.shadow {
        out.push_str(&format!(
            "  shadow:   {} would deny {} {}: {}  ({})\n",
            finding.endpoint,
            finding.status,
            finding.reason.as_str(),
            finding.message,
            finding.rule.location
        ));
    }
    if let Some(only) = &report.response_only {
        out.push_str(&format!("  response: only {}\n", only.join(", ")));
    }
    for mask in &report.masks {
        let strategy = mask.strategy_text();
        out.push_str(&format!(
            "  mask:     {} {strategy}\n",
            mask.paths.join(", ")
        ));
    }
    out
}

/// A masked response after the decision, for people.
pub fn masked_response_human(body: &str, style: Style) -> String {
    format!(
        "\n{}\n{}\n",
        style.paint("1", "masked response:"),
        body.trim()
    )
}
