//! Response masking: `mask response` and `response only`, applied to JSON
//! response bytes without building a DOM.
//!
//! - [`plan`]: an endpoint's paths compiled into one automaton
//!   ([`MaskPlan`]), stored in the compiled tree by [`crate::compile`].
//! - [`apply`]: the streaming tokenizer that applies a plan:
//!   [`mask_slice`] for a body in memory, [`MaskStream`] for chunks,
//!   [`mask_io`] from a reader to a writer.
//! - `strategy`: what each strategy writes; token scanners live in
//!   [`crate::json::scan`], shared with request-body validation;
//!   [`MaskConfig`]: limits and the hash key; [`MaskError`].
//!
//! Most callers use the facade's `PolicySet::mask_response` (or
//! `mask_stream`), which picks the plan of the decision's endpoint; its
//! documentation has an example.
//!
//! # Semantics
//!
//! **Paths.** `$.a.b` and `$["a"]["b"]` name member `b` of member `a`;
//! `.key` and `["key"]` match object members only, `[N]` array elements
//! only (counted from 0 in the response as received), `[*]` and `.*` any
//! member or element, and `..key` a member `key` at any depth below (so
//! `$..ssn` also matches a top-level `ssn`, and inside arrays). Keys are
//! compared after decoding escapes (`"\u0073sn"` is `ssn`); a key that holds
//! a lone surrogate escape matches only wildcards. A duplicated key is
//! masked at each occurrence.
//!
//! **Strategies.** Applied to the whole value at a matching path:
//!
//! | strategy | string | number, `true`/`false` | object, array | `null` |
//! |---|---|---|---|---|
//! | `redact` | `"[REDACTED]"` | `"[REDACTED]"` | `"[REDACTED]"` | `null` |
//! | `remove` | member or element dropped | dropped | dropped | dropped |
//! | `null` | `null` | `null` | `null` | `null` |
//! | `hash` | hex HMAC-SHA256 of the decoded text | of its JSON text | `"[REDACTED]"` | `null` |
//! | `email` | `"j***@example.com"` | from its JSON text | `"[REDACTED]"` | `null` |
//! | `keep first/last N` | N characters kept, one `*` for each other | from its JSON text | `"[REDACTED]"` | `null` |
//!
//! The rule for values that are not strings: a number or boolean under a
//! string strategy (`hash`, `email`, `keep`) is masked as if it were the
//! string of its JSON text and always comes out as a string (`123456789`
//! under `keep last 4` is `"*****6789"`); an object or array under one of
//! them is redacted whole, since it has no text to keep part of; `null` is
//! left as it is (there is nothing to hide) except by `remove`.
//!
//! - `keep first|last N` counts Unicode scalar values, not bytes, and
//!   writes one `*` per hidden character. A value of N characters or fewer
//!   is masked entirely: a mask never returns its input unchanged.
//! - `email` keeps the first character of the part before the last `@`, then
//!   `***` (a fixed length), then the `@` and the domain; a value without `@`
//!   becomes `"***"`.
//! - `hash` is HMAC-SHA256 keyed by [`MaskConfig::with_hash_key`] (never by
//!   policy text), truncated to [`MaskConfig::hash_len`] bytes and written
//!   as lowercase hex. Equal values give equal hashes, so hashed ids can
//!   still be correlated. Strings are hashed as their decoded UTF-8, so
//!   `"\u00e9"` and `"é"` hash alike. Without a key (of at least
//!   [`MIN_HASH_KEY_LEN`] bytes) a plan that uses `hash` fails before
//!   reading the response: [`MaskError::MissingHashKey`].
//! - Strings that are written are re-escaped: `"`, `\` and control
//!   characters escaped, lone surrogates kept as `\uXXXX` escapes, all else
//!   as UTF-8.
//!
//! **Several masks, one value.** When several masks match the same value
//! (`$..email` and `$.owner.email`, or masks from `defaults` and from the
//! endpoint), the one that reveals least applies: `remove`, then `null`,
//! `redact`, `hash`, `email`, and `keep` with the smallest count. A mask
//! below a value another mask already replaced has nothing left to do.
//!
//! **Allow-lists.** With `response only P1, P2, ...` a member or element is
//! kept when a listed path matches it (with everything inside it) or when it
//! is an object or array on the way to one (an ancestor: kept, with only the
//! members that lead somewhere, possibly none). Everything else is dropped:
//! other members, array elements a `[N]` path does not select, and strings,
//! numbers, booleans and `null` at an ancestor's place (they cannot hold a
//! listed field). A response that is not an object or array fails with
//! [`MaskError::NotContainer`]. Masks apply inside what is kept; a value the
//! allow-list drops is never masked, since it is not sent.
//!
//! **Shadow.** Masks written in `shadow { }` blocks are applied like any
//! other: hiding data never denies a request, so there is nothing to report
//! instead, and a trial must not leak. (An endpoint under a bare `shadow`
//! never decides a request, so its masks are never the ones applied.)
//!
//! **Output.** The output is valid JSON. Member order is kept; untouched
//! values are copied byte for byte (numbers keep their spelling, strings
//! their escapes) along with the whitespace before them, so a pretty-printed
//! response stays pretty-printed. A plan with no masks and no allow-list
//! returns the input unchanged once it has been validated.
//!
//! **Failing closed.** A response that is not valid JSON (empty, truncated,
//! trailing data, invalid UTF-8 in a string, a bad escape or number), that
//! is larger than [`MaskConfig::with_max_bytes`] or nests deeper than
//! [`MaskConfig::with_max_depth`] is an error, and the caller must withhold
//! it. Nesting uses an explicit, bounded stack, never recursion. With the
//! streaming forms ([`MaskStream`], [`mask_io`]) output is written as the
//! input is read, so on error the output already written is a fragment that
//! must be discarded as well.

pub mod apply;
pub mod config;
pub mod error;
pub mod plan;
mod strategy;

pub use apply::{mask_io, mask_slice, MaskStream};
pub use config::{MaskConfig, MIN_HASH_KEY_LEN};
pub use error::{JsonProblem, MaskError};
pub use plan::{MaskPlan, PlanError};
pub use strategy::REDACTED;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::Model;

/// Reports endpoints whose response rules cannot be compiled into a plan
/// (see [`plan::MAX_STATES`]), so that a loaded policy never holds one that
/// would refuse every response. Run by [`crate::check_sources`] after the
/// checker, on the merged endpoints (defaults included).
pub(crate) fn check_plans(model: &Model, diagnostics: &mut Diagnostics) {
    for endpoint in model.apis.iter().flat_map(|api| api.endpoints.iter()) {
        if MaskPlan::compile(&endpoint.masks, endpoint.response_only.as_ref()).is_ok() {
            continue;
        }
        let rules = endpoint
            .masks
            .iter()
            .map(|m| m.meta)
            .chain(endpoint.response_only.iter().map(|r| r.meta));
        let span = rules
            .clone()
            .find(|m| !m.inherited)
            .or_else(|| rules.clone().next())
            .map_or(endpoint.span, |m| m.span);
        diagnostics.push(
            Diagnostic::new(
                Code::InvalidJsonPath,
                span,
                format!("the response paths of `{}` are too complex to compile", endpoint.label()),
            )
            .label("these paths, with the endpoint's others")
            .help(format!(
                "each `..name` step followed by several `[*]`, `.*` or `[N]` steps multiplies the work; \
                 name the fields with plain paths, or use fewer such steps (the limit is {} states)",
                plan::MAX_STATES
            )),
        );
    }
}

impl MaskPlan {
    /// Masks a response held in memory. See [`mask_slice`].
    pub fn apply(&self, body: &[u8], config: &MaskConfig) -> Result<Vec<u8>, MaskError> {
        mask_slice(self, body, config)
    }

    /// Starts masking a response that arrives in chunks. See [`MaskStream`].
    pub fn stream<'p>(&'p self, config: &MaskConfig) -> Result<MaskStream<'p>, MaskError> {
        MaskStream::new(self, config)
    }
}
