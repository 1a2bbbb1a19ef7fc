//! The compiled decision tree: what [`crate::eval`] walks for each request.
//!
//! Everything a decision needs is precomputed here: route tries per method,
//! IP prefix tries, scope bitsets, lowercased header names, absolute path
//! parameter positions and `WWW-Authenticate` challenges. Built by
//! [`crate::compile`] from a checked model.

pub mod ipset;
pub mod routes;

use rustc_hash::FxHashMap;

use crate::mask::MaskPlan;
use crate::model::{
    ApiId, CmpOp, EndpointId, ForwardedPolicy, Glob, Lit, Method, ParamType, RuleMeta, ScopeId,
    TrailingSlash,
};
use crate::payload::PayloadPlan;
use crate::request::{Principal, ResolvedPrincipal};
pub use crate::scopes::{Grant, ScopeSet};
use crate::span::Span;
pub use ipset::IpSet;
pub use routes::{RouteTrie, MAX_SEGMENTS};

#[derive(Clone, Debug, Default)]
pub struct Tree {
    pub apis: Vec<ApiTree>,
    /// Which compilation this is: unique per [`crate::compile::compile`]
    /// call in the process (clones share it, and hold the same tree). A
    /// resolved principal records it, and is used only by a tree that has
    /// the same one.
    pub generation: u64,
}

impl Tree {
    /// Resolves `principal` against this tree: its grant in each API.
    pub fn resolve(&self, principal: Principal) -> ResolvedPrincipal {
        let scopes = principal.scopes.iter().map(String::as_str);
        let grants = self
            .apis
            .iter()
            .map(|api| Grant {
                scheme: api.scheme_id(&principal.scheme),
                scopes: ScopeSet::from_names(&api.scope_index, scopes.clone()),
            })
            .collect();
        ResolvedPrincipal::new(self.generation, principal, grants)
    }
}

#[derive(Clone, Debug)]
pub struct ApiTree {
    pub id: ApiId,
    /// Lowercase host the API is bound to, if any.
    pub host: Option<Box<str>>,
    pub base: Vec<Box<str>>,
    pub trusted_proxies: IpSet,
    pub method_override: bool,
    pub forwarded: ForwardedPolicy,
    pub trailing_slash: TrailingSlash,
    /// Accept paths holding look-alike characters.
    pub lookalike_characters: bool,
    /// One trie per method, indexed by [`Method::index`], holding the
    /// enforced endpoints (all but bare-`shadow` ones).
    pub routes: [RouteTrie; 9],
    /// Every enforced endpoint, whatever its method: a request that its
    /// method's trie does not route is a 405 exactly when this trie routes
    /// it (some other method's endpoint matches), found in one lookup
    /// rather than one per method.
    pub any_method_routes: RouteTrie,
    /// The same with shadow endpoints included, built only when the API has
    /// some: a request that a shadow endpoint would take is evaluated there
    /// for the record, then decided by `routes`.
    pub shadow_routes: Option<Box<[RouteTrie; 9]>>,
    pub endpoints: Vec<EndpointTree>,
    pub scope_index: FxHashMap<Box<str>, ScopeId>,
    /// Scheme names by scheme id, to match `principal.scheme`.
    pub scheme_names: Vec<Box<str>>,
}

impl ApiTree {
    /// The id of the scheme named `name` (a principal's `scheme`).
    pub fn scheme_id(&self, name: &str) -> Option<u16> {
        self.scheme_names
            .iter()
            .position(|n| **n == *name)
            .and_then(|i| u16::try_from(i).ok())
    }

    pub fn routes_for(&self, method: Method) -> Option<&RouteTrie> {
        self.routes.get(method.index())
    }

    pub fn shadow_routes_for(&self, method: Method) -> Option<&RouteTrie> {
        self.shadow_routes
            .as_ref()
            .and_then(|r| r.get(method.index()))
    }
}

#[derive(Clone, Debug)]
pub struct EndpointTree {
    pub id: EndpointId,
    /// A bare `shadow`: the endpoint is evaluated and reported but never
    /// decides a request.
    pub shadow: bool,
    pub span: Span,
    pub access: AccessTree,
    /// Shared between endpoints with the same networks (see `compile`).
    pub ip_deny: Vec<(std::sync::Arc<IpSet>, RuleMeta)>,
    pub ip_allow: Option<(std::sync::Arc<IpSet>, RuleMeta)>,
    /// Per `require`: one bitset per all-of group; each needs one member.
    pub scopes: Vec<(Vec<ScopeSet>, RuleMeta)>,
    /// Every scope this endpoint's rules mention (in `require` or `has`),
    /// with its name: the principal's granted set is computed over these
    /// only, by comparing names, with no hashing per request.
    pub relevant_scopes: Box<[(ScopeId, Box<str>)]>,
    pub conditions: Vec<(CondTree, RuleMeta)>,
    /// The endpoint's `mask response` and `response only` rules, compiled:
    /// what the facade's `PolicySet::mask_response` applies to its responses.
    pub mask: MaskPlan,
    /// The endpoint's `query`, `headers` and `body` rules, compiled.
    pub payload: Box<PayloadPlan>,
    /// Whether the endpoint has `query` or `headers` rules (kept here so a
    /// request to an endpoint without them does not read `payload`).
    pub has_params: bool,
    /// Whether a request without a body (and without `Content-Length`) can
    /// fail the body rules: see [`crate::payload::BodyPlan::needs_body`].
    pub needs_body: bool,
}

#[derive(Clone, Debug)]
pub enum AccessTree {
    Public {
        span: Span,
    },
    Authenticated {
        /// Accepted scheme ids; the principal names its scheme.
        schemes: Vec<u16>,
        /// mTLS subject patterns by scheme id, where declared.
        subjects: Vec<(u16, Glob)>,
        /// The value of `WWW-Authenticate` on a 401.
        challenge: Box<str>,
        meta: RuleMeta,
    },
    Closed {
        span: Span,
    },
}

/// A compiled condition. See [`crate::model::CondExpr`] for the semantics.
#[derive(Clone, Debug)]
pub enum CondTree {
    Or(Box<[CondTree]>),
    And(Box<[CondTree]>),
    Not(Box<CondTree>),
    Compare {
        op: CmpOp,
        left: ValueTree,
        right: ValueTree,
    },
    In {
        left: ValueTree,
        right: ValueTree,
    },
    HasScope(ScopeId),
    Like {
        left: ValueTree,
        pattern: Glob,
    },
    Truthy(ValueTree),
}

#[derive(Clone, Debug)]
pub struct ValueTree {
    pub kind: ValueKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum ValueKind {
    Lit(Lit),
    List(Box<[Lit]>),
    /// Absolute segment index in the request path (base included).
    Param {
        index: usize,
        ty: ParamType,
    },
    Query(Box<str>),
    /// Lowercase.
    Header(Box<str>),
    Subject,
    Scheme,
    Claim(Box<[Box<str>]>),
}
