//! Questions about a policy, answered from the checked model: the analyses
//! behind `gatehouse explain`, `test`, `tree`, `inventory` and `diff`.
//!
//! - [`trace`]: a step-by-step evaluation trace of one request, from the
//!   reference interpreter, with what would have made a denial pass;
//! - [`testing`]: policy tests (request, optional response, expected
//!   decision and masked response) and the coverage they reach;
//! - [`tree`]: the compiled decision tree, per method, as data;
//! - [`inventory`]: one row per endpoint with its guards;
//! - [`diff`]: what a change to a policy set widens or narrows;
//! - [`replay`]: timed requests (JSON lines) decided in order, to see when a
//!   quota bites.
//!
//! Everything here returns plain, serialisable data; rendering it for a
//! terminal, a pull request or a tool is the caller's business. None of it
//! is on the decision path: the evaluator knows nothing of this module.

pub mod diff;
pub mod inventory;

pub mod replay;
pub mod testing;
pub mod trace;
pub mod tree;

use serde::Serialize;

use crate::span::{Location, Sources, Span};

/// A place in a policy file with the first line of the rule written there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Source {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// The rule's first line as written, trimmed: `require pets:read`.
    pub text: String,
}

impl Source {
    pub fn new(sources: &Sources, span: Span) -> Source {
        let Location {
            file, line, column, ..
        } = sources.locate(span);
        let text = sources.get(span.file).map_or("", |f| f.slice(span));
        let text = without_comment(text.lines().next().unwrap_or(""))
            .trim()
            .to_string();
        Source {
            file,
            line,
            column,
            text,
        }
    }

    /// `policies/petstore.gate:47`
    pub fn short(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// A line without its `#` comment (a `#` inside a string stays).
fn without_comment(line: &str) -> &str {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '#' if !in_string => return line.get(..i).unwrap_or(line),
            _ => {}
        }
    }
    line
}
