//! Exit codes, documented in the README.

/// What the process tells its caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Success: no errors (warnings allowed); a decision was printed.
    Ok = 0,
    /// The policy has errors (`check`), or the request was denied and
    /// `--exit-code` was given (`eval`).
    Findings = 1,
    /// The command could not run: bad arguments, unreadable files, invalid
    /// request JSON, or a policy that does not load (`eval`).
    Usage = 2,
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit as u8)
    }
}
