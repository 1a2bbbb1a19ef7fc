//! `gatehouse check`: parse and check policy files.

use crate::args::{CheckArgs, Format};
use crate::exit::Exit;
use crate::load;
use crate::output::{out, outln};
use crate::render::{self, Style};

pub fn run(args: &CheckArgs, style: Style) -> Exit {
    let files = match load::policy_files(&args.paths)
        .and_then(|f| load::read_sources(&f).map(|s| (f, s)))
    {
        Ok(found) => found,
        Err(message) => {
            eprintln!("error: {message}");
            return Exit::Usage;
        }
    };
    let (files, sources) = files;
    let diagnostics = gatehouse_tools::check(&sources);
    match args.format {
        Format::Json => {
            let doc = gatehouse_tools::json_api::diagnostics_json(&diagnostics, &sources);
            outln!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        }
        Format::Human => {
            out!(
                "{}",
                render::diagnostics_human(&diagnostics, &sources, style)
            );
            outln!("{}", render::summary(&diagnostics, files.len(), style));
        }
    }
    if diagnostics.has_errors() {
        Exit::Findings
    } else {
        Exit::Ok
    }
}
