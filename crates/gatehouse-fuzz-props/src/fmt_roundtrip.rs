//! Properties of the formatter and the linter on any text:
//!
//! - formatting never panics; when it succeeds, formatting its output again
//!   changes nothing (idempotence), and the output keeps every comment of
//!   the input in order (`gatehouse_tools::fmt` already checks, before returning,
//!   that the output parses to the same policy: a failure of that check is
//!   `FormatError::Internal`, which is a bug and fails here);
//! - linting never panics.
//!
//! Seeds: `fuzz/seed.sh` copies the repository's policies into the corpus;
//! `tests/fmt/` holds badly laid-out policies worth adding.

use gatehouse::Sources;
use gatehouse_syntax::comments::comments;
use gatehouse_tools::fmt::{format, FormatError};
use gatehouse_tools::lint::{lint, LintOptions};

/// Checks the property on one input; panics when it does not hold.
pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match format(text) {
        Ok(formatted) => {
            let again = format(&formatted)
                .unwrap_or_else(|e| panic!("formatted text does not format: {e}"));
            assert_eq!(again, formatted, "formatting is not idempotent");
            let before: Vec<String> = comments(text).into_iter().map(|c| c.text).collect();
            let after: Vec<String> = comments(&formatted).into_iter().map(|c| c.text).collect();
            assert_eq!(before, after, "comments changed");
        }
        Err(FormatError::Syntax(_)) => {}
        Err(error @ FormatError::Internal(_)) => panic!("{error}"),
    }
    let mut sources = Sources::new();
    sources.add("fuzz.gate", text);
    let _ = lint(&sources, &LintOptions::default());
}
