//! `gatehouse fmt`: print, check or rewrite policy files in the canonical
//! layout (see `gatehouse::fmt`).

use std::io::Read;
use std::path::Path;

use gatehouse::Sources;
use gatehouse_tools::fmt::{format_source, FormatError};

use super::emit;
use crate::args::FmtArgs;
use crate::exit::Exit;
use crate::load;
use crate::render::{self, Style};

/// What `--check` or `--write` found in one file.
enum Outcome {
    Unchanged,
    Changed,
}

pub fn run(args: &FmtArgs, style: Style) -> Exit {
    if args.paths.iter().any(|p| p.as_os_str() == "-") {
        return stdin(args, style);
    }
    let files = match load::policy_files(&args.paths) {
        Ok(files) => files,
        Err(message) => {
            eprintln!("error: {message}");
            return Exit::Usage;
        }
    };
    let mut out = String::new();
    let mut changed = 0;
    let mut failed = 0;
    for file in &files {
        let text = match std::fs::read_to_string(file) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("error: {}: {e}", file.display());
                return Exit::Usage;
            }
        };
        let name = load::display_name(file);
        let Some(formatted) = format_file(&name, &text, style) else {
            failed += 1;
            continue;
        };
        let outcome = if args.check {
            check(&name, &text, &formatted, style, &mut out)
        } else if args.write {
            match write(file, &text, &formatted) {
                Ok(outcome) => outcome,
                Err(message) => {
                    eprintln!("error: {message}");
                    return Exit::Usage;
                }
            }
        } else {
            if files.len() > 1 {
                out.push_str(&format!("==> {name} <==\n"));
            }
            out.push_str(&formatted);
            Outcome::Unchanged
        };
        match outcome {
            Outcome::Changed => {
                changed += 1;
                if args.write {
                    out.push_str(&format!("formatted {name}\n"));
                }
            }
            Outcome::Unchanged => {}
        }
    }
    if args.check || args.write {
        out.push_str(&summary(files.len(), changed, failed, args.check, style));
        out.push('\n');
    }
    if emit(&out) == Exit::Usage {
        Exit::Usage
    } else if failed > 0 || (args.check && changed > 0) {
        Exit::Findings
    } else {
        Exit::Ok
    }
}

/// `gatehouse fmt -`: standard input to standard output (or, with
/// `--check`, a diff and the exit status).
fn stdin(args: &FmtArgs, style: Style) -> Exit {
    if args.paths.len() > 1 {
        eprintln!("error: `-` (standard input) cannot be combined with other paths");
        return Exit::Usage;
    }
    if args.write {
        eprintln!(
            "error: standard input cannot be rewritten; drop `--write` to print the formatted text"
        );
        return Exit::Usage;
    }
    let mut text = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut text) {
        eprintln!("error: standard input: {e}");
        return Exit::Usage;
    }
    let Some(formatted) = format_file("<stdin>", &text, style) else {
        return Exit::Findings;
    };
    if args.check {
        let mut out = String::new();
        let outcome = check("<stdin>", &text, &formatted, style, &mut out);
        return match (emit(&out), outcome) {
            (Exit::Usage, _) => Exit::Usage,
            (_, Outcome::Changed) => Exit::Findings,
            (_, Outcome::Unchanged) => Exit::Ok,
        };
    }
    emit(&formatted)
}

/// The formatted text, or `None` after reporting why there is none.
fn format_file(name: &str, text: &str, style: Style) -> Option<String> {
    let mut sources = Sources::new();
    let id = sources.add(name, text);
    match format_source(id, text) {
        Ok(formatted) => Some(formatted),
        Err(FormatError::Syntax(diagnostics)) => {
            eprint!(
                "{}",
                render::diagnostics_human(&diagnostics, &sources, style)
            );
            eprintln!("error: {name}: not formatted, because it does not parse");
            None
        }
        Err(error @ FormatError::Internal(_)) => {
            eprintln!("error: {name}: {error}; the file is left as it is");
            None
        }
    }
}

/// `--check`: the diff of a file that is not formatted.
fn check(name: &str, text: &str, formatted: &str, style: Style, out: &mut String) -> Outcome {
    if text == formatted {
        return Outcome::Unchanged;
    }
    out.push_str(&format!("{} {name}\n", style.paint("33", "would reformat")));
    out.push_str(&diff(name, text, formatted, style));
    Outcome::Changed
}

/// `--write`: rewrites a file that is not formatted.
fn write(file: &Path, text: &str, formatted: &str) -> Result<Outcome, String> {
    if text == formatted {
        return Ok(Outcome::Unchanged);
    }
    std::fs::write(file, formatted).map_err(|e| format!("{}: {e}", file.display()))?;
    Ok(Outcome::Changed)
}

/// A unified diff, `-` for the file as it is and `+` as formatted.
fn diff(name: &str, text: &str, formatted: &str, style: Style) -> String {
    let diff = similar::TextDiff::from_lines(text, formatted);
    let unified = diff
        .unified_diff()
        .context_radius(3)
        .header(name, &format!("{name} (formatted)"))
        .to_string();
    let mut out = String::new();
    for line in unified.lines() {
        let painted = match line.as_bytes().first() {
            Some(b'-') if !line.starts_with("---") => style.paint("31", line),
            Some(b'+') if !line.starts_with("+++") => style.paint("32", line),
            Some(b'@') => style.paint("36", line),
            _ => line.to_string(),
        };
        out.push_str(&painted);
        out.push('\n');
    }
    out
}

fn summary(files: usize, changed: usize, failed: usize, check: bool, style: Style) -> String {
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    let mut parts = Vec::new();
    let verb = if check {
        "would be reformatted"
    } else {
        "reformatted"
    };
    if changed > 0 {
        parts.push(format!("{} {verb}", plural(changed, "file")));
    }
    let unchanged = files.saturating_sub(changed + failed);
    if unchanged > 0 {
        parts.push(format!("{} already formatted", plural(unchanged, "file")));
    }
    if failed > 0 {
        parts.push(format!(
            "{} not formatted because of errors",
            plural(failed, "file")
        ));
    }
    let status = if failed > 0 || (check && changed > 0) {
        style.paint("31", "failed")
    } else {
        style.paint("32", "ok")
    };
    format!("{status}: {}", parts.join(", "))
}
