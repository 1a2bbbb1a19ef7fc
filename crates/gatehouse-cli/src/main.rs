//! The `gatehouse` command.
//!
//! `args` defines the command line (its doc comments are the help text),
//! `load` finds and reads policy files, `render` prints diagnostics and
//! decisions, and `command/` holds one module per subcommand. Exit codes are
//! listed in [`exit::Exit`].

mod args;
mod command;
mod credentials;
mod exit;
mod load;
mod output;
mod render;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = args::Cli::parse();
    let style = render::Style::detect(args.color);
    let exit = match args.command {
        args::Command::Check(a) => command::check::run(&a, style),
        args::Command::Eval(a) => command::eval::run(&a, style),
        args::Command::Fmt(a) => command::fmt::run(&a, style),
        args::Command::Lint(a) => command::lint::run(&a, style),
        args::Command::Test(a) => command::test::run(&a, style),
        args::Command::Explain(a) => command::explain::run(&a, style),
        args::Command::Tree(a) => command::tree::run(&a),
        args::Command::Inventory(a) => command::inventory::run(&a),
        args::Command::Diff(a) => command::diff::run(&a, style),
        args::Command::Keys(a) => command::keys::run(&a),
        args::Command::Token(a) => command::token::run(&a),
        args::Command::Serve(a) => command::serve::run(a),
        args::Command::Gateway(a) => command::gateway::run(&a),
        args::Command::Completions(a) => command::completions::run(&a),
    };
    exit.into()
}
