//! Finding and reading policy files.

use std::path::PathBuf;

// Finding and reading policy files is the server's too: one implementation.
pub use gatehouse_server::files::{display_name, policy_files, read_sources};

/// Finds, reads, checks and compiles a policy set, printing why not to
/// standard error (the diagnostics, or the unreadable file).
pub fn policy_set(
    paths: &[PathBuf],
    style: crate::render::Style,
) -> Result<gatehouse::PolicySet, crate::exit::Exit> {
    let sources = match policy_files(paths).and_then(|f| read_sources(&f)) {
        Ok(sources) => sources,
        Err(message) => {
            eprintln!("error: {message}");
            return Err(crate::exit::Exit::Usage);
        }
    };
    gatehouse::PolicySet::load(sources).map_err(|error| {
        eprint!(
            "{}",
            crate::render::diagnostics_human(error.diagnostics(), error.sources(), style)
        );
        eprintln!("error: the policy does not load; run `gatehouse check` for details");
        crate::exit::Exit::Usage
    })
}

/// Milliseconds since the Unix epoch: the time a request "arrives" when its
/// JSON gives none. (The library reads no clock; the CLI may.)
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
