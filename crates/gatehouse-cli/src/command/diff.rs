//! `gatehouse diff`: what a policy change widens or narrows, as Markdown for
//! a pull-request comment, or JSON. The comparison is
//! [`gatehouse_tools::analysis::diff`].

use std::path::Path;

use gatehouse_tools::analysis::diff::{self, Change, Diff, Impact};

use crate::args::{DiffArgs, ReportFormat};
use crate::exit::Exit;
use crate::load;
use crate::render::Style;

/// How many endpoints a grouped change lists before "and N more".
const LIST: usize = 6;

pub fn run(args: &DiffArgs, style: Style) -> Exit {
    let old = match load::policy_set(std::slice::from_ref(&args.old), style) {
        Ok(policy) => policy,
        Err(exit) => return exit,
    };
    let new = match load::policy_set(std::slice::from_ref(&args.new), style) {
        Ok(policy) => policy,
        Err(exit) => return exit,
    };
    let result = diff::diff(&old, &new);
    let text = match args.format {
        ReportFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&result).unwrap_or_default()
        ),
        ReportFormat::Human => markdown(&result, &args.old, &args.new, style),
    };
    let exit = super::emit(&text);
    if exit == Exit::Ok && args.fail_on_widen && result.widens() {
        return Exit::Findings;
    }
    exit
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Changes that are the same but for the endpoint (a rule in `defaults`
/// changed for every endpoint that inherits it) are listed once.
struct Group<'d> {
    first: &'d Change,
    endpoints: Vec<&'d str>,
}

fn groups(changes: &[Change], impact: Impact) -> Vec<Group<'_>> {
    let mut out: Vec<Group<'_>> = Vec::new();
    for c in changes.iter().filter(|c| c.impact == impact) {
        let same = out.iter_mut().find(|g| {
            let f = g.first;
            f.kind == c.kind && f.api == c.api && f.summary == c.summary && f.old == c.old && f.new == c.new
                && f.endpoint.is_some() == c.endpoint.is_some()
                // Only rules written once (in defaults) group: an endpoint's
                // own rule has its own location.
                && f.endpoint != c.endpoint
                && c.old.as_ref().or(c.new.as_ref()).is_some()
        });
        match same {
            Some(g) => g.endpoints.extend(c.endpoint.as_deref()),
            None => out.push(Group {
                first: c,
                endpoints: c.endpoint.as_deref().into_iter().collect(),
            }),
        }
    }
    out
}

pub fn markdown(d: &Diff, old: &Path, new: &Path, style: Style) -> String {
    let (old, new) = (load::display_name(old), load::display_name(new));
    let mut out = format!("## Gatehouse policy diff: `{old}` → `{new}`\n\n");
    if d.changes.is_empty() {
        out.push_str("No change to APIs, endpoints, rules or options.\n");
        return out;
    }
    let headline = if d.widens() {
        style.paint("31;1", "**This change widens access.**")
    } else if d.counts.narrow > 0 {
        "**This change only narrows access.**".to_string()
    } else {
        "**This change does not change access.**".to_string()
    };
    out.push_str(&format!(
        "{headline} {} widen, {} narrow, {} neutral.\n",
        plural(d.counts.widen, "change"),
        d.counts.narrow,
        d.counts.neutral
    ));
    for (impact, title) in [
        (Impact::Widen, "Widens access"),
        (Impact::Narrow, "Narrows access"),
        (Impact::Neutral, "Neutral"),
    ] {
        let groups = groups(&d.changes, impact);
        if groups.is_empty() {
            continue;
        }
        let count = d.changes.iter().filter(|c| c.impact == impact).count();
        out.push_str(&format!("\n### {title} ({count})\n\n"));
        for g in groups {
            let c = g.first;
            let target = match g.endpoints.as_slice() {
                [] => String::new(),
                [one] => format!(" `{one}`"),
                many => format!(" {} endpoints", many.len()),
            };
            out.push_str(&format!(
                "- **{}**{target}: {} _({})_\n",
                c.api,
                c.summary,
                c.kind.as_str()
            ));
            if g.endpoints.len() > 1 {
                let shown: Vec<String> = g
                    .endpoints
                    .iter()
                    .take(LIST)
                    .map(|e| format!("`{e}`"))
                    .collect();
                let more = g.endpoints.len().saturating_sub(LIST);
                let tail = if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                };
                out.push_str(&format!("  - on {}{tail}\n", shown.join(", ")));
            }
            let place =
                |s: &gatehouse_tools::analysis::Source| format!("`{}` `{}`", s.short(), s.text);
            match (&c.old, &c.new) {
                (Some(o), Some(n)) => {
                    out.push_str(&format!("  - old {} · new {}\n", place(o), place(n)))
                }
                (Some(o), None) => out.push_str(&format!("  - old {}\n", place(o))),
                (None, Some(n)) => out.push_str(&format!("  - new {}\n", place(n))),
                (None, None) => {}
            }
        }
    }
    out
}
