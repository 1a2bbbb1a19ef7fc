//! `gatehouse completions`: shell completion scripts, generated from the
//! same clap definition as the help text.

use clap::CommandFactory;

use crate::args::{Cli, CompletionsArgs};
use crate::exit::Exit;

pub fn run(args: &CompletionsArgs) -> Exit {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "gatehouse", &mut script);
    super::emit(&String::from_utf8_lossy(&script))
}
