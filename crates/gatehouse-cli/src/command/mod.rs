//! One module per subcommand.

pub mod check;
pub mod completions;
pub mod diff;
pub mod eval;
pub mod explain;
pub mod fmt;
pub mod inventory;
pub mod lint;
pub mod test;
pub mod tree;

/// Writes a command's output to standard output. A closed pipe (`| head`)
/// is not an error: the reader has seen what it wanted.
pub fn emit(text: &str) -> crate::exit::Exit {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => crate::exit::Exit::Ok,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => crate::exit::Exit::Ok,
        Err(e) => {
            eprintln!("error: cannot write the output: {e}");
            crate::exit::Exit::Usage
        }
    }
}
