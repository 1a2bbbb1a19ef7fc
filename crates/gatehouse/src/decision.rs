//! The answer: a [`Decision`], its stable [`Reason`] codes, and the audit
//! record it serialises to.
//!
//! A decision is a small plain value (ids and spans, no strings) so that
//! deciding allocates nothing; [`crate::PolicySet::explain`] and
//! [`crate::PolicySet::audit`] turn it into text and JSON when asked.

use std::net::IpAddr;

use serde::Serialize;

use crate::model::{ApiId, EndpointId, ScopeId};
use crate::span::Span;

macro_rules! reasons {
    ($( $variant:ident = $code:literal, $status:literal, $summary:literal; )*) => {
        /// Why a request was allowed or denied. The codes are stable: never
        /// renamed or reused.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Reason {
            $( #[doc = $summary] $variant, )*
        }

        impl Reason {
            pub const ALL: &'static [Reason] = &[ $( Reason::$variant, )* ];

            /// The stable code: `insufficient_scope`.
            pub fn as_str(self) -> &'static str {
                match self { $( Reason::$variant => $code, )* }
            }

            /// The HTTP status a gateway should answer with.
            pub fn status(self) -> u16 {
                match self { $( Reason::$variant => $status, )* }
            }

            pub fn summary(self) -> &'static str {
                match self { $( Reason::$variant => $summary, )* }
            }
        }
    };
}

reasons! {
    Allowed = "allowed", 200, "every check passed";
    FragmentPresent = "fragment_present", 400, "the request target has a `#fragment`, which clients never send";
    PathMalformed = "path_malformed", 400, "the path is ambiguous or malformed (dot segments, encoded slashes, empty segments, control bytes, bad percent-encoding)";
    PathTooLong = "path_too_long", 414, "the path has more segments than the evaluator accepts";
    MethodOverride = "method_override", 400, "the request carries a method-override header the policy does not allow";
    ForwardedUntrusted = "forwarded_untrusted", 400, "a forwarding header came from a peer that is not a trusted proxy";
    ForwardedMalformed = "forwarded_malformed", 400, "`X-Forwarded-For` from a trusted proxy is not a list of IP addresses";
    RouteNotFound = "route_not_found", 404, "no endpoint matches the path";
    MethodNotAllowed = "method_not_allowed", 405, "endpoints match the path, but not with this method";
    IpDenied = "ip_denied", 403, "the client IP is in a `deny from` network";
    IpNotAllowed = "ip_not_allowed", 403, "the client IP is outside the `allow from` networks";
    NoAccessRule = "no_access_rule", 403, "the endpoint is neither public nor authenticated";
    Unauthenticated = "unauthenticated", 401, "the endpoint needs a principal and the request has none";
    SchemeNotAccepted = "scheme_not_accepted", 401, "the principal was authenticated by a scheme this endpoint does not accept";
    SubjectMismatch = "subject_mismatch", 401, "the certificate subject does not match the scheme's pattern";
    InsufficientScope = "insufficient_scope", 403, "the principal lacks a required scope";
    ConditionFailed = "condition_failed", 403, "a `when` condition is false";
    ConditionError = "condition_error", 403, "a `when` condition could not be evaluated (a value is missing or has the wrong type)";
    AmbiguousParameter = "ambiguous_parameter", 400, "a header or query parameter a condition reads appears more than once";
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What exactly is wrong with a malformed path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PathProblem {
    NotAbsolute,
    DotSegment,
    EncodedSlash,
    Backslash,
    EmptySegment,
    TrailingSlash,
    ControlCharacter,
    InvalidCharacter,
    InvalidPercentEncoding,
    DoubleEncoding,
    InvalidUtf8,
    TooManySegments,
}

impl PathProblem {
    pub fn describe(self) -> &'static str {
        match self {
            PathProblem::NotAbsolute => "the path does not start with `/`",
            PathProblem::DotSegment => "the path has a `.` or `..` segment (possibly percent-encoded, or followed by `;`)",
            PathProblem::EncodedSlash => "the path has an encoded `/` or `\\` (`%2F`, `%5C`)",
            PathProblem::Backslash => "the path has a `\\`",
            PathProblem::EmptySegment => "the path has an empty segment (`//`, or a segment starting with `;`)",
            PathProblem::TrailingSlash => "the path ends with `/`",
            PathProblem::ControlCharacter => "the path has a control character or NUL (possibly percent-encoded)",
            PathProblem::InvalidCharacter => "the path has a character that must be percent-encoded (a space or non-ASCII byte)",
            PathProblem::InvalidPercentEncoding => "the path has a `%` not followed by two hex digits",
            PathProblem::DoubleEncoding => "the path is percent-encoded twice (`%25` followed by hex digits)",
            PathProblem::InvalidUtf8 => "the decoded path is not valid UTF-8",
            PathProblem::TooManySegments => "the path has too many segments",
        }
    }
}

/// Detail that goes with a [`Reason`]: enough to explain the decision
/// without holding strings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Detail {
    #[default]
    None,
    Path { problem: PathProblem },
    /// Which hostile header (by its canonical lowercase name).
    Header { name: &'static str },
    /// The request method is not one of the nine standard methods.
    UnknownMethod,
    /// The first scope the principal lacks (of the first unmet group).
    MissingScope { scope: ScopeId },
    /// The operand of a condition that was missing, ambiguous or mistyped.
    Operand { span: Span },
}

/// A would-be denial that was not enforced because its rule (or endpoint)
/// is in shadow mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ShadowFinding {
    /// The endpoint whose rule would have denied: the matched endpoint for
    /// a `shadow { ... }` rule, the shadow endpoint for a bare `shadow`.
    pub endpoint: EndpointId,
    pub reason: Reason,
    pub status: u16,
    pub rule: Span,
    pub detail: Detail,
}

/// The evaluator's answer for one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub status: u16,
    pub reason: Reason,
    pub detail: Detail,
    /// The API whose base (and host) matched, if any.
    pub api: Option<ApiId>,
    /// The endpoint that matched, if any.
    pub endpoint: Option<EndpointId>,
    /// The rule that decided: for a denial the failing rule, for an allow the
    /// access rule (`public` or `authenticate`).
    pub rule: Option<Span>,
    /// Report-only denials: empty (and unallocated) unless a shadow rule fired.
    pub shadow: Vec<ShadowFinding>,
    /// The client address the decision used (after trusted-proxy handling).
    pub client_ip: Option<IpAddr>,
}

impl Decision {
    pub(crate) fn deny(reason: Reason, detail: Detail) -> Decision {
        Decision {
            allowed: false,
            status: reason.status(),
            reason,
            detail,
            api: None,
            endpoint: None,
            rule: None,
            shadow: Vec::new(),
            client_ip: None,
        }
    }

    pub(crate) fn allow(rule: Span, shadow: Vec<ShadowFinding>) -> Decision {
        Decision {
            allowed: true,
            status: Reason::Allowed.status(),
            reason: Reason::Allowed,
            detail: Detail::None,
            api: None,
            endpoint: None,
            rule: Some(rule),
            shadow,
            client_ip: None,
        }
    }

    /// `allow` or `deny`.
    pub fn effect(&self) -> &'static str {
        if self.allowed {
            "allow"
        } else {
            "deny"
        }
    }
}
