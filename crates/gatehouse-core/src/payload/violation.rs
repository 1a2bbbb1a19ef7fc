//! What a denial for a body, query or header rule says: which part of the
//! request, where in it (a JSON pointer), what was wrong, and the rule. It
//! never holds a value from the request, only its place.

// Re-exported by the `gatehouse` facade: every public item is documented.
#![warn(missing_docs)]

use serde::Serialize;

use crate::json::JsonProblem;
use crate::span::Span;

/// One broken payload rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// Which part of the request: body, query or header.
    pub part: Part,
    /// RFC 6901 pointer to the offending value: `/items/3/name` in the
    /// body, `/limit` for a query parameter, `/x-request-id` for a header.
    /// `""` is the whole body (or query).
    pub pointer: String,
    /// What was wrong with the value (never the value itself).
    pub problem: Problem,
    /// The rule it broke, as precisely as known: the field rule
    /// (`name: string(1..64)`), the `limits(...)` argument, the field
    /// block (for an unknown field) or the statement.
    pub rule: Span,
}

/// The part of the request a violation is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// The body: `body` rules (422 `body_invalid`, or the JSON reasons).
    Body,
    /// A query parameter: `query` rules (400 `query_invalid`).
    Query,
    /// A header: `headers` rules (400 `header_invalid`).
    Header,
}

impl Part {
    /// The stable name: `body`, `query` or `header`.
    pub fn as_str(self) -> &'static str {
        match self {
            Part::Body => "body",
            Part::Query => "query",
            Part::Header => "header",
        }
    }
}

/// A JSON limit (`body json limits(...)`), or the duplicate-key rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitKind {
    /// `depth`: nesting depth of arrays and objects (the top level is 1).
    Depth,
    /// `array`: items in one array.
    Array,
    /// `object`: members in one object.
    Object,
    /// `key`: bytes of one member name, after decoding escapes.
    Key,
    /// `string`: bytes of one string, after decoding escapes.
    String,
    /// A member name repeated in one object (I-JSON forbids it); its `max`
    /// is 0.
    DuplicateKey,
}

impl LimitKind {
    /// The stable name: the `limits(...)` argument, or `duplicate_key`.
    pub fn as_str(self) -> &'static str {
        match self {
            LimitKind::Depth => "depth",
            LimitKind::Array => "array",
            LimitKind::Object => "object",
            LimitKind::Key => "key",
            LimitKind::String => "string",
            LimitKind::DuplicateKey => "duplicate_key",
        }
    }
}

/// The JSON type a rule expected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Expected {
    /// A JSON object (`{ ... }` field block).
    Object,
    /// A JSON array (`array(...)`).
    Array,
    /// A JSON string (`string`, or a format such as `uuid`).
    String,
    /// An integer (`int`).
    Integer,
    /// Any number (`number`).
    Number,
    /// `true` or `false` (`bool`).
    Boolean,
    /// `null`.
    Null,
    /// One of an `enum(...)`'s literals.
    OneOf,
}

impl Expected {
    /// The type as a phrase, for reports: "an integer".
    pub fn describe(self) -> &'static str {
        match self {
            Expected::Object => "an object",
            Expected::Array => "an array",
            Expected::String => "a string",
            Expected::Integer => "an integer",
            Expected::Number => "a number",
            Expected::Boolean => "`true` or `false`",
            Expected::Null => "`null`",
            Expected::OneOf => "one of the listed values",
        }
    }
}

/// What was wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Problem {
    /// `body_malformed`: not JSON. `offset` is the byte where the token in
    /// which the problem lies starts (the offending byte for punctuation;
    /// the body's length when it ends too early).
    Malformed {
        /// What the JSON reader found wrong.
        json: JsonProblem,
        /// Byte offset in the body.
        offset: u64,
    },
    /// `body_limit_exceeded`: a JSON limit, with the limit in force.
    Limit {
        /// Which limit.
        limit: LimitKind,
        /// The limit in force (items, members, bytes or levels).
        max: u64,
    },
    /// The endpoint's field rules need a JSON body and there is none.
    NoBody,
    /// A required field (or parameter, or header) is absent.
    Missing,
    /// A field the rules do not list (and the block has no `...`), or a
    /// query parameter not listed in a `query only` block.
    Unknown,
    /// A value of the wrong type.
    Type {
        /// The type the rule wanted.
        expected: Expected,
    },
    /// A number written with a fraction or exponent, or beyond the 64-bit
    /// range, where an `int` is required.
    Integer,
    /// A string's length (in characters) or an array's length (in items)
    /// outside its range.
    Length,
    /// A number outside its range.
    Range,
    /// A string not in its `format`.
    Format,
    /// A string that does not match its `matches` pattern.
    Pattern,
    /// A value that is none of the `enum(...)` literals.
    Enum,
    /// A query parameter or header with a single-value rule appears more
    /// than once.
    Repeated,
    /// A query parameter that is not valid percent-encoded UTF-8.
    Encoding,
}

impl Problem {
    /// A stable snake_case name, for audit records.
    pub fn as_str(self) -> &'static str {
        match self {
            Problem::Malformed { .. } => "malformed",
            Problem::Limit { limit, .. } => limit.as_str(),
            Problem::NoBody => "no_body",
            Problem::Missing => "missing",
            Problem::Unknown => "unknown",
            Problem::Type { .. } => "type",
            Problem::Integer => "integer",
            Problem::Length => "length",
            Problem::Range => "range",
            Problem::Format => "format",
            Problem::Pattern => "pattern",
            Problem::Enum => "enum",
            Problem::Repeated => "repeated",
            Problem::Encoding => "encoding",
        }
    }
}
