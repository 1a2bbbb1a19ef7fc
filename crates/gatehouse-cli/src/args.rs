//! The command line. Doc comments here are the `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Check, evaluate and explain Gatehouse API security policies.
#[derive(Debug, Parser)]
#[command(name = "gatehouse", version, propagate_version = true)]
#[command(after_help = "Examples:\n  gatehouse check policies/\n  gatehouse eval policies/petstore.gate --request tests/requests/petstore/get-pets.json")]
pub struct Cli {
    /// When to use colour: auto (on a terminal, unless NO_COLOR is set), always or never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse and check policy files; print every diagnostic.
    ///
    /// Directories are searched recursively for `.gate` files. All files are
    /// checked together as one policy set (one API per file), so APIs whose
    /// base paths overlap are reported too. Exits 0 when there are no errors
    /// (warnings allowed), 1 when there are errors, 2 when a file cannot be read.
    #[command(after_help = "Examples:\n  gatehouse check policies/\n  gatehouse check policies/petstore.gate --format json")]
    Check(CheckArgs),

    /// Decide one request against a policy set and explain the decision.
    ///
    /// The request is a JSON file (see the README for its format): method,
    /// path, headers, client IP and the authenticated principal. Prints the
    /// decision, its reason, the endpoint and the rule that decided.
    #[command(after_help = "Examples:\n  gatehouse eval policies/petstore.gate --request req.json\n  gatehouse eval policies/ --request req.json --json\n  gatehouse eval policies/ --request req.json --response resp.json --hash-key-env GATEHOUSE_HASH_KEY\n  echo '{\"method\":\"GET\",\"path\":\"/v1/health\"}' | gatehouse eval policies/ --request -")]
    Eval(EvalArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Policy files or directories.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Diagnostics with source excerpts, for people.
    Human,
    /// One JSON document with every diagnostic, for tools.
    Json,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Policy files or directories (loaded as one set).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,

    /// The request, as a JSON file; `-` reads standard input.
    #[arg(long, short)]
    pub request: PathBuf,

    /// Print the decision as JSON.
    #[arg(long)]
    pub json: bool,

    /// Also print the audit record the decision would log.
    #[arg(long)]
    pub audit: bool,

    /// Exit with 1 when the request is denied.
    #[arg(long)]
    pub exit_code: bool,

    /// A JSON response to mask with the endpoint's `mask response` and `response only` rules.
    ///
    /// The masked response is printed after the decision (as the "response" field with
    /// `--json`). A response that is not valid JSON is an error (exit 2): it must be withheld,
    /// never passed through. For a denied request there is nothing to mask.
    #[arg(long, value_name = "FILE")]
    pub response: Option<PathBuf>,

    /// The environment variable holding the key for `mask ... with hash` (HMAC-SHA256).
    ///
    /// The key is read from the environment so that it never appears on a command line; it must
    /// be at least 16 bytes. Without it, a mask that uses `hash` fails.
    #[arg(long, value_name = "VAR", requires = "response")]
    pub hash_key_env: Option<String>,
}
