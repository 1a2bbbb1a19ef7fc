//! One module per subcommand.

pub mod check;
pub mod completions;
pub mod diff;
pub mod eval;
pub mod explain;
pub mod fmt;
pub mod gateway;
pub mod inventory;
pub mod keys;
pub mod lint;
pub mod serve;
pub mod test;
pub mod token;
pub mod tree;

/// Writes a command's output to standard output (a closed pipe ends the
/// process quietly: see `crate::output`).
pub fn emit(text: &str) -> crate::exit::Exit {
    crate::output::write_all(text);
    crate::exit::Exit::Ok
}
