//! # unversioned-api (GH-L011)
//!
//! ## What it does
//!
//! Flags an `api` declaration without a `version`.
//!
//! ## Why is this bad?
//!
//! The version is recorded in every audit record (`api_version`). Without
//! it, an audit trail cannot say which revision of an API's contract a
//! decision was made under, and reviewers of a policy change cannot tell
//! which clients it affects. Version the API even if its `base` has a
//! version segment: the base says where it is served, the version what it
//! is.
//!
//! ## Example
//!
//! ```gate
//! api "billing"
//! owner "billing-team@example.com"
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
//! api "billing" version "2.3"
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
    if ctx.api.version.is_some() {
        return;
    }
    out.push(
        Diagnostic::new(
            Code::UnversionedApi,
            ctx.api.span,
            format!("API `{}` has no version", ctx.api.name),
        )
        .label("no `version`")
        .help(format!(
            "add the version of the API's contract: `api \"{}\" version \"1.0\"`",
            ctx.api.name
        )),
    );
}
