//! The audit record: one JSON object per decision, in a stable, versioned
//! shape (`gatehouse.audit/v1`) that a gateway writes to its log.
//!
//! It never holds a credential: no header values, no query string, no
//! claims; the principal appears only as its scheme and subject.

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
    pub decision: &'static str,
    pub status: u16,
    pub reason: Reason,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<Location>,
    /// For a body, query or header denial: where it broke (never a value).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<AuditPayload>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub shadow: Vec<AuditShadow>,
    pub request: AuditRequest,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<AuditPrincipal>,
}

#[derive(Clone, Debug, Serialize)]
pub struct AuditShadow {
    pub endpoint: String,
    pub reason: Reason,
    pub status: u16,
    pub rule: Location,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<AuditPayload>,
}

/// A payload violation in an audit record: the part, the JSON pointer and
/// the problem's name (`missing`, `pattern`, `depth`, `malformed`...).
#[derive(Clone, Debug, Serialize)]
pub struct AuditPayload {
    pub part: Part,
    pub pointer: String,
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

#[derive(Clone, Debug, Serialize)]
pub struct AuditRequest {
    pub method: String,
    /// The path without its query string (which may carry tokens).
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    pub peer: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_ip: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct AuditPrincipal {
    pub scheme: String,
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
