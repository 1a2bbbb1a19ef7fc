//! # fail-open-on-store-error (GH-L012)
//!
//! ## What it does
//!
//! Flags `options { on_store_error = allow }`: when the quota store cannot
//! answer, requests are let through without being counted.
//!
//! ## Why is this bad?
//!
//! Gatehouse fails safe: an evaluation that cannot complete denies. Failing
//! open on store errors turns every quota into a suggestion exactly when
//! something is wrong, and an attacker who can slow or break the store
//! (by flooding it, for one) removes every rate limit at once. Choose it
//! only for an API whose availability matters more than its limits, and
//! say why with an allow directive.
//!
//! ## Example
//!
//! ```gate
//! api "search" version "1"
//! owner "search-team@example.com"
//!
//! options {
//!   on_store_error = allow
//! }
//!
//! endpoint GET /search {
//!   public
//!   quota 30/min by ip
//! }
//! ```
//!
//! Use instead:
//!
//! ```gate
//! api "search" version "1"
//! owner "search-team@example.com"
//!
//! options {
//!   on_store_error = deny
//! }
//!
//! endpoint GET /search {
//!   public
//!   quota 30/min by ip
//! }
//! ```

use super::super::checker::{Ctx, Out};
use crate::diag::{Code, Diagnostic};
use crate::model::StoreErrorPolicy;

pub(crate) fn api(ctx: &Ctx<'_>, out: &mut Out) {
    if ctx.api.options.on_store_error != StoreErrorPolicy::Allow {
        return;
    }
    let span = ctx
        .option("on_store_error")
        .map_or(ctx.api.span, |o| o.span);
    out.push(
        Diagnostic::new(Code::FailOpenOnStoreError,
            span,
            format!("API `{}` lets requests through uncounted when the quota store fails", ctx.api.name),
        )
        .label("fails open")
        .help("deny when quotas cannot be counted (`on_store_error = deny`, the default), or allow this finding with the reason availability wins here"),
    );
}
