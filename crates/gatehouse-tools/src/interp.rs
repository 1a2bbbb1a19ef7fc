//! The reference interpreter: a plain walk over the checked model.
//!
//! It answers the same question as [`crate::eval::decide`] without the
//! compiled tree: it splits the raw path before decoding (the evaluator
//! decodes first), scans every endpoint and picks the most specific by
//! comparing specificity keys (the evaluator walks a trie), and evaluates
//! conditions from the model. It is slow on purpose and simple on purpose;
//! property tests hold the two to the same decisions.

use std::net::IpAddr;

use serde_json::Value;

use crate::decision::{Decision, Detail, PathProblem, Reason, ShadowFinding};
use crate::model::{
    Access, Api, AuthKind, CmpOp, CondExpr, Endpoint, ForwardedPolicy, Lit, Method, MethodRank,
    Model, Operand, ParamType, RuleMeta, ScopeId, Segment, TrailingSlash, ValueRef,
};
use crate::request::{Principal, Request};
use crate::span::Span;
use crate::tree::MAX_SEGMENTS;

pub(crate) mod observe;
mod payload;

use observe::{Event, Observer, Silent};

/// Decides a request with the reference interpreter: slow, simple, and
/// held to the same answers as `PolicySet::decide` by property tests.
/// Quotas are counted in the set's store, as by `decide`.
pub fn interpret(policy: &gatehouse::PolicySet, request: &Request<'_>) -> gatehouse::Decision {
    interpret_with(policy, request, policy.quota_store())
}

/// [`interpret`], counting quotas in `store` instead.
pub fn interpret_with<S: crate::quota::QuotaStore + ?Sized>(
    policy: &gatehouse::PolicySet,
    request: &Request<'_>,
    store: &S,
) -> gatehouse::Decision {
    let set = policy.internals();
    let mut decision = decide(set.model(), request);
    set.settle(&mut decision, request, store);
    gatehouse::Decision::from_internals(decision)
}

/// The interpreter's decision before quotas.
pub fn decide(model: &Model, request: &Request<'_>) -> Decision {
    decide_observed(model, request, &mut Silent)
}

/// [`decide`], reporting each step to `obs` (see [`observe`]). Every check
/// reports an event, pass or fail; a new check should too.
pub(crate) fn decide_observed<O: Observer>(
    model: &Model,
    request: &Request<'_>,
    obs: &mut O,
) -> Decision {
    let parsed = match parse_target(request.target) {
        Ok(p) => p,
        Err((reason, problem)) => {
            return Decision::deny(
                reason,
                problem.map_or(Detail::None, |problem| Detail::Path { problem }),
            )
        }
    };
    if O::ENABLED {
        obs.event(Event::Target {
            segments: &parsed.segments,
            query: parsed.query.as_deref(),
            trailing_slash: parsed.trailing_slash,
        });
    }

    let host = request.host.map(|h| match h.rsplit_once(':') {
        Some((name, port)) if !h.ends_with(']') && port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => h,
    });
    let mut selected = None;
    for (index, api) in model.apis.iter().enumerate() {
        let host_matches = match (&api.host, host) {
            (None, _) => true,
            (Some(want), Some(got)) => want.eq_ignore_ascii_case(got),
            (Some(_), None) => false,
        };
        let base_matches = api.base.len() <= parsed.segments.len()
            && api
                .base
                .iter()
                .zip(parsed.segments.iter())
                .all(|(a, b)| a == b);
        if host_matches && base_matches {
            selected = Some((index, api));
            break;
        }
    }
    if O::ENABLED {
        obs.event(Event::Api {
            api: selected.map(|(_, api)| api),
        });
    }
    let Some((api_index, api)) = selected else {
        return Decision::deny(Reason::RouteNotFound, Detail::None);
    };
    let api_id = crate::model::ApiId(api_index as u32);
    let finish = |mut d: Decision, ip: Option<IpAddr>, endpoint: Option<&Endpoint>| {
        d.api = Some(api_id);
        d.client_ip = ip;
        d.endpoint = endpoint.map(|e| e.id);
        d
    };

    if parsed.trailing_slash && api.options.trailing_slash == TrailingSlash::Deny {
        return finish(
            Decision::deny(
                Reason::PathMalformed,
                Detail::Path {
                    problem: PathProblem::TrailingSlash,
                },
            ),
            None,
            None,
        );
    }
    // Look-alike characters: any segment holding one, unless the API
    // accepts them.
    let lookalike = parsed
        .segments
        .iter()
        .any(|s| gatehouse_core::lookalike::first_in(s).is_some());
    if lookalike && !api.options.lookalike_characters {
        return finish(
            Decision::deny(
                Reason::PathMalformed,
                Detail::Path {
                    problem: PathProblem::LookalikeCharacter,
                },
            ),
            None,
            None,
        );
    }

    // Method override headers.
    let mut method_text = request.method.to_string();
    for name in [
        "x-http-method-override",
        "x-http-method",
        "x-method-override",
    ] {
        let values: Vec<&str> = header_values(request, name);
        if values.is_empty() {
            continue;
        }
        let denial = Decision::deny(
            Reason::MethodOverride,
            Detail::Header {
                name: static_name(name),
            },
        );
        if !api.options.method_override || request.method != "POST" || values.len() > 1 {
            return finish(denial, None, None);
        }
        let Some(value) = values.first() else {
            return finish(denial, None, None);
        };
        if Method::parse(value.trim()).is_none() {
            return finish(denial, None, None);
        }
        method_text = value.trim().to_string();
        if O::ENABLED {
            obs.event(Event::MethodOverride {
                header: static_name(name),
                method: &method_text,
            });
        }
        break;
    }

    // Client address.
    let client = match resolve_client(api, request) {
        Ok(ip) => ip,
        Err(d) => return finish(d, None, None),
    };
    if O::ENABLED {
        obs.event(Event::Client { ip: client });
    }

    let Some(method) = Method::parse(&method_text) else {
        return finish(
            Decision::deny(Reason::MethodNotAllowed, Detail::UnknownMethod),
            Some(client),
            None,
        );
    };
    let rest: Vec<&str> = parsed
        .segments
        .iter()
        .skip(api.base.len())
        .map(String::as_str)
        .collect();

    // First, with shadow endpoints: if one would take the request, record
    // what it would decide. Then decide without them.
    let mut would_decision = None;
    if let Some(shadow) = best_endpoint(api, method, &rest, true).filter(|e| e.shadow.is_some()) {
        if O::ENABLED {
            obs.event(Event::Route {
                method,
                segments: &rest,
                shadow: true,
                chosen: Some(shadow),
            });
        }
        let would = endpoint_decision(
            api,
            shadow,
            request,
            &rest,
            parsed.query.as_deref(),
            client,
            obs,
        );
        would_decision = Some((would, shadow.id));
    }

    let chosen = best_endpoint(api, method, &rest, false);
    if O::ENABLED {
        obs.event(Event::Route {
            method,
            segments: &rest,
            shadow: false,
            chosen,
        });
    }
    let Some(endpoint) = chosen else {
        let other = Method::ALL
            .iter()
            .any(|m| *m != method && best_endpoint(api, *m, &rest, false).is_some());
        let reason = if other {
            Reason::MethodNotAllowed
        } else {
            Reason::RouteNotFound
        };
        let d = payload::merge_shadow(Decision::deny(reason, Detail::None), would_decision);
        return finish(d, Some(client), None);
    };

    let decision = endpoint_decision(
        api,
        endpoint,
        request,
        &rest,
        parsed.query.as_deref(),
        client,
        obs,
    );
    let decision = payload::merge_shadow(decision, would_decision);
    finish(decision, Some(client), Some(endpoint))
}

fn static_name(name: &str) -> &'static str {
    match name {
        "x-http-method-override" => "x-http-method-override",
        "x-http-method" => "x-http-method",
        "x-method-override" => "x-method-override",
        "x-forwarded-for" => "x-forwarded-for",
        "forwarded" => "forwarded",
        _ => "x-real-ip",
    }
}

fn header_values<'a>(request: &Request<'a>, name: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    for (n, v) in request.headers {
        if n.to_ascii_lowercase() == name {
            out.push(*v);
        }
    }
    out
}

fn as_v4(ip: IpAddr) -> IpAddr {
    if let IpAddr::V6(v6) = ip {
        if let [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d] = v6.octets() {
            return IpAddr::from([a, b, c, d]);
        }
    }
    ip
}

pub(crate) fn in_nets(nets: &[ipnet::IpNet], ip: IpAddr) -> bool {
    let ip = as_v4(ip);
    nets.iter().any(|n| n.contains(&ip))
}

fn resolve_client(api: &Api, request: &Request<'_>) -> Result<IpAddr, Decision> {
    let peer = as_v4(request.peer);
    let proxies = &api.options.trusted_proxies;
    if in_nets(proxies, peer) {
        // All X-Forwarded-For items in order, then walk from the right.
        let mut hops: Vec<&str> = Vec::new();
        for value in header_values(request, "x-forwarded-for") {
            hops.extend(value.split(','));
        }
        let mut client = peer;
        for hop in hops.iter().rev() {
            match hop.trim().parse::<IpAddr>() {
                Ok(ip) => {
                    client = as_v4(ip);
                    if !in_nets(proxies, client) {
                        return Ok(client);
                    }
                }
                Err(_) => {
                    return Err(Decision::deny(
                        Reason::ForwardedMalformed,
                        Detail::Header {
                            name: "x-forwarded-for",
                        },
                    ))
                }
            }
        }
        return Ok(client);
    }
    for name in ["x-forwarded-for", "forwarded", "x-real-ip"] {
        if !header_values(request, name).is_empty() {
            if api.options.forwarded == ForwardedPolicy::Ignore {
                return Ok(peer);
            }
            return Err(Decision::deny(
                Reason::ForwardedUntrusted,
                Detail::Header {
                    name: static_name(name),
                },
            ));
        }
    }
    Ok(peer)
}

struct ParsedTarget {
    segments: Vec<String>,
    trailing_slash: bool,
    query: Option<String>,
}

type TargetError = (Reason, Option<PathProblem>);

/// Splits the raw path on `/` first, then decodes each segment on its own.
fn parse_target(target: &str) -> Result<ParsedTarget, TargetError> {
    if target.contains('#') {
        return Err((Reason::FragmentPresent, None));
    }
    let (path, query) = match target.find('?') {
        Some(i) => (
            target.get(..i).unwrap_or(""),
            target.get(i + 1..).map(str::to_string),
        ),
        None => (target, None),
    };
    let bad = |p: PathProblem| Err((Reason::PathMalformed, Some(p)));
    if !path.starts_with('/') {
        return bad(PathProblem::NotAbsolute);
    }
    for c in path.chars() {
        if c.is_ascii_control() {
            return bad(PathProblem::ControlCharacter);
        }
        if c == '\\' {
            return bad(PathProblem::Backslash);
        }
        if c == ' ' || !c.is_ascii() {
            return bad(PathProblem::InvalidCharacter);
        }
    }
    // A path that ends in `//` has an empty last segment, whatever its length.
    if path.ends_with("//") {
        return bad(PathProblem::EmptySegment);
    }
    let mut raw: Vec<&str> = path.get(1..).unwrap_or("").split('/').collect();
    let mut trailing_slash = false;
    if path.len() > 1 && raw.last() == Some(&"") {
        raw.pop();
        trailing_slash = true;
    }
    if path == "/" {
        raw.clear();
    }
    let mut decoded_segments: Vec<Vec<u8>> = Vec::new();
    for segment in &raw {
        let bytes = segment.as_bytes();
        let mut decoded = Vec::new();
        let mut i = 0;
        while let Some(&byte) = bytes.get(i) {
            if byte == b'%' {
                let hex = segment
                    .get(i + 1..i + 3)
                    .filter(|h| h.len() == 2 && h.chars().all(|c| c.is_ascii_hexdigit()));
                let Some(hex) = hex else {
                    return bad(PathProblem::InvalidPercentEncoding);
                };
                let hex_byte = u8::from_str_radix(hex, 16).map_err(|_| {
                    (
                        Reason::PathMalformed,
                        Some(PathProblem::InvalidPercentEncoding),
                    )
                })?;
                if hex_byte == b'/' || hex_byte == b'\\' {
                    return bad(PathProblem::EncodedSlash);
                }
                if hex_byte < 0x20 || hex_byte == 0x7f {
                    return bad(PathProblem::ControlCharacter);
                }
                if hex_byte == b'%' {
                    let next = segment.get(i + 3..i + 5);
                    if next
                        .is_some_and(|n| n.len() == 2 && n.chars().all(|c| c.is_ascii_hexdigit()))
                    {
                        return bad(PathProblem::DoubleEncoding);
                    }
                }
                decoded.push(hex_byte);
                i += 3;
            } else {
                decoded.push(byte);
                i += 1;
            }
        }
        decoded_segments.push(decoded);
    }
    let mut segments = Vec::new();
    for decoded in decoded_segments {
        match String::from_utf8(decoded) {
            Ok(s) => segments.push(s),
            Err(_) => return bad(PathProblem::InvalidUtf8),
        }
    }
    if segments.iter().any(|s| s.chars().any(|c| c.is_control())) {
        return bad(PathProblem::ControlCharacter);
    }
    for (index, s) in segments.iter().enumerate() {
        // What a servlet container would see: the segment without `;...`.
        let core = match s.find(';') {
            Some(i) => s.get(..i).unwrap_or(""),
            None => s.as_str(),
        };
        if core.is_empty() {
            return bad(PathProblem::EmptySegment);
        }
        if core == "." || core == ".." {
            return bad(PathProblem::DotSegment);
        }
        if index >= MAX_SEGMENTS {
            return Err((Reason::PathTooLong, Some(PathProblem::TooManySegments)));
        }
    }
    Ok(ParsedTarget {
        segments,
        trailing_slash,
        query,
    })
}

/// Lower is more specific. A pattern without `**` ends with 0, which beats
/// any segment kind, so `/a` is preferred to `/a/**` for the path `/a`.
pub(crate) fn specificity(endpoint: &Endpoint) -> Vec<u8> {
    let mut key: Vec<u8> = endpoint.path.iter().map(|s| s.rank() + 1).collect();
    if !matches!(endpoint.path.last(), Some(Segment::Rest)) {
        key.push(0);
    }
    key
}

pub(crate) fn matches_path(pattern: &[Segment], segments: &[&str]) -> bool {
    match (pattern.first(), segments.first()) {
        (None, None) => true,
        (Some(Segment::Rest), _) => true,
        (None, Some(_)) | (Some(_), None) => false,
        (Some(p), Some(s)) => {
            let ok = match p {
                Segment::Literal(l) => l == s,
                Segment::Param { ty, .. } => ty.accepts(s),
                Segment::Star => true,
                Segment::Rest => true,
            };
            ok && matches_path(
                pattern.get(1..).unwrap_or(&[]),
                segments.get(1..).unwrap_or(&[]),
            )
        }
    }
}

pub(crate) fn best_endpoint<'a>(
    api: &'a Api,
    method: Method,
    segments: &[&str],
    with_shadow: bool,
) -> Option<&'a Endpoint> {
    let mut best: Option<(&Endpoint, Vec<u8>, MethodRank)> = None;
    for endpoint in &api.endpoints {
        if endpoint.shadow.is_some() && !with_shadow {
            continue;
        }
        let Some(rank) = endpoint.method.rank_for(method) else {
            continue;
        };
        if !matches_path(&endpoint.path, segments) {
            continue;
        }
        let key = specificity(endpoint);
        let better = match &best {
            None => true,
            Some((_, best_key, best_rank)) => (&key, rank) < (best_key, *best_rank),
        };
        if better {
            best = Some((endpoint, key, rank));
        }
    }
    best.map(|(e, _, _)| e)
}

enum Step {
    Go,
    Stop(Decision),
}

fn endpoint_decision<O: Observer>(
    api: &Api,
    endpoint: &Endpoint,
    request: &Request<'_>,
    segments: &[&str],
    query: Option<&str>,
    client: IpAddr,
    obs: &mut O,
) -> Decision {
    let mut findings: Vec<ShadowFinding> = Vec::new();
    let mut failed = |reason: Reason, detail: Detail, meta: &RuleMeta| -> Step {
        findings.push(ShadowFinding {
            endpoint: endpoint.id,
            reason,
            status: reason.status(),
            rule: meta.span,
            detail,
        });
        if meta.shadow {
            Step::Go
        } else {
            let last = findings.pop();
            let mut d = Decision::deny(reason, detail);
            d.rule = last.map(|f| f.rule);
            d.shadow = std::mem::take(&mut findings);
            Step::Stop(d)
        }
    };

    for rule in &endpoint.ip_deny {
        let matched = in_nets(&rule.nets, client);
        if O::ENABLED {
            obs.event(Event::IpDeny { rule, matched });
        }
        if matched {
            if let Step::Stop(d) = failed(Reason::IpDenied, Detail::None, &rule.meta) {
                return d;
            }
        }
    }
    if let Some(rule) = &endpoint.ip_allow {
        let allowed = in_nets(&rule.nets, client);
        if O::ENABLED {
            obs.event(Event::IpAllow { rule, allowed });
        }
        if !allowed {
            if let Step::Stop(d) = failed(Reason::IpNotAllowed, Detail::None, &rule.meta) {
                return d;
            }
        }
    }

    let allow_rule = match &endpoint.access {
        Access::Public(span) => {
            if O::ENABLED {
                obs.event(Event::Access {
                    access: &endpoint.access,
                    failure: None,
                });
            }
            *span
        }
        Access::Closed => {
            if O::ENABLED {
                obs.event(Event::Access {
                    access: &endpoint.access,
                    failure: Some(Reason::NoAccessRule),
                });
            }
            let meta = RuleMeta {
                span: endpoint.span,
                ..RuleMeta::default()
            };
            if let Step::Stop(d) = failed(Reason::NoAccessRule, Detail::None, &meta) {
                return d;
            }
            endpoint.span
        }
        Access::Authenticated { schemes, meta } => {
            let outcome = match request.principal {
                None => Some(Reason::Unauthenticated),
                Some(principal) => {
                    let accepted = schemes
                        .iter()
                        .filter_map(|id| api.scheme(*id))
                        .find(|scheme| scheme.name == principal.scheme);
                    match accepted {
                        None => Some(Reason::SchemeNotAccepted),
                        Some(scheme) => match &scheme.kind {
                            AuthKind::Mtls {
                                subject: Some(glob),
                                ..
                            } if !glob.is_match(&principal.subject) => {
                                Some(Reason::SubjectMismatch)
                            }
                            _ => None,
                        },
                    }
                }
            };
            if O::ENABLED {
                obs.event(Event::Access {
                    access: &endpoint.access,
                    failure: outcome,
                });
            }
            if let Some(reason) = outcome {
                if let Step::Stop(d) = failed(reason, Detail::None, meta) {
                    return d;
                }
            }
            meta.span
        }
    };

    let granted: Vec<ScopeId> = match request.principal {
        Some(p) => api
            .scopes
            .iter()
            .enumerate()
            .filter(|(_, s)| p.scopes.contains(&s.name))
            .map(|(i, _)| ScopeId(i as u16))
            .collect(),
        None => Vec::new(),
    };
    for rule in &endpoint.scopes {
        let unmet = rule
            .groups
            .iter()
            .find(|group| !group.iter().any(|s| granted.contains(s)));
        if O::ENABLED {
            obs.event(Event::Scopes {
                rule,
                granted: &granted,
                unmet: unmet.map(Vec::as_slice),
            });
        }
        if let Some(group) = unmet {
            let missing = group.iter().copied().filter(|s| !granted.contains(s)).min();
            let detail = missing.map_or(Detail::None, |scope| Detail::MissingScope { scope });
            if let Step::Stop(d) = failed(Reason::InsufficientScope, detail, &rule.meta) {
                return d;
            }
        }
    }

    let ctx = Ctx {
        request,
        segments,
        base: 0,
        query,
        granted: &granted,
    };
    for condition in &endpoint.conditions {
        let result = evaluate(&condition.expr, &ctx);
        if O::ENABLED {
            obs.event(Event::Condition {
                condition,
                ctx: &ctx,
                result: &result,
            });
        }
        let (reason, detail) = match result {
            Ok(true) => continue,
            Ok(false) => (Reason::ConditionFailed, Detail::None),
            Err(Failure::Missing(span)) | Err(Failure::Type(span)) => {
                (Reason::ConditionError, Detail::Operand { span })
            }
            Err(Failure::Ambiguous(span)) => (Reason::AmbiguousParameter, Detail::Operand { span }),
        };
        if let Step::Stop(d) = failed(reason, detail, &condition.meta) {
            return d;
        }
    }

    // Query, header and body rules.
    payload::rest_of_endpoint(endpoint, request, query, allow_rule, findings)
}

// ---------------------------------------------------------------- conditions

pub(crate) struct Ctx<'a> {
    request: &'a Request<'a>,
    segments: &'a [&'a str],
    base: usize,
    query: Option<&'a str>,
    granted: &'a [ScopeId],
}

pub(crate) enum Failure {
    Missing(Span),
    Ambiguous(Span),
    Type(Span),
}

#[derive(Clone, Debug)]
pub(crate) enum V {
    S(String),
    I(i64),
    F(f64),
    B(bool),
    L(Vec<Lit>),
    J(Value),
}

pub(crate) fn evaluate(expr: &CondExpr, ctx: &Ctx<'_>) -> Result<bool, Failure> {
    match expr {
        CondExpr::Or(parts) => {
            for p in parts {
                if evaluate(p, ctx)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        CondExpr::And(parts) => {
            for p in parts {
                if !evaluate(p, ctx)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        CondExpr::Not(inner) => evaluate(inner, ctx).map(|b| !b),
        CondExpr::HasScope { scope, .. } => Ok(ctx.granted.contains(scope)),
        CondExpr::Compare { op, left, right } => {
            let l = resolve(left, ctx)?;
            let r = resolve(right, ctx)?;
            let type_error = Failure::Type(left.span.to(right.span));
            match op {
                CmpOp::Eq => same(&l, &r).ok_or(type_error),
                CmpOp::Ne => same(&l, &r).map(|b| !b).ok_or(type_error),
                _ => {
                    let ordering = match (&l, &r) {
                        (V::I(a), V::I(b)) => Some(a.cmp(b)),
                        _ => match (num(&l), num(&r)) {
                            (Some(a), Some(b)) => a.partial_cmp(&b),
                            _ => None,
                        },
                    };
                    let Some(ordering) = ordering else {
                        return Err(type_error);
                    };
                    Ok(match op {
                        CmpOp::Lt => ordering == std::cmp::Ordering::Less,
                        CmpOp::Le => ordering != std::cmp::Ordering::Greater,
                        CmpOp::Gt => ordering == std::cmp::Ordering::Greater,
                        _ => ordering != std::cmp::Ordering::Less,
                    })
                }
            }
        }
        CondExpr::In { left, right } => {
            let l = resolve(left, ctx)?;
            if matches!(l, V::L(_) | V::J(_)) {
                return Err(Failure::Type(left.span));
            }
            match resolve(right, ctx)? {
                V::L(items) => Ok(items
                    .iter()
                    .any(|item| same(&l, &from_lit(item)) == Some(true))),
                V::J(Value::Array(items)) => Ok(items
                    .iter()
                    .filter_map(from_json_scalar)
                    .any(|item| same(&l, &item) == Some(true))),
                _ => Err(Failure::Type(right.span)),
            }
        }
        CondExpr::Like { left, pattern } => match resolve(left, ctx)? {
            V::S(s) => Ok(pattern.is_match(&s)),
            _ => Err(Failure::Type(left.span)),
        },
        CondExpr::Truthy(v) => match resolve(v, ctx)? {
            V::B(b) => Ok(b),
            _ => Err(Failure::Type(v.span)),
        },
    }
}

fn num(v: &V) -> Option<f64> {
    match v {
        V::I(i) => Some(*i as f64),
        V::F(f) => Some(*f),
        _ => None,
    }
}

fn same(a: &V, b: &V) -> Option<bool> {
    match (a, b) {
        (V::S(x), V::S(y)) => Some(x == y),
        (V::B(x), V::B(y)) => Some(x == y),
        (V::I(x), V::I(y)) => Some(x == y),
        (V::I(_) | V::F(_), V::I(_) | V::F(_)) => Some(num(a) == num(b)),
        _ => None,
    }
}

fn from_lit(l: &Lit) -> V {
    match l {
        Lit::String(s) => V::S(s.clone()),
        Lit::Int(i) => V::I(*i),
        Lit::Float(f) => V::F(*f),
        Lit::Bool(b) => V::B(*b),
    }
}

fn from_json_scalar(v: &Value) -> Option<V> {
    match v {
        Value::String(s) => Some(V::S(s.clone())),
        Value::Bool(b) => Some(V::B(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Some(V::I(i)),
            None => n.as_f64().map(V::F),
        },
        _ => None,
    }
}

fn principal<'a>(ctx: &Ctx<'a>, span: Span) -> Result<&'a Principal, Failure> {
    ctx.request.principal.ok_or(Failure::Missing(span))
}

pub(crate) fn resolve(operand: &Operand, ctx: &Ctx<'_>) -> Result<V, Failure> {
    let span = operand.span;
    match &operand.value {
        ValueRef::Literal(l) => Ok(from_lit(l)),
        ValueRef::List(items) => Ok(V::L(items.clone())),
        ValueRef::PathParam { index, ty } => {
            let Some(segment) = ctx.segments.get(ctx.base + index) else {
                return Err(Failure::Missing(span));
            };
            if *ty == ParamType::Int {
                segment
                    .parse::<i64>()
                    .map(V::I)
                    .map_err(|_| Failure::Type(span))
            } else {
                Ok(V::S(segment.to_string()))
            }
        }
        ValueRef::Query(name) => {
            let Some(query) = ctx.query else {
                return Err(Failure::Missing(span));
            };
            let mut found: Vec<String> = Vec::new();
            for pair in query.split('&') {
                let (k, v) = match pair.find('=') {
                    Some(i) => (pair.get(..i).unwrap_or(""), pair.get(i + 1..).unwrap_or("")),
                    None => (pair, ""),
                };
                let Some(key) = form_decode(k) else {
                    return Err(Failure::Ambiguous(span));
                };
                if &key == name {
                    let Some(value) = form_decode(v) else {
                        return Err(Failure::Ambiguous(span));
                    };
                    found.push(value);
                }
            }
            match found.len() {
                0 => Err(Failure::Missing(span)),
                1 => Ok(V::S(found.remove(0))),
                _ => Err(Failure::Ambiguous(span)),
            }
        }
        ValueRef::Header(name) => {
            let values = header_values(ctx.request, name);
            match values.len() {
                0 => Err(Failure::Missing(span)),
                1 => Ok(V::S(values.concat())),
                _ => Err(Failure::Ambiguous(span)),
            }
        }
        ValueRef::Subject => Ok(V::S(principal(ctx, span)?.subject.clone())),
        ValueRef::Scheme => Ok(V::S(principal(ctx, span)?.scheme.clone())),
        ValueRef::Claim(path) => {
            let p = principal(ctx, span)?;
            let mut current: Option<&Value> = None;
            for (i, key) in path.iter().enumerate() {
                current = if i == 0 {
                    p.claims.get(key)
                } else {
                    current.and_then(|c| c.get(key))
                };
            }
            match current {
                None | Some(Value::Null) => Err(Failure::Missing(span)),
                Some(v @ (Value::Array(_) | Value::Object(_))) => Ok(V::J(v.clone())),
                Some(v) => from_json_scalar(v).ok_or(Failure::Missing(span)),
            }
        }
    }
}

/// `application/x-www-form-urlencoded` decoding of one component.
fn form_decode(text: &str) -> Option<String> {
    let text = text.replace('+', " ");
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        if byte == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            if hex.len() != 2 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                return None;
            }
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(byte);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

impl V {
    /// The value as JSON, for explanations.
    pub(crate) fn to_json(&self) -> Value {
        fn lit(l: &Lit) -> Value {
            match l {
                Lit::String(s) => Value::String(s.clone()),
                Lit::Int(i) => Value::from(*i),
                Lit::Float(f) => Value::from(*f),
                Lit::Bool(b) => Value::Bool(*b),
            }
        }
        match self {
            V::S(s) => Value::String(s.clone()),
            V::I(i) => Value::from(*i),
            V::F(f) => Value::from(*f),
            V::B(b) => Value::Bool(*b),
            V::L(items) => Value::Array(items.iter().map(lit).collect()),
            V::J(v) => v.clone(),
        }
    }
}
