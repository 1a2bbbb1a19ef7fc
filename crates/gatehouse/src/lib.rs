//! Gatehouse: a declarative policy language for HTTP API security, and a
//! fast evaluator for it.
//!
//! A policy file (`.gate`) describes an API's endpoints and, for each, who
//! may call it, from where, how often, with what payload and what the
//! caller may see of the response. This crate loads policies and decides
//! requests against them; it reads no clock, file or socket, so it runs
//! anywhere, `wasm32-unknown-unknown` included.
//!
//! # Overview
//!
//! - [`PolicySet`]: policies parsed, checked and compiled once, then shared
//!   by every request (cheap to clone, `Send + Sync`).
//! - [`Request`] and [`Principal`]: what the host knows about a request
//!   and about who sent it (the host verifies credentials).
//! - [`Decision`]: allow or deny, the HTTP status, a stable [`Reason`] code,
//!   and what explains it. [`PolicySet::response_headers`] gives the headers
//!   to send with it (`WWW-Authenticate`, `Allow`, `RateLimit-*`,
//!   `Retry-After`), [`PolicySet::audit`] the [`AuditRecord`] to log.
//! - [`PolicySet::begin`]: decide a request whose body streams in.
//! - [`PolicySet::mask_response`] and [`PolicySet::mask_stream`]: apply the
//!   endpoint's `mask response` and `response only` rules to the response.
//! - [`quota`]: the store trait quotas are counted in, and the exact
//!   in-memory store used by default.
//!
//! # Deciding a request
//!
//! ```
//! use gatehouse::{PolicySet, Principal, Reason, Request};
//!
//! let policy = PolicySet::from_source("pets.gate", r#"
//!     api "pets" version "1"
//!     auth user = jwt(issuer: "https://id.example.com")
//!     scopes { pets:read "Read pets" }
//!     endpoint GET /pets/{id:int} {
//!         authenticate user
//!         require pets:read
//!     }
//! "#)?;
//!
//! let alice = Principal::new("user", "alice").with_scopes(["pets:read"]);
//! let peer = "203.0.113.9".parse()?;
//! let decision = policy.decide(&Request::new("GET", "/pets/7", peer).principal(&alice));
//! assert!(decision.allowed());
//!
//! // Ambiguous paths are denied before routing, never guessed.
//! let decision = policy.decide(&Request::new("GET", "/pets/../admin", peer).principal(&alice));
//! assert_eq!(decision.reason(), Reason::PathMalformed);
//! assert_eq!(decision.status(), 400);
//!
//! // No principal: 401, with the challenge a client needs.
//! let anonymous = Request::new("GET", "/pets/7", peer);
//! let decision = policy.decide(&anonymous);
//! assert_eq!(decision.reason(), Reason::Unauthenticated);
//! let headers = policy.response_headers(&anonymous, &decision);
//! assert_eq!(headers.get("WWW-Authenticate"), Some("Bearer realm=\"pets\""));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # A policy that does not load
//!
//! [`PolicySet::load`] reports every error at once, each with a stable code,
//! the place in the source and a hint:
//!
//! ```
//! use gatehouse::PolicySet;
//!
//! let error = PolicySet::from_source("pets.gate", r#"
//!     api "pets"
//!     endpoint GET /pets { require pets:read }
//! "#).unwrap_err();
//! let first = error.diagnostics().errors().next().unwrap();
//! assert_eq!(first.code.as_str(), "GH-E0202");
//! println!("{error}"); // pets.gate:3:34: error[GH-E0202]: ...
//! ```
//!
//! The crates below this one (`gatehouse-syntax`, `gatehouse-core`) are
//! internal layers of the workspace, and `gatehouse-tools` holds the
//! linter, formatter and analyses; see `ARCHITECTURE.md` in the repository.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// Tests may unwrap and index: a panic there is a failing test, not a crash.
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

mod decision;
mod policy;
pub mod schemes;

pub use decision::{Decision, QuotaReport};
pub use gatehouse_core::audit::AuditRecord;
pub use gatehouse_core::headers::ResponseHeaders;
pub use gatehouse_core::request::{
    BodyData, HeadersData, Principal, Request, RequestData, ResolvedPrincipal,
};
pub use gatehouse_core::{PathProblem, Reason};
pub use gatehouse_syntax::diag::{Code, Diagnostic, Diagnostics, Severity};
pub use gatehouse_syntax::span::{FileId, Location, SourceFile, Sources, Span};
pub use policy::{ApiRef, Begin, BodyCheck, EndpointRef, LoadError, PolicySet};

/// The parts of an audit record (see [`AuditRecord`]).
pub mod audit {
    pub use gatehouse_core::audit::{
        AuditPayload, AuditPrincipal, AuditRecord, AuditRequest, AuditShadow,
    };
}

/// Response masking: the limits and hash key masking runs with, its
/// errors, and the streaming masker (see [`PolicySet::mask_response`]).
pub mod mask {
    pub use gatehouse_core::mask::{
        JsonProblem, MaskConfig, MaskError, MaskStream, MIN_HASH_KEY_LEN, REDACTED,
    };
}

/// Where a request broke a body, query or header rule (see
/// [`Decision::violation`]).
pub mod payload {
    pub use gatehouse_core::payload::{Expected, LimitKind, Part, Problem, Violation};
}

/// Quotas: the store they are counted in.
///
/// A [`PolicySet`] counts in an exact in-memory
/// [`MemoryStore`] unless given another store (such as the Redis store of
/// `gatehouse-redis`) with
/// [`PolicySet::with_quota_store`](crate::PolicySet::with_quota_store). A
/// store implements [`QuotaStore`]: one atomic check of all of a request's
/// quotas, charging all or none.
pub mod quota {
    pub use gatehouse_core::quota::gcra::micros;
    pub use gatehouse_core::quota::{
        Gcra, KeyValue, MemoryStore, QuotaCheck, QuotaKey, QuotaSpec, QuotaState, QuotaStore,
        StoreError, Verdict,
    };
}

#[doc(no_inline)]
pub use quota::{MemoryStore, QuotaStore};
