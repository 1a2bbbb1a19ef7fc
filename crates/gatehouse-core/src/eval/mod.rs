//! The hot path: [`decide`] walks the compiled tree for one request.
//!
//! The order of checks is fixed by the design, each with its own status and
//! reason: hostile input (fragment, malformed path) → API selection →
//! method-override and forwarding headers → route (404/405) → IP (403) →
//! authentication (401) → scopes (403) → conditions (403) → query and
//! header rules (400) → the body ([`body`]: size 413, content type 415,
//! JSON 400/422, field rules 422). Quotas are counted afterwards, by
//! [`crate::quota::settle`]: those keyed by IP or header whenever the route
//! matched and the IP passed, those keyed by the principal only for a
//! request that passed every other check. Nothing here allocates for a request without a body unless a
//! shadow rule fires, the path is percent-encoded, a condition or query
//! rule decodes a percent-encoded parameter, or a payload rule breaks (its
//! violation names a JSON pointer).

pub mod body;
pub mod cond;
pub mod path;

use std::net::IpAddr;

use crate::decision::{Decision, Detail, Reason, ShadowFinding, Violation};
use crate::model::{ForwardedPolicy, Method, RuleMeta, TrailingSlash};
use crate::payload::params;
use crate::request::Request;
use crate::span::Span;
use crate::tree::ipset::canonical;
use crate::tree::{AccessTree, ApiTree, EndpointTree, Grant, ScopeSet, Tree};

pub use body::{Begin, BodyCheck};
use body::{BodyEval, Eval, Finishing};
use cond::{CondError, Env};
use path::NormalizedPath;

/// Headers that ask a server to treat a request as another method.
pub const METHOD_OVERRIDE_HEADERS: &[&str] = &[
    "x-http-method-override",
    "x-http-method",
    "x-method-override",
];

/// Headers through which a client could claim another address.
pub const FORWARDING_HEADERS: &[&str] = &["x-forwarded-for", "forwarded", "x-real-ip"];

/// Decides a request, reading its body from [`Request::body`].
pub fn decide(tree: &Tree, request: &Request<'_>) -> Decision {
    let body = request.body.unwrap_or_default();
    match begin_with(tree, request, Some(body.is_empty())) {
        Begin::Decided(decision) => decision,
        Begin::Body(mut check) => match check.feed(body) {
            Some(decision) => decision,
            None => check.finish(),
        },
    }
}

/// Decides a request up to its body, which the caller then feeds to the
/// returned [`BodyCheck`] as it arrives. [`Request::body`] is ignored.
pub fn begin<'t>(tree: &'t Tree, request: &Request<'_>) -> Begin<'t> {
    begin_with(tree, request, None)
}

/// `empty`: whether the caller knows the body is empty (`None`: unknown).
fn begin_with<'t>(tree: &'t Tree, request: &Request<'_>, empty: Option<bool>) -> Begin<'t> {
    // 1. The target: fragment and path normalisation, before anything else.
    let mut path = NormalizedPath::new();
    match path::normalize_into(request.target, &mut path) {
        Ok(()) => {}
        Err(e) => {
            let detail = e
                .problem
                .map_or(Detail::None, |problem| Detail::Path { problem });
            return Begin::Decided(Decision::deny(e.reason, detail));
        }
    }

    // 2. The API, by host and base.
    let Some(api) = select_api(tree, request.host, &path) else {
        return Begin::Decided(Decision::deny(Reason::RouteNotFound, Detail::None));
    };
    let with_api = |mut d: Decision| {
        d.api = Some(api.id);
        Begin::Decided(d)
    };
    if path.trailing_slash && api.trailing_slash == TrailingSlash::Deny {
        return with_api(Decision::deny(
            Reason::PathMalformed,
            Detail::Path {
                problem: crate::decision::PathProblem::TrailingSlash,
            },
        ));
    }
    // A character that NFKC folds into path syntax (`．` into `.`): a
    // backend that normalises could read another path than the one routed.
    if path.lookalike && !api.lookalike_characters {
        return with_api(Decision::deny(
            Reason::PathMalformed,
            Detail::Path {
                problem: crate::decision::PathProblem::LookalikeCharacter,
            },
        ));
    }

    // 3. Hostile headers: method override and forwarded addresses. One pass
    // over the headers finds whether any is present at all (and whether
    // the request declares a `Content-Length`).
    let hostile = HostileHeaders::scan(request.headers);
    let method = match effective_method(api, request, hostile) {
        Ok(m) => m,
        Err(d) => return with_api(d),
    };
    let client_ip = match client_ip(api, request, hostile) {
        Ok(ip) => ip,
        Err(d) => return with_api(d),
    };
    let finishing = |endpoint| Finishing {
        api: api.id,
        client_ip,
        endpoint,
    };
    let with_ip = |d: Decision| Begin::Decided(body::finish(d, None, finishing(None)));

    // 4. Route: the method's trie, then 405 if another method matches.
    let Some(method) = method else {
        return with_ip(Decision::deny(
            Reason::MethodNotAllowed,
            Detail::UnknownMethod,
        ));
    };
    let base = api.base.len();
    let segment = |i: usize| path.segment(base + i);
    let count = path.len().saturating_sub(base);
    // Evaluates one endpoint up to its body, then starts its body stage.
    // The principal's scheme and scopes in this API, if the host resolved
    // them against this tree (else `check_endpoint` matches names).
    let grant = request
        .resolved()
        .and_then(|resolved| resolved.grant(tree.generation, api.id.0 as usize));
    let evaluate = |endpoint: &'t EndpointTree| -> Eval<'t> {
        let pre = check_endpoint(api, endpoint, request, grant, &path, client_ip);
        // Denied, or a request without a body that the body rules cannot
        // fail: decided (the common case takes no detour).
        if !pre.allowed || (empty == Some(true) && !hostile.content_length && !endpoint.needs_body)
        {
            return Eval::Done(pre);
        }
        BodyEval::start(
            &endpoint.payload.body,
            endpoint.id,
            pre,
            request,
            hostile.content_length,
            empty == Some(true),
        )
    };

    // A shadow endpoint that would take this request is evaluated for the
    // record; it never decides. The request is decided as if it were absent.
    let mut shadow = None;
    if let Some(trie) = api.shadow_routes_for(method) {
        let candidate = trie
            .lookup(segment, count)
            .and_then(|index| api.endpoints.get(index as usize));
        if let Some(endpoint) = candidate.filter(|e| e.shadow) {
            shadow = Some((evaluate(endpoint), endpoint.id));
        }
    }

    let found = api
        .routes_for(method)
        .and_then(|trie| trie.lookup(segment, count));
    let (enforced, endpoint) = match found.and_then(|index| api.endpoints.get(index as usize)) {
        Some(endpoint) => (evaluate(endpoint), Some(endpoint.id)),
        None => {
            // This method's trie has no route, so any endpoint that the
            // all-methods trie finds serves another method: a 405.
            let other = api.any_method_routes.lookup(segment, count).is_some();
            let reason = if other {
                Reason::MethodNotAllowed
            } else {
                Reason::RouteNotFound
            };
            (Eval::Done(Decision::deny(reason, Detail::None)), None)
        }
    };
    // Quotas are counted by the caller once the body stage is done (see
    // `quota::settle`): a request denied by then consumes no principal quota.
    BodyCheck::start(enforced, shadow, finishing(endpoint))
}

/// The methods with an endpoint for the request's path, in the order of
/// [`Method::ALL`]: the `Allow` header of a 405. Off the hot path: it
/// normalises the path again and looks it up in every method's trie.
pub fn allowed_methods(tree: &Tree, request: &Request<'_>) -> Vec<Method> {
    let mut path = NormalizedPath::new();
    if path::normalize_into(request.target, &mut path).is_err() {
        return Vec::new();
    }
    let Some(api) = select_api(tree, request.host, &path) else {
        return Vec::new();
    };
    let base = api.base.len();
    let segment = |i: usize| path.segment(base + i);
    let count = path.len().saturating_sub(base);
    Method::ALL
        .iter()
        .copied()
        .filter(|m| has_route(api, *m, segment, count))
        .collect()
}

/// Whether some endpoint of `api` takes `method` on the path: what a 405
/// and its `Allow` header are made of.
fn has_route<'s>(
    api: &ApiTree,
    method: Method,
    segment: impl Fn(usize) -> Option<&'s str>,
    count: usize,
) -> bool {
    api.routes_for(method)
        .and_then(|t| t.lookup(segment, count))
        .is_some()
}

/// The API whose host (if it has one) and base match. The checker rejects
/// overlapping APIs, so at most one does.
fn select_api<'t>(
    tree: &'t Tree,
    host: Option<&str>,
    path: &NormalizedPath<'_>,
) -> Option<&'t ApiTree> {
    let host = host.map(strip_port);
    tree.apis.iter().find(|api| {
        let host_ok = match (&api.host, host) {
            (None, _) => true,
            (Some(expected), Some(given)) => expected.eq_ignore_ascii_case(given),
            (Some(_), None) => false,
        };
        host_ok
            && api
                .base
                .iter()
                .enumerate()
                .all(|(i, s)| path.segment(i) == Some(&**s))
    })
}

/// `example.com:8443` → `example.com`; `[::1]:80` → `[::1]`.
fn strip_port(host: &str) -> &str {
    match host.rfind(':') {
        Some(i)
            if !host.ends_with(']')
                && host
                    .get(i + 1..)
                    .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit())) =>
        {
            host.get(..i).unwrap_or(host)
        }
        _ => host,
    }
}

/// Which of the method-override and forwarding headers a request carries,
/// found in one pass (names are compared only when their length fits).
#[derive(Clone, Copy, Default)]
struct HostileHeaders {
    method_override: bool,
    forwarding: bool,
    /// Not hostile, but found in the same pass: `Content-Length`.
    content_length: bool,
}

impl HostileHeaders {
    fn scan(headers: &[(&str, &str)]) -> HostileHeaders {
        let mut found = HostileHeaders::default();
        for (name, _) in headers {
            let is = |candidates: &[&str]| {
                candidates
                    .iter()
                    .any(|c| c.len() == name.len() && c.eq_ignore_ascii_case(name))
            };
            match name.len() {
                13 | 17 | 22 if is(METHOD_OVERRIDE_HEADERS) => found.method_override = true,
                9 | 15 if is(FORWARDING_HEADERS) => found.forwarding = true,
                14 if name.eq_ignore_ascii_case("content-length") => found.content_length = true,
                _ => {}
            }
        }
        found
    }
}

/// The method to route by. A method-override header is denied unless the
/// API allows it, and then only on `POST`, with one known method.
fn effective_method(
    api: &ApiTree,
    request: &Request<'_>,
    hostile: HostileHeaders,
) -> Result<Option<Method>, Decision> {
    if !hostile.method_override {
        return Ok(Method::parse(request.method));
    }
    for name in METHOD_OVERRIDE_HEADERS {
        let mut values = request.header_values(name);
        let Some(value) = values.next() else { continue };
        let deny = || Decision::deny(Reason::MethodOverride, Detail::Header { name });
        if !api.method_override || request.method != "POST" || values.next().is_some() {
            return Err(deny());
        }
        return match Method::parse(value.trim()) {
            Some(m) => Ok(Some(m)),
            None => Err(deny()),
        };
    }
    Ok(Method::parse(request.method))
}

/// The client's address. `X-Forwarded-For` is read only from a trusted
/// proxy, right to left, skipping trusted hops; from anyone else a
/// forwarding header is denied (or ignored, if the policy says so).
fn client_ip(
    api: &ApiTree,
    request: &Request<'_>,
    hostile: HostileHeaders,
) -> Result<IpAddr, Decision> {
    let peer = canonical(request.peer);
    if !hostile.forwarding {
        return Ok(peer);
    }
    if !api.trusted_proxies.is_empty() && api.trusted_proxies.contains(peer) {
        let mut client = peer;
        for value in request
            .headers
            .iter()
            .rev()
            .filter(|(n, _)| n.eq_ignore_ascii_case("x-forwarded-for"))
        {
            for item in value.1.rsplit(',') {
                let Ok(ip) = item.trim().parse::<IpAddr>() else {
                    return Err(Decision::deny(
                        Reason::ForwardedMalformed,
                        Detail::Header {
                            name: "x-forwarded-for",
                        },
                    ));
                };
                client = canonical(ip);
                if !api.trusted_proxies.contains(client) {
                    return Ok(client);
                }
            }
        }
        return Ok(client);
    }
    for name in FORWARDING_HEADERS {
        if request.header_values(name).next().is_some() {
            return match api.forwarded {
                ForwardedPolicy::Deny => Err(Decision::deny(
                    Reason::ForwardedUntrusted,
                    Detail::Header { name },
                )),
                ForwardedPolicy::Ignore => Ok(peer),
            };
        }
    }
    Ok(peer)
}

/// Collects shadow findings and decides what a failed check means.
struct Checks {
    endpoint: crate::model::EndpointId,
    findings: Vec<ShadowFinding>,
    /// The violations findings refer to.
    violations: Vec<Violation>,
}

enum Flow {
    Continue,
    Stop(Decision),
}

impl Checks {
    fn fail(&mut self, reason: Reason, detail: Detail, rule: Span, rule_shadow: bool) -> Flow {
        if rule_shadow {
            self.findings.push(ShadowFinding {
                endpoint: self.endpoint,
                reason,
                status: reason.status(),
                rule,
                detail,
            });
            return Flow::Continue;
        }
        let mut deny = Decision::deny(reason, detail);
        deny.rule = Some(rule);
        deny.shadow = std::mem::take(&mut self.findings);
        deny.violations = std::mem::take(&mut self.violations).into();
        Flow::Stop(deny)
    }

    /// A payload rule broke: the violation goes with the finding or denial.
    fn violated(&mut self, reason: Reason, violation: Violation, meta: &RuleMeta) -> Flow {
        let index = u16::try_from(self.violations.len()).unwrap_or(u16::MAX);
        self.violations.push(violation);
        self.fail(reason, Detail::Violation { index }, meta.span, meta.shadow)
    }
}

macro_rules! check {
    ($checks:expr, $reason:expr, $detail:expr, $meta:expr) => {{
        let meta: &RuleMeta = $meta;
        if let Flow::Stop(d) = $checks.fail($reason, $detail, meta.span, meta.shadow) {
            return d;
        }
    }};
}

fn check_endpoint(
    api: &ApiTree,
    endpoint: &EndpointTree,
    request: &Request<'_>,
    grant: Option<&Grant>,
    path: &NormalizedPath<'_>,
    client_ip: IpAddr,
) -> Decision {
    let mut checks = Checks {
        endpoint: endpoint.id,
        findings: Vec::new(),
        violations: Vec::new(),
    };

    // IP: any matching `deny from`, then `allow from` if present.
    for (set, meta) in &endpoint.ip_deny {
        if set.contains(client_ip) {
            check!(checks, Reason::IpDenied, Detail::None, meta);
        }
    }
    if let Some((set, meta)) = &endpoint.ip_allow {
        if !set.contains(client_ip) {
            check!(checks, Reason::IpNotAllowed, Detail::None, meta);
        }
    }

    // Authentication.
    let allow_rule = match &endpoint.access {
        AccessTree::Public { span } => *span,
        AccessTree::Closed { span } => {
            let meta = RuleMeta {
                span: *span,
                inherited: false,
                shadow: false,
            };
            check!(checks, Reason::NoAccessRule, Detail::None, &meta);
            *span
        }
        AccessTree::Authenticated {
            schemes,
            subjects,
            meta,
            ..
        } => {
            match request.principal {
                None => check!(checks, Reason::Unauthenticated, Detail::None, meta),
                Some(principal) => {
                    let scheme = match grant {
                        Some(grant) => grant.scheme,
                        None => api.scheme_id(&principal.scheme),
                    };
                    let scheme = scheme.filter(|s| schemes.contains(s));
                    match scheme {
                        None => check!(checks, Reason::SchemeNotAccepted, Detail::None, meta),
                        Some(id) => {
                            let subject_ok = subjects
                                .iter()
                                .filter(|(s, _)| *s == id)
                                .all(|(_, glob)| glob.is_match(&principal.subject));
                            if !subject_ok {
                                check!(checks, Reason::SubjectMismatch, Detail::None, meta);
                            }
                        }
                    }
                }
            }
            meta.span
        }
    };

    // Scopes: the granted set, resolved in advance (all of the API's
    // scopes the principal holds) or matched now over the scopes this
    // endpoint mentions; the checks below read only those.
    let granted = match (grant, request.principal) {
        (Some(grant), _) => grant.scopes,
        (None, Some(principal)) => {
            let mut granted = ScopeSet::default();
            for (id, name) in endpoint.relevant_scopes.iter() {
                if principal.scopes.iter().any(|s| s.as_str() == &**name) {
                    granted.insert(*id);
                }
            }
            granted
        }
        (None, None) => ScopeSet::default(),
    };
    for (groups, meta) in &endpoint.scopes {
        if let Some(group) = groups.iter().find(|g| !g.intersects(&granted)) {
            let missing = group.first_missing_from(&granted);
            let detail = missing.map_or(Detail::None, |scope| Detail::MissingScope { scope });
            check!(checks, Reason::InsufficientScope, detail, meta);
        }
    }

    // Conditions.
    if !endpoint.conditions.is_empty() {
        let env = Env {
            request,
            path,
            scopes: &granted,
        };
        for (condition, meta) in &endpoint.conditions {
            match cond::eval(condition, &env) {
                Ok(true) => {}
                Ok(false) => check!(checks, Reason::ConditionFailed, Detail::None, meta),
                Err(CondError::Missing(span) | CondError::Type(span)) => {
                    check!(
                        checks,
                        Reason::ConditionError,
                        Detail::Operand { span },
                        meta
                    )
                }
                Err(CondError::Ambiguous(span)) => {
                    check!(
                        checks,
                        Reason::AmbiguousParameter,
                        Detail::Operand { span },
                        meta
                    )
                }
            }
        }
    }

    // Query and header rules (the body comes after, in `body`).
    if endpoint.has_params {
        if let Flow::Stop(d) = check_params(&mut checks, endpoint, request, path) {
            return d;
        }
    }

    let mut allow = Decision::allow(allow_rule, checks.findings);
    allow.violations = checks.violations.into();
    allow
}

/// The endpoint's `query` and `headers` rules.
fn check_params(
    checks: &mut Checks,
    endpoint: &EndpointTree,
    request: &Request<'_>,
    path: &NormalizedPath<'_>,
) -> Flow {
    if let Some((schema, meta)) = &endpoint.payload.query {
        if let Some(violation) = params::check_query(schema, path.query, meta.span) {
            if let Flow::Stop(d) = checks.violated(Reason::QueryInvalid, violation, meta) {
                return Flow::Stop(d);
            }
        }
    }
    if let Some((schema, meta)) = &endpoint.payload.headers {
        if let Some(violation) = params::check_headers(schema, request) {
            return checks.violated(Reason::HeaderInvalid, violation, meta);
        }
    }
    Flow::Continue
}
