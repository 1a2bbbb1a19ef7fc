//! `gatehouse explain`: a decision, step by step. The trace comes from
//! [`gatehouse::PolicySet::trace`]; this module only prints it.

use gatehouse_tools::analysis::trace::{Outcome, Trace};

use crate::args::{ExplainArgs, ReportFormat};
use crate::exit::Exit;
use crate::load;
use crate::render::{self, Style};

pub fn run(args: &ExplainArgs, style: Style) -> Exit {
    let policy = match load::policy_set(&args.paths, style) {
        Ok(policy) => policy,
        Err(exit) => return exit,
    };
    let data = match super::eval::read_request(&args.request) {
        Ok(data) => data,
        Err(message) => {
            eprintln!("error: {message}");
            return Exit::Usage;
        }
    };
    let headers = data.headers.pairs();
    // The library reads no clock: quotas count at the request's `time_ms`,
    // or now.
    let request = data
        .as_request(&headers)
        .at(data.time_ms.unwrap_or_else(crate::load::now_ms));
    let trace = gatehouse_tools::analysis::trace::trace(&policy, &request);
    let text = match args.format {
        ReportFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&trace).unwrap_or_default()
        ),
        ReportFormat::Human => human(&trace, style),
    };
    let exit = super::emit(&text);
    if exit == Exit::Ok && args.exit_code && !trace.allowed() {
        return Exit::Findings;
    }
    exit
}

/// The request line, the numbered steps and the verdict.
pub fn human(trace: &Trace, style: Style) -> String {
    let r = &trace.request;
    let mut out = format!(
        "{} {}\n",
        style.paint("1", &r.method),
        style.paint("1", &r.target)
    );
    let mut who = format!("  from {}", r.peer);
    if let Some(host) = &r.host {
        who.push_str(&format!(" to host {host}"));
    }
    match &r.principal {
        Some(p) if p.scopes.is_empty() => who.push_str(&format!(
            ", as `{}` ({}) with no scopes",
            p.subject, p.scheme
        )),
        Some(p) => who.push_str(&format!(
            ", as `{}` ({}) with {}",
            p.subject,
            p.scheme,
            p.scopes.join(", ")
        )),
        None => who.push_str(", with no principal"),
    }
    out.push_str(&who);
    out.push_str("\n\n");
    let width = trace
        .steps
        .iter()
        .map(|s| s.phase.as_str().len())
        .max()
        .unwrap_or(0);
    for (i, step) in trace.steps.iter().enumerate() {
        let outcome = match step.outcome {
            Outcome::Pass => style.paint("32", "pass      "),
            Outcome::Fail => style.paint("31;1", "FAIL      "),
            Outcome::WouldFail => style.paint("33", "would fail"),
            Outcome::Info => style.paint("2", "info      "),
        };
        let mut summary = step.summary.clone();
        if step.shadow_endpoint {
            let endpoint = step.endpoint.clone().unwrap_or_default();
            summary = format!("[shadow {endpoint}] {summary}");
        }
        let decided = if step.deciding {
            format!("  {}", style.paint("1", "<- decided"))
        } else {
            String::new()
        };
        out.push_str(&format!(
            "{:>3}  {:<width$}  {outcome}  {summary}{decided}\n",
            i + 1,
            step.phase.as_str()
        ));
        let indent = " ".repeat(width + 7);
        if let Some(rule) = &step.rule {
            let from = if step.inherited {
                "  (from defaults)"
            } else {
                ""
            };
            out.push_str(&format!(
                "{indent}{}  {}{from}\n",
                style.paint("2", &rule.short()),
                rule.text
            ));
        }
        for detail in &step.details {
            out.push_str(&format!("{indent}- {detail}\n"));
        }
    }
    out.push('\n');
    out.push_str(&render::decision_human(&trace.decision, style));
    let mut hints = trace.to_pass.iter();
    if let Some(first) = hints.next() {
        out.push_str(&format!("  to pass:  {first}\n"));
        for more in hints {
            out.push_str(&format!("        or  {more}\n"));
        }
    }
    out
}
