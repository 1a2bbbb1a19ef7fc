//! The evaluation of one request, step by step: what `gatehouse explain`
//! prints.
//!
//! [`trace`] runs the reference interpreter
//! ([`crate::interp`]) with an observer and turns what it reports into
//! [`Step`]s: the target and API selection, hostile-header checks, the route
//! candidates and why the most specific won, each IP rule, authentication,
//! each `require` group, each condition with the values it compared, and the
//! shadow rules and endpoints evaluated for the record. Each step names its
//! rule (file, line, text); the step that decided is marked, and for a
//! denial [`Trace::to_pass`] says what would have made the request pass.
//!
//! The verdict is the interpreter's, which property tests and the
//! conformance suite hold equal to `PolicySet::decide`. The compiled
//! evaluator is not involved, so tracing costs it nothing.

use std::net::IpAddr;

use serde::Serialize;
use serde_json::Value;

use super::Source;
use crate::decision::{Decision, Reason};
use crate::interp::observe::{Event, Observer};
use crate::interp::{self, Ctx, Failure};
use crate::model::{
    Access, Api, ApiId, AuthKind, CmpOp, CondExpr, Endpoint, EndpointId, Method, Operand, RuleMeta,
    Segment, ValueRef,
};
use crate::report::DecisionReport;
use crate::request::Request;
use crate::span::Span;
use crate::text;
use crate::CompiledSet;

/// The version of the JSON shape of [`Trace`].
pub const SCHEMA: &str = "gatehouse.trace/v1";

/// Which check a step is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Fragment and path normalisation.
    Target,
    /// Selecting the API by host and base.
    Api,
    /// Method-override headers.
    Headers,
    /// The client address, and forwarding headers.
    Client,
    Route,
    Ip,
    Auth,
    Scopes,
    Condition,
    Body,
    Quota,
    Other,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Target => "target",
            Phase::Api => "api",
            Phase::Headers => "headers",
            Phase::Client => "client",
            Phase::Route => "route",
            Phase::Ip => "ip",
            Phase::Auth => "auth",
            Phase::Scopes => "scopes",
            Phase::Condition => "condition",
            Phase::Body => "body",
            Phase::Quota => "quota",
            Phase::Other => "check",
        }
    }
}

/// What a step found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Fail,
    /// Failed in shadow mode (a `shadow { }` rule, or any rule of a shadow
    /// endpoint): reported in the decision, not enforced.
    WouldFail,
    /// Neither: a fact the later steps use.
    Info,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::WouldFail => "would fail",
            Outcome::Info => "info",
        }
    }
}

/// One step of the evaluation.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    pub phase: Phase,
    pub outcome: Outcome,
    /// One line saying what was checked and what was found.
    pub summary: String,
    /// The rule checked, where one is written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<Source>,
    /// The rule is written in `defaults`.
    #[serde(skip_serializing_if = "is_false")]
    pub inherited: bool,
    /// The endpoint whose rule this is: `GET /users/{uid}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Part of evaluating a shadow endpoint for the record: it never decides.
    #[serde(skip_serializing_if = "is_false")]
    pub shadow_endpoint: bool,
    /// Candidates, values compared, scopes granted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
    /// This step decided the request.
    #[serde(skip_serializing_if = "is_false")]
    pub deciding: bool,
    /// What would have made this step pass.
    #[serde(skip)]
    pub hints: Vec<String>,
    /// The rule's span, for coverage.
    #[serde(skip)]
    pub span: Option<Span>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The request as the trace shows it: no header values, no claims (the
/// values a condition read appear in its step).
#[derive(Clone, Debug, Serialize)]
pub struct TraceRequest {
    pub method: String,
    pub target: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    pub peer: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<TracePrincipal>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TracePrincipal {
    pub scheme: String,
    pub subject: String,
    pub scopes: Vec<String>,
}

/// A rule the evaluation checked, and whether it failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleHit {
    pub span: Span,
    pub failed: bool,
}

/// The evaluation of one request, step by step.
#[derive(Clone, Debug, Serialize)]
pub struct Trace {
    /// [`SCHEMA`].
    pub schema: &'static str,
    pub request: TraceRequest,
    pub steps: Vec<Step>,
    /// The decision, explained as `gatehouse eval` explains it.
    pub decision: DecisionReport,
    /// For a denial: what would have made the request pass, when that can
    /// be said. Alternatives are separate entries.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub to_pass: Vec<String>,
    /// The interpreter's decision.
    #[serde(skip)]
    pub verdict: Decision,
    /// Every rule checked, in order (for coverage).
    #[serde(skip)]
    pub hits: Vec<RuleHit>,
    /// Endpoints whose rules were checked: the matched one and any shadow
    /// endpoint evaluated for the record.
    #[serde(skip)]
    pub endpoints: Vec<(ApiId, EndpointId)>,
}

/// Evaluates a request with the reference interpreter and records every
/// step. Slow (it allocates freely); for explanations and tests, never for
/// serving traffic: use `PolicySet::decide` for that.
///
/// Quotas are counted in a fresh in-memory store, so the trace shows what
/// the request would meet on its own; [`trace_with`] counts in another
/// store.
pub fn trace(policy: &gatehouse::PolicySet, request: &Request<'_>) -> Trace {
    trace_core(
        policy.internals(),
        request,
        &crate::quota::MemoryStore::new(),
    )
}

/// [`trace`], counting quotas in `store`.
pub fn trace_with<S: crate::quota::QuotaStore + ?Sized>(
    policy: &gatehouse::PolicySet,
    request: &Request<'_>,
    store: &S,
) -> Trace {
    trace_core(policy.internals(), request, store)
}

/// [`trace_with`] on the layer below.
pub(crate) fn trace_core<S: crate::quota::QuotaStore + ?Sized>(
    policy: &CompiledSet,
    request: &Request<'_>,
    store: &S,
) -> Trace {
    {
        let mut tracer = Tracer {
            policy,
            request,
            api: None,
            endpoint: None,
            probe: false,
            steps: Vec::new(),
            hits: Vec::new(),
            endpoints: Vec::new(),
            override_seen: false,
            client: None,
        };
        let mut verdict = interp::decide_observed(policy.model(), request, &mut tracer);
        policy.settle(&mut verdict, request, store);
        let Tracer {
            mut steps,
            hits,
            endpoints,
            ..
        } = tracer;
        if let (true, Some(report)) = (verdict.allowed, verdict.quota) {
            let quota = policy
                .endpoint(&verdict)
                .and_then(|(_, e)| e.quotas.get(usize::from(report.index)));
            steps.push(Step {
                phase: Phase::Quota,
                outcome: Outcome::Pass,
                summary: format!(
                    "quotas counted: {} of {} left, full again in {} s",
                    report.remaining,
                    quota.map_or(0, |q| q.burst),
                    report.reset_secs()
                ),
                rule: quota.map(|q| Source::new(policy.sources(), q.meta.span)),
                inherited: quota.is_some_and(|q| q.meta.inherited),
                endpoint: policy.endpoint(&verdict).map(|(_, e)| e.label()),
                shadow_endpoint: false,
                details: Vec::new(),
                deciding: false,
                hints: Vec::new(),
                span: quota.map(|q| q.meta.span),
            });
        }
        mark_deciding(policy, request, &verdict, &mut steps);
        let to_pass = if verdict.allowed {
            Vec::new()
        } else {
            steps
                .iter()
                .filter(|s| s.deciding)
                .flat_map(|s| s.hints.iter().cloned())
                .collect()
        };
        Trace {
            schema: SCHEMA,
            request: TraceRequest {
                method: request.method.to_string(),
                target: request.target.to_string(),
                host: request.host.map(str::to_string),
                peer: request.peer.to_string(),
                headers: request.headers.iter().map(|(n, _)| n.to_string()).collect(),
                principal: request.principal.map(|p| TracePrincipal {
                    scheme: p.scheme.clone(),
                    subject: p.subject.clone(),
                    scopes: p.scopes.clone(),
                }),
            },
            steps,
            decision: crate::report::report_core(policy, request, &verdict),
            to_pass,
            verdict,
            hits,
            endpoints,
        }
    }
}

impl Trace {
    /// Whether the request was allowed.
    pub fn allowed(&self) -> bool {
        self.verdict.allowed
    }
}

/// Marks the step that decided; a denial by a check that reported no step
/// (a hostile target or header, or a check without hooks) gets one made
/// from the decision itself.
fn mark_deciding(
    policy: &CompiledSet,
    request: &Request<'_>,
    verdict: &Decision,
    steps: &mut Vec<Step>,
) {
    let main = |s: &Step| !s.shadow_endpoint;
    let found = if verdict.allowed {
        steps
            .iter()
            .rposition(|s| main(s) && s.phase == Phase::Auth && s.outcome == Outcome::Pass)
    } else {
        match verdict.reason {
            Reason::RouteNotFound | Reason::MethodNotAllowed => steps.iter().rposition(|s| {
                main(s)
                    && matches!(s.phase, Phase::Route | Phase::Api)
                    && s.outcome == Outcome::Fail
            }),
            _ => steps
                .iter()
                .rposition(|s| main(s) && s.outcome == Outcome::Fail && s.span == verdict.rule),
        }
    };
    match found.and_then(|i| steps.get_mut(i)) {
        Some(step) => step.deciding = true,
        None if !verdict.allowed => {
            let report = crate::report::report_core(policy, request, verdict);
            let phase = match verdict.reason {
                Reason::FragmentPresent | Reason::PathMalformed | Reason::PathTooLong => {
                    Phase::Target
                }
                Reason::MethodOverride => Phase::Headers,
                Reason::ForwardedUntrusted | Reason::ForwardedMalformed => Phase::Client,
                Reason::RouteNotFound | Reason::MethodNotAllowed => Phase::Route,
                _ => match verdict.status {
                    413 | 415 | 422 => Phase::Body,
                    429 => Phase::Quota,
                    _ => Phase::Other,
                },
            };
            let endpoint = policy.endpoint(verdict).map(|(_, e)| e.label());
            steps.push(Step {
                phase,
                outcome: Outcome::Fail,
                summary: format!("{}: {}", verdict.reason.as_str(), report.message),
                rule: verdict.rule.map(|s| Source::new(policy.sources(), s)),
                inherited: false,
                endpoint,
                shadow_endpoint: false,
                details: Vec::new(),
                deciding: true,
                hints: report.hint.into_iter().collect(),
                span: verdict.rule,
            });
        }
        None => {}
    }
}

struct Tracer<'p, 'r> {
    policy: &'p CompiledSet,
    request: &'r Request<'r>,
    api: Option<&'p Api>,
    /// The endpoint whose checks are being reported.
    endpoint: Option<&'p Endpoint>,
    /// Those checks are for the record: a shadow endpoint.
    probe: bool,
    steps: Vec<Step>,
    hits: Vec<RuleHit>,
    endpoints: Vec<(ApiId, EndpointId)>,
    override_seen: bool,
    client: Option<IpAddr>,
}

impl<'p> Tracer<'p, '_> {
    fn step(&self, phase: Phase, outcome: Outcome, summary: String) -> Step {
        let endpoint = if matches!(
            phase,
            Phase::Ip | Phase::Auth | Phase::Scopes | Phase::Condition
        ) {
            self.endpoint.map(Endpoint::label)
        } else {
            None
        };
        Step {
            phase,
            outcome,
            summary,
            rule: None,
            inherited: false,
            endpoint,
            shadow_endpoint: self.probe && phase != Phase::Route,
            details: Vec::new(),
            deciding: false,
            hints: Vec::new(),
            span: None,
        }
    }

    /// A check of a rule: passes, or fails (enforced or in shadow).
    fn rule_step(&mut self, phase: Phase, failed: bool, meta: &RuleMeta, summary: String) -> Step {
        let outcome = match (failed, meta.shadow || self.probe) {
            (false, _) => Outcome::Pass,
            (true, false) => Outcome::Fail,
            (true, true) => Outcome::WouldFail,
        };
        self.hits.push(RuleHit {
            span: meta.span,
            failed,
        });
        let rule = Source::new(self.policy.sources(), meta.span);
        let mut step = self.step(phase, outcome, summary);
        step.rule = Some(rule);
        step.inherited = meta.inherited;
        step.span = Some(meta.span);
        if meta.shadow {
            step.details
                .push("in a `shadow { }` block: reported, not enforced".into());
        }
        step
    }

    fn client_ip(&self) -> IpAddr {
        self.client.unwrap_or(self.request.peer)
    }
}

impl Observer for Tracer<'_, '_> {
    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Target {
                segments,
                query,
                trailing_slash,
            } => {
                let path = if segments.is_empty() {
                    "/".to_string()
                } else {
                    format!("/{}", segments.join("/"))
                };
                let mut summary = format!(
                    "`{path}` is canonical ({} segment{})",
                    segments.len(),
                    plural(segments.len())
                );
                if query.is_some() {
                    summary.push_str(", with a query");
                }
                let mut step = self.step(Phase::Target, Outcome::Pass, summary);
                step.details.push(
                    "no fragment, dot segment, encoded slash, empty segment or control byte".into(),
                );
                if trailing_slash {
                    step.details.push(
                        "ends with `/` (accepted only with `options { trailing_slash = strip }`)"
                            .into(),
                    );
                }
                self.steps.push(step);
            }
            Event::Api { api } => self.api_step(api),
            Event::MethodOverride { header, method } => {
                self.override_seen = true;
                let mut step = self.step(
                    Phase::Headers,
                    Outcome::Pass,
                    format!("`{header}: {method}` honoured on POST (`options {{ method_override = allow }}`)"),
                );
                step.details
                    .push(format!("the request is routed and checked as {method}"));
                self.steps.push(step);
            }
            Event::Client { ip } => self.client_step(ip),
            Event::Route {
                method,
                segments,
                shadow,
                chosen,
            } => self.route_step(method, segments, shadow, chosen),
            Event::IpDeny { rule, matched } => {
                let nets: Vec<String> = rule.nets.iter().map(ToString::to_string).collect();
                let client = self.client_ip();
                let summary = if matched {
                    let hit = rule
                        .nets
                        .iter()
                        .find(|n| n.contains(&self.client_ip()))
                        .map_or_else(String::new, ToString::to_string);
                    format!("client {client} is in the denied network {hit}")
                } else {
                    format!("client {client} is not in {}", nets.join(", "))
                };
                let mut step = self.rule_step(Phase::Ip, matched, &rule.meta, summary);
                if matched {
                    step.hints
                        .push("call from an address outside the denied networks".into());
                }
                self.steps.push(step);
            }
            Event::IpAllow { rule, allowed } => {
                let nets: Vec<String> = rule.nets.iter().map(ToString::to_string).collect();
                let client = self.client_ip();
                let summary = if allowed {
                    let hit = rule
                        .nets
                        .iter()
                        .find(|n| n.contains(&self.client_ip()))
                        .map_or_else(String::new, ToString::to_string);
                    format!("client {client} is in the allowed network {hit}")
                } else {
                    format!(
                        "client {client} is in none of the allowed networks {}",
                        nets.join(", ")
                    )
                };
                let mut step = self.rule_step(Phase::Ip, !allowed, &rule.meta, summary);
                if !allowed {
                    step.hints
                        .push(format!("call from an address in {}", nets.join(" or ")));
                }
                self.steps.push(step);
            }
            Event::Access { access, failure } => self.access_step(access, failure),
            Event::Scopes {
                rule,
                granted,
                unmet,
            } => {
                let Some(api) = self.api else { return };
                let has = |id: &crate::model::ScopeId| granted.contains(id);
                let mut details = Vec::new();
                for group in &rule.groups {
                    let group_text = text::scope_group(api, group);
                    match group.iter().find(|s| has(s)) {
                        Some(s) => details.push(format!(
                            "`{group_text}`: granted `{}`",
                            text::scope_name(api, *s)
                        )),
                        None => details.push(format!("`{group_text}`: none granted")),
                    }
                    if unmet.is_some_and(|u| u == group.as_slice()) {
                        break;
                    }
                }
                let held: Vec<String> = self
                    .request
                    .principal
                    .map(|p| p.scopes.iter().map(|s| format!("`{s}`")).collect())
                    .unwrap_or_default();
                let held = if held.is_empty() {
                    "none".to_string()
                } else {
                    held.join(", ")
                };
                let summary = match unmet {
                    None => format!(
                        "require {}: every group is satisfied",
                        text::scope_rule(api, rule)
                    ),
                    Some(group) => format!(
                        "the principal holds no scope of `{}` (it holds {held})",
                        text::scope_group(api, group)
                    ),
                };
                let hint = unmet.map(|group| match group {
                    [one] => format!("grant the scope `{}`", text::scope_name(api, *one)),
                    many => format!(
                        "grant one of the scopes {}",
                        many.iter()
                            .map(|s| format!("`{}`", text::scope_name(api, *s)))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
                let mut step = self.rule_step(Phase::Scopes, unmet.is_some(), &rule.meta, summary);
                step.details.extend(details);
                step.hints.extend(hint);
                self.steps.push(step);
            }
            Event::Condition {
                condition,
                ctx,
                result,
            } => {
                let Some(api) = self.api else { return };
                let mut details = Vec::new();
                let (_, hints) = explain_condition(
                    api,
                    &condition.expr,
                    ctx,
                    true,
                    &mut details,
                    self.policy.sources(),
                );
                let failed = !matches!(result, Ok(true));
                let summary = match result {
                    Ok(true) => "the condition holds".to_string(),
                    Ok(false) => "the condition is false".to_string(),
                    Err(failure) => {
                        let span = failure_span(failure);
                        let what = self
                            .policy
                            .sources()
                            .get(span.file)
                            .map_or("", |f| f.slice(span))
                            .to_string();
                        match failure {
                            Failure::Missing(_) => {
                                format!("`{what}` is missing, so the condition cannot be evaluated")
                            }
                            Failure::Type(_) => format!(
                                "`{what}` has the wrong type, so the condition cannot be evaluated"
                            ),
                            Failure::Ambiguous(_) => {
                                format!("`{what}` appears more than once (or is badly encoded)")
                            }
                        }
                    }
                };
                let mut step = self.rule_step(Phase::Condition, failed, &condition.meta, summary);
                step.details.extend(details);
                if failed {
                    step.hints.extend(hints);
                }
                self.steps.push(step);
            }
        }
    }
}

impl<'p> Tracer<'p, '_> {
    fn api_step(&mut self, api: Option<&Api>) {
        let policy = self.policy;
        let api = api.and_then(|a| policy.model().apis.iter().find(|m| std::ptr::eq(*m, a)));
        self.api = api;
        match api {
            Some(api) => {
                let mut summary = format!("`{}` serves base {}", api.name, api.base_text());
                if let Some(host) = &api.host {
                    summary.push_str(&format!(" on host {host}"));
                }
                let rule = Source::new(policy.sources(), api.span);
                let others = policy.model().apis.len().saturating_sub(1);
                let mut step = self.step(Phase::Api, Outcome::Pass, summary);
                step.rule = Some(rule);
                if others > 0 {
                    step.details
                        .push(format!("{others} other API{} in the set", plural(others)));
                }
                self.steps.push(step);
            }
            None => {
                let bases: Vec<String> = policy
                    .model()
                    .apis
                    .iter()
                    .map(|a| match &a.host {
                        Some(h) => format!("{} on {h} ({})", a.base_text(), a.name),
                        None => format!("{} ({})", a.base_text(), a.name),
                    })
                    .collect();
                let mut step = self.step(
                    Phase::Api,
                    Outcome::Fail,
                    "no API's host and base match the request".into(),
                );
                step.details.push(format!("bases: {}", bases.join(", ")));
                step.hints.push(format!(
                    "send the request under one of the bases: {}",
                    bases.join(", ")
                ));
                self.steps.push(step);
            }
        }
    }

    fn client_step(&mut self, ip: IpAddr) {
        if !self.override_seen {
            let step = self.step(
                Phase::Headers,
                Outcome::Pass,
                "no method-override header".into(),
            );
            self.steps.push(step);
        }
        let peer = crate::tree::ipset::canonical(self.request.peer);
        let forwarded = self
            .request
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("x-forwarded-for"));
        let (summary, detail) = if ip != peer {
            (
                format!("client {ip}, from `X-Forwarded-For`"),
                Some(format!("the peer {peer} is a trusted proxy")),
            )
        } else if forwarded || self.request.headers.iter().any(|(n, _)| is_forwarding(n)) {
            let trusted = self
                .api
                .is_some_and(|a| interp::in_nets(&a.options.trusted_proxies, peer));
            let why = if trusted {
                "the peer is a trusted proxy and every forwarded hop is trusted too"
            } else {
                "forwarding headers from a peer that is not a trusted proxy are ignored (`forwarded = ignore`, the default)"
            };
            (format!("client {ip}, the peer"), Some(why.to_string()))
        } else {
            (
                format!("client {ip}, the peer (no forwarding headers)"),
                None,
            )
        };
        self.client = Some(ip);
        let mut step = self.step(Phase::Client, Outcome::Info, summary);
        step.details.extend(detail);
        self.steps.push(step);
    }

    fn route_step(
        &mut self,
        method: Method,
        segments: &[&str],
        shadow: bool,
        chosen: Option<&Endpoint>,
    ) {
        let Some(api) = self.api else { return };
        let policy = self.policy;
        let chosen = chosen.and_then(|c| api.endpoints.iter().find(|e| std::ptr::eq(*e, c)));
        self.probe = shadow;
        self.endpoint = chosen;
        if let Some(e) = chosen {
            let id = (api_id(policy, api), e.id);
            if !self.endpoints.contains(&id) {
                self.endpoints.push(id);
            }
        }
        let path = format!("/{}", segments.join("/"));
        let mut candidates: Vec<(&Endpoint, Vec<u8>, crate::model::MethodRank)> = api
            .endpoints
            .iter()
            .filter(|e| shadow || e.shadow.is_none())
            .filter_map(|e| Some((e, e.method.rank_for(method)?)))
            .filter(|(e, _)| interp::matches_path(&e.path, segments))
            .map(|(e, rank)| (e, interp::specificity(e), rank))
            .collect();
        // Endpoint ids break ties, so the unstable sort keeps source order.
        candidates.sort_unstable_by(|a, b| (&a.1, a.2, a.0.id).cmp(&(&b.1, b.2, b.0.id)));
        let describe = |e: &Endpoint| {
            let shadow_mark = if e.shadow.is_some() { ", shadow" } else { "" };
            format!(
                "{} ({}{shadow_mark})  {}",
                e.label(),
                pattern_kinds(e),
                Source::new(policy.sources(), e.span).short()
            )
        };
        let mut details: Vec<String> = Vec::new();
        for (i, (e, _, _)) in candidates.iter().enumerate() {
            let mark = if i == 0 { "chosen" } else { "candidate" };
            details.push(format!("{mark}: {}", describe(e)));
        }
        if let (Some(winner), Some(runner_up)) = (candidates.first(), candidates.get(1)) {
            details.push(format!(
                "{} wins: {}",
                winner.0.label(),
                why_more_specific(winner, runner_up)
            ));
        }
        match chosen {
            Some(e) if shadow => {
                let rule = Source::new(policy.sources(), e.span);
                let mut step = self.step(
                    Phase::Route,
                    Outcome::Info,
                    format!(
                        "shadow endpoint {} would take {} {path}: evaluated for the record only",
                        e.label(),
                        method.as_str()
                    ),
                );
                step.rule = Some(rule);
                step.details = details;
                self.steps.push(step);
            }
            Some(e) => {
                let rule = Source::new(policy.sources(), e.span);
                let summary = if method.as_str() == self.request.method
                    || candidates
                        .first()
                        .is_some_and(|c| c.2 == crate::model::MethodRank::Exact)
                {
                    format!("{} {path} matches {}", method.as_str(), e.label())
                } else {
                    format!(
                        "{} {path} matches {} (HEAD is served by GET, any method by `*`)",
                        method.as_str(),
                        e.label()
                    )
                };
                let mut step = self.step(Phase::Route, Outcome::Pass, summary);
                step.rule = Some(rule);
                step.details = details;
                self.steps.push(step);
            }
            None => {
                let allowed: Vec<&str> = Method::ALL
                    .iter()
                    .filter(|m| {
                        **m != method && interp::best_endpoint(api, **m, segments, false).is_some()
                    })
                    .map(|m| m.as_str())
                    .collect();
                if allowed.is_empty() {
                    let close = closest(api, segments);
                    let mut step = self.step(
                        Phase::Route,
                        Outcome::Fail,
                        format!("no endpoint of `{}` matches {path}", api.name),
                    );
                    for e in &close {
                        step.details.push(format!("closest: {}", describe(e)));
                    }
                    if let Some(e) = close.first() {
                        step.hints.push(format!(
                            "the closest endpoint is {}{}",
                            text::full_path(api, e),
                            method_note(e)
                        ));
                    }
                    self.steps.push(step);
                } else {
                    let mut step = self.step(
                        Phase::Route,
                        Outcome::Fail,
                        format!("{path} has endpoints, but none for {}", method.as_str()),
                    );
                    step.details
                        .push(format!("allowed methods: {}", allowed.join(", ")));
                    step.hints
                        .push(format!("use one of the methods {}", allowed.join(", ")));
                    self.steps.push(step);
                }
            }
        }
    }

    fn access_step(&mut self, access: &Access, failure: Option<Reason>) {
        let Some(api) = self.api else { return };
        let principal = self.request.principal;
        match access {
            Access::Public(span) => {
                let meta = RuleMeta {
                    span: *span,
                    inherited: false,
                    shadow: false,
                };
                let step = self.rule_step(
                    Phase::Auth,
                    false,
                    &meta,
                    "public: no principal needed".into(),
                );
                self.steps.push(step);
            }
            Access::Closed => {
                let span = self.endpoint.map_or_else(Span::default, |e| e.span);
                let meta = RuleMeta {
                    span,
                    inherited: false,
                    shadow: false,
                };
                let mut step = self.rule_step(
                    Phase::Auth,
                    true,
                    &meta,
                    "the endpoint is neither public nor authenticated, so it denies every request"
                        .into(),
                );
                step.hints
                    .push("add `authenticate <scheme>` or `public` to the endpoint".into());
                self.steps.push(step);
            }
            Access::Authenticated { schemes, meta } => {
                let accepted = text::access(api, access);
                let kinds: Vec<String> = schemes
                    .iter()
                    .filter_map(|s| api.scheme(*s))
                    .map(|s| format!("`{}` ({})", s.name, s.kind.name()))
                    .collect();
                let summary = match (failure, principal) {
                    (None, Some(p)) => format!(
                        "`{}` authenticated by `{}`, an accepted scheme",
                        p.subject, p.scheme
                    ),
                    (Some(Reason::Unauthenticated), _) | (_, None) => {
                        "the request has no principal".to_string()
                    }
                    (Some(Reason::SchemeNotAccepted), Some(p)) => {
                        format!("the principal was authenticated by `{}`, which this endpoint does not accept", p.scheme)
                    }
                    (Some(Reason::SubjectMismatch), Some(p)) => {
                        format!(
                            "certificate subject `{}` does not match the scheme's subject pattern",
                            p.subject
                        )
                    }
                    (Some(other), Some(_)) => other.summary().to_string(),
                };
                let mut details = vec![format!("accepted: {}", kinds.join(", "))];
                let mut hints = Vec::new();
                match failure {
                    Some(Reason::SubjectMismatch) => {
                        for scheme in schemes.iter().filter_map(|s| api.scheme(*s)) {
                            if let AuthKind::Mtls {
                                subject: Some(glob),
                                ..
                            } = &scheme.kind
                            {
                                details.push(format!(
                                    "`{}` accepts subjects matching `{}`",
                                    scheme.name, glob.text
                                ));
                                hints.push(format!(
                                    "present a certificate whose subject matches `{}`",
                                    glob.text
                                ));
                            }
                        }
                    }
                    Some(_) => hints.push(format!(
                        "authenticate with {}",
                        accepted
                            .split(" | ")
                            .map(|s| format!("`{s}`"))
                            .collect::<Vec<_>>()
                            .join(" or ")
                    )),
                    None => {
                        if let Some(p) = principal {
                            let glob = schemes
                                .iter()
                                .filter_map(|s| api.scheme(*s))
                                .find(|s| s.name == p.scheme)
                                .and_then(|s| match &s.kind {
                                    AuthKind::Mtls {
                                        subject: Some(g), ..
                                    } => Some(g.text.clone()),
                                    _ => None,
                                });
                            if let Some(glob) = glob {
                                details.push(format!("subject `{}` matches `{glob}`", p.subject));
                            }
                        }
                    }
                }
                let mut step = self.rule_step(Phase::Auth, failure.is_some(), meta, summary);
                step.details.extend(details);
                step.hints.extend(hints);
                self.steps.push(step);
            }
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn is_forwarding(name: &str) -> bool {
    crate::eval::FORWARDING_HEADERS
        .iter()
        .any(|h| h.eq_ignore_ascii_case(name))
}

fn api_id(policy: &CompiledSet, api: &Api) -> ApiId {
    let index = policy
        .model()
        .apis
        .iter()
        .position(|a| std::ptr::eq(a, api))
        .unwrap_or(0);
    ApiId(u32::try_from(index).unwrap_or(u32::MAX))
}

fn method_note(e: &Endpoint) -> String {
    format!(" ({} {})", e.method.as_str(), e.path_text)
}

/// `literal, typed parameter, **`: what each segment of a pattern is.
fn pattern_kinds(e: &Endpoint) -> String {
    if e.path.is_empty() {
        return "the root".into();
    }
    e.path
        .iter()
        .map(segment_kind)
        .collect::<Vec<_>>()
        .join(", ")
}

fn segment_kind(s: &Segment) -> &'static str {
    match s {
        Segment::Literal(_) => "literal",
        Segment::Param {
            ty: crate::model::ParamType::Any,
            ..
        } => "parameter",
        Segment::Param { .. } => "typed parameter",
        Segment::Star => "*",
        Segment::Rest => "**",
    }
}

/// Key element names: see [`interp::specificity`].
fn key_kind(k: Option<&u8>) -> &'static str {
    match k {
        None | Some(0) => "the end of the pattern",
        Some(1) => "a literal",
        Some(2) => "a typed parameter",
        Some(3) => "a parameter",
        Some(4) => "`*`",
        _ => "`**`",
    }
}

type Candidate<'e> = (&'e Endpoint, Vec<u8>, crate::model::MethodRank);

fn why_more_specific(winner: &Candidate<'_>, other: &Candidate<'_>) -> String {
    let position = winner
        .1
        .iter()
        .zip(other.1.iter())
        .position(|(a, b)| a != b);
    match position {
        Some(i) => format!(
            "at segment {} it has {} where {} has {} (literal > typed parameter > parameter > * > **)",
            i + 1,
            key_kind(winner.1.get(i)),
            other.0.label(),
            key_kind(other.1.get(i))
        ),
        None => format!(
            "the same path shape, and it serves the method more directly than {} (exact > GET for HEAD > *)",
            other.0.label()
        ),
    }
}

/// Endpoints whose pattern matches the longest prefix of the path.
fn closest<'a>(api: &'a Api, segments: &[&str]) -> Vec<&'a Endpoint> {
    let prefix = |e: &Endpoint| {
        e.path
            .iter()
            .zip(segments.iter())
            .take_while(|(p, s)| match p {
                Segment::Literal(l) => l == *s,
                Segment::Param { ty, .. } => ty.accepts(s),
                Segment::Star | Segment::Rest => true,
            })
            .count()
    };
    let best = api
        .endpoints
        .iter()
        .filter(|e| e.shadow.is_none())
        .map(prefix)
        .max()
        .unwrap_or(0);
    if best == 0 {
        return Vec::new();
    }
    api.endpoints
        .iter()
        .filter(|e| e.shadow.is_none() && prefix(e) == best)
        .take(3)
        .collect()
}

fn failure_span(f: &Failure) -> Span {
    match f {
        Failure::Missing(s) | Failure::Type(s) | Failure::Ambiguous(s) => *s,
    }
}

/// Evaluates a condition part by part (as the interpreter does: left to
/// right, stopping early), recording each comparison with its values, and
/// returns the result with what would make it equal `want`: alternatives,
/// any one of which would do (as far as the parts evaluated tell).
fn explain_condition(
    api: &Api,
    expr: &CondExpr,
    ctx: &Ctx<'_>,
    want: bool,
    details: &mut Vec<String>,
    sources: &crate::span::Sources,
) -> (Result<bool, Failure>, Vec<String>) {
    match expr {
        CondExpr::Or(parts) | CondExpr::And(parts) => {
            let is_or = matches!(expr, CondExpr::Or(_));
            let mut alternatives = Vec::new();
            for part in parts {
                let (result, hints) = explain_condition(api, part, ctx, want, details, sources);
                match result {
                    Err(f) => return (Err(f), hints),
                    // `or` stops at true, `and` at false: this part decided.
                    Ok(value) if value == is_or => {
                        let hints = if value == want { Vec::new() } else { hints };
                        return (Ok(value), hints);
                    }
                    Ok(_) => alternatives.extend(hints),
                }
            }
            // Every part was evaluated: changing any one would do.
            let value = !is_or;
            (
                Ok(value),
                if value == want {
                    Vec::new()
                } else {
                    alternatives
                },
            )
        }
        CondExpr::Not(inner) => {
            let (result, hint) = explain_condition(api, inner, ctx, !want, details, sources);
            (result.map(|b| !b), hint)
        }
        leaf => {
            let result = interp::evaluate(leaf, ctx);
            let values: Vec<(String, Result<Value, String>)> = leaf_operands(leaf)
                .into_iter()
                .filter(|o| !matches!(o.value, ValueRef::Literal(_) | ValueRef::List(_)))
                .map(|o| {
                    (
                        text::operand(o),
                        interp::resolve(o, ctx)
                            .map(|v| v.to_json())
                            .map_err(|f| failure_word(&f)),
                    )
                })
                .collect();
            let shown: Vec<String> = values
                .iter()
                .map(|(name, v)| match v {
                    Ok(v) => format!("{name} = {}", json_text(v)),
                    Err(word) => format!("{name} is {word}"),
                })
                .collect();
            let outcome = match &result {
                Ok(b) => b.to_string(),
                Err(f) => format!("error ({})", failure_word(f)),
            };
            let leaf_text = text::leaf_text(api, leaf);
            let mut line = format!("`{leaf_text}` -> {outcome}");
            if let CondExpr::HasScope { .. } = leaf {
                line.push_str(if result.as_ref().is_ok_and(|b| *b) {
                    " (granted)"
                } else {
                    " (not granted)"
                });
            }
            if !shown.is_empty() {
                line.push_str(&format!(" ({})", shown.join(", ")));
            }
            details.push(line);
            let hints = match &result {
                Ok(value) if *value == want => Vec::new(),
                Ok(_) => vec![leaf_hint(api, leaf, want, &values)],
                Err(f) => vec![failure_hint(f, sources)],
            };
            (result, hints)
        }
    }
}

fn failure_word(f: &Failure) -> String {
    match f {
        Failure::Missing(_) => "missing".into(),
        Failure::Type(_) => "of the wrong type".into(),
        Failure::Ambiguous(_) => "ambiguous".into(),
    }
}

fn failure_hint(f: &Failure, sources: &crate::span::Sources) -> String {
    let span = failure_span(f);
    let what = sources
        .get(span.file)
        .map_or("", |file| file.slice(span))
        .to_string();
    let root = what.split('.').next().unwrap_or("");
    let name = what.split_once('.').map_or("", |(_, rest)| rest);
    match f {
        Failure::Missing(_) => match root {
            "claim" => format!("the principal needs a `{name}` claim"),
            "header" => format!("send the `{name}` header"),
            "query" => format!("send the `{name}` query parameter"),
            "principal" => "the request needs a principal".into(),
            _ => format!("`{what}` must be present"),
        },
        Failure::Type(_) => format!("`{what}` must have the type the condition compares it as"),
        Failure::Ambiguous(_) => format!("send `{what}` once, correctly encoded"),
    }
}

fn leaf_operands(expr: &CondExpr) -> Vec<&Operand> {
    match expr {
        CondExpr::Compare { left, right, .. } | CondExpr::In { left, right } => vec![left, right],
        CondExpr::Like { left, .. } => vec![left],
        CondExpr::Truthy(v) => vec![v],
        CondExpr::HasScope { .. } | CondExpr::Or(_) | CondExpr::And(_) | CondExpr::Not(_) => {
            Vec::new()
        }
    }
}

fn json_text(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// The value of an operand as the trace saw it: a literal as written, a
/// reference by its value.
fn value_of(o: &Operand, values: &[(String, Result<Value, String>)]) -> String {
    match &o.value {
        ValueRef::Literal(_) | ValueRef::List(_) => text::operand(o),
        _ => {
            let name = text::operand(o);
            match values.iter().find(|(n, _)| *n == name).map(|(_, v)| v) {
                Some(Ok(v)) => json_text(v),
                _ => "missing".into(),
            }
        }
    }
}

/// Whether the caller controls an operand (so that is the side to change).
fn from_principal(o: &Operand) -> bool {
    matches!(
        o.value,
        ValueRef::Subject | ValueRef::Scheme | ValueRef::Claim(_)
    )
}

fn is_literal(o: &Operand) -> bool {
    matches!(o.value, ValueRef::Literal(_) | ValueRef::List(_))
}

/// What would make a comparison come out `want`.
fn leaf_hint(
    api: &Api,
    leaf: &CondExpr,
    want: bool,
    values: &[(String, Result<Value, String>)],
) -> String {
    match leaf {
        CondExpr::Compare { op, left, right } => {
            let op = if want { *op } else { negate(*op) };
            // Change the side the caller controls, or the one that is not a literal.
            let change_right = is_literal(left)
                || (!is_literal(right) && from_principal(right) && !from_principal(left));
            let (target, other) = if change_right {
                (right, left)
            } else {
                (left, right)
            };
            let op = if change_right { flip(op) } else { op };
            let other_text = if is_literal(other) {
                text::operand(other)
            } else {
                format!(
                    "{} (the value of `{}`)",
                    value_of(other, values),
                    text::operand(other)
                )
            };
            let verb = match op {
                CmpOp::Eq => "be",
                CmpOp::Ne => "differ from",
                CmpOp::Lt => "be below",
                CmpOp::Le => "be at most",
                CmpOp::Gt => "be above",
                CmpOp::Ge => "be at least",
            };
            format!(
                "`{}` would have to {verb} {other_text}, not {}",
                text::operand(target),
                value_of(target, values)
            )
        }
        CondExpr::In { left, right } => format!(
            "`{}` ({}) would have to be {}in `{}` ({})",
            text::operand(left),
            value_of(left, values),
            if want { "" } else { "not " },
            text::operand(right),
            value_of(right, values)
        ),
        CondExpr::Like { left, pattern } => format!(
            "`{}` ({}) would have to {}match {}",
            text::operand(left),
            value_of(left, values),
            if want { "" } else { "not " },
            json_text(&Value::String(pattern.text.clone()))
        ),
        CondExpr::HasScope { scope, .. } => {
            if want {
                format!("grant the scope `{}`", text::scope_name(api, *scope))
            } else {
                format!(
                    "the principal would have to lack the scope `{}`",
                    text::scope_name(api, *scope)
                )
            }
        }
        CondExpr::Truthy(v) => format!("`{}` would have to be {want}", text::operand(v)),
        CondExpr::Or(_) | CondExpr::And(_) | CondExpr::Not(_) => String::new(),
    }
}

/// `a < b` is false exactly when `a >= b` is true.
fn negate(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Eq => CmpOp::Ne,
        CmpOp::Ne => CmpOp::Eq,
        CmpOp::Lt => CmpOp::Ge,
        CmpOp::Le => CmpOp::Gt,
        CmpOp::Gt => CmpOp::Le,
        CmpOp::Ge => CmpOp::Lt,
    }
}

/// `a < b` is `b > a`.
fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        other => other,
    }
}
