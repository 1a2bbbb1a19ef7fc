//! # unused-scope (GH-L004)
//!
//! ## What it does
//!
//! Flags a scope declared in `scopes { }` that no `require` and no
//! `principal has` names (in any endpoint, in `defaults` or in a
//! `shadow { }` block). A scope that is named but not declared is an error
//! of the checker (`GH-E0202`), which `gatehouse lint` reports too.
//!
//! ## Why is this bad?
//!
//! A declared scope documents a permission. If nothing requires it, the
//! permission protects nothing: either the rule that should require it is
//! missing (and an endpoint is more open than its authors think), or the
//! declaration is stale and misleads reviewers and the people who grant
//! tokens.
//!
//! ## Example
//!
//! ```gate
//! api "store" version "1"
//! owner "store-team@example.com"
//! auth user = jwt(issuer: "https://id.example.com", audience: "store")
//!
//! scopes {
//!   orders:read   "Read orders"
//!   orders:write  "Place orders"
//! }
//!
//! endpoint GET /orders {
//!   authenticate user
//!   require orders:read
//! }
//! ```
//!
//! Use instead:
//!
//! ```gate
//! api "store" version "1"
//! owner "store-team@example.com"
//! auth user = jwt(issuer: "https://id.example.com", audience: "store")
//!
//! scopes {
//!   orders:read   "Read orders"
//!   orders:write  "Place orders"
//! }
//!
//! endpoint GET /orders {
//!   authenticate user
//!   require orders:read
//! }
//!
//! endpoint POST /orders {
//!   authenticate user
//!   require orders:write
//!   body max 16KiB
//! }
//! ```

use super::super::checker::{ApiFacts, Ctx, Out};
use crate::diag::{Code, Diagnostic};

pub(crate) fn api(ctx: &Ctx<'_>, facts: &ApiFacts, out: &mut Out) {
    for (scope, used) in ctx.api.scopes.iter().zip(&facts.used_scopes) {
        if *used {
            continue;
        }
        out.push(
            Diagnostic::new(
                Code::UnusedScope,
                scope.span,
                format!("scope `{}` is declared but nothing requires it", scope.name),
            )
            .label("never required")
            .help(format!(
                "require it where it is meant to apply (`require {}`), or remove the declaration",
                scope.name
            )),
        );
    }
}
