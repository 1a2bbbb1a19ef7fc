//! The response headers a decision calls for, computed in one place from
//! the compiled tree and the quota table: `WWW-Authenticate` (401),
//! `Allow` (405), `RateLimit-Limit`, `RateLimit-Policy`,
//! `RateLimit-Remaining`, `RateLimit-Reset` and, when a quota denied,
//! `Retry-After` (the IETF `RateLimit` header fields draft and RFC 9110).
//!
//! Every renderer (the CLI's report, the JSON API, a gateway) reads them
//! from here; none builds its own.

// Re-exported by the `gatehouse` facade: every public item is documented.
#![warn(missing_docs)]

use crate::decision::{Decision, Reason};
use crate::request::Request;
use crate::tree::AccessTree;
use crate::CompiledSet;

/// Response headers for one decision, sorted by name, each name once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResponseHeaders {
    entries: Vec<(&'static str, String)>,
}

impl ResponseHeaders {
    /// `(name, value)` pairs, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> + '_ {
        self.entries.iter().map(|(n, v)| (*n, v.as_str()))
    }

    /// The value of one header (names compare ignoring ASCII case).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// How many headers there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the decision calls for no header.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn insert(&mut self, name: &'static str, value: String) {
        match self.entries.binary_search_by(|(n, _)| n.cmp(&name)) {
            Ok(i) => {
                if let Some(entry) = self.entries.get_mut(i) {
                    entry.1 = value;
                }
            }
            Err(i) => self.entries.insert(i, (name, value)),
        }
    }
}

impl CompiledSet {
    /// The headers a gateway must send with the response to `request`,
    /// which was decided as `decision`.
    pub fn response_headers(&self, request: &Request<'_>, decision: &Decision) -> ResponseHeaders {
        let mut headers = ResponseHeaders::default();
        match decision.reason {
            Reason::Unauthenticated | Reason::SchemeNotAccepted | Reason::SubjectMismatch => {
                if let Some(challenge) = self.challenge(decision).filter(|c| !c.is_empty()) {
                    headers.insert("WWW-Authenticate", challenge.to_string());
                }
            }
            Reason::MethodNotAllowed => {
                let methods = crate::eval::allowed_methods(self.tree(), request);
                if !methods.is_empty() {
                    let names: Vec<&str> = methods.iter().map(|m| m.as_str()).collect();
                    headers.insert("Allow", names.join(", "));
                }
            }
            _ => {}
        }
        if let Some(report) = decision.quota {
            let spec = match (decision.api, decision.endpoint) {
                (Some(api), Some(endpoint)) => self
                    .quota_table()
                    .endpoint(api, endpoint)
                    .get(usize::from(report.index)),
                _ => None,
            };
            if let Some(spec) = spec {
                headers.insert("RateLimit-Limit", spec.gcra().burst().to_string());
                headers.insert("RateLimit-Policy", spec.policy_header());
            }
            headers.insert("RateLimit-Remaining", report.remaining.to_string());
            headers.insert("RateLimit-Reset", report.reset_secs().to_string());
            if !report.allowed {
                headers.insert("Retry-After", report.retry_after_secs().to_string());
            }
        }
        headers
    }

    /// The `WWW-Authenticate` challenge of the decision's endpoint, built
    /// once by the compiler from its schemes.
    fn challenge(&self, decision: &Decision) -> Option<&str> {
        let api = self.tree().apis.get(decision.api?.0 as usize)?;
        let endpoint = api
            .endpoints
            .get(decision.endpoint?.0 as usize)
            .filter(|e| Some(e.id) == decision.endpoint)?;
        match &endpoint.access {
            AccessTree::Authenticated { challenge, .. } => Some(challenge),
            _ => None,
        }
    }
}
