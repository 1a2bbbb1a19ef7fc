//! One loaded policy set: the sources, the checked model, the compiled
//! tree and the quota table, built once and shared by every decision.
//!
//! The facade's `PolicySet` wraps a [`CompiledSet`] with a quota store; the
//! tools read its model and tree. Nothing here holds a store, a clock or a
//! lock: quotas are counted in whatever store the caller passes.

use crate::check;
use crate::decision::Decision;
use crate::diag::Diagnostics;
use crate::eval;
use crate::mask::{self, MaskConfig, MaskError, MaskPlan};
use crate::model::{Api, Endpoint, Mask, Model};
use crate::quota::{self, QuotaStore, QuotaTable};
use crate::request::Request;
use crate::span::{FileId, Sources};
use crate::syntax::{self, PolicyAst};
use crate::tree::Tree;

/// A checked and compiled set of policies (one API per file).
#[derive(Debug)]
pub struct CompiledSet {
    sources: Sources,
    model: Model,
    tree: Tree,
    warnings: Diagnostics,
    quotas: QuotaTable,
}

/// Why a policy set could not be loaded: the diagnostics (errors and any
/// warnings) and the sources they point into.
#[derive(Clone, Debug)]
pub struct LoadFailure {
    pub sources: Sources,
    pub diagnostics: Diagnostics,
}

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

/// Parses and checks every source, keeping the ASTs (for tools such as the
/// linter that need more than the model). The model is only meaningful
/// when the diagnostics hold no errors.
pub fn parse_and_check(sources: &Sources) -> (Vec<(FileId, PolicyAst)>, Model, Diagnostics) {
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

impl CompiledSet {
    /// Parses, checks and compiles a set of policy files.
    pub fn load(sources: Sources) -> Result<CompiledSet, LoadFailure> {
        match check_sources(&sources) {
            (Some(model), warnings) => {
                let tree = crate::compile::compile(&model);
                let quotas = QuotaTable::new(&model);
                Ok(CompiledSet {
                    sources,
                    model,
                    tree,
                    warnings,
                    quotas,
                })
            }
            (None, diagnostics) => Err(LoadFailure {
                sources,
                diagnostics,
            }),
        }
    }

    /// One policy file from a string.
    pub fn from_source(name: &str, text: &str) -> Result<CompiledSet, LoadFailure> {
        let mut sources = Sources::new();
        sources.add(name, text);
        CompiledSet::load(sources)
    }

    /// Decides a request with the compiled tree, counting its quotas in
    /// `store` at [`Request::now_ms`]. This is the fast path.
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
    /// [`quota::settle`] for the order).
    pub fn settle<S: QuotaStore + ?Sized>(
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

    /// Decides everything up to the body; see [`eval::begin`]. Quotas are
    /// not counted: [`CompiledSet::settle`] the final decision.
    pub fn begin<'p>(&'p self, request: &Request<'_>) -> eval::Begin<'p> {
        eval::begin(&self.tree, request)
    }

    /// Every endpoint's quotas, named for stores.
    pub fn quota_table(&self) -> &QuotaTable {
        &self.quotas
    }

    /// The warnings the checker found (a set with errors does not load).
    pub fn warnings(&self) -> &Diagnostics {
        &self.warnings
    }

    /// The policy files, for locating spans.
    pub fn sources(&self) -> &Sources {
        &self.sources
    }

    /// The checked model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The compiled decision tree.
    pub fn tree(&self) -> &Tree {
        &self.tree
    }

    /// The API and endpoint a decision matched, if any.
    pub fn endpoint(&self, decision: &Decision) -> Option<(&Api, &Endpoint)> {
        let api = self.model.apis.get(decision.api?.0 as usize)?;
        Some((api, api.endpoint(decision.endpoint?)?))
    }

    /// The masks to apply to the response of an allowed request.
    pub fn masks(&self, decision: &Decision) -> &[Mask] {
        match self.endpoint(decision) {
            Some((_, endpoint)) if decision.allowed => &endpoint.masks,
            _ => &[],
        }
    }

    /// The compiled masks and allow-list of the endpoint that allowed a
    /// request. A denied decision is an error: there is no response to mask.
    pub fn mask_plan(&self, decision: &Decision) -> Result<&MaskPlan, MaskError> {
        if !decision.allowed {
            return Err(MaskError::Denied);
        }
        let api = decision
            .api
            .and_then(|id| self.tree.apis.get(id.0 as usize));
        let endpoint = decision
            .endpoint
            .and_then(|id| api?.endpoints.get(id.0 as usize).filter(|e| e.id == id));
        endpoint.map(|e| &e.mask).ok_or(MaskError::UnknownEndpoint)
    }

    /// Applies the decision's endpoint's masks to a whole JSON response.
    pub fn mask_response(
        &self,
        decision: &Decision,
        body: &[u8],
        config: &MaskConfig,
    ) -> Result<Vec<u8>, MaskError> {
        self.mask_plan(decision)?.apply(body, config)
    }
}
