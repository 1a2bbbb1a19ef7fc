//! [`PolicySet`]: a loaded policy set and its quota store, and everything
//! an embedder asks of it.

use std::sync::Arc;

use gatehouse_core::eval;
use gatehouse_core::CompiledSet;
use gatehouse_syntax::diag::{self, Diagnostics};
use gatehouse_syntax::span::{Location, Sources};

use crate::audit::AuditRecord;
use crate::mask::{MaskConfig, MaskError, MaskStream};
use crate::quota::{MemoryStore, QuotaStore};
use crate::{Decision, Principal, Request, ResolvedPrincipal, ResponseHeaders};

/// A checked and compiled set of policies (one API per file), ready to
/// decide requests.
///
/// Loading parses every file, checks the set as a whole (two APIs whose
/// `base` and `host` overlap, two endpoints that could answer the same
/// request, an undeclared scope: each is an error) and compiles it into a
/// decision tree. Clones are cheap and share the compiled policy and the
/// quota store, so one set serves every thread.
///
/// Quotas are counted in the set's quota store: an exact in-memory
/// [`MemoryStore`] unless [`PolicySet::with_quota_store`] gives another.
#[derive(Clone)]
pub struct PolicySet {
    compiled: Arc<CompiledSet>,
    store: Arc<dyn QuotaStore + Send + Sync>,
}

impl std::fmt::Debug for PolicySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicySet")
            .field("files", &self.compiled.sources().len())
            .field("apis", &self.compiled.model().apis.len())
            .finish_non_exhaustive()
    }
}

/// Why a policy set could not be loaded: every diagnostic (errors and any
/// warnings), and the sources they point into, for rendering.
///
/// Its `Display` lists the errors, one line each
/// (`file:line:column: error[code]: message`).
#[derive(Clone, Debug)]
pub struct LoadError {
    sources: Sources,
    diagnostics: Diagnostics,
}

impl LoadError {
    /// The diagnostics: at least one error, and any warnings.
    pub fn diagnostics(&self) -> &Diagnostics {
        &self.diagnostics
    }

    /// The policy files the diagnostics point into.
    pub fn sources(&self) -> &Sources {
        &self.sources
    }
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

/// The endpoint a decision matched, as written in the policy.
#[derive(Clone, Copy, Debug)]
pub struct EndpointRef<'p> {
    policy: &'p PolicySet,
    api: &'p gatehouse_core::model::Api,
    endpoint: &'p gatehouse_core::model::Endpoint,
}

impl<'p> EndpointRef<'p> {
    /// The name of the endpoint's API (`api "petstore"`).
    pub fn api(&self) -> &'p str {
        &self.api.name
    }

    /// The API's version, if it declares one.
    pub fn api_version(&self) -> Option<&'p str> {
        self.api.version.as_deref()
    }

    /// The method as written: `GET`, or `*` for any method.
    pub fn method(&self) -> &'static str {
        self.endpoint.method.as_str()
    }

    /// The path pattern as written, without the API's base: `/pets/{id:int}`.
    pub fn path(&self) -> &'p str {
        &self.endpoint.path_text
    }

    /// `GET /pets/{id:int}`: how audit records and metrics name it.
    pub fn label(&self) -> String {
        self.endpoint.label()
    }

    /// Where the endpoint is declared.
    pub fn location(&self) -> Location {
        self.policy.compiled.sources().locate(self.endpoint.span)
    }

    /// Whether the endpoint is a bare `shadow` endpoint (reported, never
    /// enforced).
    pub fn is_shadow(&self) -> bool {
        self.endpoint.shadow.is_some()
    }
}

/// One API of a loaded set (`api "petstore"`): its name and the `base`
/// and `host` that select it, for tools that route requests to the set
/// (`gatehouse gateway` writes a gateway's routes from them).
#[derive(Clone, Copy, Debug)]
pub struct ApiRef<'p> {
    api: &'p gatehouse_core::model::Api,
}

impl<'p> ApiRef<'p> {
    /// The API's name (`api "petstore"`).
    pub fn name(&self) -> &'p str {
        &self.api.name
    }

    /// The API's version, if it declares one.
    pub fn version(&self) -> Option<&'p str> {
        self.api.version.as_deref()
    }

    /// The path every request to the API starts with: `/v1`, or `/` for
    /// an API without a `base`.
    pub fn base(&self) -> String {
        self.api.base_text()
    }

    /// The host the API is bound to (lowercase, without a port), or
    /// `None` when it serves every host.
    pub fn host(&self) -> Option<&'p str> {
        self.api.host.as_deref()
    }
}

impl PolicySet {
    /// Parses, checks and compiles a set of policy files.
    pub fn load(sources: Sources) -> Result<PolicySet, LoadError> {
        match CompiledSet::load(sources) {
            Ok(compiled) => Ok(PolicySet {
                compiled: Arc::new(compiled),
                store: Arc::new(MemoryStore::new()),
            }),
            Err(failure) => Err(LoadError {
                sources: failure.sources,
                diagnostics: failure.diagnostics,
            }),
        }
    }

    /// One policy file from a string; `name` is how diagnostics name it.
    pub fn from_source(name: &str, text: &str) -> Result<PolicySet, LoadError> {
        let mut sources = Sources::new();
        sources.add(name, text);
        PolicySet::load(sources)
    }

    /// Counts quotas in `store` from now on (for example a Redis store
    /// shared by a fleet of gateways). Clones made before keep the old
    /// store.
    pub fn with_quota_store(mut self, store: Arc<dyn QuotaStore + Send + Sync>) -> PolicySet {
        self.store = store;
        self
    }

    /// Resolves a principal's scheme and scopes against this policy set, once,
    /// for a host that keeps principals (per token, per session): requests
    /// that carry it with [`Request::resolved_principal`] are decided the
    /// same way without matching scope names. Against another policy set
    /// (after a reload) it still decides correctly, by names; resolve again
    /// to get the speed back.
    ///
    /// ```
    /// # use gatehouse::{PolicySet, Principal, Request};
    /// # let policy = PolicySet::from_source("pets.gate", r#"
    /// # api "pets"
    /// # scopes { pets:read }
    /// # auth user = jwt(issuer: "https://id.example.com", audience: "pets")
    /// # endpoint GET /pets { authenticate user  require pets:read }
    /// # "#).unwrap();
    /// let alice = policy.resolve(Principal::new("user", "alice").with_scopes(["pets:read"]));
    /// let request = Request::new("GET", "/pets", "203.0.113.5".parse().unwrap())
    ///     .resolved_principal(&alice);
    /// assert!(policy.decide(&request).allowed());
    /// ```
    pub fn resolve(&self, principal: Principal) -> ResolvedPrincipal {
        self.compiled.tree().resolve(principal)
    }

    /// Decides a request, reading its body from [`Request::body`], and
    /// counting its quotas in the set's store at [`Request::at`]'s time.
    ///
    /// A request without a body is decided without a heap allocation.
    pub fn decide(&self, request: &Request<'_>) -> Decision {
        Decision::new(self.compiled.decide_with(request, &*self.store))
    }

    /// [`PolicySet::decide`], counting quotas in `store` instead.
    pub fn decide_with<S: QuotaStore + ?Sized>(
        &self,
        request: &Request<'_>,
        store: &S,
    ) -> Decision {
        Decision::new(self.compiled.decide_with(request, store))
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
    /// "#)?;
    /// let headers = [("Content-Type", "application/json")];
    /// let request = Request::new("POST", "/notes", "192.0.2.1".parse()?).headers(&headers);
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
    /// assert!(decision.allowed());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn begin<'p, 'r>(&'p self, request: &Request<'r>) -> Begin<'p, 'r> {
        match self.compiled.begin(request) {
            eval::Begin::Decided(mut decision) => {
                self.compiled.settle(&mut decision, request, &*self.store);
                Begin::Decided(Decision::new(decision))
            }
            eval::Begin::Body(inner) => Begin::Body(Box::new(BodyCheck {
                inner: *inner,
                policy: self,
                request: *request,
                done: None,
            })),
        }
    }

    /// The response headers to send with `decision`, the answer to
    /// `request`: `WWW-Authenticate` for a 401, `Allow` for a 405, and
    /// `RateLimit-Limit`, `RateLimit-Policy`, `RateLimit-Remaining`,
    /// `RateLimit-Reset` (and `Retry-After` for a 429) when the endpoint
    /// has quotas.
    pub fn response_headers(&self, request: &Request<'_>, decision: &Decision) -> ResponseHeaders {
        self.compiled.response_headers(request, &decision.0)
    }

    /// The audit record of a decision: one JSON object (`gatehouse.audit/v1`)
    /// naming the endpoint, rule and reason, never a credential. `time_ms`
    /// is supplied by the host, since the library reads no clock.
    pub fn audit(
        &self,
        request: &Request<'_>,
        decision: &Decision,
        time_ms: Option<u64>,
    ) -> AuditRecord {
        self.compiled.audit(request, &decision.0, time_ms)
    }

    /// Every API of the set, in the order of the files.
    ///
    /// ```
    /// # use gatehouse::PolicySet;
    /// let policy = PolicySet::from_source("pets.gate", r#"
    ///     api "pets"
    ///     base /v1
    ///     host "pets.example.com"
    ///     endpoint GET /health { public }
    /// "#)?;
    /// let api = policy.apis().next().unwrap();
    /// assert_eq!((api.name(), api.base().as_str(), api.host()), ("pets", "/v1", Some("pets.example.com")));
    /// # Ok::<(), gatehouse::LoadError>(())
    /// ```
    pub fn apis(&self) -> impl Iterator<Item = ApiRef<'_>> + '_ {
        self.compiled.model().apis.iter().map(|api| ApiRef { api })
    }

    /// The endpoint a decision matched, if any.
    pub fn endpoint(&self, decision: &Decision) -> Option<EndpointRef<'_>> {
        let (api, endpoint) = self.compiled.endpoint(&decision.0)?;
        Some(EndpointRef {
            policy: self,
            api,
            endpoint,
        })
    }

    /// Where the rule that decided is written: for a denial the failing
    /// rule, for an allow the access rule (`public` or `authenticate`).
    pub fn rule_location(&self, decision: &Decision) -> Option<Location> {
        decision
            .0
            .rule
            .map(|span| self.compiled.sources().locate(span))
    }

    /// Applies the `mask response` and `response only` rules of the
    /// decision's endpoint to a JSON response body.
    ///
    /// On error the response must be withheld: a body that is not valid
    /// JSON, or exceeds the configured limits, is never passed through. An
    /// endpoint without masks returns the body unchanged once validated. A
    /// denied decision is an error ([`MaskError::Denied`]): there is no
    /// response to mask.
    ///
    /// ```
    /// use gatehouse::mask::MaskConfig;
    /// use gatehouse::{PolicySet, Principal, Request};
    ///
    /// let policy = PolicySet::from_source("users.gate", r#"
    ///     api "users"
    ///     auth user = jwt(issuer: "https://id.example.com")
    ///     endpoint GET /users/{uid} {
    ///         authenticate user
    ///         response only $.id, $.name, $.ssn
    ///         mask response $.ssn keep last 4
    ///     }
    /// "#)?;
    /// let alice = Principal::new("user", "alice");
    /// let decision = policy.decide(&Request::new("GET", "/users/alice", "203.0.113.9".parse()?).principal(&alice));
    ///
    /// let body = br#"{"id": 7, "name": "Alice", "ssn": "123-45-6789", "salary": 100000}"#;
    /// let masked = policy.mask_response(&decision, body, &MaskConfig::default())?;
    /// assert_eq!(masked, br#"{"id": 7, "name": "Alice", "ssn": "*******6789"}"#);
    ///
    /// // Masking never fails open: a body that is not valid JSON is an error.
    /// assert!(policy.mask_response(&decision, br#"{"id": 7"#, &MaskConfig::default()).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn mask_response(
        &self,
        decision: &Decision,
        body: &[u8],
        config: &MaskConfig,
    ) -> Result<Vec<u8>, MaskError> {
        self.compiled.mask_response(&decision.0, body, config)
    }

    /// Whether the response to an allowed request must be masked: its
    /// endpoint has `mask response` or `response only` rules (or rules that
    /// could not be compiled, which [`PolicySet::mask_stream`] then refuses,
    /// so the response is withheld). A runtime streams every other response
    /// through untouched. `false` for a denial: there is no response.
    ///
    /// ```
    /// # use gatehouse::{PolicySet, Principal, Request};
    /// let policy = PolicySet::from_source("users.gate", r#"
    ///     api "users"
    ///     endpoint GET /users/{uid} { public  mask response $.ssn keep last 4 }
    ///     endpoint GET /health { public }
    /// "#)?;
    /// let peer = "203.0.113.9".parse()?;
    /// assert!(policy.masks_response(&policy.decide(&Request::new("GET", "/users/7", peer))));
    /// assert!(!policy.masks_response(&policy.decide(&Request::new("GET", "/health", peer))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn masks_response(&self, decision: &Decision) -> bool {
        decision.allowed()
            && self
                .compiled
                .mask_plan(&decision.0)
                .map_or(true, |plan| !plan.is_identity())
    }

    /// A streaming masker for the response to an allowed request: push the
    /// response's chunks as they arrive and send what it writes. **On
    /// error, what was already written is a fragment that must be
    /// discarded**, and the response withheld.
    pub fn mask_stream(
        &self,
        decision: &Decision,
        config: &MaskConfig,
    ) -> Result<MaskStream<'_>, MaskError> {
        self.compiled.mask_plan(&decision.0)?.stream(config)
    }

    /// [`PolicySet::mask_response`] from a reader to a writer, streaming;
    /// returns the number of bytes written. **On error, what was already
    /// written is a fragment that must be discarded**, not sent.
    pub fn mask_response_io(
        &self,
        decision: &Decision,
        reader: impl std::io::Read,
        writer: impl std::io::Write,
        config: &MaskConfig,
    ) -> Result<u64, MaskError> {
        gatehouse_core::mask::mask_io(
            self.compiled.mask_plan(&decision.0)?,
            config,
            reader,
            writer,
        )
    }

    /// The checker's warnings (a set with errors does not load).
    pub fn warnings(&self) -> &Diagnostics {
        self.compiled.warnings()
    }

    /// The policy files the set was loaded from.
    pub fn sources(&self) -> &Sources {
        self.compiled.sources()
    }

    /// The compiled set, for this crate's views of it.
    pub(crate) fn compiled(&self) -> &CompiledSet {
        &self.compiled
    }

    /// The compiled set of the layer below, for the workspace's tools.
    #[cfg(feature = "internals")]
    #[doc(hidden)]
    pub fn internals(&self) -> &CompiledSet {
        &self.compiled
    }

    /// The set's quota store, for the workspace's tools.
    #[cfg(feature = "internals")]
    #[doc(hidden)]
    pub fn quota_store(&self) -> &(dyn QuotaStore + Send + Sync) {
        &*self.store
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
            .compiled
            .settle(&mut decision, &self.request, &*self.policy.store);
        let decision = Decision::new(decision);
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
                    .compiled
                    .settle(&mut decision, &self.request, &*self.policy.store);
                Decision::new(decision)
            }
        }
    }
}
