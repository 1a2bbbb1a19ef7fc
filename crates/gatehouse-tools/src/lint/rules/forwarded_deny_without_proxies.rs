//! # forwarded-deny-without-proxies (GH-L020)
//!
//! ## What it does
//!
//! Flags `options { forwarded = deny }` on an API that lists no
//! `trusted_proxies`: every request carrying `X-Forwarded-For`,
//! `Forwarded` or `X-Real-IP` is denied (400 `forwarded_untrusted`).
//!
//! ## Why is this bad?
//!
//! Clients behind corporate proxies, and many CDNs and VPN gateways, add
//! `X-Forwarded-For` to every request. Ignoring the header from a peer that
//! is not a trusted proxy (the default) is just as safe: the peer address
//! decides, so the header can never move a request into an `allow from`
//! network. Denying it only makes sense when every legitimate client
//! reaches the API through proxies of your own, and those proxies belong
//! in `trusted_proxies`. Without them, `deny` turns away legitimate users
//! and protects nothing more.
//!
//! ## Example
//!
//! ```gate
//! api "shop" version "1"
//! owner "shop-team@example.com"
//!
//! options {
//!   forwarded = deny
//! }
//!
//! endpoint GET /products {
//!   public
//!   quota 60/min by ip
//! }
//! ```
//!
//! Use instead:
//!
//! ```gate
//! api "shop" version "1"
//! owner "shop-team@example.com"
//!
//! options {
//!   trusted_proxies = 10.0.0.0/8
//!   forwarded       = deny
//! }
//!
//! endpoint GET /products {
//!   public
//!   quota 60/min by ip
//! }
//! ```

use super::super::checker::{Ctx, Out};
use crate::diag::{Code, Diagnostic};
use crate::model::ForwardedPolicy;

pub(crate) fn api(ctx: &Ctx<'_>, out: &mut Out) {
    let options = &ctx.api.options;
    if options.forwarded != ForwardedPolicy::Deny || !options.trusted_proxies.is_empty() {
        return;
    }
    let span = ctx.option("forwarded").map_or(ctx.api.span, |o| o.span);
    out.push(
        Diagnostic::new(
            Code::ForwardedDenyWithoutProxies,
            span,
            format!(
                "API `{}` denies every request that carries a forwarding header, and trusts no proxy",
                ctx.api.name
            ),
        )
        .label("denies clients behind proxies")
        .help("drop `forwarded = deny` (the header is then ignored and the peer address used), or list your own proxies in `trusted_proxies`"),
    );
}
