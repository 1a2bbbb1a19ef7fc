//! # jwt-without-audience (GH-L013)
//!
//! ## What it does
//!
//! Flags an `auth NAME = jwt(...)` scheme without an `audience`.
//!
//! ## Why is this bad?
//!
//! An identity provider issues tokens for many services. Without an
//! audience to check, a token minted for any of them (a low-value
//! marketing app, a partner's integration) is accepted here too: one
//! leaked or over-shared token opens every API that trusts the same
//! issuer. The audience pins tokens to this API.
//!
//! ## Example
//!
//! ```gate
//! api "ledger" version "1"
//! owner "ledger-team@example.com"
//! auth user = jwt(issuer: "https://id.example.com")
//!
//! endpoint GET /balance {
//!   authenticate user
//! }
//! ```
//!
//! Use instead:
//!
//! ```gate
//! api "ledger" version "1"
//! owner "ledger-team@example.com"
//! auth user = jwt(issuer: "https://id.example.com", audience: "ledger")
//!
//! endpoint GET /balance {
//!   authenticate user
//! }
//! ```

use super::super::checker::{Ctx, Out};
use crate::diag::{Code, Diagnostic};
use crate::model::{AuthKind, AuthScheme};

pub(crate) fn scheme(ctx: &Ctx<'_>, scheme: &AuthScheme, out: &mut Out) {
    let AuthKind::Jwt {
        audience: None,
        issuer,
        ..
    } = &scheme.kind
    else {
        return;
    };
    let span = ctx
        .item_at(scheme.span)
        .map_or(scheme.span, |item| item.span);
    out.push(
        Diagnostic::new(
            Code::JwtWithoutAudience,
            span,
            format!(
                "JWT scheme `{}` accepts tokens from `{issuer}` minted for any audience",
                scheme.name
            ),
        )
        .label("no `audience`")
        .help(format!(
            "pin tokens to this API: `jwt(issuer: \"{issuer}\", audience: \"{}\")`",
            ctx.api.name
        )),
    );
}
