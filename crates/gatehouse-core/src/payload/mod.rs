//! Payload rules: `body max`, `body types`, `body json`, `query` and
//! `headers`, compiled for the evaluator and checked without a DOM.
//!
//! - [`PayloadPlan`]: an endpoint's rules, compiled into the decision tree
//!   by [`crate::compile`]: a [`Schema`] per field block, [`Limits`], and
//!   [`MediaTypes`].
//! - [`validate::Validator`]: the streaming JSON validator, fed the body in
//!   chunks of any size; JSON limits and field rules are checked as the
//!   bytes arrive, with memory bounded by the limits whatever the body's
//!   size, and no recursion per level of nesting.
//! - [`params`]: the same field vocabulary for query parameters and
//!   headers, which are text.
//! - [`Violation`]: what a denial for one of these rules says: the part of
//!   the request, a JSON pointer to the offending value, the problem and
//!   the rule. Never the value itself.
//!
//! The evaluator ([`crate::eval`]) runs them in the design's order, after
//! the conditions: query rules, header rules, then the body: size (413),
//! content type (415), JSON (400 malformed, 422 over a limit), field rules
//! (422). The reference interpreter (`gatehouse_tools::interp`) checks the same
//! rules with an independent implementation.

pub mod format;
pub mod limits;
pub mod media;
pub mod params;
pub mod schema;
pub mod validate;
mod violation;

pub use crate::model::LimitSpans;
pub use limits::Limits;
pub use media::MediaTypes;
pub use schema::Schema;
pub use violation::{Expected, LimitKind, Part, Problem, Violation};

use crate::model::{Endpoint, RuleMeta};
use crate::span::Span;

/// An endpoint's payload rules, compiled.
#[derive(Clone, Debug)]
pub struct PayloadPlan {
    pub query: Option<(Schema, RuleMeta)>,
    pub headers: Option<(Schema, RuleMeta)>,
    pub body: BodyPlan,
}

/// An endpoint's body rules, compiled.
#[derive(Clone, Debug)]
pub struct BodyPlan {
    pub max: Option<(u64, RuleMeta)>,
    /// `body types`, or what `body json` implies without it.
    pub types: Option<(MediaTypes, RuleMeta)>,
    pub json: Option<JsonPlan>,
    /// The rule charged for the built-in JSON limits and for a bad
    /// `Content-Length`: the endpoint.
    pub endpoint: Span,
}

/// A compiled `body json` rule.
#[derive(Clone, Debug)]
pub struct JsonPlan {
    pub limits: Limits,
    pub spans: LimitSpans,
    pub schema: Option<Schema>,
    pub meta: RuleMeta,
}

impl PayloadPlan {
    pub fn compile(endpoint: &Endpoint) -> PayloadPlan {
        let body = &endpoint.body;
        let json = body.json.as_ref().map(|j| JsonPlan {
            limits: Limits::from_model(&j.limits),
            spans: j.limit_spans,
            schema: j.schema.as_ref().map(Schema::compile),
            meta: j.meta,
        });
        let types = match (&body.types, &json) {
            (Some((types, meta)), _) => Some((MediaTypes::new(types), *meta)),
            (None, Some(json)) => Some((MediaTypes::json(), json.meta)),
            (None, None) => None,
        };
        PayloadPlan {
            query: endpoint
                .query
                .as_ref()
                .map(|q| (Schema::compile(&q.schema), q.meta)),
            headers: endpoint
                .headers
                .as_ref()
                .map(|h| (Schema::compile(&h.schema), h.meta)),
            body: BodyPlan {
                max: body.max,
                types,
                json,
                endpoint: endpoint.span,
            },
        }
    }
}

impl BodyPlan {
    /// Whether a request without a body (and without `Content-Length`) can
    /// fail these rules: only a field block, which needs a body.
    pub fn needs_body(&self) -> bool {
        self.json.as_ref().is_some_and(|j| j.schema.is_some())
    }

    /// The enforced size limit, if any.
    pub fn enforced_max(&self) -> Option<u64> {
        self.max
            .filter(|(_, meta)| !meta.shadow)
            .map(|(max, _)| max)
    }
}

/// `Content-Length` is not one decimal number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadContentLength;

/// The request's declared body length: `Ok(None)` without
/// `Content-Length`; an error if a value is not a decimal number or two
/// values differ (request smuggling looks like this).
pub fn content_length(
    request: &crate::request::Request<'_>,
) -> Result<Option<u64>, BadContentLength> {
    let mut found: Option<u64> = None;
    for value in request.header_values("content-length") {
        for item in value.split(',') {
            let item = item.trim_matches([' ', '\t']);
            if item.is_empty() || !item.bytes().all(|b| b.is_ascii_digit()) {
                return Err(BadContentLength);
            }
            let n = item.parse::<u64>().map_err(|_| BadContentLength)?;
            match found {
                Some(previous) if previous != n => return Err(BadContentLength),
                _ => found = Some(n),
            }
        }
    }
    Ok(found)
}
