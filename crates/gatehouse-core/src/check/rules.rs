//! Statements in endpoints and `defaults`, conditions, and how an endpoint
//! inherits from `defaults`.
//!
//! Inheritance, per kind of rule:
//! - `authenticate`, `allow from`, `body max`, `body types`, `body json`,
//!   `query`, `headers`, `response only`: the endpoint's own rule replaces the
//!   default.
//! - `deny from`, `require`, `when`, `quota`, `mask response`: the defaults
//!   apply in addition to the endpoint's own.
//! - A `public` endpoint takes no default that needs a principal (scopes,
//!   conditions on the principal, principal-keyed quotas).

use super::routes::Route;
use super::{decl, payload, Names};
use crate::diag::{did_you_mean, Code, Diagnostic, Diagnostics};
use crate::model::{
    Access, BodyRules, CondExpr, Condition, Endpoint, EndpointId, FieldsRule, IpRule, JsonBody,
    Lit, Mask, Operand as ModelOperand, ParamType, Quota, QuotaKey, ResponseOnly, RuleMeta,
    SchemeId, ScopeId, ScopeRule, ValueRef,
};
use crate::span::Span;
use crate::syntax::ast::{
    CmpOp, Expr, ExprKind, Ident, Literal, Operand, OperandKind, QuotaAst, Reference, Statement,
    StatementKind,
};

pub(crate) struct Context<'a> {
    pub names: &'a Names,
    pub endpoint: Option<&'a Route>,
    pub in_defaults: bool,
}

/// The rules of one block (an endpoint or `defaults`), before merging.
#[derive(Clone, Debug, Default)]
pub(crate) struct RuleSet {
    public: Option<Span>,
    shadow: Option<Span>,
    authenticate: Option<(Vec<SchemeId>, RuleMeta)>,
    ip_allow: Option<IpRule>,
    ip_deny: Vec<IpRule>,
    scopes: Vec<ScopeRule>,
    conditions: Vec<(Condition, bool)>,
    quotas: Vec<Quota>,
    body: BodyRules,
    query: Option<FieldsRule>,
    headers: Option<FieldsRule>,
    response_only: Option<ResponseOnly>,
    masks: Vec<Mask>,
}

pub(crate) fn rule_set(
    ctx: &Context<'_>,
    statements: &[Statement],
    inherited: bool,
    diagnostics: &mut Diagnostics,
) -> RuleSet {
    let mut set = RuleSet::default();
    let mut seen: Vec<(&'static str, Span)> = Vec::new();
    for statement in statements {
        add_statement(
            ctx,
            &mut set,
            &mut seen,
            statement,
            inherited,
            false,
            diagnostics,
        );
    }
    set
}

#[allow(
    clippy::too_many_arguments,
    reason = "one recursive call site; the arguments are the block being built and where the statement sits"
)]
fn add_statement(
    ctx: &Context<'_>,
    set: &mut RuleSet,
    seen: &mut Vec<(&'static str, Span)>,
    statement: &Statement,
    inherited: bool,
    shadow: bool,
    diagnostics: &mut Diagnostics,
) {
    let meta = RuleMeta {
        span: statement.span,
        inherited,
        shadow,
    };
    let keyword = statement.kind.keyword();

    // Rules that may appear once per block.
    let once = matches!(
        statement.kind,
        StatementKind::Public
            | StatementKind::ShadowFlag
            | StatementKind::Authenticate(_)
            | StatementKind::AllowFrom(_)
            | StatementKind::BodyMax(_)
            | StatementKind::BodyTypes(_)
            | StatementKind::BodyJson { .. }
            | StatementKind::Query(_)
            | StatementKind::Headers(_)
            | StatementKind::ResponseOnly(_)
    );
    if once {
        if let Some((_, first)) = seen.iter().find(|(k, _)| *k == keyword) {
            diagnostics.push(
                Diagnostic::new(
                    Code::RepeatedRule,
                    statement.span,
                    format!("`{keyword}` appears twice in this block"),
                )
                .label("repeated")
                .related(*first, "first here")
                .help(format!("combine them into one `{keyword}` rule")),
            );
            return;
        }
        seen.push((keyword, statement.span));
    }

    match &statement.kind {
        StatementKind::ShadowFlag => {
            if ctx.in_defaults {
                diagnostics.push(not_in_defaults(
                    statement.span,
                    "shadow",
                    "mark each endpoint that should be report-only",
                ));
                return;
            }
            set.shadow = Some(statement.span);
        }
        StatementKind::ShadowBlock(inner) => {
            for rule in inner {
                if matches!(
                    rule.kind,
                    StatementKind::Public | StatementKind::Authenticate(_)
                ) {
                    diagnostics.push(
                        Diagnostic::new(
                            Code::NotAllowedInShadow,
                            rule.span,
                            format!("`{}` cannot be report-only", rule.kind.keyword()),
                        )
                        .label("inside `shadow { ... }`")
                        .help("authentication is always enforced; to try an endpoint out without enforcing it, write `shadow` on its own line"),
                    );
                    // Treat the block as if access were declared, so the
                    // endpoint is not also reported as having none.
                    if set.authenticate.is_none() {
                        set.authenticate = Some((Vec::new(), meta));
                    }
                    continue;
                }
                add_statement(ctx, set, seen, rule, inherited, true, diagnostics);
            }
        }
        StatementKind::Public => {
            if ctx.in_defaults {
                diagnostics.push(not_in_defaults(
                    statement.span,
                    "public",
                    "making every endpoint public by default is how data leaks; write `public` on each endpoint that anyone may call",
                ));
                return;
            }
            set.public = Some(statement.span);
        }
        StatementKind::Authenticate(names) => {
            // Unknown names are reported; keeping the rule (with the names
            // that resolved) avoids a second, misleading "no access rule".
            let schemes: Vec<SchemeId> = names
                .iter()
                .filter_map(|n| scheme(ctx, n, diagnostics))
                .collect();
            set.authenticate = Some((schemes, meta));
        }
        StatementKind::Require(groups) => {
            let mut resolved = Vec::new();
            let mut ok = true;
            for group in groups {
                let ids: Vec<ScopeId> = group
                    .iter()
                    .filter_map(|s| scope(ctx, s, diagnostics))
                    .collect();
                ok &= ids.len() == group.len();
                resolved.push(ids);
            }
            if ok {
                set.scopes.push(ScopeRule {
                    groups: resolved,
                    meta,
                });
            }
        }
        StatementKind::When(expr) => {
            let mut uses_principal = false;
            if let Some(expr) = condition(ctx, expr, &mut uses_principal, diagnostics) {
                set.conditions
                    .push((Condition { expr, meta }, uses_principal));
            }
        }
        StatementKind::AllowFrom(nets) => {
            let parsed: Vec<_> = nets
                .iter()
                .filter_map(|n| decl::cidr(n, diagnostics))
                .collect();
            if parsed.len() == nets.len() {
                set.ip_allow = Some(IpRule { nets: parsed, meta });
            }
        }
        StatementKind::DenyFrom(nets) => {
            let parsed: Vec<_> = nets
                .iter()
                .filter_map(|n| decl::cidr(n, diagnostics))
                .collect();
            if parsed.len() == nets.len() {
                set.ip_deny.push(IpRule { nets: parsed, meta });
            }
        }
        StatementKind::Quota(quotas) => {
            for q in quotas {
                if let Some(quota) = quota(q, meta, diagnostics) {
                    set.quotas.push(quota);
                }
            }
        }
        StatementKind::BodyMax(size) => set.body.max = Some((size.node, meta)),
        StatementKind::BodyTypes(types) => {
            if let Some(types) = payload::content_types(types, diagnostics) {
                set.body.types = Some((types, meta));
            }
        }
        StatementKind::BodyJson { limits, fields } => {
            let limits = payload::json_limits(limits, diagnostics);
            let schema = fields
                .as_ref()
                .and_then(|f| payload::fields(f, payload::FieldsContext::Body, diagnostics));
            if let (Some((limits, limit_spans)), true) =
                (limits, fields.is_none() || schema.is_some())
            {
                set.body.json = Some(JsonBody {
                    limits,
                    limit_spans,
                    schema,
                    meta,
                });
            }
        }
        StatementKind::Query(fields) => {
            if let Some(schema) =
                payload::fields(fields, payload::FieldsContext::Query, diagnostics)
            {
                set.query = Some(FieldsRule { schema, meta });
            }
        }
        StatementKind::Headers(fields) => {
            if let Some(schema) =
                payload::fields(fields, payload::FieldsContext::Headers, diagnostics)
            {
                set.headers = Some(FieldsRule { schema, meta });
            }
        }
        StatementKind::ResponseOnly(paths) => {
            let checked: Vec<_> = paths
                .iter()
                .filter_map(|p| payload::json_path(p, diagnostics))
                .collect();
            if checked.len() == paths.len() {
                set.response_only = Some(ResponseOnly {
                    paths: checked,
                    meta,
                });
            }
        }
        StatementKind::Mask { paths, strategy } => {
            let checked: Vec<_> = paths
                .iter()
                .filter_map(|p| payload::json_path(p, diagnostics))
                .collect();
            if let (Some(strategy), true) = (
                payload::mask_strategy(strategy, diagnostics),
                checked.len() == paths.len(),
            ) {
                set.masks.push(Mask {
                    paths: checked,
                    strategy,
                    meta,
                });
            }
        }
    }
}

fn not_in_defaults(span: Span, keyword: &str, help: &str) -> Diagnostic {
    Diagnostic::new(
        Code::NotAllowedInDefaults,
        span,
        format!("`{keyword}` cannot be a default"),
    )
    .label("in `defaults`")
    .help(help.to_string())
}

fn scheme(ctx: &Context<'_>, name: &Ident, diagnostics: &mut Diagnostics) -> Option<SchemeId> {
    if let Some(id) = ctx.names.scheme(&name.node) {
        return Some(id);
    }
    if ctx.names.broken_schemes.contains(&name.node) {
        return None; // its declaration was reported already
    }
    let help = match did_you_mean(
        &name.node,
        ctx.names.scheme_names.iter().map(String::as_str),
    ) {
        Some(s) => format!("did you mean `{s}`?"),
        None if ctx.names.scheme_names.is_empty() => {
            format!(
                "declare it first, for example `auth {} = jwt(issuer: \"https://id.example.com\")`",
                name.node
            )
        }
        None => format!("declared schemes: {}", backticked(&ctx.names.scheme_names)),
    };
    diagnostics.push(
        Diagnostic::new(
            Code::UnknownAuthScheme,
            name.span,
            format!("unknown auth scheme `{}`", name.node),
        )
        .label("not declared")
        .help(help),
    );
    None
}

fn scope(ctx: &Context<'_>, name: &Ident, diagnostics: &mut Diagnostics) -> Option<ScopeId> {
    if let Some(id) = ctx.names.scope(&name.node) {
        return Some(id);
    }
    let help = match did_you_mean(&name.node, ctx.names.scope_names.iter().map(String::as_str)) {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!(
            "declare it in `scopes {{ ... }}`: `{} \"what it allows\"`",
            name.node
        ),
    };
    diagnostics.push(
        Diagnostic::new(
            Code::UnknownScope,
            name.span,
            format!("unknown scope `{}`", name.node),
        )
        .label("not declared in `scopes`")
        .help(help),
    );
    None
}

fn backticked(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

// ---------------------------------------------------------------- quotas

const WINDOWS: &[&str] = &[
    "s", "sec", "second", "min", "minute", "h", "hour", "d", "day",
];

fn quota(ast: &QuotaAst, meta: RuleMeta, diagnostics: &mut Diagnostics) -> Option<Quota> {
    let meta = RuleMeta {
        span: ast.span,
        ..meta
    };
    let positive = |value: &crate::span::Spanned<i64>,
                    what: &str,
                    diagnostics: &mut Diagnostics|
     -> Option<u64> {
        match u64::try_from(value.node) {
            Ok(n) if n > 0 => Some(n),
            _ => {
                diagnostics.push(
                    Diagnostic::new(Code::InvalidQuota, value.span, format!("the {what} must be at least 1"))
                        .label("not positive")
                        .help("a quota of 0 denies everything; to close an endpoint, remove its access rule instead"),
                );
                None
            }
        }
    };
    let rate = positive(&ast.rate, "rate", diagnostics);
    let window_secs = match ast.window.node.as_str() {
        "s" | "sec" | "second" | "seconds" => Some(1),
        "m" | "min" | "minute" | "minutes" => Some(60),
        "h" | "hour" | "hours" => Some(3_600),
        "d" | "day" | "days" => Some(86_400),
        other => {
            diagnostics.push(
                Diagnostic::new(
                    Code::InvalidQuota,
                    ast.window.span,
                    format!("unknown quota window `{other}`"),
                )
                .label("not a window")
                .help(match did_you_mean(other, WINDOWS.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "windows are `s`, `min`, `hour` and `day`: `100/min`".into(),
                }),
            );
            None
        }
    };
    let burst = match &ast.burst {
        Some(b) => positive(b, "burst", diagnostics),
        None => rate,
    };
    let cost = match &ast.cost {
        Some(c) => positive(c, "cost", diagnostics),
        None => Some(1),
    };
    let key = quota_key(&ast.key, diagnostics);
    let (rate, window_secs, burst, cost, key) = (rate?, window_secs?, burst?, cost?, key?);
    if cost > burst {
        diagnostics.push(
            Diagnostic::new(
                Code::InvalidQuota,
                ast.span,
                format!("a request costs {cost} but at most {burst} can be spent at once"),
            )
            .label("can never be allowed")
            .help("raise the burst or lower the cost"),
        );
        return None;
    }
    Some(Quota {
        rate,
        window_secs,
        burst,
        key,
        cost,
        meta,
    })
}

fn quota_key(reference: &Reference, diagnostics: &mut Diagnostics) -> Option<QuotaKey> {
    let root = reference.root.node.as_str();
    let key = match (root, reference.path.as_slice()) {
        ("principal", []) => Some(QuotaKey::Principal),
        ("key", []) => Some(QuotaKey::ApiKey),
        ("ip", []) => Some(QuotaKey::Ip),
        ("claim", path) if !path.is_empty() => Some(QuotaKey::Claim(
            path.iter()
                .map(|p| p.node.as_str())
                .collect::<Vec<_>>()
                .join("."),
        )),
        ("header", [name]) => Some(QuotaKey::Header(name.node.to_ascii_lowercase())),
        _ => None,
    };
    if key.is_none() {
        diagnostics.push(
            Diagnostic::new(Code::InvalidQuota, reference.span, format!("cannot count requests by `{}`", reference.text()))
                .label("not a quota key")
                .help("quotas count by `principal`, `key` (the API key), `ip`, `claim.<name>` or `header.<name>`"),
        );
    }
    key
}

// ---------------------------------------------------------------- merging

/// Combines an endpoint's own rules with the defaults (see the module docs).
pub(crate) fn merge(
    id: EndpointId,
    route: Route,
    own: RuleSet,
    defaults: &RuleSet,
    diagnostics: &mut Diagnostics,
) -> Endpoint {
    let public = own.public;
    if let (Some(public_span), Some((_, auth))) = (public, &own.authenticate) {
        diagnostics.push(
            Diagnostic::new(Code::PublicWithAuthentication, auth.span, "a `public` endpoint cannot also require authentication")
                .label("authentication here")
                .related(public_span, "marked public here")
                .help("remove `public` to require a principal, or remove `authenticate` to let anyone call it"),
        );
    }

    let access = match (
        public,
        own.authenticate
            .clone()
            .or_else(|| defaults.authenticate.clone()),
    ) {
        (Some(span), _) => Access::Public(span),
        (None, Some((schemes, meta))) => Access::Authenticated { schemes, meta },
        (None, None) => Access::Closed,
    };

    let is_public = public.is_some();
    if is_public {
        report_principal_rules_on_public(&own, diagnostics);
    }
    // Default rules that need a principal do not apply to public endpoints.
    let inherit_principal_rules = !is_public;

    let mut scopes = if inherit_principal_rules {
        defaults.scopes.clone()
    } else {
        Vec::new()
    };
    scopes.extend(own.scopes);

    let mut conditions: Vec<Condition> = defaults
        .conditions
        .iter()
        .filter(|(_, uses_principal)| inherit_principal_rules || !uses_principal)
        .map(|(c, _)| c.clone())
        .collect();
    conditions.extend(own.conditions.into_iter().map(|(c, _)| c));

    let mut quotas: Vec<Quota> = defaults
        .quotas
        .iter()
        .filter(|q| inherit_principal_rules || q.is_pre_auth())
        .cloned()
        .collect();
    quotas.extend(own.quotas);

    let mut ip_deny = defaults.ip_deny.clone();
    ip_deny.extend(own.ip_deny);

    let mut masks = defaults.masks.clone();
    masks.extend(own.masks);

    Endpoint {
        id,
        method: route.method,
        path: route.path,
        path_text: route.path_text,
        span: route.span,
        shadow: own.shadow,
        access,
        ip_allow: own.ip_allow.or_else(|| defaults.ip_allow.clone()),
        ip_deny,
        scopes,
        conditions,
        quotas,
        body: BodyRules {
            max: own.body.max.or(defaults.body.max),
            types: own.body.types.or_else(|| defaults.body.types.clone()),
            json: own.body.json.or_else(|| defaults.body.json.clone()),
        },
        query: own.query.or_else(|| defaults.query.clone()),
        headers: own.headers.or_else(|| defaults.headers.clone()),
        response_only: own.response_only.or_else(|| defaults.response_only.clone()),
        masks,
    }
}

fn report_principal_rules_on_public(own: &RuleSet, diagnostics: &mut Diagnostics) {
    let mut spans: Vec<(Span, &str)> = Vec::new();
    spans.extend(
        own.scopes
            .iter()
            .map(|s| (s.meta.span, "`require` needs a principal's scopes")),
    );
    spans.extend(
        own.conditions
            .iter()
            .filter(|(_, uses_principal)| *uses_principal)
            .map(|(c, _)| (c.meta.span, "this condition reads the principal")),
    );
    spans.extend(own.quotas.iter().filter(|q| !q.is_pre_auth()).map(|q| {
        let label = match q.key {
            QuotaKey::ApiKey => "this quota counts by API key",
            QuotaKey::Claim(_) => "this quota counts by a claim",
            _ => "this quota counts by principal",
        };
        (q.meta.span, label)
    }));
    for (span, label) in spans {
        diagnostics.push(
            Diagnostic::new(Code::PrincipalOnPublic, span, "a public endpoint has no principal to check")
                .label(label)
                .help("remove `public` and add `authenticate <scheme>`, or drop this rule (for quotas, count `by ip`)"),
        );
    }
}

// ---------------------------------------------------------------- conditions

/// The static type of an operand in a condition.
#[derive(Clone, Debug, PartialEq)]
enum Ty {
    Str,
    Int,
    Float,
    Bool,
    List(Box<Ty>),
    /// A claim: known only at run time.
    Dynamic,
    /// `principal` on its own: only for `principal has <scope>`.
    Principal,
}

impl Ty {
    fn name(&self) -> String {
        match self {
            Ty::Str => "a string".into(),
            Ty::Int => "an integer".into(),
            Ty::Float => "a number".into(),
            Ty::Bool => "a boolean".into(),
            Ty::List(inner) => format!(
                "a list of {}",
                inner
                    .name()
                    .trim_start_matches("a ")
                    .trim_start_matches("an ")
            ),
            Ty::Dynamic => "a claim".into(),
            Ty::Principal => "the principal".into(),
        }
    }

    fn is_numeric(&self) -> bool {
        matches!(self, Ty::Int | Ty::Float | Ty::Dynamic)
    }

    fn comparable(&self, other: &Ty) -> bool {
        match (self, other) {
            (Ty::Dynamic, t) | (t, Ty::Dynamic) => !matches!(t, Ty::Principal | Ty::List(_)),
            (Ty::Int | Ty::Float, Ty::Int | Ty::Float) => true,
            (a, b) => a == b && !matches!(a, Ty::Principal | Ty::List(_)),
        }
    }
}

const ROOTS: &[&str] = &["path", "query", "header", "principal", "claim"];

fn condition(
    ctx: &Context<'_>,
    expr: &Expr,
    uses_principal: &mut bool,
    diagnostics: &mut Diagnostics,
) -> Option<CondExpr> {
    match &expr.kind {
        ExprKind::Or(parts) | ExprKind::And(parts) => {
            let checked: Vec<CondExpr> = parts
                .iter()
                .filter_map(|p| condition(ctx, p, uses_principal, diagnostics))
                .collect();
            if checked.len() != parts.len() {
                return None;
            }
            Some(if matches!(expr.kind, ExprKind::Or(_)) {
                CondExpr::Or(checked)
            } else {
                CondExpr::And(checked)
            })
        }
        ExprKind::Not(inner) => Some(CondExpr::Not(Box::new(condition(
            ctx,
            inner,
            uses_principal,
            diagnostics,
        )?))),
        ExprKind::Compare { op, left, right } => {
            let (l, lt) = operand(ctx, left, uses_principal, diagnostics)?;
            let (r, rt) = operand(ctx, right, uses_principal, diagnostics)?;
            let ordering = !matches!(op.node, CmpOp::Eq | CmpOp::Ne);
            if ordering && !(lt.is_numeric() && rt.is_numeric()) {
                let (span, ty) = if lt.is_numeric() {
                    (right.span, &rt)
                } else {
                    (left.span, &lt)
                };
                diagnostics.push(
                    Diagnostic::new(Code::TypeMismatch, span, format!("`{}` compares numbers, but this is {}", op.node.as_str(), ty.name()))
                        .label(ty.name())
                        .help("`<`, `<=`, `>` and `>=` compare integers or numbers; use `==`, `in` or `like` for strings"),
                );
                return None;
            }
            if !lt.comparable(&rt) {
                diagnostics.push(mismatch(op.span, &lt, &rt, left, right));
                return None;
            }
            Some(CondExpr::Compare {
                op: op.node,
                left: l,
                right: r,
            })
        }
        ExprKind::In { left, right } => {
            let (l, lt) = operand(ctx, left, uses_principal, diagnostics)?;
            let (r, rt) = operand(ctx, right, uses_principal, diagnostics)?;
            let element_ok = match &rt {
                Ty::List(element) => lt.comparable(element),
                Ty::Dynamic => !matches!(lt, Ty::Principal | Ty::List(_)),
                _ => {
                    diagnostics.push(
                        Diagnostic::new(Code::TypeMismatch, right.span, format!("`in` needs a list on its right, not {}", rt.name()))
                            .label(rt.name())
                            .help("write a list such as `[\"eu\", \"us\"]` or a claim that holds one: `path.org in claim.orgs`"),
                    );
                    return None;
                }
            };
            if !element_ok {
                diagnostics.push(mismatch(right.span, &lt, &rt, left, right));
                return None;
            }
            Some(CondExpr::In { left: l, right: r })
        }
        ExprKind::Has {
            left,
            scope: scope_name,
        } => {
            let is_principal = matches!(&left.kind, OperandKind::Ref(r) if r.root.node == "principal" && r.path.is_empty());
            if !is_principal {
                diagnostics.push(
                    Diagnostic::new(
                        Code::InvalidCondition,
                        left.span,
                        "`has` checks the principal's scopes",
                    )
                    .label("expected `principal`")
                    .help(format!(
                        "write `principal has {}`; to test list membership use `in`",
                        scope_name.node
                    )),
                );
                return None;
            }
            *uses_principal = true;
            let id = scope(ctx, scope_name, diagnostics)?;
            Some(CondExpr::HasScope {
                scope: id,
                span: scope_name.span,
            })
        }
        ExprKind::Like { left, pattern } => {
            let (l, lt) = operand(ctx, left, uses_principal, diagnostics)?;
            if !matches!(lt, Ty::Str | Ty::Dynamic) {
                diagnostics.push(
                    Diagnostic::new(
                        Code::TypeMismatch,
                        left.span,
                        format!("`like` matches strings, but this is {}", lt.name()),
                    )
                    .label(lt.name())
                    .help("use `==` to compare other values"),
                );
                return None;
            }
            let glob = decl::glob(pattern, diagnostics)?;
            Some(CondExpr::Like {
                left: l,
                pattern: glob,
            })
        }
        ExprKind::Value(value) => {
            let (v, ty) = operand(ctx, value, uses_principal, diagnostics)?;
            if !matches!(ty, Ty::Bool | Ty::Dynamic) {
                diagnostics.push(
                    Diagnostic::new(Code::TypeMismatch, value.span, format!("a condition must be true or false, but this is {}", ty.name()))
                        .label(ty.name())
                        .help("compare it with something: `path.uid == principal.sub`, `principal has admin`"),
                );
                return None;
            }
            Some(CondExpr::Truthy(v))
        }
    }
}

/// Two operands that cannot be compared. The primary span is the operator
/// (or the right side of `in`), so the operands' own labels do not overlap it.
fn mismatch(span: Span, lt: &Ty, rt: &Ty, left: &Operand, right: &Operand) -> Diagnostic {
    let help = if *lt == Ty::Principal || *rt == Ty::Principal {
        "`principal` on its own is only for `principal has <scope>`; to compare the caller's identity write `principal.sub`"
    } else if matches!(lt, Ty::List(_)) || matches!(rt, Ty::List(_)) {
        "to test membership write `value in [\"a\", \"b\"]`"
    } else {
        "compare values of the same type; a typed path parameter such as `{id:int}` is an integer, and text is written in quotes"
    };
    let mut d = Diagnostic::new(
        Code::TypeMismatch,
        span,
        format!("cannot compare {} with {}", lt.name(), rt.name()),
    )
    .label("types differ")
    .help(help);
    if left.span != span {
        d = d.related(left.span, lt.name());
    }
    if right.span != span {
        d = d.related(right.span, rt.name());
    }
    d
}

fn literal(lit: &Literal) -> (Lit, Ty) {
    match lit {
        Literal::String(s) => (Lit::String(s.clone()), Ty::Str),
        Literal::Int(i) => (Lit::Int(*i), Ty::Int),
        Literal::Float(f) => (Lit::Float(*f), Ty::Float),
        Literal::Bool(b) => (Lit::Bool(*b), Ty::Bool),
    }
}

fn operand(
    ctx: &Context<'_>,
    operand: &Operand,
    uses_principal: &mut bool,
    diagnostics: &mut Diagnostics,
) -> Option<(ModelOperand, Ty)> {
    let text = match &operand.kind {
        OperandKind::Ref(r) => r.text(),
        _ => String::new(),
    };
    let (value, ty) = match &operand.kind {
        OperandKind::Literal(lit) => {
            let (lit, ty) = literal(lit);
            (ValueRef::Literal(lit), ty)
        }
        OperandKind::List(items) => {
            let mut lits = Vec::new();
            let mut element: Option<Ty> = None;
            for item in items {
                let (lit, ty) = literal(&item.node);
                if let Some(first) = &element {
                    if !first.comparable(&ty) {
                        diagnostics.push(
                            Diagnostic::new(
                                Code::TypeMismatch,
                                item.span,
                                format!("this list mixes {} and {}", first.name(), ty.name()),
                            )
                            .label(ty.name())
                            .help("every item of a list must have the same type"),
                        );
                        return None;
                    }
                } else {
                    element = Some(ty);
                }
                lits.push(lit);
            }
            (
                ValueRef::List(lits),
                Ty::List(Box::new(element.unwrap_or(Ty::Dynamic))),
            )
        }
        OperandKind::Ref(reference) => {
            reference_value(ctx, reference, uses_principal, diagnostics)?
        }
    };
    Some((
        ModelOperand {
            value,
            span: operand.span,
            text,
        },
        ty,
    ))
}

fn reference_value(
    ctx: &Context<'_>,
    reference: &Reference,
    uses_principal: &mut bool,
    diagnostics: &mut Diagnostics,
) -> Option<(ValueRef, Ty)> {
    let root = reference.root.node.as_str();
    let keys: Vec<&str> = reference.path.iter().map(|k| k.node.as_str()).collect();
    let unknown = |message: String, help: String| {
        Diagnostic::new(Code::UnknownReference, reference.span, message)
            .label("unknown")
            .help(help)
    };
    match (root, keys.as_slice()) {
        ("path", [name]) => {
            let Some(route) = ctx.endpoint else {
                diagnostics.push(
                    Diagnostic::new(
                        Code::UnknownPathParameter,
                        reference.span,
                        "`defaults` cannot refer to path parameters",
                    )
                    .label("no path here")
                    .help("move this condition into the endpoints whose paths have the parameter"),
                );
                return None;
            };
            match route.param(name) {
                Some((index, ty)) => Some((
                    ValueRef::PathParam { index, ty },
                    if ty == ParamType::Int {
                        Ty::Int
                    } else {
                        Ty::Str
                    },
                )),
                None => {
                    let names: Vec<&str> =
                        route.params.iter().map(|(n, _, _)| n.as_str()).collect();
                    let help = match did_you_mean(name, names.iter().copied()) {
                        Some(s) => format!("did you mean `path.{s}`?"),
                        None if names.is_empty() => {
                            format!("`{}` has no parameters", route.path_text)
                        }
                        None => format!(
                            "`{}` has {}",
                            route.path_text,
                            names
                                .iter()
                                .map(|n| format!("`path.{n}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    };
                    diagnostics.push(
                        Diagnostic::new(
                            Code::UnknownPathParameter,
                            reference.span,
                            format!("the path has no parameter `{name}`"),
                        )
                        .label("not in the path")
                        .help(help),
                    );
                    None
                }
            }
        }
        ("query", [name]) => Some((ValueRef::Query((*name).to_string()), Ty::Str)),
        ("header", [name]) => Some((ValueRef::Header(name.to_ascii_lowercase()), Ty::Str)),
        ("principal", []) => {
            *uses_principal = true;
            Some((ValueRef::Subject, Ty::Principal))
        }
        ("principal", ["sub" | "subject"]) => {
            *uses_principal = true;
            Some((ValueRef::Subject, Ty::Str))
        }
        ("principal", ["scheme"]) => {
            *uses_principal = true;
            Some((ValueRef::Scheme, Ty::Str))
        }
        ("principal", ["claims", rest @ ..]) if !rest.is_empty() => {
            *uses_principal = true;
            Some((
                ValueRef::Claim(rest.iter().map(|s| s.to_string()).collect()),
                Ty::Dynamic,
            ))
        }
        ("claim", rest) if !rest.is_empty() => {
            *uses_principal = true;
            Some((
                ValueRef::Claim(rest.iter().map(|s| s.to_string()).collect()),
                Ty::Dynamic,
            ))
        }
        ("principal", _) => {
            diagnostics.push(unknown(
                format!("unknown principal field `{}`", reference.text()),
                "the principal has `principal.sub`, `principal.scheme` and claims as `claim.<name>`".into(),
            ));
            None
        }
        (root, _) if ROOTS.contains(&root) => {
            let example = match root {
                "path" => "path.id",
                "query" => "query.limit",
                "header" => "header.x-tenant",
                _ => "claim.tenant",
            };
            diagnostics.push(unknown(
                format!("`{}` needs a name after `{root}.`", reference.text()),
                format!("for example `{example}`"),
            ));
            None
        }
        (root, _) => {
            let help = match did_you_mean(root, ROOTS.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None if root.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => format!(
                    "conditions read `path.<param>`, `query.<name>`, `header.<name>`, `principal.sub` and `claim.<name>`; write text in quotes: `\"{root}\"`"
                ),
                None => "conditions read `path.<param>`, `query.<name>`, `header.<name>`, `principal.sub` and `claim.<name>`".into(),
            };
            diagnostics.push(unknown(
                format!("unknown value `{}`", reference.text()),
                help,
            ));
            None
        }
    }
}
