//! The canonical formatter: AST plus comments to text.
//!
//! [`format()`] lays a policy out in the one canonical layout, keeping every
//! comment. It is idempotent (`format(format(x)) == format(x)`) and never
//! changes what a policy means: the output is re-parsed and compared with
//! the input, node for node, before it is returned, and property tests
//! compare the checked models. The order of items, statements, fields and
//! list entries is never changed.
//!
//! The layout (documented for users in the language reference, "Formatting"):
//!
//! - two spaces per block level; one statement, field, scope or option per
//!   line; `{` at the end of the line that opens a block, `}` alone;
//! - empty blocks as `{}`, a field block holding only `...` as `{ ... }`;
//! - canonical spacing between tokens (`require a, b | c`,
//!   `quota 5/min by principal`, `limits(depth: 8)`); tokens themselves
//!   (strings, sizes, numbers, paths) as written;
//! - consecutive `auth` declarations align their `=`; scope descriptions
//!   align two spaces after the longest scope name; option `=` signs align;
//! - a blank line before and after `scopes`, `options`, `defaults` and each
//!   endpoint; elsewhere one blank line where the source had one or more;
//! - comments stay with the statement they precede or trail; trailing
//!   comments on consecutive lines align; a comment between the tokens of
//!   one statement moves above it;
//! - conditions keep their structure with the fewest brackets, but an `and`
//!   inside an `or` is bracketed: `(a and b) or c`;
//! - `object { ... }` is written `{ ... }`, and optional commas between
//!   fields and after the last argument are dropped;
//! - lines end with `\n`, the file with exactly one.
//!
//! Files that do not parse cleanly are not formatted: [`FormatError::Syntax`]
//! carries the parser's diagnostics.

mod printer;
mod render;

use crate::diag::Diagnostics;
use crate::span::FileId;
use crate::syntax;
use crate::syntax::comments::comments;

/// Why a file was not formatted.
#[derive(Clone, Debug)]
pub enum FormatError {
    /// The file does not parse (or parses with errors); it is left alone.
    Syntax(Diagnostics),
    /// The formatter produced text that does not mean the same as the
    /// input. This is a bug in Gatehouse; the file is left alone.
    Internal(String),
}

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FormatError::Syntax(diagnostics) => {
                write!(
                    f,
                    "the policy does not parse ({} error(s))",
                    diagnostics.errors().count()
                )
            }
            FormatError::Internal(what) => write!(
                f,
                "the formatter failed ({what}); this is a bug in Gatehouse"
            ),
        }
    }
}

impl std::error::Error for FormatError {}

/// Formats one policy file. `file` is the id its diagnostics point into.
pub fn format_source(file: FileId, text: &str) -> Result<String, FormatError> {
    let (ast, diagnostics) = syntax::parse(file, text);
    let ast = match ast {
        Some(ast) if diagnostics.is_empty() => ast,
        _ => return Err(FormatError::Syntax(diagnostics)),
    };
    let found = comments(text);
    let formatted = printer::Printer::new(text, &found).policy(&ast);
    verify(ast, &found, &formatted)?;
    Ok(formatted)
}

/// Formats one policy file (diagnostics point into [`FileId`] 0).
pub fn format(text: &str) -> Result<String, FormatError> {
    format_source(FileId(0), text)
}

/// The output must parse cleanly to the same AST (spans aside) and hold the
/// same comments in the same order.
fn verify(
    ast: syntax::PolicyAst,
    found: &[syntax::comments::Comment],
    formatted: &str,
) -> Result<(), FormatError> {
    let (again, diagnostics) = syntax::parse(FileId(0), formatted);
    let Some(again) = again.filter(|_| diagnostics.is_empty()) else {
        return Err(FormatError::Internal("the output does not parse".into()));
    };
    if !syntax::spanless::same_policy(ast, again) {
        return Err(FormatError::Internal(
            "the output parses to a different policy".into(),
        ));
    }
    let before: Vec<&str> = found.iter().map(|c| c.text.as_str()).collect();
    let kept = comments(formatted);
    let after: Vec<&str> = kept.iter().map(|c| c.text.as_str()).collect();
    if before != after {
        return Err(FormatError::Internal(
            "a comment was lost or moved out of order".into(),
        ));
    }
    Ok(())
}

/// A `Debug` rendering with every `Span { .. }` replaced by `Span`, so that
/// two ASTs (or models) parsed from differently laid-out text compare equal
/// when they mean the same. Spans have no nested braces.
pub fn without_spans(debug: &str) -> String {
    let mut out = String::with_capacity(debug.len());
    let mut rest = debug;
    while let Some(at) = rest.find("Span {") {
        out.push_str(rest.get(..at).unwrap_or(""));
        out.push_str("Span");
        let after = rest.get(at..).unwrap_or("");
        rest = match after.find('}') {
            Some(close) => after.get(close + 1..).unwrap_or(""),
            None => "",
        };
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lays_out_a_messy_policy() {
        let text = "api \"a\"   version \"1\" # the api\nauth u=jwt(issuer:\"x\",)\nauth long_name = api_key(header: \"K\")\nscopes{a \"A\" bb \"B\" c}\nendpoint GET /x { authenticate u # who\n require a,bb|c\n\n\n when not (claim.x == 1 or claim.y) and claim.z or claim.w\n body json { name: string(1..2), tags?: array(..3) of { k: int } files: object { ... } } }\n";
        let formatted = format(text).unwrap();
        assert_eq!(
            formatted,
            "api \"a\" version \"1\"  # the api\n\nauth u         = jwt(issuer: \"x\")\nauth long_name = api_key(header: \"K\")\n\nscopes {\n  a   \"A\"\n  bb  \"B\"\n  c\n}\n\nendpoint GET /x {\n  authenticate u  # who\n  require a, bb | c\n\n  when (not (claim.x == 1 or claim.y) and claim.z) or claim.w\n  body json {\n    name: string(1..2)\n    tags?: array(..3) of {\n      k: int\n    }\n    files: { ... }\n  }\n}\n"
        );
        assert_eq!(format(&formatted).unwrap(), formatted);
    }

    /// The safety net: output that would mean something else is refused
    /// as a bug, whatever the printer did.
    #[test]
    fn output_that_means_something_else_is_refused() {
        let text = "api \"a\" version \"1\"\nendpoint GET /x {\n  public  # open\n  quota 5/min by ip\n}\n";
        let (ast, _) = syntax::parse(FileId(0), text);
        let ast = ast.unwrap();
        let found = comments(text);
        let relaid = "api \"a\"   version \"1\"\n\n\nendpoint GET /x { public  # open\n quota 5/min by ip }\n";
        assert!(verify(ast.clone(), &found, relaid).is_ok());
        for changed in [
            "api \"a\" version \"1\"\nendpoint GET /x {\n  public  # open\n  quota 6/min by ip\n}\n",
            "api \"a\" version \"1\"\nendpoint GET /y {\n  public  # open\n  quota 5/min by ip\n}\n",
            "api \"a\" version \"1\"\nendpoint GET /x {\n  public  # open\n}\n",
        ] {
            assert!(
                matches!(verify(ast.clone(), &found, changed), Err(FormatError::Internal(_))),
                "{changed}"
            );
        }
        let lost_comment =
            "api \"a\" version \"1\"\nendpoint GET /x {\n  public\n  quota 5/min by ip\n}\n";
        assert!(matches!(
            verify(ast.clone(), &found, lost_comment),
            Err(FormatError::Internal(_))
        ));
    }

    #[test]
    fn refuses_text_that_does_not_parse() {
        assert!(matches!(
            format("api \"a\"\nendpoint GET /x {"),
            Err(FormatError::Syntax(_))
        ));
    }

    #[test]
    fn strips_spans() {
        assert_eq!(
            without_spans("A { span: Span { file: FileId(0), start: 1, end: 2 }, x: 1 }"),
            "A { span: Span, x: 1 }"
        );
    }
}
