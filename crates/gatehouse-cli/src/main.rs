//! The `gatehouse` command.
//!
//! `args` defines the command line (its doc comments are the help text),
//! `load` finds and reads policy files, `render` prints diagnostics and
//! decisions, and `command/` holds one module per subcommand. Exit codes are
//! listed in [`exit::Exit`].

mod args;
mod command;
mod exit;
mod load;
mod render;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = args::Cli::parse();
    let style = render::Style::detect(args.color);
    let exit = match args.command {
        args::Command::Check(a) => command::check::run(&a, style),
        args::Command::Eval(a) => command::eval::run(&a, style),
    };
    exit.into()
}
