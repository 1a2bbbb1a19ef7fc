//! The audit record: one JSON object per decision, in a stable, versioned
//! shape (`gatehouse.audit/v1`) that a gateway writes to its log.
//!
//! It never holds a credential: no header values, no query string, no
//! claims; the principal appears only as its scheme and subject.

// Re-exported by the `gatehouse` facade: every public item is documented.
#![warn(missing_docs)]

use serde::Serialize;

use crate::decision::{Decision, Reason, Violation};
use crate::payload::Part;
use crate::request::Request;
use crate::span::Location;
use crate::CompiledSet;

/// The audit record: one JSON object per decision.
#[derive(Clone, Debug, Serialize)]
pub struct AuditRecord {
    /// `gatehouse.audit/v1`; bumped on any incompatible change.
    pub schema: &'static str,
    /// Milliseconds since the Unix epoch, as supplied by the host.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_ms: Option<u64>,
    /// `allow` or `deny`.
    pub decision: &'static str,
    /// The HTTP status answered: 200 when allowed.
    pub status: u16,
    /// The stable reason code: `insufficient_scope`.
    pub reason: Reason,
    /// The name of the API whose base (and host) matched; `None` when none did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api: Option<String>,
    /// That API's version; `None` when it declares none, or no API matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// The endpoint that matched, as `METHOD /path/{param}`; `None` when no
    /// endpoint did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Where in the policy source the deciding rule is (the failing rule, or
    /// the access rule of an allow); `None` before routing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<Location>,
    /// For a body, query or header denial: where it broke (never a value).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<AuditPayload>,
    /// Report-only denials from shadow rules and endpoints; omitted when
    /// empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub shadow: Vec<AuditShadow>,
    /// What was asked, without header values or query string.
    pub request: AuditRequest,
    /// Who asked, as scheme and subject only; `None` for an anonymous
    /// request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<AuditPrincipal>,
}

/// A would-be denial by a rule in shadow mode, in an audit record.
#[derive(Clone, Debug, Serialize)]
pub struct AuditShadow {
    /// The endpoint whose rule would have denied, as `METHOD /path`.
    pub endpoint: String,
    /// The reason code the denial would have had.
    pub reason: Reason,
    /// The HTTP status the denial would have had.
    pub status: u16,
    /// Where in the policy source the shadow rule is.
    pub rule: Location,
    /// For a body, query or header rule: where it broke (never a value).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<AuditPayload>,
}

/// A payload violation in an audit record: the part, the JSON pointer and
/// the problem's name (`missing`, `pattern`, `depth`, `malformed`...).
#[derive(Clone, Debug, Serialize)]
pub struct AuditPayload {
    /// Which part of the request broke the rule: `body`, `query` or `header`.
    pub part: Part,
    /// The JSON pointer of the value in that part: `/items/3/name`.
    pub pointer: String,
    /// The problem's stable name: `missing`, `length`, `pattern`...
    pub problem: &'static str,
}

impl AuditPayload {
    fn of(violation: &Violation) -> AuditPayload {
        AuditPayload {
            part: violation.part,
            pointer: violation.pointer.clone(),
            problem: violation.problem.as_str(),
        }
    }
}

/// The request in an audit record: never a header value or the query
/// string, which may carry credentials.
#[derive(Clone, Debug, Serialize)]
pub struct AuditRequest {
    /// The method as received: `POST`.
    pub method: String,
    /// The path without its query string (which may carry tokens).
    pub path: String,
    /// The `Host` header; `None` when the request had none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The TCP peer's address: the client, or a proxy in front of it.
    pub peer: String,
    /// The client address the decision used (after trusted proxies); `None`
    /// when the request was denied before it was settled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_ip: Option<String>,
}

/// The principal in an audit record: its scheme and subject only, never its
/// scopes, claims or credential.
#[derive(Clone, Debug, Serialize)]
pub struct AuditPrincipal {
    /// The name of the `auth` scheme that authenticated the caller: `user`.
    pub scheme: String,
    /// The caller's identity: a user id, key id or certificate subject.
    pub subject: String,
}

impl CompiledSet {
    /// The audit record for a decision. `time_ms` is supplied by the host:
    /// the library reads no clock.
    pub fn audit(
        &self,
        request: &Request<'_>,
        decision: &Decision,
        time_ms: Option<u64>,
    ) -> AuditRecord {
        let api = decision
            .api
            .and_then(|id| self.model().apis.get(id.0 as usize));
        AuditRecord {
            schema: "gatehouse.audit/v1",
            time_ms,
            decision: decision.effect(),
            status: decision.status,
            reason: decision.reason,
            api: api.map(|a| a.name.clone()),
            api_version: api.and_then(|a| a.version.clone()),
            endpoint: self.endpoint(decision).map(|(_, e)| e.label()),
            rule: decision.rule.map(|s| self.sources().locate(s)),
            payload: decision.own_violation().map(AuditPayload::of),
            shadow: decision
                .shadow
                .iter()
                .map(|f| AuditShadow {
                    endpoint: api
                        .and_then(|a| a.endpoint(f.endpoint))
                        .map(|e| e.label())
                        .unwrap_or_default(),
                    reason: f.reason,
                    status: f.status,
                    rule: self.sources().locate(f.rule),
                    payload: decision.violation(&f.detail).map(AuditPayload::of),
                })
                .collect(),
            request: AuditRequest {
                method: request.method.to_string(),
                path: request
                    .target
                    .split(['?', '#'])
                    .next()
                    .unwrap_or("")
                    .to_string(),
                host: request.host.map(str::to_string),
                peer: request.peer.to_string(),
                client_ip: decision.client_ip.map(|ip| ip.to_string()),
            },
            principal: request.principal.map(|p| AuditPrincipal {
                scheme: p.scheme.clone(),
                subject: p.subject.clone(),
            }),
        }
    }
}
