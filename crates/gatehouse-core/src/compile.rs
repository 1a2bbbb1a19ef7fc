//! Checked model to decision tree. Compilation cannot fail: the checker has
//! already rejected everything that would need a runtime tie-break.

use std::sync::Arc;

use crate::mask::MaskPlan;
use crate::model::{
    Access, Api, ApiId, AuthKind, CondExpr, Endpoint, Method, MethodRank, Model, Operand, ScopeId,
    ValueRef,
};
use crate::payload::PayloadPlan;
use crate::tree::{
    AccessTree, ApiTree, CondTree, EndpointTree, IpSet, RouteTrie, ScopeSet, Tree, ValueKind,
    ValueTree,
};

/// The generation of the next compiled tree (see [`Tree::generation`]). An
/// atomic counter: compiling may happen on any thread; it is no clock.
static NEXT_GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

pub fn compile(model: &Model) -> Tree {
    Tree {
        generation: NEXT_GENERATION.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        apis: model
            .apis
            .iter()
            .enumerate()
            .map(|(i, api)| compile_api(ApiId(u32::try_from(i).unwrap_or(u32::MAX)), api))
            .collect(),
    }
}

fn compile_api(id: ApiId, api: &Api) -> ApiTree {
    let mut ip_sets = IpSets::default();
    let routes = build_routes(api, false);
    let shadow_routes = api
        .endpoints
        .iter()
        .any(|e| e.shadow.is_some())
        .then(|| Box::new(build_routes(api, true)));
    ApiTree {
        id,
        host: api.host.as_deref().map(Into::into),
        base: api.base.iter().map(|s| s.as_str().into()).collect(),
        trusted_proxies: IpSet::new(&api.options.trusted_proxies),
        method_override: api.options.method_override,
        forwarded: api.options.forwarded,
        trailing_slash: api.options.trailing_slash,
        lookalike_characters: api.options.lookalike_characters,
        routes,
        any_method_routes: build_any_method_routes(api),
        shadow_routes,
        endpoints: api
            .endpoints
            .iter()
            .map(|e| compile_endpoint(api, e, &mut ip_sets))
            .collect(),
        scope_index: api
            .scopes
            .iter()
            .enumerate()
            .map(|(i, s)| {
                (
                    s.name.as_str().into(),
                    ScopeId(u16::try_from(i).unwrap_or(u16::MAX)),
                )
            })
            .collect(),
        scheme_names: api.schemes.iter().map(|s| s.name.as_str().into()).collect(),
    }
}

/// One trie per method; shadow endpoints only when `with_shadow`.
fn build_routes(api: &Api, with_shadow: bool) -> [RouteTrie; 9] {
    let mut routes: [RouteTrie; 9] = Default::default();
    for (method, trie) in Method::ALL.iter().zip(routes.iter_mut()) {
        for endpoint in api
            .endpoints
            .iter()
            .filter(|e| with_shadow || e.shadow.is_none())
        {
            if let Some(rank) = endpoint.method.rank_for(*method) {
                trie.insert(&endpoint.path, endpoint.id.0, rank);
            }
        }
    }
    routes
}

/// Every enforced endpoint in one trie, to tell a 405 from a 404. The
/// endpoint a lookup finds is only a witness that some method routes the
/// path; which one does not matter.
fn build_any_method_routes(api: &Api) -> RouteTrie {
    let mut trie = RouteTrie::default();
    for endpoint in api.endpoints.iter().filter(|e| e.shadow.is_none()) {
        trie.insert(&endpoint.path, endpoint.id.0, MethodRank::Exact);
    }
    trie
}

/// The API's distinct IP sets. Endpoints whose rules list the same networks
/// (every endpoint that inherits `defaults { deny from ... }`) share one
/// set, so that deciding requests across many endpoints reads one set that
/// stays in cache rather than one per endpoint.
#[derive(Default)]
struct IpSets(std::collections::HashMap<Vec<ipnet::IpNet>, Arc<IpSet>>);

impl IpSets {
    fn get(&mut self, nets: &[ipnet::IpNet]) -> Arc<IpSet> {
        self.0
            .entry(nets.to_vec())
            .or_insert_with(|| Arc::new(IpSet::new(nets)))
            .clone()
    }
}

fn compile_endpoint(api: &Api, endpoint: &Endpoint, ip_sets: &mut IpSets) -> EndpointTree {
    let access = match &endpoint.access {
        Access::Public(span) => AccessTree::Public { span: *span },
        Access::Closed => AccessTree::Closed {
            span: endpoint.span,
        },
        Access::Authenticated { schemes, meta } => {
            let mut subjects = Vec::new();
            let mut challenges = Vec::new();
            for id in schemes {
                let Some(scheme) = api.scheme(*id) else {
                    continue;
                };
                match &scheme.kind {
                    AuthKind::Mtls {
                        subject: Some(glob),
                        ..
                    } => subjects.push((id.0, glob.clone())),
                    AuthKind::Mtls { subject: None, .. } => {}
                    AuthKind::Jwt { .. } => {
                        challenges.push(format!("Bearer realm=\"{}\"", api.name))
                    }
                    AuthKind::ApiKey {
                        header: Some(header),
                        ..
                    } => challenges.push(format!(
                        "ApiKey realm=\"{}\", header=\"{header}\"",
                        api.name
                    )),
                    AuthKind::ApiKey {
                        query: Some(query), ..
                    } => {
                        challenges.push(format!("ApiKey realm=\"{}\", query=\"{query}\"", api.name))
                    }
                    AuthKind::ApiKey { .. } => {}
                }
            }
            // One challenge per distinct scheme parameters: `jwt | key | jwt`
            // names `Bearer` once (`dedup` alone drops only adjacent repeats).
            let mut seen = Vec::with_capacity(challenges.len());
            challenges.retain(|c| {
                let first = !seen.contains(c);
                if first {
                    seen.push(c.clone());
                }
                first
            });
            AccessTree::Authenticated {
                schemes: schemes.iter().map(|s| s.0).collect(),
                subjects,
                challenge: challenges.join(", ").into(),
                meta: *meta,
            }
        }
    };
    let base = api.base.len();
    EndpointTree {
        id: endpoint.id,
        shadow: endpoint.shadow.is_some(),
        span: endpoint.span,
        access,
        ip_deny: endpoint
            .ip_deny
            .iter()
            .map(|r| (ip_sets.get(&r.nets), r.meta))
            .collect(),
        ip_allow: endpoint
            .ip_allow
            .as_ref()
            .map(|r| (ip_sets.get(&r.nets), r.meta)),
        scopes: endpoint
            .scopes
            .iter()
            .map(|rule| {
                (
                    rule.groups.iter().map(|g| ScopeSet::from_ids(g)).collect(),
                    rule.meta,
                )
            })
            .collect(),
        conditions: endpoint
            .conditions
            .iter()
            .map(|c| (condition(&c.expr, base), c.meta))
            .collect(),
        relevant_scopes: relevant_scopes(api, endpoint),
        // The checker has rejected plans that are too complex; should one
        // get here anyway, it refuses every response rather than pass it.
        mask: MaskPlan::compile(&endpoint.masks, endpoint.response_only.as_ref())
            .unwrap_or_else(|_| MaskPlan::unusable()),
        payload: Box::new(PayloadPlan::compile(endpoint)),
        has_params: endpoint.query.is_some() || endpoint.headers.is_some(),
        needs_body: endpoint
            .body
            .json
            .as_ref()
            .is_some_and(|j| j.schema.is_some()),
    }
}

/// The scopes an endpoint's `require` rules and `has` conditions mention.
fn relevant_scopes(api: &Api, endpoint: &Endpoint) -> Box<[(ScopeId, Box<str>)]> {
    fn from_condition(expr: &CondExpr, out: &mut Vec<ScopeId>) {
        match expr {
            CondExpr::Or(parts) | CondExpr::And(parts) => {
                parts.iter().for_each(|p| from_condition(p, out))
            }
            CondExpr::Not(inner) => from_condition(inner, out),
            CondExpr::HasScope { scope, .. } => out.push(*scope),
            CondExpr::Compare { .. }
            | CondExpr::In { .. }
            | CondExpr::Like { .. }
            | CondExpr::Truthy(_) => {}
        }
    }
    let mut ids: Vec<ScopeId> = endpoint
        .scopes
        .iter()
        .flat_map(|r| r.groups.iter().flatten().copied())
        .collect();
    for condition in &endpoint.conditions {
        from_condition(&condition.expr, &mut ids);
    }
    ids.sort_unstable();
    ids.dedup();
    ids.into_iter()
        .filter_map(|id| api.scope(id).map(|s| (id, s.name.as_str().into())))
        .collect()
}

fn condition(expr: &CondExpr, base: usize) -> CondTree {
    match expr {
        CondExpr::Or(parts) => CondTree::Or(parts.iter().map(|p| condition(p, base)).collect()),
        CondExpr::And(parts) => CondTree::And(parts.iter().map(|p| condition(p, base)).collect()),
        CondExpr::Not(inner) => CondTree::Not(Box::new(condition(inner, base))),
        CondExpr::Compare { op, left, right } => CondTree::Compare {
            op: *op,
            left: value(left, base),
            right: value(right, base),
        },
        CondExpr::In { left, right } => CondTree::In {
            left: value(left, base),
            right: value(right, base),
        },
        CondExpr::HasScope { scope, .. } => CondTree::HasScope(*scope),
        CondExpr::Like { left, pattern } => CondTree::Like {
            left: value(left, base),
            pattern: pattern.clone(),
        },
        CondExpr::Truthy(v) => CondTree::Truthy(value(v, base)),
    }
}

fn value(operand: &Operand, base: usize) -> ValueTree {
    let kind = match &operand.value {
        ValueRef::Literal(lit) => ValueKind::Lit(lit.clone()),
        ValueRef::List(items) => ValueKind::List(items.clone().into_boxed_slice()),
        ValueRef::PathParam { index, ty } => ValueKind::Param {
            index: base + index,
            ty: *ty,
        },
        ValueRef::Query(name) => ValueKind::Query(name.as_str().into()),
        ValueRef::Header(name) => ValueKind::Header(name.to_ascii_lowercase().into()),
        ValueRef::Subject => ValueKind::Subject,
        ValueRef::Scheme => ValueKind::Scheme,
        ValueRef::Claim(path) => ValueKind::Claim(path.iter().map(|k| k.as_str().into()).collect()),
    };
    ValueTree {
        kind,
        span: operand.span,
    }
}
