//! # allow-without-reason (GH-L017)
//!
//! ## What it does
//!
//! Flags an allow directive (`# gatehouse: allow RULE`) without a reason
//! after ` -- `. The directive still allows the finding, so the output
//! stays readable, but this error fails the run until a reason is written.
//!
//! ## Why is this bad?
//!
//! An allowed finding is a decision that a policy may be less strict than
//! the linter asks. The reason is what lets a reviewer, an auditor or the
//! next owner judge whether the decision still holds: a ticket, a
//! constraint, an expiry date. A bare allow is a finding hidden, not a
//! decision recorded.
//!
//! ## Example
//!
//! ```gate
//! # gatehouse: allow GH-L001
//! endpoint GET /status {
//!   public
//! }
//! ```
//!
//! Use instead:
//!
//! ```gate
//! # gatehouse: allow GH-L001 -- the load balancer's health probe; the edge rate-limits it
//! endpoint GET /status {
//!   public
//! }
//! ```

use crate::diag::{Code, Diagnostic};
use crate::span::Span;

pub(crate) fn finding(directive: Span, rules: &str) -> Diagnostic {
    Diagnostic::new(Code::AllowWithoutReason, directive, format!("`allow {rules}` gives no reason"))
        .label("no reason")
        .help(format!("say why after ` -- `: `# gatehouse: allow {rules} -- why this is acceptable (ticket, expiry)`"))
}
