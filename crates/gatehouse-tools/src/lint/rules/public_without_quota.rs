//! # public-without-quota (GH-L001)
//!
//! ## What it does
//!
//! Flags a `public` endpoint without a quota: none of its own and none
//! inherited from `defaults` (a public endpoint inherits the quotas counted
//! by `ip` or a header). A quota inside `shadow { }` is not enforced, so it
//! does not count.
//!
//! ## Why is this bad?
//!
//! Anyone may call a public endpoint, as often as they like: it is where
//! scraping, enumeration, credential stuffing and cheap denial of service
//! start. Without a principal there is nothing to count by but the client,
//! so a public endpoint needs a quota by `ip` (or by a header the edge
//! sets).
//!
//! ## Example
//!
//! ```gate
//! endpoint GET /pets {
//!   public
//! }
//! ```
//!
//! Use instead:
//!
//! ```gate
//! endpoint GET /pets {
//!   public
//!   quota 60/min burst 20 by ip
//! }
//! ```

use super::super::checker::{Ctx, Out};
use super::enforced;
use crate::diag::{Code, Diagnostic};
use crate::model::{Access, Endpoint};

pub(crate) fn endpoint(_ctx: &Ctx<'_>, endpoint: &Endpoint, out: &mut Out) {
    let Access::Public(public) = endpoint.access else {
        return;
    };
    if endpoint.quotas.iter().any(|q| enforced(&q.meta)) {
        return;
    }
    out.push(
        Diagnostic::new(
            Code::PublicWithoutQuota,
            endpoint.span,
            format!("`{}` is public and has no quota", endpoint.label()),
        )
        .label("anyone may call this, without limit")
        .related(public, "public here")
        .help("count requests by client address: `quota 60/min by ip` (here, or in `defaults`)")
        .about(endpoint.span, endpoint.label()),
    );
}
