//! # shadowed-route (GH-L005)
//!
//! ## What it does
//!
//! Flags an endpoint ending in `**` that more specific endpoints leave
//! (almost) nothing to: typically `X/**` next to `X/*/**` or `X/{id}/**`,
//! which takes every path below `X`, so that `X/**` only ever answers `X`
//! itself, or nothing at all when `X` has an endpoint of its own. It is
//! judged the way the evaluator routes: for each method the endpoint
//! serves, a request for its prefix and for one and two more segments.
//! (An endpoint with `*` where another has `{param}` is the checker's
//! `GH-W0306`.)
//!
//! ## Why is this bad?
//!
//! The rules of a `**` endpoint look like they guard a whole subtree. When
//! other endpoints take the subtree, those rules guard one path or none,
//! and a reviewer who reads `X/**` to learn what protects `X/a/b` is
//! misled. If only `X` is meant, say so; if the subtree is meant, the
//! rules belong on the endpoint that wins.
//!
//! ## Example
//!
//! ```gate
//! endpoint GET /files/** {
//!   authenticate user
//!   require admin
//! }
//!
//! endpoint GET /files/*/** {
//!   authenticate user
//!   require pets:read
//! }
//! ```
//!
//! Use instead:
//!
//! ```gate
//! endpoint GET /files {
//!   authenticate user
//!   require admin
//! }
//!
//! endpoint GET /files/*/** {
//!   authenticate user
//!   require pets:read
//! }
//! ```

use super::super::checker::{Ctx, Out};
use super::{methods, probe_path, route};
use crate::diag::{Code, Diagnostic};
use crate::model::{Endpoint, Segment};

pub(crate) fn endpoint(ctx: &Ctx<'_>, endpoint: &Endpoint, out: &mut Out) {
    if endpoint.shadow.is_some() || !matches!(endpoint.path.last(), Some(Segment::Rest)) {
        return;
    }
    let methods = methods(endpoint);
    let answers = |rest: usize| {
        let path = probe_path(endpoint, rest);
        methods
            .iter()
            .any(|m| route(ctx.api, *m, &path).is_some_and(|e| e.id == endpoint.id))
    };
    if answers(1) || answers(2) {
        return;
    }
    // Who takes the longer paths, for the message.
    let longer = probe_path(endpoint, 1);
    let Some(winner) = methods.iter().find_map(|m| route(ctx.api, *m, &longer)) else {
        return;
    };
    let prefix = endpoint
        .path_text
        .strip_suffix("/**")
        .filter(|p| !p.is_empty())
        .unwrap_or("/");
    let (message, label, help) = if answers(0) {
        (
            format!("`{}` only ever answers `{prefix}` itself: `{}` takes every longer path", endpoint.label(), winner.label()),
            "only its prefix reaches it".to_string(),
            format!("if only `{prefix}` is meant, write `endpoint {} {prefix}`; otherwise move these rules to `{}` or remove this endpoint", endpoint.method.as_str(), winner.label()),
        )
    } else {
        // Endpoints with `*` where a winner has `{param}` are GH-W0306.
        if endpoint.path.iter().any(|s| matches!(s, Segment::Star)) {
            return;
        }
        let exact = route(
            ctx.api,
            methods
                .first()
                .copied()
                .unwrap_or(crate::model::Method::GET),
            &probe_path(endpoint, 0),
        );
        let exact = exact.map_or_else(|| prefix.to_string(), |e| e.label());
        (
            format!(
                "`{}` never answers a request: `{exact}` and `{}` take them all",
                endpoint.label(),
                winner.label()
            ),
            "never selected".to_string(),
            "remove it, or move its rules to the endpoints that answer".to_string(),
        )
    };
    out.push(
        Diagnostic::new(Code::ShadowedRoute, endpoint.span, message)
            .label(label)
            .related(winner.span, "more specific for every longer path")
            .help(help)
            .about(endpoint.span, endpoint.label()),
    );
}
