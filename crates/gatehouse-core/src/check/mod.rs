//! AST to checked model.
//!
//! [`check`] resolves names (auth schemes, scopes, path parameters), checks
//! types in conditions, validates values the parser kept as text (IP
//! networks, methods, sizes, patterns), merges `defaults` into endpoints and
//! rejects route sets that would need a runtime tie-break. Every problem is a
//! [`Diagnostic`] with a code, a span and, where one helps, a hint.
//!
//! Submodules: `decl` (the API header, auth schemes, scopes, options),
//! `rules` (statements and conditions), `payload` (body, query, header and
//! response rules), `routes` (methods, path patterns, conflicts between
//! endpoints and between APIs).

mod decl;
mod payload;
mod routes;
mod rules;

use rustc_hash::FxHashMap;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{Access, Api, Endpoint, EndpointId, Model, SchemeId, ScopeId};
use crate::span::{FileId, Span};
use crate::syntax::ast::{ItemKind, PolicyAst};

pub use crate::model::MAX_SCOPES;

/// One parsed file, ready to check.
pub struct ParsedFile<'a> {
    pub file: FileId,
    pub ast: &'a PolicyAst,
}

/// Checks a set of parsed files, one API per file, and the set as a whole.
/// The model is returned even when there are errors (for tools that want to
/// look at it); it must not be compiled then.
pub fn check(files: &[ParsedFile<'_>]) -> (Model, Diagnostics) {
    let mut diagnostics = Diagnostics::default();
    let mut model = Model::default();
    for parsed in files {
        if let Some(api) = check_api(parsed.file, parsed.ast, &mut diagnostics) {
            model.apis.push(api);
        }
    }
    routes::check_api_overlaps(&model, &mut diagnostics);
    diagnostics.sort();
    (model, diagnostics)
}

/// Names declared at the top of an API, for resolving references.
pub(crate) struct Names {
    /// Declared, but invalid (already reported).
    pub broken_schemes: Vec<String>,
    pub scopes: FxHashMap<String, ScopeId>,
    pub schemes: FxHashMap<String, SchemeId>,
    pub scope_names: Vec<String>,
    pub scheme_names: Vec<String>,
}

impl Names {
    fn scope(&self, name: &str) -> Option<ScopeId> {
        self.scopes.get(name).copied()
    }

    fn scheme(&self, name: &str) -> Option<SchemeId> {
        self.schemes.get(name).copied()
    }
}

fn check_api(file: FileId, ast: &PolicyAst, diagnostics: &mut Diagnostics) -> Option<Api> {
    let (mut api, broken_schemes) = decl::header(file, ast, diagnostics)?;
    let names = Names {
        broken_schemes,
        scopes: api
            .scopes
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.clone(), ScopeId(small(i))))
            .collect(),
        schemes: api
            .schemes
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.clone(), SchemeId(small(i))))
            .collect(),
        scope_names: api.scopes.iter().map(|s| s.name.clone()).collect(),
        scheme_names: api.schemes.iter().map(|s| s.name.clone()).collect(),
    };

    // Defaults first: endpoints inherit them.
    let mut defaults: Option<(rules::RuleSet, Span)> = None;
    for item in &ast.items {
        if let ItemKind::Defaults(statements) = &item.kind {
            if let Some((_, first)) = &defaults {
                diagnostics.push(duplicate("defaults", item.span, *first));
                continue;
            }
            let ctx = rules::Context {
                names: &names,
                endpoint: None,
                in_defaults: true,
            };
            let set = rules::rule_set(&ctx, statements, true, diagnostics);
            defaults = Some((set, item.span));
        }
    }
    let defaults = defaults.map(|(set, _)| set).unwrap_or_default();

    for item in &ast.items {
        let ItemKind::Endpoint(endpoint_ast) = &item.kind else {
            continue;
        };
        let id = EndpointId(u32::try_from(api.endpoints.len()).unwrap_or(u32::MAX));
        let Some(route) = routes::route(endpoint_ast, diagnostics) else {
            continue;
        };
        let ctx = rules::Context {
            names: &names,
            endpoint: Some(&route),
            in_defaults: false,
        };
        let own = rules::rule_set(&ctx, &endpoint_ast.body, false, diagnostics);
        let endpoint = rules::merge(id, route, own, &defaults, diagnostics);
        if matches!(endpoint.access, Access::Closed) {
            diagnostics.push(closed_endpoint(&endpoint));
        }
        api.endpoints.push(endpoint);
    }
    routes::check_conflicts(&api, diagnostics);
    Some(api)
}

fn closed_endpoint(endpoint: &Endpoint) -> Diagnostic {
    Diagnostic::new(
        Code::NoAccessRule,
        endpoint.span,
        format!(
            "`{}` is neither public nor authenticated, so every request to it is denied",
            endpoint.label()
        ),
    )
    .label("no `public` and no `authenticate`")
    .help("add `authenticate <scheme>` (here or in `defaults`), or `public` if anyone may call it")
}

/// "`x` is declared twice", pointing at both.
pub(crate) fn duplicate(what: &str, span: Span, first: Span) -> Diagnostic {
    Diagnostic::new(
        Code::DuplicateDeclaration,
        span,
        format!("`{what}` is declared twice"),
    )
    .label("declared again here")
    .related(first, "first declared here")
    .help(format!(
        "a policy file may have one `{what}`; remove one of them"
    ))
}

/// Indexes are bounded by checks elsewhere (scopes by MAX_SCOPES); this keeps
/// the conversion total.
fn small(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}
