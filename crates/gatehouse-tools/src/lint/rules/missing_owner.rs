//! # missing-owner (GH-L010)
//!
//! ## What it does
//!
//! Flags a policy file whose API has no `owner` declaration.
//!
//! ## Why is this bad?
//!
//! When a policy leaks data, locks customers out or blocks a release,
//! someone has to answer for it quickly. The owner is recorded with the
//! policy, shown by `gatehouse inventory`, and is who reviewers and
//! incident responders contact. A policy nobody owns is a policy nobody
//! reviews.
//!
//! ## Example
//!
//! ```gate
//! api "billing" version "2"
//!
//! endpoint GET /health {
//!   public
//!   quota 10/s by ip
//! }
//! ```
//!
//! Use instead:
//!
//! ```gate
//! api "billing" version "2"
//! owner "billing-team@example.com"
//!
//! endpoint GET /health {
//!   public
//!   quota 10/s by ip
//! }
//! ```

use super::super::checker::{Ctx, Out};
use crate::diag::{Code, Diagnostic};

pub(crate) fn api(ctx: &Ctx<'_>, out: &mut Out) {
    if ctx.api.owner.is_some() {
        return;
    }
    out.push(
        Diagnostic::new(
            Code::MissingOwner,
            ctx.api.span,
            format!("API `{}` names no owner", ctx.api.name),
        )
        .label("no `owner`")
        .help("say who answers for this API: `owner \"team@example.com\"`"),
    );
}
