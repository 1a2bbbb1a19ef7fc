//! # permissive-cidr (GH-L007)
//!
//! ## What it does
//!
//! Flags very wide networks where a narrow one is meant: in `allow from`
//! (an endpoint's or the defaults'), and in `options { trusted_proxies }`.
//! Wide means `0.0.0.0/0` or `::/0`, or a prefix shorter than `/8` for IPv4
//! and `/32` for IPv6.
//!
//! ## Why is this bad?
//!
//! `allow from 0.0.0.0/0` restricts nothing (and, being IPv4 only, quietly
//! shuts out IPv6 clients); a `/4` is a sixteenth of the internet. Such a
//! list reads like a restriction in review and is none. In
//! `trusted_proxies` it is worse: every client in the network may send
//! `X-Forwarded-For` and choose the address that `allow from`, `deny from`
//! and IP quotas see.
//!
//! ## Example
//!
//! ```gate
//! endpoint * /admin/** {
//!   authenticate service
//!   allow from 0.0.0.0/0
//!   require admin
//! }
//! ```
//!
//! Use instead:
//!
//! ```gate
//! endpoint * /admin/** {
//!   authenticate service
//!   allow from 10.0.0.0/8, 192.168.0.0/16
//!   require admin
//! }
//! ```

use ipnet::IpNet;

use super::super::checker::{Ctx, Out};
use crate::diag::{Code, Diagnostic};
use crate::model::{Endpoint, IpRule};
use crate::span::Span;
use crate::syntax::ast::{OptionValue, StatementKind};

/// The shortest prefixes that are not flagged.
const MIN_V4_PREFIX: u8 = 8;
const MIN_V6_PREFIX: u8 = 32;

fn too_wide(net: &IpNet) -> bool {
    match net {
        IpNet::V4(v4) => v4.prefix_len() < MIN_V4_PREFIX,
        IpNet::V6(v6) => v6.prefix_len() < MIN_V6_PREFIX,
    }
}

/// "every IPv4 address" or "about 1 in 16 of all IPv4 addresses".
fn share(net: &IpNet) -> String {
    let family = if matches!(net, IpNet::V4(_)) {
        "IPv4"
    } else {
        "IPv6"
    };
    match net.prefix_len() {
        0 => format!("every {family} address"),
        n => format!("1 in {} of all {family} addresses", 1u128 << n.min(127)),
    }
}

/// `trusted_proxies`.
pub(crate) fn api(ctx: &Ctx<'_>, out: &mut Out) {
    let option = ctx.option("trusted_proxies");
    for net in ctx
        .api
        .options
        .trusted_proxies
        .iter()
        .filter(|n| too_wide(n))
    {
        let span = option
            .and_then(|o| {
                o.values.iter().find(|v| match &v.node {
                    OptionValue::Cidr(text) => parse(text) == Some(*net),
                    _ => false,
                })
            })
            .map(|v| v.span)
            .or(option.map(|o| o.span))
            .unwrap_or(ctx.api.span);
        out.push(
            Diagnostic::new(Code::PermissiveCidr,
                span,
                format!("`trusted_proxies` trusts `{net}`: {} may choose its own client address", share(net)),
            )
            .label("a very wide network of trusted proxies")
            .help("list only the addresses of your own proxies and load balancers; anyone else's `X-Forwarded-For` must not be believed"),
        );
    }
}

/// `allow from`, the endpoint's or an inherited one.
pub(crate) fn endpoint(ctx: &Ctx<'_>, endpoint: &Endpoint, out: &mut Out) {
    let Some(rule) = &endpoint.ip_allow else {
        return;
    };
    for net in rule.nets.iter().filter(|n| too_wide(n)) {
        let what = if net.prefix_len() == 0 {
            format!(
                "`allow from {net}` allows {}, so it restricts nothing",
                share(net)
            )
        } else {
            format!("`allow from {net}` allows {}", share(net))
        };
        let help = if net.prefix_len() == 0 {
            "list the networks that may call, or remove `allow from` if every network may (it also shuts out the other IP family)"
        } else {
            "list the networks that may call, as narrowly as you can"
        };
        let mut finding = Diagnostic::new(Code::PermissiveCidr, net_span(ctx, rule, net), what)
            .label("a very wide network")
            .help(help);
        if !rule.meta.inherited {
            finding = finding.about(endpoint.span, endpoint.label());
        }
        out.push(finding);
    }
}

/// The span of one network in an `allow from` list, or of the rule.
fn net_span(ctx: &Ctx<'_>, rule: &IpRule, net: &IpNet) -> Span {
    let Some(statement) = ctx.statement_at(rule.meta.span) else {
        return rule.meta.span;
    };
    match &statement.kind {
        StatementKind::AllowFrom(nets) | StatementKind::DenyFrom(nets) => nets
            .iter()
            .find(|n| parse(&n.node) == Some(*net))
            .map_or(rule.meta.span, |n| n.span),
        _ => rule.meta.span,
    }
}

fn parse(text: &str) -> Option<IpNet> {
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<std::net::IpAddr>().ok().map(IpNet::from))
}
