//! Methods, path patterns, and the rule that one request has one answer:
//! two endpoints that can match the same request with equal specificity are
//! an error, and an endpoint that can never be selected is a warning.

use rustc_hash::FxHashMap;

use super::decl::quote_list;
use crate::diag::{did_you_mean, Code, Diagnostic, Diagnostics};
use crate::model::{Api, Endpoint, Method, MethodSel, Model, ParamType, Segment};
use crate::span::Span;
use crate::syntax::ast::{EndpointAst, SegmentAst};

/// The route part of an endpoint, checked.
pub(crate) struct Route {
    pub method: MethodSel,
    pub path: Vec<Segment>,
    pub path_text: String,
    pub span: Span,
    /// Parameter name and span, in path order.
    pub params: Vec<(String, ParamType, Span)>,
}

impl Route {
    pub fn param(&self, name: &str) -> Option<(usize, ParamType)> {
        self.path.iter().enumerate().find_map(|(i, s)| match s {
            Segment::Param { name: n, ty } if n == name => Some((i, *ty)),
            _ => None,
        })
    }
}

const METHOD_NAMES: &[&str] = &[
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT",
];

pub(crate) fn route(ast: &EndpointAst, diagnostics: &mut Diagnostics) -> Option<Route> {
    let mut ok = true;
    let method = match ast.method.node.as_str() {
        "*" => Some(MethodSel::Any),
        text => match Method::parse(text) {
            Some(m) => Some(MethodSel::One(m)),
            None => {
                let upper = text.to_ascii_uppercase();
                let help = if Method::parse(&upper).is_some() {
                    format!("methods are written in capitals: `{upper}`")
                } else if let Some(s) = did_you_mean(text, METHOD_NAMES.iter().copied()) {
                    format!("did you mean `{s}`?")
                } else {
                    format!(
                        "use one of {} or `*` for any method",
                        quote_list(METHOD_NAMES)
                    )
                };
                diagnostics.push(
                    Diagnostic::new(
                        Code::UnknownMethod,
                        ast.method.span,
                        format!("unknown HTTP method `{text}`"),
                    )
                    .label("not a method")
                    .help(help),
                );
                None
            }
        },
    };

    let mut path = Vec::new();
    let mut params: Vec<(String, ParamType, Span)> = Vec::new();
    let count = ast.path.segments.len();
    for (i, segment) in ast.path.segments.iter().enumerate() {
        let checked = match &segment.node {
            SegmentAst::Literal(text) if text == "." || text == ".." => {
                diagnostics.push(
                    Diagnostic::new(Code::InvalidPath, segment.span, format!("`{text}` cannot be a path segment"))
                        .label("dot segment")
                        .help("requests with dot segments are denied before matching, so this endpoint could never match"),
                );
                None
            }
            SegmentAst::Literal(text) if text.contains('%') => {
                diagnostics.push(
                    Diagnostic::new(Code::InvalidPath, segment.span, "path segments are written decoded, without `%`")
                        .label("percent-encoded")
                        .help("request paths are percent-decoded once before matching; write the decoded text"),
                );
                None
            }
            SegmentAst::Literal(text) => Some(Segment::Literal(text.clone())),
            SegmentAst::Star => Some(Segment::Star),
            SegmentAst::Rest if i + 1 == count => Some(Segment::Rest),
            SegmentAst::Rest => {
                diagnostics.push(
                    Diagnostic::new(
                        Code::InvalidPath,
                        segment.span,
                        "`**` must be the last segment",
                    )
                    .label("not last")
                    .help(
                        "`**` matches the rest of the path; use `*` for one segment in the middle",
                    ),
                );
                None
            }
            SegmentAst::Param { name, ty } => {
                let param_type = match ty {
                    None => Some(ParamType::Any),
                    Some(ty) => match ParamType::parse(&ty.node) {
                        Some(t) => Some(t),
                        None => {
                            diagnostics.push(
                                Diagnostic::new(
                                    Code::UnknownParameterType,
                                    ty.span,
                                    format!("unknown parameter type `{}`", ty.node),
                                )
                                .label("not a type")
                                .help(
                                    match did_you_mean(&ty.node, ParamType::NAMES.iter().copied()) {
                                        Some(s) => format!("did you mean `{s}`?"),
                                        None => format!(
                                            "parameter types are {}",
                                            quote_list(ParamType::NAMES)
                                        ),
                                    },
                                ),
                            );
                            None
                        }
                    },
                };
                if let Some((_, _, first)) = params.iter().find(|(n, _, _)| *n == name.node) {
                    diagnostics.push(
                        Diagnostic::new(
                            Code::DuplicateParameter,
                            name.span,
                            format!("path parameter `{}` appears twice", name.node),
                        )
                        .label("second use")
                        .related(*first, "first use")
                        .help("give each parameter its own name"),
                    );
                    None
                } else {
                    param_type.map(|ty| {
                        params.push((name.node.clone(), ty, name.span));
                        Segment::Param {
                            name: name.node.clone(),
                            ty,
                        }
                    })
                }
            }
        };
        match checked {
            Some(s) => path.push(s),
            None => ok = false,
        }
    }
    if let Some(slash) = ast.path.trailing_slash {
        ok = false;
        diagnostics.push(
            Diagnostic::new(Code::InvalidPath, slash, "endpoint paths do not end with `/`")
                .label("trailing slash")
                .help(format!(
                    "write `{}`; to accept requests that end with `/`, set `options {{ trailing_slash = strip }}`",
                    ast.path.text.trim_end_matches('/')
                )),
        );
    }
    let method = method?;
    if !ok {
        return None;
    }
    Some(Route {
        method,
        path,
        path_text: ast.path.text.clone(),
        span: ast.head_span,
        params,
    })
}

/// The shape two endpoints must share to be compared: segment kinds, with
/// literals by text and parameters by kind only.
#[derive(Clone, PartialEq, Eq, Hash)]
enum ShapeSegment<'a> {
    Literal(&'a str),
    Typed,
    Param,
    Star,
    Rest,
}

fn shape(endpoint: &Endpoint, merge_star: bool) -> Vec<ShapeSegment<'_>> {
    endpoint
        .path
        .iter()
        .map(|s| match s {
            Segment::Literal(t) => ShapeSegment::Literal(t),
            Segment::Param {
                ty: ParamType::Any, ..
            } => ShapeSegment::Param,
            Segment::Param { .. } => ShapeSegment::Typed,
            Segment::Star if merge_star => ShapeSegment::Param,
            Segment::Star => ShapeSegment::Star,
            Segment::Rest => ShapeSegment::Rest,
        })
        .collect()
}

/// Whether two endpoints of the same shape can match one request path.
fn same_shape_overlap(a: &Endpoint, b: &Endpoint) -> bool {
    a.path.iter().zip(&b.path).all(|(x, y)| match (x, y) {
        (Segment::Param { ty: tx, .. }, Segment::Param { ty: ty_, .. }) => tx.overlaps(*ty_),
        _ => true,
    })
}

/// Reports equal-specificity overlaps (errors) and endpoints that can never
/// be selected (warnings). Endpoints are grouped by shape first, so this is
/// linear in the number of endpoints for realistic APIs.
pub(crate) fn check_conflicts(api: &Api, diagnostics: &mut Diagnostics) {
    // Conflicts: same method selector, same shape, overlapping types.
    let mut buckets: FxHashMap<(MethodSel, Vec<ShapeSegment<'_>>), Vec<&Endpoint>> =
        FxHashMap::default();
    for endpoint in &api.endpoints {
        buckets
            .entry((endpoint.method, shape(endpoint, false)))
            .or_default()
            .push(endpoint);
    }
    let mut keys: Vec<_> = buckets.keys().cloned().collect();
    // Every endpoint is in one bucket, so the keys are distinct.
    keys.sort_unstable_by_key(|k| buckets.get(k).and_then(|v| v.first()).map(|e| e.id));
    for key in keys {
        let Some(group) = buckets.get(&key) else {
            continue;
        };
        for (i, later) in group.iter().enumerate() {
            if let Some(earlier) = group.iter().take(i).find(|e| same_shape_overlap(e, later)) {
                diagnostics.push(
                    Diagnostic::new(
                        Code::ConflictingEndpoints,
                        later.span,
                        format!("`{}` and `{}` can match the same request", later.label(), earlier.label()),
                    )
                    .label("conflicts with an earlier endpoint")
                    .related(earlier.span, "this endpoint matches the same requests")
                    .help("neither is more specific, so Gatehouse cannot choose; merge them, or make one path more specific (a literal segment or a typed parameter such as `{id:int}`)"),
                );
            }
        }
    }

    // Shadowing: `*` where another endpoint has `{param}` matches the same
    // paths but loses every time.
    let mut by_loose_shape: FxHashMap<Vec<ShapeSegment<'_>>, Vec<&Endpoint>> = FxHashMap::default();
    for endpoint in &api.endpoints {
        by_loose_shape
            .entry(shape(endpoint, true))
            .or_default()
            .push(endpoint);
    }
    for endpoint in &api.endpoints {
        if !endpoint.path.iter().any(|s| matches!(s, Segment::Star)) {
            continue;
        }
        let Some(group) = by_loose_shape.get(&shape(endpoint, true)) else {
            continue;
        };
        let winner = group.iter().find(|other| {
            other.id != endpoint.id
                && covers_methods(other.method, endpoint.method)
                && beats_everywhere(other, endpoint)
        });
        if let Some(winner) = winner {
            diagnostics.push(
                Diagnostic::new(
                    Code::ShadowedEndpoint,
                    endpoint.span,
                    format!(
                        "`{}` can never be selected: `{}` takes every request it matches",
                        endpoint.label(),
                        winner.label()
                    ),
                )
                .label("never selected")
                .related(winner.span, "this endpoint is more specific")
                .help("remove it, or merge its rules into the more specific endpoint"),
            );
        }
    }
}

/// `winner`'s method selector serves every method `loser`'s does. Path
/// specificity is compared before method specificity, so a more specific
/// path wins even with `*` as its method.
fn covers_methods(winner: MethodSel, loser: MethodSel) -> bool {
    winner == loser || winner == MethodSel::Any
}

/// Same loose shape; `winner` has `{param}` wherever `loser` has `*`, and is
/// otherwise identical with matching parameter types.
fn beats_everywhere(winner: &Endpoint, loser: &Endpoint) -> bool {
    let mut strictly = false;
    for (w, l) in winner.path.iter().zip(&loser.path) {
        match (w, l) {
            (
                Segment::Param {
                    ty: ParamType::Any, ..
                },
                Segment::Star,
            ) => strictly = true,
            (Segment::Param { ty: a, .. }, Segment::Param { ty: b, .. }) if a == b => {}
            (Segment::Star, Segment::Star) | (Segment::Rest, Segment::Rest) => {}
            (Segment::Literal(a), Segment::Literal(b)) if a == b => {}
            _ => return false,
        }
    }
    strictly
}

/// Two APIs in one set must not be able to receive the same request: same
/// host (or either without one) and one base a prefix of the other.
pub(crate) fn check_api_overlaps(model: &Model, diagnostics: &mut Diagnostics) {
    for (i, later) in model.apis.iter().enumerate() {
        for earlier in model.apis.iter().take(i) {
            let hosts_overlap = match (&earlier.host, &later.host) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            };
            let bases_overlap = earlier.base.iter().zip(&later.base).all(|(a, b)| a == b);
            if hosts_overlap && bases_overlap {
                diagnostics.push(
                    Diagnostic::new(
                        Code::OverlappingApis,
                        later.span,
                        format!(
                            "APIs `{}` (base `{}`) and `{}` (base `{}`) can receive the same request",
                            later.name,
                            later.base_text(),
                            earlier.name,
                            earlier.base_text()
                        ),
                    )
                    .label("overlaps another API")
                    .related(earlier.span, "this API")
                    .help("give each API its own `base` (neither a prefix of the other) or its own `host`"),
                );
            }
        }
    }
}
