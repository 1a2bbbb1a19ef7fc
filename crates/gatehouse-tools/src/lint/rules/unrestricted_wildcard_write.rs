//! # unrestricted-wildcard-write (GH-L008)
//!
//! ## What it does
//!
//! Flags an endpoint whose path ends in `**` and that accepts a write
//! method (`POST`, `PUT`, `PATCH`, `DELETE`, or `*`), unless only mTLS
//! schemes may call it or an enforced `allow from` list restricts where
//! calls come from.
//!
//! ## Why is this bad?
//!
//! `**` matches paths nobody has written down yet: every future route of
//! the service below that prefix inherits this endpoint's rules, writes
//! included. That is acceptable for internal machinery reached by
//! certificate from known networks; with bearer tokens from anywhere, a
//! new admin route in the service is exposed the day it ships. List the
//! write endpoints, or restrict the wildcard.
//!
//! ## Example
//!
//! ```gate
//! endpoint * /admin/** {
//!   authenticate user
//!   require admin
//! }
//! ```
//!
//! Use instead:
//!
//! ```gate
//! endpoint * /admin/** {
//!   authenticate service
//!   allow from 10.0.0.0/8
//!   require admin
//! }
//! ```

use super::super::checker::{Ctx, Out};
use super::{accepts_writes, enforced};
use crate::diag::{Code, Diagnostic};
use crate::model::{Access, AuthKind, Endpoint, Segment};

pub(crate) fn endpoint(ctx: &Ctx<'_>, endpoint: &Endpoint, out: &mut Out) {
    if !matches!(endpoint.path.last(), Some(Segment::Rest)) || !accepts_writes(endpoint) {
        return;
    }
    let mtls_only = match &endpoint.access {
        Access::Authenticated { schemes, .. } => {
            !schemes.is_empty()
                && schemes.iter().all(|s| {
                    matches!(
                        ctx.api.scheme(*s).map(|s| &s.kind),
                        Some(AuthKind::Mtls { .. })
                    )
                })
        }
        _ => false,
    };
    let allow_list = endpoint
        .ip_allow
        .as_ref()
        .is_some_and(|r| enforced(&r.meta));
    if mtls_only || allow_list {
        return;
    }
    out.push(
        Diagnostic::new(Code::UnrestrictedWildcardWrite,
            endpoint.span,
            format!("`{}` accepts writes to any path below it, from anywhere, without a client certificate", endpoint.label()),
        )
        .label("`**` with a write method")
        .help("list the write endpoints one by one, or restrict this one: `allow from NETWORK` or an `mtls` scheme")
        .about(endpoint.span, endpoint.label()),
    );
}
