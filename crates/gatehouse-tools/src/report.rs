//! A decision in words: the [`DecisionReport`] that `gatehouse eval` prints,
//! that `--json`, the JSON API and the playground serialise
//! (`gatehouse.decision/v1`), and that explain traces end with.
//!
//! The response headers in a report come from the one place that computes
//! them (`PolicySet::response_headers`); the audit record is the facade's.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::decision::{Decision, Detail, PathProblem, QuotaReport, Reason};
use crate::model::{Access, Api, Endpoint, FieldsSchema, MaskStrategy, TypeSchema};
use crate::payload::{LimitKind, Part, Problem, Violation};
use crate::request::Request;
use crate::span::{Location, Span};
use crate::CompiledSet;

/// A place in a policy file, with the source text of the rule.
#[derive(Clone, Debug, Serialize)]
pub struct RuleRef {
    #[serde(flatten)]
    pub location: Location,
    pub text: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct EndpointRef {
    pub method: String,
    pub path: String,
    #[serde(flatten)]
    pub location: Location,
}

#[derive(Clone, Debug, Serialize)]
pub struct ShadowReport {
    /// The endpoint whose rule would have denied (`DELETE /pets/{id:int}`).
    pub endpoint: String,
    pub reason: Reason,
    pub status: u16,
    pub message: String,
    pub rule: RuleRef,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub violation: Option<ViolationReport>,
}

/// Where a body, query or header rule broke: the JSON pointer of the value
/// (never the value) and the field rule it broke.
#[derive(Clone, Debug, Serialize)]
pub struct ViolationReport {
    pub part: Part,
    pub pointer: String,
    pub problem: Problem,
    /// The field rule, `limits(...)` argument or block it broke.
    pub rule: RuleRef,
}

#[derive(Clone, Debug, Serialize)]
pub struct MaskReport {
    pub paths: Vec<String>,
    #[serde(flatten)]
    pub strategy: MaskStrategy,
}

impl MaskReport {
    /// The strategy as written in a policy: `with email`, `keep last 4`.
    pub fn strategy_text(&self) -> String {
        crate::text::mask_strategy(self.strategy)
    }
}

/// Everything about a decision, explained: what `gatehouse eval` prints.
#[derive(Clone, Debug, Serialize)]
pub struct DecisionReport {
    /// `gatehouse.decision/v1`; bumped on any incompatible change.
    pub schema: &'static str,
    pub decision: &'static str,
    pub status: u16,
    pub reason: Reason,
    /// One sentence saying why.
    pub message: String,
    /// What would have made a denied request pass, when that can be said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<EndpointRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<RuleRef>,
    /// For a body, query or header denial: where, and which field rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub violation: Option<ViolationReport>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub shadow: Vec<ShadowReport>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub masks: Vec<MaskReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_only: Option<Vec<String>>,
    /// The quota the `RateLimit-*` headers describe, with its state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quota: Option<QuotaStateReport>,
    /// Response headers a gateway should send: `WWW-Authenticate`, `Allow`,
    /// `RateLimit-*`, `Retry-After`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_ip: Option<String>,
    /// What the decision did that a reader might not expect: a forwarding
    /// header from a peer that is not a trusted proxy, ignored.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// A quota's state in a report: which quota, where, and its counters.
#[derive(Clone, Debug, Serialize)]
pub struct QuotaStateReport {
    /// As written: `100/min by principal`.
    pub quota: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<RuleRef>,
    /// `RateLimit-Limit`: the quota's burst.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    #[serde(flatten)]
    pub state: QuotaReport,
}

/// Explains a decision in words, for people and for `--json` output.
pub fn report(
    policy: &gatehouse::PolicySet,
    request: &Request<'_>,
    decision: &gatehouse::Decision,
) -> DecisionReport {
    Words(policy.internals()).report(request, decision.internals())
}

/// [`report`] on the layer below, for the analyses.
pub(crate) fn report_core(
    set: &CompiledSet,
    request: &Request<'_>,
    decision: &Decision,
) -> DecisionReport {
    Words(set).report(request, decision)
}

/// Puts a compiled set's decisions into words.
#[derive(Clone, Copy)]
pub(crate) struct Words<'a>(pub(crate) &'a CompiledSet);

impl std::ops::Deref for Words<'_> {
    type Target = CompiledSet;
    fn deref(&self) -> &CompiledSet {
        self.0
    }
}

impl Words<'_> {
    fn rule_ref(&self, span: Span) -> RuleRef {
        let text = self.sources().get(span.file).map_or("", |f| f.slice(span));
        // Multi-line rules are shown by their first line.
        let first = text.lines().next().unwrap_or("").trim_end();
        RuleRef {
            location: self.sources().locate(span),
            text: first.to_string(),
        }
    }

    fn violation_ref(&self, v: &Violation) -> ViolationReport {
        let mut rule = self.rule_ref(v.rule);
        if let Some(block) = self.block_at(v.rule) {
            // A field block is shown by its names, not its first line.
            rule.text = format!("{{ {} }}", block_names(block).replace('`', ""));
        }
        ViolationReport {
            part: v.part,
            pointer: v.pointer.clone(),
            problem: v.problem,
            rule,
        }
    }

    /// The field block (of any endpoint) written at `span`, if one is.
    fn block_at(&self, span: Span) -> Option<&FieldsSchema> {
        fn find(fields: &FieldsSchema, span: Span) -> Option<&FieldsSchema> {
            if fields.span == span {
                return Some(fields);
            }
            fields.fields.iter().find_map(|f| {
                let mut ty = &f.ty;
                while let TypeSchema::Array { items, .. } = ty {
                    ty = items;
                }
                match ty {
                    TypeSchema::Object(inner) => find(inner, span),
                    _ => None,
                }
            })
        }
        let endpoints = self.model().apis.iter().flat_map(|a| a.endpoints.iter());
        endpoints
            .flat_map(|e| {
                let body = e.body.json.as_ref().and_then(|j| j.schema.as_ref());
                body.into_iter()
                    .chain(e.query.as_ref().map(|q| &q.schema))
                    .chain(e.headers.as_ref().map(|h| &h.schema))
            })
            .find_map(|fields| find(fields, span))
    }

    fn span_text(&self, span: Span) -> String {
        self.sources()
            .get(span.file)
            .map_or_else(String::new, |f| f.slice(span).to_string())
    }

    /// Explains a decision in words, for people and for `--json` output.
    fn report(&self, request: &Request<'_>, decision: &Decision) -> DecisionReport {
        let found = self.endpoint(decision);
        let api = decision
            .api
            .and_then(|id| self.model().apis.get(id.0 as usize));
        let (message, hint) = self.message(request, decision, api, found.map(|(_, e)| e));
        // Inserted one by one: `collect` into a map would instantiate a
        // stable sort for these pairs, which the WebAssembly module pays for
        // in size (the headers come sorted and are a handful).
        let mut headers = BTreeMap::new();
        for (name, value) in self.response_headers(request, decision).iter() {
            headers.insert(name.to_string(), value.to_string());
        }
        let endpoint = found.map(|(_, e)| EndpointRef {
            method: e.method.as_str().to_string(),
            path: e.path_text.clone(),
            location: self.sources().locate(e.span),
        });
        let shadow = decision
            .shadow
            .iter()
            .map(|f| ShadowReport {
                endpoint: api
                    .and_then(|a| a.endpoint(f.endpoint))
                    .map(|e| e.label())
                    .unwrap_or_default(),
                reason: f.reason,
                status: f.status,
                message: self
                    .reason_text(
                        request,
                        Why {
                            reason: f.reason,
                            detail: f.detail,
                            rule: f.rule,
                            client_ip: decision.client_ip,
                            violation: decision.violation(&f.detail),
                            quota: None,
                        },
                        api,
                        api.and_then(|a| a.endpoint(f.endpoint)),
                    )
                    .0,
                rule: self.rule_ref(f.rule),
                violation: decision.violation(&f.detail).map(|v| self.violation_ref(v)),
            })
            .collect();
        let notes = forwarding_note(request, decision, api)
            .into_iter()
            .collect();
        let (masks, response_only) = match found {
            Some((_, e)) if decision.allowed => (
                e.masks
                    .iter()
                    .map(|m| MaskReport {
                        paths: m.paths.iter().map(|p| p.text.clone()).collect(),
                        strategy: m.strategy,
                    })
                    .collect(),
                e.response_only
                    .as_ref()
                    .map(|r| r.paths.iter().map(|p| p.text.clone()).collect()),
            ),
            _ => (Vec::new(), None),
        };
        DecisionReport {
            schema: "gatehouse.decision/v1",
            decision: decision.effect(),
            status: decision.status,
            reason: decision.reason,
            message,
            hint,
            api: api.map(|a| a.name.clone()),
            endpoint,
            rule: decision.rule.map(|s| self.rule_ref(s)),
            violation: decision.own_violation().map(|v| self.violation_ref(v)),
            shadow,
            masks,
            response_only,
            headers,
            quota: decision.quota.map(|q| QuotaStateReport {
                quota: quota_text(found.map(|(_, e)| e), Detail::Quota { index: q.index }),
                rule: found
                    .and_then(|(_, e)| e.quotas.get(usize::from(q.index)))
                    .map(|quota| self.rule_ref(quota.meta.span)),
                limit: found
                    .and_then(|(_, e)| e.quotas.get(usize::from(q.index)))
                    .map(|quota| quota.burst),
                state: q,
            }),
            client_ip: decision.client_ip.map(|ip| ip.to_string()),
            notes,
        }
    }

    fn message(
        &self,
        request: &Request<'_>,
        decision: &Decision,
        api: Option<&Api>,
        endpoint: Option<&Endpoint>,
    ) -> (String, Option<String>) {
        let why = Why {
            reason: decision.reason,
            detail: decision.detail,
            rule: decision.rule.unwrap_or_default(),
            client_ip: decision.client_ip,
            violation: decision.own_violation(),
            quota: decision.quota,
        };
        self.reason_text(request, why, api, endpoint)
    }

    fn reason_text(
        &self,
        request: &Request<'_>,
        why: Why<'_>,
        api: Option<&Api>,
        endpoint: Option<&Endpoint>,
    ) -> (String, Option<String>) {
        let Why {
            reason,
            detail,
            rule,
            client_ip,
            violation,
            quota,
        } = why;
        let scheme_names = |e: &Endpoint| match &e.access {
            Access::Authenticated { schemes, .. } => schemes
                .iter()
                .filter_map(|s| api.and_then(|a| a.scheme(*s)))
                .map(|s| format!("`{}`", s.name))
                .collect::<Vec<_>>()
                .join(" or "),
            _ => String::new(),
        };
        // The address the decision used: after trusted-proxy handling.
        let client = client_ip.map_or_else(|| request.peer.to_string(), |ip| ip.to_string());
        match reason {
            Reason::Allowed => match endpoint.map(|e| &e.access) {
                Some(Access::Public(_)) => ("the endpoint is public and every check passed".into(), None),
                _ => ("every check passed".into(), None),
            },
            Reason::FragmentPresent => (
                "the request target has a `#fragment`".into(),
                Some("clients never send fragments; strip it before the request reaches the gateway".into()),
            ),
            Reason::PathMalformed | Reason::PathTooLong => match detail {
                Detail::Path {
                    problem: PathProblem::LookalikeCharacter,
                } => (
                    lookalike_text(request.target),
                    Some("send plain ASCII punctuation, or set `options { lookalike_characters = allow }` if the API takes such names".into()),
                ),
                Detail::Path { problem } => (problem.describe().to_string(), Some("send the canonical path".into())),
                _ => (reason.summary().into(), None),
            },
            Reason::MethodOverride => match detail {
                Detail::Header { name } => (
                    format!("the request carries `{name}`"),
                    Some("send the real method, or set `options { method_override = allow }` to honour overrides on POST".into()),
                ),
                _ => (reason.summary().into(), None),
            },
            Reason::ForwardedUntrusted => match detail {
                Detail::Header { name } => (
                    format!("`{name}` came from {client}, which is not a trusted proxy"),
                    Some("list the proxy in `options { trusted_proxies = ... }`, or drop `forwarded = deny` so that the header is ignored and the peer address used".to_string()),
                ),
                _ => (reason.summary().into(), None),
            },
            Reason::ForwardedMalformed => (
                "`X-Forwarded-For` from a trusted proxy is not a list of IP addresses".into(),
                None,
            ),
            Reason::RouteNotFound => {
                let path = request.target.split('?').next().unwrap_or("");
                match api {
                    Some(a) => (format!("no endpoint of `{}` matches `{path}`", a.name), None),
                    None => (format!("no API in this policy set serves `{path}`"), None),
                }
            }
            Reason::MethodNotAllowed if detail == Detail::UnknownMethod => {
                (format!("`{}` is not an HTTP method Gatehouse routes", request.method), None)
            }
            Reason::MethodNotAllowed => {
                let path = request.target.split('?').next().unwrap_or("");
                (format!("`{path}` does not accept {}", request.method), None)
            }
            Reason::IpDenied => (format!("client {} is in a denied network", client), None),
            Reason::IpNotAllowed => {
                let nets = endpoint
                    .and_then(|e| e.ip_allow.as_ref())
                    .map(|r| r.nets.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", "))
                    .unwrap_or_default();
                (format!("client {client} is outside the allowed networks"), Some(format!("call from {nets}")))
            }
            Reason::NoAccessRule => (
                "the endpoint is neither public nor authenticated, so it denies every request".into(),
                Some("add `authenticate <scheme>` or `public` to the endpoint".into()),
            ),
            Reason::Unauthenticated => {
                let schemes = endpoint.map(scheme_names).unwrap_or_default();
                (format!("the endpoint needs a principal authenticated by {schemes}"), Some("authenticate first".into()))
            }
            Reason::SchemeNotAccepted => {
                let schemes = endpoint.map(scheme_names).unwrap_or_default();
                let used = request.principal.map(|p| p.scheme.clone()).unwrap_or_default();
                (format!("the principal was authenticated by `{used}`, but this endpoint accepts {schemes}"), None)
            }
            Reason::SubjectMismatch => {
                let subject = request.principal.map(|p| p.subject.clone()).unwrap_or_default();
                (format!("certificate subject `{subject}` does not match the scheme's subject pattern"), None)
            }
            Reason::InsufficientScope => match (detail, api) {
                (Detail::MissingScope { scope }, Some(api)) => {
                    let name = api.scope(scope).map_or("?", |s| s.name.as_str());
                    (format!("the principal lacks scope `{name}`"), Some(format!("grant `{name}` to the principal")))
                }
                _ => (reason.summary().into(), None),
            },
            Reason::ConditionFailed => (format!("the condition `{}` is false", self.condition_text(rule)), None),
            Reason::ConditionError => match detail {
                Detail::Operand { span } => (
                    format!(
                        "`{}` is missing or has the wrong type, so `{}` cannot be evaluated",
                        self.span_text(span),
                        self.condition_text(rule)
                    ),
                    None,
                ),
                _ => (reason.summary().into(), None),
            },
            Reason::QuotaExceeded => {
                let written = quota_text(endpoint, detail);
                let retry = quota.map(|q| q.retry_after_secs()).unwrap_or(0);
                (format!("the quota `{written}` is used up"), Some(format!("retry in {retry} s (`Retry-After`)")))
            }
            Reason::QuotaStoreUnavailable => (
                "the quota store could not answer, so the request is denied".into(),
                Some("check the quota store (for example Redis); to let requests through while it is down, set `options { on_store_error = allow }`".into()),
            ),
            Reason::QuotaClockMissing => (
                format!("the quota `{}` needs the time the request arrived, and none was passed", quota_text(endpoint, detail)),
                Some("the host must pass the arrival time: `Request::at(now_ms)`, or `time_ms` in request JSON".into()),
            ),
            Reason::AmbiguousParameter => match detail {
                Detail::Operand { span } => (
                    format!("`{}` appears more than once (or is badly encoded), so it is ambiguous", self.span_text(span)),
                    Some("send it once".into()),
                ),
                _ => (reason.summary().into(), None),
            },
            Reason::QueryInvalid
            | Reason::HeaderInvalid
            | Reason::BodyMalformed
            | Reason::BodyLimitExceeded
            | Reason::BodyInvalid => match violation {
                Some(v) => self.violation_text(v),
                None => (reason.summary().into(), None),
            },
            Reason::ContentLengthInvalid => (
                "`Content-Length` is not one decimal number".into(),
                Some("send a single `Content-Length` with the body's length in bytes".into()),
            ),
            Reason::BodyTooLarge => match detail {
                Detail::BodySize { limit, declared: true } => {
                    let declared = request.header_values("content-length").next().unwrap_or("").trim().to_string();
                    (
                        format!("`Content-Length` declares {declared} bytes, more than the limit of {limit}"),
                        Some(format!("send at most {limit} bytes")),
                    )
                }
                Detail::BodySize { limit, .. } => {
                    (format!("the body is larger than the limit of {limit} bytes"), Some(format!("send at most {limit} bytes")))
                }
                _ => (reason.summary().into(), None),
            },
            Reason::UnsupportedMediaType => {
                let accepted = endpoint.map(accepted_types).unwrap_or_default();
                let sent = crate::payload::media::content_type(request);
                let message = match sent {
                    Some((ty, subtype)) => format!("`Content-Type: {ty}/{subtype}` is not accepted here"),
                    None if request.header_values("content-type").next().is_some() => {
                        "the request's `Content-Type` headers are unreadable or disagree".into()
                    }
                    None => "the request has a body but no `Content-Type`".into(),
                };
                (message, Some(format!("send the body as {accepted}")))
            }
        }
    }

    /// A payload violation in words: where, and what the rule wanted.
    fn violation_text(&self, v: &Violation) -> (String, Option<String>) {
        let name = v
            .pointer
            .strip_prefix('/')
            .unwrap_or(&v.pointer)
            .replace("~1", "/")
            .replace("~0", "~");
        let at = match (v.part, v.pointer.is_empty()) {
            (Part::Body, true) => "the body".to_string(),
            (Part::Body, false) => format!("`{}`", v.pointer),
            (Part::Query, _) => format!("query parameter `{name}`"),
            (Part::Header, _) => format!("header `{name}`"),
        };
        let rule = self.rule_ref(v.rule).text;
        let per_rule = Some(format!("send a value that `{rule}` accepts"));
        match v.problem {
            Problem::Malformed { json, offset } => (
                format!(
                    "the body is not valid JSON: {} (at byte {offset})",
                    json.describe_in("body")
                ),
                Some(
                    "send UTF-8 JSON without lone surrogates or numbers beyond 64-bit floats"
                        .into(),
                ),
            ),
            Problem::Limit { limit, max } => {
                let what = match limit {
                    LimitKind::Depth => format!("{at} nests deeper than {max} levels"),
                    LimitKind::Array => format!("{at} has more than {max} items"),
                    LimitKind::Object => format!("{at} has more than {max} members"),
                    LimitKind::Key => format!("{at} has a member name longer than {max} bytes"),
                    LimitKind::String => format!("{at} is longer than {max} bytes"),
                    LimitKind::DuplicateKey => format!("{at} appears twice in its object"),
                };
                let hint = match limit {
                    LimitKind::DuplicateKey => "send each member once".to_string(),
                    _ => format!("the limit is `{rule}`"),
                };
                (what, Some(hint))
            }
            Problem::NoBody => (
                "the body is missing; the endpoint's rules expect a JSON object".into(),
                per_rule,
            ),
            Problem::Missing => (
                format!("{at} is required and missing"),
                Some(format!("add it: `{rule}`")),
            ),
            Problem::Unknown => {
                let what = if v.part == Part::Query {
                    "parameter"
                } else {
                    "field"
                };
                let listed = self.block_at(v.rule).map(block_names).unwrap_or_default();
                (
                    format!("{at} is not an allowed {what}"),
                    Some(format!("send only the {what}s listed: {listed}")),
                )
            }
            Problem::Type { expected } => {
                (format!("{at} must be {}", expected.describe()), per_rule)
            }
            Problem::Integer => (
                format!("{at} must be a whole number within 64 bits"),
                per_rule,
            ),
            Problem::Length => (format!("{at} has a length outside its range"), per_rule),
            Problem::Range => (format!("{at} is out of range"), per_rule),
            Problem::Format => (format!("{at} is not in the required format"), per_rule),
            Problem::Pattern => (
                format!("{at} does not match the required pattern"),
                per_rule,
            ),
            Problem::Enum => (format!("{at} is not one of the allowed values"), per_rule),
            Problem::Repeated => (
                format!("{at} appears more than once"),
                Some("send it once".into()),
            ),
            Problem::Encoding => (format!("{at} is not valid percent-encoded UTF-8"), None),
        }
    }

    fn condition_text(&self, rule: Span) -> String {
        let text = self.span_text(rule);
        let text = text.trim();
        text.strip_prefix("when")
            .map_or(text, str::trim)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A quota as written: `100/min by principal`.
/// Names the look-alike character of a denied path: "the path has `．`
/// (U+FF0E), which NFKC turns into `.`".
fn lookalike_text(target: &str) -> String {
    let path = target.split(['?', '#']).next().unwrap_or(target);
    let decoded = gatehouse_core::urlencoded::decode_component(path);
    match decoded
        .as_deref()
        .and_then(gatehouse_core::lookalike::first_in)
    {
        Some((c, folded)) => format!(
            "the path has `{c}` (U+{:04X}), which Unicode compatibility normalisation turns into `{folded}`: a backend that normalises could read another path",
            u32::from(c)
        ),
        None => PathProblem::LookalikeCharacter.describe().to_string(),
    }
}

/// The note for a forwarding header that a peer which is not a trusted
/// proxy sent, and that the decision therefore ignored (the default,
/// `forwarded = ignore`): the peer address decided.
fn forwarding_note(
    request: &Request<'_>,
    decision: &Decision,
    api: Option<&gatehouse_core::model::Api>,
) -> Option<String> {
    let api = api?;
    let peer = gatehouse_core::tree::ipset::canonical(request.peer);
    if decision.reason == Reason::ForwardedUntrusted
        || decision.client_ip != Some(peer)
        || crate::interp::in_nets(&api.options.trusted_proxies, peer)
    {
        return None;
    }
    let name = gatehouse_core::eval::FORWARDING_HEADERS
        .iter()
        .find(|name| request.header_values(name).next().is_some())?;
    let name = match *name {
        "x-forwarded-for" => "X-Forwarded-For",
        "forwarded" => "Forwarded",
        _ => "X-Real-IP",
    };
    Some(format!(
        "`{name}` came from {peer}, which is not a trusted proxy: it was ignored, and the peer address decided"
    ))
}

fn quota_text(endpoint: Option<&Endpoint>, detail: Detail) -> String {
    let Detail::Quota { index } = detail else {
        return "?".into();
    };
    endpoint
        .and_then(|e| e.quotas.get(usize::from(index)))
        .map_or_else(|| "?".into(), crate::text::quota)
}

/// What a decision (or a shadow finding) says, to be put into words.
#[derive(Clone, Copy)]
struct Why<'d> {
    reason: Reason,
    detail: Detail,
    rule: Span,
    client_ip: Option<std::net::IpAddr>,
    violation: Option<&'d Violation>,
    quota: Option<QuotaReport>,
}

/// A block's field names: `` `name`, `tag?` `` and `...` when it is open.
fn block_names(block: &FieldsSchema) -> String {
    let mut names: Vec<String> = block
        .fields
        .iter()
        .map(|f| format!("`{}{}`", f.name, if f.optional { "?" } else { "" }))
        .collect();
    if block.allow_unknown {
        names.push("`...`".into());
    }
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

/// The media types an endpoint accepts, in words.
fn accepted_types(endpoint: &Endpoint) -> String {
    match (&endpoint.body.types, &endpoint.body.json) {
        (Some((types, _)), _) => types
            .iter()
            .map(|t| format!("`{t}`"))
            .collect::<Vec<_>>()
            .join(" or "),
        (None, Some(_)) => "`application/json` (or another `+json` type)".into(),
        (None, None) => "an accepted type".into(),
    }
}
