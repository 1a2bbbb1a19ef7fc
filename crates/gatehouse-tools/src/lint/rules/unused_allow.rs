//! # unused-allow (GH-L019)
//!
//! ## What it does
//!
//! Flags a rule in an allow directive that allows nothing: the item the
//! directive is attached to has no finding of that rule (any more), or the
//! directive is attached to nothing (it ends the file).
//!
//! ## Why is this bad?
//!
//! Allows outlive the reasons for them. Once the endpoint has been fixed,
//! a left-over directive would silently allow the next, unrelated finding
//! of the same rule on that endpoint. Removing stale allows keeps every
//! remaining one a live, reviewed decision.
//!
//! ## Example
//!
//! ```gate
//! # gatehouse: allow GH-L001 -- no quota yet, PETS-7
//! endpoint GET /status {
//!   public
//!   quota 10/s by ip
//! }
//! ```
//!
//! Use instead:
//!
//! ```gate
//! endpoint GET /status {
//!   public
//!   quota 10/s by ip
//! }
//! ```

use super::super::Rule;
use crate::diag::{Code, Diagnostic};
use crate::span::Span;

pub(crate) fn finding(directive: Span, rule: Rule, attached: bool) -> Diagnostic {
    let (message, label) = if attached {
        (
            format!(
                "`{}` ({}) is allowed here, but nothing here triggers it",
                rule.code(),
                rule.name()
            ),
            "allows nothing",
        )
    } else {
        (
            format!(
                "the directive allowing `{}` is not attached to anything",
                rule.code()
            ),
            "attached to nothing",
        )
    };
    Diagnostic::new(Code::UnusedAllow, directive, message)
        .label(label)
        .help("remove the rule from the directive (or the whole directive); put a directive just above the endpoint it is about")
}
