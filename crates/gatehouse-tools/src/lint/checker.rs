//! One walk over the checked model, calling each enabled rule.
//!
//! Rules never walk the model themselves: the checker visits each API, its
//! auth schemes and its endpoints once, calls the rules registered for that
//! dispatch point, and collects what the rules at the end of an API need
//! ([`ApiFacts`]) and the [`Coverage`] figures on the way. Rules that need
//! spans the model does not keep (an option, one network of a list) look
//! them up in the AST through [`Ctx`].

use super::rules;
use super::{Coverage, LintOptions, Rule};
use crate::diag::Diagnostic;
use crate::model::{Access, Api, CondExpr, Endpoint, Model, RuleMeta};
use crate::span::{FileId, Span};
use crate::syntax::ast::{Item, ItemKind, PolicyAst, Statement, StatementKind};

/// What a rule sees: the API being walked and its AST.
pub(crate) struct Ctx<'a> {
    pub api: &'a Api,
    pub ast: Option<&'a PolicyAst>,
}

impl Ctx<'_> {
    /// The top-level item whose span holds `span`.
    pub fn item_at(&self, span: Span) -> Option<&Item> {
        self.ast?
            .items
            .iter()
            .find(|i| i.span.start <= span.start && span.end <= i.span.end)
    }

    /// The span of an option as written (`on_store_error = allow`).
    pub fn option(&self, name: &str) -> Option<&crate::syntax::ast::OptionAst> {
        self.ast?.items.iter().find_map(|item| match &item.kind {
            ItemKind::Options(options) => options.iter().find(|o| o.name.node == name),
            _ => None,
        })
    }

    /// The statement written at exactly `span` (a rule's `meta.span`).
    pub fn statement_at(&self, span: Span) -> Option<&Statement> {
        let item = self.item_at(span)?;
        let statements = match &item.kind {
            ItemKind::Defaults(statements) => statements,
            ItemKind::Endpoint(endpoint) => &endpoint.body,
            _ => return None,
        };
        find_statement(statements, span)
    }
}

fn find_statement(statements: &[Statement], span: Span) -> Option<&Statement> {
    statements.iter().find_map(|s| match &s.kind {
        _ if s.span == span => Some(s),
        StatementKind::ShadowBlock(inner)
            if s.span.start <= span.start && span.end <= s.span.end =>
        {
            find_statement(inner, span)
        }
        _ => None,
    })
}

/// Collects findings, dropping repeats: a rule written in `defaults` is
/// seen once per endpoint that inherits it, but reported once.
pub(crate) struct Out {
    pub findings: Vec<Diagnostic>,
}

impl Out {
    pub fn push(&mut self, finding: Diagnostic) {
        let repeat = self.findings.iter().any(|f| {
            f.code == finding.code && f.span == finding.span && f.message == finding.message
        });
        if !repeat {
            self.findings.push(finding);
        }
    }
}

/// What the walk over an API's endpoints learns for the rules that run at
/// its end.
pub(crate) struct ApiFacts {
    /// Indexed by `ScopeId`: whether a `require` or `principal has` names it.
    pub used_scopes: Vec<bool>,
}

impl ApiFacts {
    fn new(api: &Api) -> ApiFacts {
        ApiFacts {
            used_scopes: vec![false; api.scopes.len()],
        }
    }

    fn endpoint(&mut self, endpoint: &Endpoint) {
        for rule in &endpoint.scopes {
            for id in rule.groups.iter().flatten() {
                if let Some(used) = self.used_scopes.get_mut(usize::from(id.0)) {
                    *used = true;
                }
            }
        }
        for condition in &endpoint.conditions {
            self.condition(&condition.expr);
        }
    }

    /// Conditions nest at most as deep as brackets may (`MAX_NESTING`).
    fn condition(&mut self, expr: &CondExpr) {
        match expr {
            CondExpr::Or(parts) | CondExpr::And(parts) => {
                parts.iter().for_each(|p| self.condition(p))
            }
            CondExpr::Not(inner) => self.condition(inner),
            CondExpr::HasScope { scope, .. } => {
                if let Some(used) = self.used_scopes.get_mut(usize::from(scope.0)) {
                    *used = true;
                }
            }
            CondExpr::Compare { .. }
            | CondExpr::In { .. }
            | CondExpr::Like { .. }
            | CondExpr::Truthy(_) => {}
        }
    }
}

/// Runs every enabled rule over the model; returns the findings (before
/// allow directives) and the coverage of each API.
pub(crate) fn run(
    files: &[(FileId, PolicyAst)],
    model: &Model,
    options: &LintOptions,
) -> (Vec<Diagnostic>, Vec<Coverage>) {
    let mut out = Out {
        findings: Vec::new(),
    };
    let mut coverage = Vec::new();
    for api in &model.apis {
        let ast = files
            .iter()
            .find(|(id, _)| *id == api.file)
            .map(|(_, ast)| ast);
        let ctx = Ctx { api, ast };
        let mut facts = ApiFacts::new(api);
        let mut cover = Coverage {
            api: api.name.clone(),
            ..Coverage::default()
        };

        macro_rules! run {
            ($rule:ident, $call:expr) => {
                if options.enabled(Rule::$rule) {
                    $call;
                }
            };
        }

        // The API.
        run!(MissingOwner, rules::missing_owner::api(&ctx, &mut out));
        run!(UnversionedApi, rules::unversioned_api::api(&ctx, &mut out));
        run!(
            FailOpenOnStoreError,
            rules::fail_open_on_store_error::api(&ctx, &mut out)
        );
        run!(
            ForwardedDenyWithoutProxies,
            rules::forwarded_deny_without_proxies::api(&ctx, &mut out)
        );
        run!(PermissiveCidr, rules::permissive_cidr::api(&ctx, &mut out));
        for scheme in &api.schemes {
            run!(
                JwtWithoutAudience,
                rules::jwt_without_audience::scheme(&ctx, scheme, &mut out)
            );
        }

        // Each endpoint.
        for endpoint in &api.endpoints {
            facts.endpoint(endpoint);
            count(&mut cover, endpoint);
            run!(
                PublicWithoutQuota,
                rules::public_without_quota::endpoint(&ctx, endpoint, &mut out)
            );
            run!(
                EndpointNeverAllowed,
                rules::endpoint_never_allowed::endpoint(&ctx, endpoint, &mut out)
            );
            run!(
                WriteWithoutBodyLimit,
                rules::write_without_body_limit::endpoint(&ctx, endpoint, &mut out)
            );
            run!(
                ShadowedRoute,
                rules::shadowed_route::endpoint(&ctx, endpoint, &mut out)
            );
            run!(
                FallthroughToWeakerRoute,
                rules::fallthrough_to_weaker_route::endpoint(&ctx, endpoint, &mut out)
            );
            run!(
                PermissiveCidr,
                rules::permissive_cidr::endpoint(&ctx, endpoint, &mut out)
            );
            run!(
                UnrestrictedWildcardWrite,
                rules::unrestricted_wildcard_write::endpoint(&ctx, endpoint, &mut out)
            );
            run!(
                UnmaskedSensitiveField,
                rules::unmasked_sensitive_field::endpoint(&ctx, endpoint, &mut out)
            );
            run!(
                ShadowEndpoint,
                rules::shadow_endpoint::endpoint(&ctx, endpoint, &mut out)
            );
            run!(
                UnreachableMask,
                rules::unreachable_mask::endpoint(&ctx, endpoint, &mut out)
            );
            run!(
                PublicWrite,
                rules::public_write::endpoint(&ctx, endpoint, &mut out)
            );
        }

        // What needs every endpoint seen.
        run!(
            UnusedScope,
            rules::unused_scope::api(&ctx, &facts, &mut out)
        );
        coverage.push(cover);
    }
    (out.findings, coverage)
}

/// Adds an endpoint to its API's coverage.
fn count(cover: &mut Coverage, endpoint: &Endpoint) {
    if endpoint.shadow.is_some() {
        cover.shadow += 1;
        return;
    }
    let enforced = |meta: &RuleMeta| !meta.shadow;
    let authenticated = matches!(endpoint.access, Access::Authenticated { .. });
    let scoped = endpoint
        .scopes
        .iter()
        .any(|s| enforced(&s.meta) && !s.groups.is_empty());
    let quota = endpoint.quotas.iter().any(|q| enforced(&q.meta));
    let writes = rules::accepts_writes(endpoint);
    let body_limited = endpoint
        .body
        .max
        .as_ref()
        .is_some_and(|(_, meta)| enforced(meta));
    cover.endpoints += 1;
    cover.authenticated += usize::from(authenticated);
    cover.scoped += usize::from(scoped);
    cover.quota += usize::from(quota);
    cover.writes += usize::from(writes);
    cover.body_limited += usize::from(writes && body_limited);
    cover.secured += usize::from(authenticated && scoped && quota && (!writes || body_limited));
}
