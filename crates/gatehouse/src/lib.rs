//! Gatehouse: a declarative policy language for HTTP API security, and a
//! fast evaluator for it.
//!
//! A policy file describes an API's endpoints and, for each, who may call it,
//! from where, how often, with what payload and what the caller may see of
//! the response. This crate parses policies, checks them, compiles them into
//! a decision tree and decides requests against it:
//!
//! ```text
//! text --syntax--> AST --check--> model --compile--> tree --eval--> Decision
//!                                   \--interp (reference interpreter)--/
//! ```
//!
//! The entry point is [`PolicySet`]:
//!
//! ```
//! use gatehouse::{PolicySet, Principal, Request};
//!
//! let policy = PolicySet::from_source("pets.gate", r#"
//!     api "pets" version "1"
//!     auth user = jwt(issuer: "https://id.example.com")
//!     scopes { pets:read "Read pets" }
//!     endpoint GET /pets/{id:int} {
//!         authenticate user
//!         require pets:read
//!     }
//! "#).expect("a valid policy");
//!
//! let alice = Principal::new("user", "alice").with_scopes(["pets:read"]);
//! let peer = "203.0.113.9".parse().unwrap();
//! let decision = policy.decide(&Request::new("GET", "/pets/7", peer).principal(&alice));
//! assert!(decision.allowed);
//!
//! let decision = policy.decide(&Request::new("GET", "/pets/../admin", peer).principal(&alice));
//! assert_eq!(decision.reason.as_str(), "path_malformed");
//! ```
//!
//! For an allowed request, [`PolicySet::mask_response`] applies the
//! endpoint's `mask response` and `response only` rules to the JSON response
//! (streaming, failing closed on anything that is not valid JSON); see
//! [`mask`].
#![forbid(unsafe_code)]
// A `Decision` (about 170 bytes) is the payload of the evaluator's early
// returns; boxing it would put a heap allocation on the decision path.
#![allow(
    clippy::result_large_err,
    reason = "decisions are returned by value to keep the hot path allocation-free"
)]
// Tests may unwrap and index: a panic there is a failing test, not a crash.
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod analysis;
pub mod check;
pub mod compile;
pub mod decision;
pub mod diag;
pub mod eval;
pub mod explain;
pub mod fmt;
pub mod glob;
pub mod interp;
pub mod json;
pub mod json_api;
pub mod lint;
pub mod mask;
pub mod model;
pub mod pattern;
pub mod payload;
pub mod quota;
pub mod request;
pub mod span;
pub mod syntax;
pub mod tree;

pub use decision::{Decision, Detail, PathProblem, Reason, ShadowFinding, Violation};
pub use diag::{Code, Diagnostic, Diagnostics, Severity};
pub use explain::{AuditRecord, DecisionReport};
pub use quota::{MemoryStore, QuotaStore};
pub use request::{BodyData, HeadersData, Principal, Request, RequestData};
pub use span::{FileId, Location, Sources, Span};

use model::{Api, Endpoint, Model};
use tree::Tree;

/// A checked and compiled set of policies (one API per file), ready to
/// decide requests. Cheap to share between threads.
///
/// Quotas are counted in the set's quota store: an exact in-memory
/// [`MemoryStore`] unless [`PolicySet::with_quota_store`] gives another
/// (such as the Redis store of `gatehouse-redis`). Clones share the store.
#[derive(Clone, Debug)]
pub struct PolicySet {
    sources: Sources,
    model: Model,
    tree: Tree,
    warnings: Diagnostics,
    quotas: quota::QuotaTable,
    store: SharedStore,
}

/// The quota store a policy set counts with.
#[derive(Clone)]
struct SharedStore(std::sync::Arc<dyn QuotaStore + Send + Sync>);

impl std::fmt::Debug for SharedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedStore")
    }
}

/// Why a policy set could not be loaded: the diagnostics (errors and any
/// warnings) and the sources they point into, for rendering.
#[derive(Clone, Debug)]
pub struct LoadError {
    pub sources: Sources,
    pub diagnostics: Diagnostics,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let errors: Vec<String> = self
            .diagnostics
            .errors()
            .map(|d| diag::one_line(d, self.sources.get(d.span.file)))
            .collect();
        write!(
            f,
            "the policy has {} error(s):\n{}",
            errors.len(),
            errors.join("\n")
        )
    }
}

impl std::error::Error for LoadError {}

/// Parses and checks every source. Returns the model only if there are no
/// errors; the diagnostics hold errors and warnings either way.
pub fn check_sources(sources: &Sources) -> (Option<Model>, Diagnostics) {
    let (_, model, diagnostics) = parse_and_check(sources);
    if diagnostics.has_errors() {
        (None, diagnostics)
    } else {
        (Some(model), diagnostics)
    }
}

/// Parses and checks every source, keeping the ASTs (for tools such as
/// [`lint`] that need more than the model). The model is only meaningful
/// when the diagnostics hold no errors.
pub(crate) fn parse_and_check(
    sources: &Sources,
) -> (Vec<(FileId, syntax::PolicyAst)>, Model, Diagnostics) {
    let mut diagnostics = Diagnostics::default();
    let mut asts = Vec::new();
    for file in sources.iter() {
        let (ast, parse_diagnostics) = syntax::parse(file.id, &file.text);
        diagnostics.extend(parse_diagnostics);
        if let Some(ast) = ast {
            asts.push((file.id, ast));
        }
    }
    let parsed: Vec<check::ParsedFile<'_>> = asts
        .iter()
        .map(|(file, ast)| check::ParsedFile { file: *file, ast })
        .collect();
    let (model, check_diagnostics) = check::check(&parsed);
    diagnostics.extend(check_diagnostics);
    mask::check_plans(&model, &mut diagnostics);
    diagnostics.sort();
    (asts, model, diagnostics)
}

impl PolicySet {
    /// Parses, checks and compiles a set of policy files.
    pub fn load(sources: Sources) -> Result<PolicySet, LoadError> {
        match check_sources(&sources) {
            (Some(model), warnings) => {
                let tree = compile::compile(&model);
                let quotas = quota::QuotaTable::new(&model);
                let store = SharedStore(std::sync::Arc::new(MemoryStore::new()));
                Ok(PolicySet {
                    sources,
                    model,
                    tree,
                    warnings,
                    quotas,
                    store,
                })
            }
            (None, diagnostics) => Err(LoadError {
                sources,
                diagnostics,
            }),
        }
    }

    /// One policy file from a string.
    pub fn from_source(name: &str, text: &str) -> Result<PolicySet, LoadError> {
        let mut sources = Sources::new();
        sources.add(name, text);
        PolicySet::load(sources)
    }

    /// Counts quotas in `store` from now on (for example a Redis store
    /// shared by a fleet of gateways).
    pub fn with_quota_store(
        mut self,
        store: std::sync::Arc<dyn QuotaStore + Send + Sync>,
    ) -> PolicySet {
        self.store = SharedStore(store);
        self
    }

    /// Decides a request with the compiled tree, counting its quotas in the
    /// set's store at [`Request::now_ms`]. This is the fast path.
    pub fn decide(&self, request: &Request<'_>) -> Decision {
        self.decide_with(request, &*self.store.0)
    }

    /// [`PolicySet::decide`], counting quotas in `store` instead.
    pub fn decide_with<S: QuotaStore + ?Sized>(
        &self,
        request: &Request<'_>,
        store: &S,
    ) -> Decision {
        let mut decision = eval::decide(&self.tree, request);
        self.settle(&mut decision, request, store);
        decision
    }

    /// Counts the quotas of a decision made without them (see
    /// [`quota::settle`](crate::quota) for the order).
    pub(crate) fn settle<S: QuotaStore + ?Sized>(
        &self,
        decision: &mut Decision,
        request: &Request<'_>,
        store: &S,
    ) {
        let (Some(api_id), Some(endpoint)) = (decision.api, decision.endpoint) else {
            return;
        };
        let specs = self.quotas.endpoint(api_id, endpoint);
        if specs.is_empty() {
            return;
        }
        let on_store_error = self
            .model
            .apis
            .get(api_id.0 as usize)
            .map(|a| a.options.on_store_error)
            .unwrap_or_default();
        quota::settle::settle(decision, request, specs, store, on_store_error)
    }

    /// The quota table: every endpoint's quotas, named for stores.
    pub fn quota_table(&self) -> &quota::QuotaTable {
        &self.quotas
    }

    /// Decides a request whose body arrives later, so that an embedder
    /// never has to buffer an oversized body: everything up to the body is
    /// decided now ([`Begin::Decided`] when that is the answer, or when
    /// `Content-Length` is already too large); otherwise feed the body to
    /// the [`BodyCheck`] chunk by chunk and finish it. The answer is the
    /// one [`PolicySet::decide`] gives with the whole body.
    /// [`Request::body`] is ignored.
    ///
    /// ```
    /// use gatehouse::{Begin, PolicySet, Request};
    ///
    /// let policy = PolicySet::from_source("notes.gate", r#"
    ///     api "notes"
    ///     endpoint POST /notes {
    ///         public
    ///         body max 1KiB
    ///         body json { text: string(1..280) }
    ///     }
    /// "#).expect("a valid policy");
    /// let headers = [("Content-Type", "application/json")];
    /// let request = Request::new("POST", "/notes", "192.0.2.1".parse().unwrap()).headers(&headers);
    /// let decision = match policy.begin(&request) {
    ///     Begin::Decided(decision) => decision,
    ///     Begin::Body(mut check) => {
    ///         let mut early = None;
    ///         for chunk in [&br#"{"text": "hel"#[..], &br#"lo"}"#[..]] {
    ///             early = check.feed(chunk);
    ///             if early.is_some() { break; }
    ///         }
    ///         early.unwrap_or_else(|| check.finish())
    ///     }
    /// };
    /// assert!(decision.allowed);
    /// ```
    pub fn begin<'p, 'r>(&'p self, request: &Request<'r>) -> Begin<'p, 'r> {
        match eval::begin(&self.tree, request) {
            eval::Begin::Decided(mut decision) => {
                self.settle(&mut decision, request, &*self.store.0);
                Begin::Decided(decision)
            }
            eval::Begin::Body(inner) => Begin::Body(Box::new(BodyCheck {
                inner: *inner,
                policy: self,
                request: *request,
                done: None,
            })),
        }
    }

    /// Decides a request with the reference interpreter: slow, simple, and
    /// held to the same answers as [`PolicySet::decide`] by property tests.
    /// Quotas are counted in the set's store, as by `decide`.
    pub fn interpret(&self, request: &Request<'_>) -> Decision {
        self.interpret_with(request, &*self.store.0)
    }

    /// [`PolicySet::interpret`], counting quotas in `store` instead.
    pub fn interpret_with<S: QuotaStore + ?Sized>(
        &self,
        request: &Request<'_>,
        store: &S,
    ) -> Decision {
        let mut decision = interp::decide(&self.model, request);
        self.settle(&mut decision, request, store);
        decision
    }

    pub fn warnings(&self) -> &Diagnostics {
        &self.warnings
    }

    pub fn sources(&self) -> &Sources {
        &self.sources
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    pub fn tree(&self) -> &Tree {
        &self.tree
    }

    /// The API and endpoint a decision matched, if any.
    pub fn endpoint(&self, decision: &Decision) -> Option<(&Api, &Endpoint)> {
        let api = self.model.apis.get(decision.api?.0 as usize)?;
        Some((api, api.endpoint(decision.endpoint?)?))
    }

    /// The masks to apply to the response of an allowed request.
    pub fn masks(&self, decision: &Decision) -> &[model::Mask] {
        match self.endpoint(decision) {
            Some((_, endpoint)) if decision.allowed => &endpoint.masks,
            _ => &[],
        }
    }

    /// The compiled masks and allow-list of the endpoint that allowed a
    /// request: what [`PolicySet::mask_response`] applies. Use it with
    /// [`mask::MaskPlan::stream`] to mask a response as it arrives.
    ///
    /// A denied decision is an error: there is no response to mask.
    pub fn mask_plan(&self, decision: &Decision) -> Result<&mask::MaskPlan, mask::MaskError> {
        if !decision.allowed {
            return Err(mask::MaskError::Denied);
        }
        let api = decision
            .api
            .and_then(|id| self.tree.apis.get(id.0 as usize));
        let endpoint = decision
            .endpoint
            .and_then(|id| api?.endpoints.get(id.0 as usize).filter(|e| e.id == id));
        endpoint
            .map(|e| &e.mask)
            .ok_or(mask::MaskError::UnknownEndpoint)
    }

    /// Applies the `mask response` and `response only` rules of the
    /// decision's endpoint to a JSON response body.
    ///
    /// On error the response must be withheld: a body that is not valid
    /// JSON, or exceeds the configured limits, is never passed through. An
    /// endpoint without masks returns the body unchanged once validated. See
    /// [`mask`] for the rules.
    pub fn mask_response(
        &self,
        decision: &Decision,
        body: &[u8],
        config: &mask::MaskConfig,
    ) -> Result<Vec<u8>, mask::MaskError> {
        self.mask_plan(decision)?.apply(body, config)
    }

    /// [`PolicySet::mask_response`] from a reader to a writer, streaming;
    /// returns the number of bytes written. **On error, what was already
    /// written is a fragment that must be discarded**, not sent.
    pub fn mask_response_io(
        &self,
        decision: &Decision,
        reader: impl std::io::Read,
        writer: impl std::io::Write,
        config: &mask::MaskConfig,
    ) -> Result<u64, mask::MaskError> {
        mask::mask_io(self.mask_plan(decision)?, config, reader, writer)
    }
}

/// The first step of deciding a request whose body is read as it arrives:
/// see [`PolicySet::begin`].
pub enum Begin<'p, 'r> {
    /// The decision does not depend on the body (the request was denied
    /// before it, or by its `Content-Length`).
    Decided(Decision),
    /// Feed the body to the [`BodyCheck`], then finish it.
    Body(Box<BodyCheck<'p, 'r>>),
}

/// A decision waiting for the request body: feed it in chunks of any size
/// with [`BodyCheck::feed`], then call [`BodyCheck::finish`]. Memory stays
/// bounded by the endpoint's JSON limits however large the body. Quotas are
/// counted once, when the decision is final.
pub struct BodyCheck<'p, 'r> {
    inner: eval::BodyCheck<'p>,
    policy: &'p PolicySet,
    request: Request<'r>,
    done: Option<Decision>,
}

impl BodyCheck<'_, '_> {
    /// The enforced `body max`, if any: an embedder may refuse to read more.
    pub fn limit(&self) -> Option<u64> {
        self.inner.limit()
    }

    /// Whether the request will be denied whatever else arrives.
    pub fn will_deny(&self) -> bool {
        self.inner.will_deny()
    }

    /// Checks the next chunk. `Some` when the decision is final before the
    /// end of the body: stop reading and answer with it. Further calls
    /// return it again (its quotas are counted once).
    pub fn feed(&mut self, chunk: &[u8]) -> Option<Decision> {
        if let Some(done) = &self.done {
            return Some(done.clone());
        }
        let mut decision = self.inner.feed(chunk)?;
        self.policy
            .settle(&mut decision, &self.request, &*self.policy.store.0);
        self.done = Some(decision.clone());
        Some(decision)
    }

    /// The body ended: the decision.
    pub fn finish(self) -> Decision {
        match self.done {
            Some(done) => done,
            None => {
                let mut decision = self.inner.finish();
                self.policy
                    .settle(&mut decision, &self.request, &*self.policy.store.0);
                decision
            }
        }
    }
}
