//! # fallthrough-to-weaker-route (GH-L006)
//!
//! ## What it does
//!
//! Flags an endpoint whose near misses reach a less specific endpoint that
//! is less protected. A request falls through to a less specific path
//! pattern when it uses a method the endpoint does not serve (`DELETE` on a
//! path that only has `GET`), or a value outside a typed parameter
//! (`/users/abc` next to `/users/{id:int}`). The rule routes such requests
//! as the evaluator does and compares the endpoint that takes them: it is
//! weaker when it is public (and the endpoint authenticates), accepts a
//! non-mTLS scheme (and the endpoint is mTLS-only), has no `allow from`
//! (and the endpoint has one), or requires no scope (and the endpoint
//! does). Endpoints with the same path pattern are separate, deliberate
//! routes and are not compared.
//!
//! ## Why is this bad?
//!
//! A catch-all such as `* /**` or `GET /users/{name}` quietly becomes the
//! policy for every request that misses the specific endpoint. The service
//! behind the gateway may not be as strict: it may accept the method
//! through an override the gateway does not see, or read `+7` or `7.0` as
//! the id that the typed parameter refused. The protections written on
//! the specific endpoint then do not apply.
//!
//! ## Example
//!
//! ```gate
//! endpoint GET /admin/users {
//!   authenticate service
//!   allow from 10.0.0.0/8
//!   require admin
//! }
//!
//! endpoint * /** {
//!   public
//!   quota 100/min by ip
//! }
//! ```
//!
//! Use instead:
//!
//! ```gate
//! endpoint GET /admin/users {
//!   authenticate service
//!   allow from 10.0.0.0/8
//!   require admin
//! }
//!
//! endpoint GET /assets/** {
//!   public
//!   quota 100/min by ip
//! }
//! ```

use super::super::checker::{Ctx, Out};
use super::{enforced, full_path, methods, probe_path, route, PROBE};
use crate::diag::{Code, Diagnostic};
use crate::model::{Access, Api, AuthKind, Endpoint, Method, ParamType, Segment};

pub(crate) fn endpoint(ctx: &Ctx<'_>, endpoint: &Endpoint, out: &mut Out) {
    if endpoint.shadow.is_some() {
        return;
    }
    let served = methods(endpoint);
    let path = probe_path(endpoint, 0);
    // Other methods on the endpoint's own path.
    for method in Method::ALL
        .iter()
        .copied()
        .filter(|m| !served.contains(m) && *m != Method::HEAD)
    {
        if report(
            ctx,
            endpoint,
            method,
            &path,
            &format!("a `{}` request", method.as_str()),
            out,
        ) {
            return;
        }
    }
    // Values outside a typed parameter, with the methods it serves.
    for (i, segment) in endpoint.path.iter().enumerate() {
        let Segment::Param {
            name,
            ty: ty @ (ParamType::Int | ParamType::Uuid),
        } = segment
        else {
            continue;
        };
        let mut missed = path.clone();
        if let Some(value) = missed.get_mut(i) {
            *value = PROBE.to_string();
        }
        for method in &served {
            let what = format!(
                "a `{}` request whose `{name}` is not {}",
                method.as_str(),
                if *ty == ParamType::Int {
                    "an int"
                } else {
                    "a uuid"
                }
            );
            if report(ctx, endpoint, *method, &missed, &what, out) {
                return;
            }
        }
    }
}

/// Routes one near miss; reports it if it reaches a weaker endpoint with
/// another path pattern. Returns whether it reported.
fn report(
    ctx: &Ctx<'_>,
    endpoint: &Endpoint,
    method: Method,
    path: &[String],
    what: &str,
    out: &mut Out,
) -> bool {
    let Some(other) = route(ctx.api, method, path) else {
        return false;
    };
    if other.id == endpoint.id || other.path == endpoint.path {
        return false;
    }
    let Some(weaker) = weaker(ctx.api, endpoint, other) else {
        return false;
    };
    out.push(
        Diagnostic::new(Code::FallthroughToWeakerRoute,
            endpoint.span,
            format!(
                "{what} to `{}` falls through to `{}`, which {weaker}",
                full_path(ctx.api, endpoint),
                other.label()
            ),
        )
        .label("near misses of this endpoint go elsewhere")
        .related(other.span, "takes them, with weaker rules")
        .help(format!(
            "narrow `{}` so that it does not catch what was meant for `{}`, or give it the same protection",
            other.label(),
            endpoint.label()
        ))
        .about(endpoint.span, endpoint.label()),
    );
    true
}

/// How `other` is less protected than `endpoint`, if it is.
fn weaker(api: &Api, endpoint: &Endpoint, other: &Endpoint) -> Option<&'static str> {
    let mtls_only = |e: &Endpoint| match &e.access {
        Access::Authenticated { schemes, .. } => {
            !schemes.is_empty()
                && schemes
                    .iter()
                    .all(|s| matches!(api.scheme(*s).map(|s| &s.kind), Some(AuthKind::Mtls { .. })))
        }
        _ => false,
    };
    let allow_list = |e: &Endpoint| e.ip_allow.as_ref().is_some_and(|r| enforced(&r.meta));
    let scoped = |e: &Endpoint| {
        e.scopes
            .iter()
            .any(|s| enforced(&s.meta) && !s.groups.is_empty())
    };
    match (&endpoint.access, &other.access) {
        (Access::Authenticated { .. }, Access::Public(_)) => return Some("is public"),
        (Access::Authenticated { .. }, Access::Authenticated { .. })
            if mtls_only(endpoint) && !mtls_only(other) =>
        {
            return Some("accepts credentials other than a client certificate")
        }
        _ => {}
    }
    if allow_list(endpoint) && !allow_list(other) && !matches!(other.access, Access::Closed) {
        return Some("has no `allow from` list");
    }
    if scoped(endpoint) && !scoped(other) && matches!(other.access, Access::Authenticated { .. }) {
        return Some("requires no scope");
    }
    None
}
