//! The first stage of Gatehouse: policy text to a span-carrying AST.
//!
//! This crate owns what every later stage points back into: source files
//! and [`span`]s, [`diag`]nostics with their stable codes, and the pest
//! grammar in `grammar/gatehouse.pest` with the code that turns its parse
//! tree into the [`ast`]. It knows nothing of the checked model, the
//! evaluator or the tools; it is an internal crate of the Gatehouse
//! workspace (embedders use the `gatehouse` crate).
//!
//! The entry point is [`parse`]. It never panics: text the grammar rejects
//! becomes a `GH-E0001` diagnostic with the position, what was expected there
//! and, where a word looks like a misspelt keyword, a hint.
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod ast;
mod build;
pub mod comments;
pub mod diag;
mod error;
pub mod span;
pub mod spanless;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::span::{FileId, Span};

pub use ast::PolicyAst;

/// The pest parser generated from the grammar file.
#[derive(pest_derive::Parser)]
#[grammar = "../../../grammar/gatehouse.pest"]
struct GatehouseParser;

/// Brackets may nest this deep. The parser is recursive descent, so the limit
/// keeps hostile input from exhausting the stack; real policies nest 3 or 4.
pub const MAX_NESTING: usize = 32;

/// Parses one policy file. On success the AST may still come with
/// diagnostics (for example a bad string escape); when the text cannot be
/// parsed at all, only diagnostics are returned.
pub fn parse(file: FileId, text: &str) -> (Option<PolicyAst>, Diagnostics) {
    let mut diagnostics = Diagnostics::default();
    if let Some(diagnostic) = check_nesting(file, text) {
        diagnostics.push(diagnostic);
        return (None, diagnostics);
    }
    let pairs = match <GatehouseParser as pest::Parser<Rule>>::parse(Rule::policy, text) {
        Ok(pairs) => pairs,
        Err(error) => {
            diagnostics.push(error::syntax_error(file, text, &error));
            return (None, diagnostics);
        }
    };
    let mut builder = build::Builder::new(file);
    let ast = builder.policy(pairs);
    diagnostics.extend(builder.into_diagnostics());
    (ast, diagnostics)
}

/// Rejects text whose brackets nest deeper than [`MAX_NESTING`], before the
/// recursive parser sees it. Strings and comments are skipped.
fn check_nesting(file: FileId, text: &str) -> Option<Diagnostic> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut in_comment = false;
    let mut escaped = false;
    for (offset, byte) in text.bytes().enumerate() {
        if in_comment {
            in_comment = byte != b'\n';
            continue;
        }
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' | b'\n' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'#' => in_comment = true,
            b'"' => in_string = true,
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(
                        Diagnostic::new(Code::Syntax, Span::new(file, offset, offset + 1), "brackets nest too deeply")
                            .label(format!("this is nesting level {depth}"))
                            .help(format!("Gatehouse allows at most {MAX_NESTING} levels of `(`, `[` and `{{`; split the rule up")),
                    );
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_design_example() {
        let text = include_str!("../../../policies/petstore.gate");
        let (ast, diagnostics) = parse(FileId(0), text);
        assert!(diagnostics.is_empty(), "{diagnostics:#?}");
        let ast = ast.expect("ast");
        assert_eq!(ast.items.len(), 15);
    }

    #[test]
    fn misspelt_statement_gets_a_hint() {
        let (ast, diagnostics) = parse(
            FileId(0),
            "api \"a\"\nendpoint GET /x {\n  requir admin\n}\n",
        );
        assert!(ast.is_none());
        let d = &diagnostics.as_slice()[0];
        assert_eq!(d.code, Code::Syntax);
        assert_eq!(d.help.as_deref(), Some("did you mean `require`?"), "{d:#?}");
    }

    fn syntax_message(text: &str) -> String {
        let (ast, diagnostics) = parse(FileId(0), text);
        assert!(ast.is_none(), "{text}");
        diagnostics.as_slice()[0].message.clone()
    }

    /// Expected punctuation is found without pest's process-wide error
    /// detail: pest offers no getter for it, so the flag is set to its
    /// default here and the message must still name the token.
    #[test]
    fn expected_punctuation_needs_no_global_error_detail() {
        pest::set_error_detail(false);
        assert_eq!(
            syntax_message("api \"a\"\nendpoint GET /x public\n}\n"),
            "expected `{`, found ` `"
        );
        assert_eq!(
            syntax_message("api \"a\"\nendpoint GET /x {\n  quota 10 per min by ip\n}\n"),
            "expected `/`, found `per`"
        );
        assert_eq!(
            syntax_message("api \"a\"\nauth user = jwt(issuer \"x\")\n"),
            "expected `:`, found `issuer`"
        );
        assert_eq!(
            syntax_message("api \"a\"\nendpoint GET /x {\n  authenticate user\n  requir a\n}\n"),
            "expected a statement (`require`, `when`, `quota`, ...), `|` or `}`, found `requir`"
        );
    }

    #[test]
    fn deep_nesting_is_rejected_before_parsing() {
        let text = format!(
            "api \"a\" endpoint GET /x {{ when {}a{} }}",
            "(".repeat(100_000),
            ")".repeat(100_000)
        );
        let (ast, diagnostics) = parse(FileId(0), &text);
        assert!(ast.is_none());
        assert_eq!(
            diagnostics.as_slice()[0].message,
            "brackets nest too deeply"
        );
        let nots = format!(
            "api \"a\" endpoint GET /x {{ when {}a }}",
            "not ".repeat(100_000)
        );
        let (ast, diagnostics) = parse(FileId(0), &nots);
        assert!(ast.is_some() && diagnostics.is_empty(), "{diagnostics:?}");
    }
}
