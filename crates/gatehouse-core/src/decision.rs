//! The answer: a [`Decision`], its stable [`Reason`] codes, and the audit
//! record it serialises to.
//!
//! A decision is a small plain value (ids and spans, no strings) so that
//! deciding allocates nothing (a broken body, query or header rule adds a
//! [`Violation`] with its JSON pointer); the tools' report and trace and
//! the [audit record](crate::audit) turn it into
//! text and JSON when asked.

// Re-exported by the `gatehouse` facade: every public item is documented.
#![warn(missing_docs)]

use std::net::IpAddr;

use serde::Serialize;

use crate::model::{ApiId, EndpointId, ScopeId};
pub use crate::payload::Violation;
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
            /// Every reason code, `Allowed` first, in the order of the
            /// language reference's table.
            pub const ALL: &'static [Reason] = &[ $( Reason::$variant, )* ];

            /// The stable code: `insufficient_scope`.
            pub fn as_str(self) -> &'static str {
                match self { $( Reason::$variant => $code, )* }
            }

            /// The HTTP status a gateway should answer with.
            pub fn status(self) -> u16 {
                match self { $( Reason::$variant => $status, )* }
            }

            /// What the code means, in one sentence: "the principal lacks a
            /// required scope".
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
    QueryInvalid = "query_invalid", 400, "a query parameter breaks the endpoint's `query` rules (missing, unknown under `query only`, repeated, badly encoded or of the wrong type or range)";
    HeaderInvalid = "header_invalid", 400, "a header breaks the endpoint's `headers` rules (missing, repeated, or of the wrong type or range)";
    ContentLengthInvalid = "content_length_invalid", 400, "`Content-Length` is not a decimal number, or two values differ";
    BodyTooLarge = "body_too_large", 413, "the body is larger than `body max` (by its `Content-Length`, or by the bytes that arrived)";
    UnsupportedMediaType = "unsupported_media_type", 415, "the body's `Content-Type` is not one the endpoint accepts";
    BodyMalformed = "body_malformed", 400, "the body is not valid JSON (I-JSON: UTF-8, no lone surrogates, numbers within 64-bit floats) where JSON is required, or starts like JSON and is not";
    BodyLimitExceeded = "body_limit_exceeded", 422, "the JSON body nests too deep, or has an array, object, key or string over its limit, or a duplicate key";
    BodyInvalid = "body_invalid", 422, "the JSON body breaks the endpoint's field rules";
    QuotaExceeded = "quota_exceeded", 429, "a quota is used up: `Retry-After` says when to try again";
    QuotaStoreUnavailable = "quota_store_unavailable", 503, "the quota store could not answer, and the API does not say `on_store_error = allow`";
    QuotaClockMissing = "quota_clock_missing", 500, "the endpoint has quotas and the host passed no time with the request (`Request::at`)";
}

impl Reason {
    /// Whether the reason comes from the body stage (size, content type,
    /// JSON, field rules), which reads the body.
    pub fn is_body_stage(self) -> bool {
        matches!(
            self,
            Reason::ContentLengthInvalid
                | Reason::BodyTooLarge
                | Reason::UnsupportedMediaType
                | Reason::BodyMalformed
                | Reason::BodyLimitExceeded
                | Reason::BodyInvalid
        )
    }

    /// Whether the reason is a denial by a check made before the principal
    /// is looked at (the request target, the route, the method, the
    /// client's network, an endpoint with no access rule): it stands
    /// whatever the credentials, so a runtime whose credential check
    /// failed answers it as it would for anyone.
    pub fn is_before_authentication(self) -> bool {
        matches!(
            self,
            Reason::FragmentPresent
                | Reason::PathMalformed
                | Reason::PathTooLong
                | Reason::MethodOverride
                | Reason::ForwardedUntrusted
                | Reason::ForwardedMalformed
                | Reason::RouteNotFound
                | Reason::MethodNotAllowed
                | Reason::IpDenied
                | Reason::IpNotAllowed
                | Reason::NoAccessRule
        )
    }

    /// Whether the reason is a denial decided before the end of the body
    /// (a bad or too large `Content-Length`, or too many bytes): such a
    /// decision carries no body-stage finding of a shadow endpoint.
    pub fn ends_body_early(self) -> bool {
        matches!(self, Reason::ContentLengthInvalid | Reason::BodyTooLarge)
    }
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
    /// The path does not start with `/` (`*`, or an absolute URL).
    NotAbsolute,
    /// A `.` or `..` segment, possibly percent-encoded or followed by `;`.
    DotSegment,
    /// An escape that decodes to `/` or `\` (`%2F`, `%5C`).
    EncodedSlash,
    /// A raw `\`.
    Backslash,
    /// An empty segment: `//`, or a segment starting with `;`.
    EmptySegment,
    /// A trailing `/`, on an API with `trailing_slash = deny`.
    TrailingSlash,
    /// A control character or NUL, raw or percent-encoded.
    ControlCharacter,
    /// A byte that must be percent-encoded: a space or non-ASCII byte.
    InvalidCharacter,
    /// A `%` not followed by two hexadecimal digits.
    InvalidPercentEncoding,
    /// `%25` followed by two hexadecimal digits: encoded twice.
    DoubleEncoding,
    /// The decoded path is not valid UTF-8.
    InvalidUtf8,
    /// More than 64 segments: 414 `path_too_long`.
    TooManySegments,
    /// A character that Unicode compatibility normalisation (NFKC) folds
    /// into `.`, `/`, `\`, `%` or `?` (such as a fullwidth full stop), on an
    /// API that does not accept them (`lookalike_characters`).
    LookalikeCharacter,
}

impl PathProblem {
    /// The problem in one sentence, for reports: "the path ends with `/`".
    pub fn describe(self) -> &'static str {
        match self {
            PathProblem::NotAbsolute => "the path does not start with `/`",
            PathProblem::DotSegment => {
                "the path has a `.` or `..` segment (possibly percent-encoded, or followed by `;`)"
            }
            PathProblem::EncodedSlash => "the path has an encoded `/` or `\\` (`%2F`, `%5C`)",
            PathProblem::Backslash => "the path has a `\\`",
            PathProblem::EmptySegment => {
                "the path has an empty segment (`//`, or a segment starting with `;`)"
            }
            PathProblem::LookalikeCharacter => {
                "the path has a character that Unicode compatibility normalisation turns into `.`, `/`, `\\`, `%` or `?`"
            }
            PathProblem::TrailingSlash => "the path ends with `/`",
            PathProblem::ControlCharacter => {
                "the path has a control character or NUL (possibly percent-encoded)"
            }
            PathProblem::InvalidCharacter => {
                "the path has a character that must be percent-encoded (a space or non-ASCII byte)"
            }
            PathProblem::InvalidPercentEncoding => {
                "the path has a `%` not followed by two hex digits"
            }
            PathProblem::DoubleEncoding => {
                "the path is percent-encoded twice (`%25` followed by hex digits)"
            }
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
    /// Nothing more to say: the reason says it all (and for an allow).
    #[default]
    None,
    /// What is wrong with the path, for `path_malformed` and
    /// `path_too_long`.
    Path {
        /// The first problem found.
        problem: PathProblem,
    },
    /// Which hostile header (by its canonical lowercase name).
    Header {
        /// A method-override or forwarding header: `x-forwarded-for`.
        name: &'static str,
    },
    /// The request method is not one of the nine standard methods.
    UnknownMethod,
    /// The first scope the principal lacks (of the first unmet group).
    MissingScope {
        /// The scope, by its id in the API's `scopes` block.
        scope: ScopeId,
    },
    /// The operand of a condition that was missing, ambiguous or mistyped.
    Operand {
        /// Where the operand is in the policy source.
        span: Span,
    },
    /// The body's size limit, and whether `Content-Length` declared more
    /// (rather than more bytes arriving).
    BodySize {
        /// The `body max` limit, in bytes.
        limit: u64,
        /// `Content-Length` declared more than the limit, before any byte
        /// was read; `false` when the bytes that arrived went over it.
        declared: bool,
    },
    /// A broken payload rule: the [`Violation`] at this index of
    /// [`Decision::violations`].
    Violation {
        /// The position in [`Decision::violations`].
        index: u16,
    },
    /// A quota of the endpoint, by its position in the endpoint's quotas
    /// (inherited first, as in [`crate::model::Endpoint::quotas`]).
    Quota {
        /// The quota's position in the endpoint's quotas.
        index: u16,
    },
}

/// A would-be denial that was not enforced because its rule (or endpoint)
/// is in shadow mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ShadowFinding {
    /// The endpoint whose rule would have denied: the matched endpoint for
    /// a `shadow { ... }` rule, the shadow endpoint for a bare `shadow`.
    pub endpoint: EndpointId,
    /// The reason code the denial would have had.
    pub reason: Reason,
    /// The HTTP status the denial would have had (the reason's).
    pub status: u16,
    /// The shadow rule that would have denied, in the policy source.
    pub rule: Span,
    /// What exactly, as for an enforced denial; a payload violation is in
    /// the decision's [`Decision::violations`].
    pub detail: Detail,
}

/// The evaluator's answer for one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request may go through; `true` only with
    /// [`Reason::Allowed`].
    pub allowed: bool,
    /// The HTTP status to answer with: 200 when allowed, else the reason's
    /// (403, 401, 429...).
    pub status: u16,
    /// The stable reason code: why the request was allowed or denied.
    pub reason: Reason,
    /// What exactly: the path problem, the hostile header, the first
    /// missing scope, the violation, the quota; [`Detail::None`] when allowed.
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
    /// Where payload rules were broken, referred to by
    /// [`Detail::Violation`] in `detail` and in `shadow`: empty (and
    /// unallocated) unless a body, query or header rule failed.
    pub violations: Violations,
    /// The quota the `RateLimit-*` headers describe: the one that denied,
    /// or, for an allowed request, the one with the fewest requests left.
    pub quota: Option<QuotaReport>,
}

/// One quota's state, for the `RateLimit-*` and `Retry-After` headers:
/// the numbers only, kept small so that a `Decision` stays cheap to move
/// (the limit is the quota's burst, in the policy).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct QuotaReport {
    /// The quota's position in the endpoint's quotas.
    pub index: u16,
    /// This quota alone would allow the request.
    pub allowed: bool,
    /// `RateLimit-Remaining`.
    pub remaining: u32,
    /// Milliseconds until the bucket is full again (`RateLimit-Reset`).
    pub reset_ms: u32,
    /// When denied: milliseconds until the same request would be allowed
    /// (`Retry-After`); 0 when allowed.
    pub retry_after_ms: u32,
}

impl QuotaReport {
    /// `RateLimit-Reset`: whole seconds, rounded up.
    pub fn reset_secs(&self) -> u32 {
        self.reset_ms.div_ceil(1_000)
    }

    /// `Retry-After`: whole seconds, rounded up, at least 1 when denied.
    pub fn retry_after_secs(&self) -> u32 {
        if self.allowed {
            0
        } else {
            self.retry_after_ms.div_ceil(1_000).max(1)
        }
    }
}

/// The violations of a decision: one pointer wide, so that a decision stays
/// small, and unallocated when empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[expect(
    clippy::box_collection,
    reason = "one pointer instead of a `Vec`'s three keeps `Decision` small"
)]
pub struct Violations(Option<Box<Vec<Violation>>>);

impl Violations {
    /// The violation at `index`; `None` past the end.
    pub fn get(&self, index: usize) -> Option<&Violation> {
        self.0.as_ref().and_then(|v| v.get(index))
    }

    /// How many violations there are.
    pub fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |v| v.len())
    }

    /// No violation at all (and nothing allocated).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The violations, in order of their index.
    pub fn iter(&self) -> std::slice::Iter<'_, Violation> {
        self.0.as_deref().map(|v| v.iter()).unwrap_or_default()
    }

    /// Adds a violation at the next index, allocating on the first.
    pub fn push(&mut self, violation: Violation) {
        self.0.get_or_insert_with(Default::default).push(violation);
    }

    /// The violations as a `Vec`, in order of their index.
    pub fn into_vec(self) -> Vec<Violation> {
        self.0.map(|v| *v).unwrap_or_default()
    }
}

impl From<Vec<Violation>> for Violations {
    fn from(v: Vec<Violation>) -> Violations {
        if v.is_empty() {
            Violations(None)
        } else {
            Violations(Some(Box::new(v)))
        }
    }
}

impl Decision {
    /// A denial for `reason`, with its status; no API, endpoint, rule or
    /// client address yet (the evaluator fills them in as it knows them).
    pub fn deny(reason: Reason, detail: Detail) -> Decision {
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
            violations: Violations::default(),
            quota: None,
        }
    }

    /// An allow (200 `allowed`) by the access rule `rule`, with the shadow
    /// findings collected on the way.
    pub fn allow(rule: Span, shadow: Vec<ShadowFinding>) -> Decision {
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
            violations: Violations::default(),
            quota: None,
        }
    }

    /// The violation a detail refers to.
    pub fn violation(&self, detail: &Detail) -> Option<&Violation> {
        match detail {
            Detail::Violation { index } => self.violations.get(usize::from(*index)),
            _ => None,
        }
    }

    /// The violation behind the decision itself, for a payload denial.
    pub fn own_violation(&self) -> Option<&Violation> {
        self.violation(&self.detail)
    }

    /// Stores `violation` and returns the detail that refers to it.
    pub fn add_violation(&mut self, violation: Violation) -> Detail {
        let index = u16::try_from(self.violations.len()).unwrap_or(u16::MAX);
        self.violations.push(violation);
        Detail::Violation { index }
    }

    /// Puts `findings` (whose violations are in `violations`) before the
    /// decision's own shadow findings.
    pub fn prepend_shadow(&mut self, mut findings: Vec<ShadowFinding>, violations: Violations) {
        let offset = u16::try_from(self.violations.len()).unwrap_or(u16::MAX);
        for v in violations.into_vec() {
            self.violations.push(v);
        }
        for finding in &mut findings {
            if let Detail::Violation { index } = &mut finding.detail {
                *index = index.saturating_add(offset);
            }
        }
        findings.append(&mut self.shadow);
        self.shadow = findings;
        self.canonicalize_violations();
    }

    /// Renumbers `violations` in a canonical order (the shadow findings',
    /// then the decision's own), dropping any not referred to, so that two
    /// evaluators that collect them in different orders give equal
    /// decisions.
    pub fn canonicalize_violations(&mut self) {
        if self.violations.is_empty() {
            return;
        }
        let old = std::mem::take(&mut self.violations);
        let old = old.into_vec();
        let renumber = |detail: &mut Detail, out: &mut Vec<Violation>| {
            if let Detail::Violation { index } = detail {
                if let Some(v) = old.get(usize::from(*index)) {
                    *index = u16::try_from(out.len()).unwrap_or(u16::MAX);
                    out.push(v.clone());
                }
            }
        };
        let mut out = Vec::new();
        for finding in &mut self.shadow {
            renumber(&mut finding.detail, &mut out);
        }
        renumber(&mut self.detail, &mut out);
        self.violations = out.into();
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
