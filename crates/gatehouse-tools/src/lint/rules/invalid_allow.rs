//! # invalid-allow (GH-L018)
//!
//! ## What it does
//!
//! Flags a comment that starts with `# gatehouse:` but is not a valid
//! directive: another word than `allow`, no rule, a rule code or name that
//! does not exist, a checker code (`GH-E...`, `GH-W...`, which cannot be
//! allowed: fix them), or one of the directive rules themselves.
//!
//! The directive is `# gatehouse: allow RULE[, RULE...] -- REASON`, where
//! each `RULE` is a code (`GH-L001`) or a name (`public-without-quota`).
//! Written on the lines just above a top-level item (usually an
//! endpoint), at the end of its first line, or anywhere inside its block,
//! it allows those rules' findings about that item.
//!
//! ## Why is this bad?
//!
//! A directive that does not parse allows nothing, so the finding it was
//! written for is still reported, and the comment misleads whoever reads
//! the policy into thinking the finding was reviewed.
//!
//! ## Example
//!
//! ```gate
//! # gatehouse: allow public-without-quotas -- the edge rate-limits the probe
//! endpoint GET /status {
//!   public
//! }
//! ```
//!
//! Use instead:
//!
//! ```gate
//! # gatehouse: allow public-without-quota -- the edge rate-limits the probe
//! endpoint GET /status {
//!   public
//! }
//! ```

use crate::diag::{Code, Diagnostic};
use crate::span::Span;

pub(crate) fn finding(directive: Span, message: String, help: String) -> Diagnostic {
    Diagnostic::new(Code::InvalidAllow, directive, message)
        .label("not a valid directive")
        .help(help)
}
