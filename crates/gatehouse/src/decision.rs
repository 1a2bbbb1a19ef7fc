//! The answer for one request, as embedders see it.

use std::net::IpAddr;

use gatehouse_core::payload::Violation;
use gatehouse_core::Reason;

pub use gatehouse_core::decision::QuotaReport;

/// The evaluator's answer for one request: allow or deny, the HTTP status
/// to answer with, and a stable [`Reason`] code.
///
/// A decision is a small value that holds no strings (deciding a request
/// without a body allocates nothing). To explain it, ask the
/// [`PolicySet`](crate::PolicySet) that made it: the endpoint and rule
/// ([`PolicySet::endpoint`](crate::PolicySet::endpoint),
/// [`PolicySet::rule_location`](crate::PolicySet::rule_location)), the
/// response headers to send ([`PolicySet::response_headers`](crate::PolicySet::response_headers))
/// and the audit record to log ([`PolicySet::audit`](crate::PolicySet::audit)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision(pub(crate) gatehouse_core::Decision);

impl Decision {
    pub(crate) fn new(inner: gatehouse_core::Decision) -> Decision {
        Decision(inner)
    }

    /// Whether the request may go through.
    pub fn allowed(&self) -> bool {
        self.0.allowed
    }

    /// The HTTP status to answer with: 200 when allowed, else the status of
    /// the [`Reason`] (see [`Reason::status`]).
    pub fn status(&self) -> u16 {
        self.0.status
    }

    /// Why the request was allowed or denied; stable, never reused.
    pub fn reason(&self) -> Reason {
        self.0.reason
    }

    /// `"allow"` or `"deny"`.
    pub fn effect(&self) -> &'static str {
        self.0.effect()
    }

    /// The client address the decision used: the peer, or the address a
    /// trusted proxy forwarded. `None` when the request was denied before
    /// the address was settled (a malformed path, say).
    pub fn client_ip(&self) -> Option<IpAddr> {
        self.0.client_ip
    }

    /// For a denial by a body, query or header rule: which part of the
    /// request broke which rule, and where (a JSON pointer; never a value).
    pub fn violation(&self) -> Option<&Violation> {
        self.0.own_violation()
    }

    /// The quota the `RateLimit-*` headers describe: the one that denied,
    /// or, for an allowed request, the one with the fewest requests left.
    pub fn quota(&self) -> Option<&QuotaReport> {
        self.0.quota.as_ref()
    }

    /// The reasons of would-be denials that were reported but not enforced,
    /// because their rule or endpoint is in `shadow` mode.
    pub fn shadow_reasons(&self) -> impl ExactSizeIterator<Item = Reason> + '_ {
        self.0.shadow.iter().map(|finding| finding.reason)
    }

    /// The decision of the layer below, for the workspace's tools.
    #[cfg(feature = "internals")]
    #[doc(hidden)]
    pub fn internals(&self) -> &gatehouse_core::Decision {
        &self.0
    }

    /// A decision made by the layer below, for the workspace's tools.
    #[cfg(feature = "internals")]
    #[doc(hidden)]
    pub fn from_internals(inner: gatehouse_core::Decision) -> Decision {
        Decision(inner)
    }
}
