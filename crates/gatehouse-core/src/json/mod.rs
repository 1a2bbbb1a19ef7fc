//! JSON lexing shared by response masking and request-body validation.
//!
//! - [`scan`]: slice scanners for whole tokens (whitespace, strings,
//!   numbers, literals) and the word-at-a-time byte classifier. Masking
//!   carries a token cut by a chunk boundary over to the next chunk.
//! - [`token`]: resumable scanners for strings, numbers and literals, which
//!   keep a few bytes of state instead of the token, so a request body's
//!   100 MB string costs no memory. Used by [`crate::payload`].
//! - [`JsonProblem`]: what is wrong with text that is not JSON, for both.
//! - [`pointer`](mod@pointer): RFC 6901 JSON pointers, which name the place of a body
//!   violation (`/items/3/name`).
//!
//! Neither side builds a DOM or recurses per level of nesting.

pub mod pointer;
pub mod scan;
pub mod token;

/// What exactly is wrong with text that is not valid JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "problem", content = "byte")]
pub enum JsonProblem {
    /// The text is empty or only whitespace.
    Empty,
    /// A byte that cannot start or continue a JSON value here.
    UnexpectedByte(u8),
    /// A member key is not a string.
    ExpectedKey,
    /// A member key is not followed by `:`.
    ExpectedColon,
    /// A value is not followed by `,` or the closing bracket.
    ExpectedCommaOrClose,
    /// A number does not follow the JSON grammar (`01`, `1.`, `-`, `1e`).
    InvalidNumber,
    /// `tru`, `nul`, `falsy`...
    InvalidLiteral,
    /// An unescaped control character (below U+0020) in a string.
    ControlCharacter,
    /// A `\` escape that JSON does not define, or a bad `\uXXXX`.
    InvalidEscape,
    /// A string is not valid UTF-8.
    InvalidUtf8,
    /// The text ends inside a value.
    Truncated,
    /// Something follows the end of the top-level value.
    TrailingData,
    /// A `\uD800`-`\uDFFF` escape that is not half of a surrogate pair.
    /// Request bodies reject it (I-JSON, RFC 7493); masking passes it
    /// through unchanged.
    LoneSurrogate,
    /// A number too large for a 64-bit float (`1e400`). Request bodies
    /// reject it (I-JSON); masking copies numbers as written.
    NumberOutOfRange,
}

impl JsonProblem {
    /// Describes the problem in a response.
    pub fn describe(self) -> String {
        self.describe_in("response")
    }

    /// Describes the problem in a document called `what` ("response",
    /// "body").
    pub fn describe_in(self, what: &str) -> String {
        match self {
            JsonProblem::Empty => format!("the {what} is empty"),
            JsonProblem::UnexpectedByte(b) if b.is_ascii_graphic() => {
                format!("unexpected `{}`", char::from(b))
            }
            JsonProblem::UnexpectedByte(b) => format!("unexpected byte 0x{b:02x}"),
            JsonProblem::ExpectedKey => "expected a member name (a string)".into(),
            JsonProblem::ExpectedColon => "expected `:` after a member name".into(),
            JsonProblem::ExpectedCommaOrClose => "expected `,` or a closing bracket".into(),
            JsonProblem::InvalidNumber => "invalid number".into(),
            JsonProblem::InvalidLiteral => {
                "invalid literal (expected `true`, `false` or `null`)".into()
            }
            JsonProblem::ControlCharacter => "unescaped control character in a string".into(),
            JsonProblem::InvalidEscape => "invalid escape in a string".into(),
            JsonProblem::InvalidUtf8 => "a string is not valid UTF-8".into(),
            JsonProblem::Truncated => format!("the {what} ends in the middle of a value"),
            JsonProblem::TrailingData => format!("unexpected data after the end of the {what}"),
            JsonProblem::LoneSurrogate => {
                "a string holds half of a UTF-16 surrogate pair (`\\ud800`)".into()
            }
            JsonProblem::NumberOutOfRange => "a number is too large for a 64-bit float".into(),
        }
    }

    /// A stable snake_case name, for audit records.
    pub fn as_str(self) -> &'static str {
        match self {
            JsonProblem::Empty => "empty",
            JsonProblem::UnexpectedByte(_) => "unexpected_byte",
            JsonProblem::ExpectedKey => "expected_key",
            JsonProblem::ExpectedColon => "expected_colon",
            JsonProblem::ExpectedCommaOrClose => "expected_comma_or_close",
            JsonProblem::InvalidNumber => "invalid_number",
            JsonProblem::InvalidLiteral => "invalid_literal",
            JsonProblem::ControlCharacter => "control_character",
            JsonProblem::InvalidEscape => "invalid_escape",
            JsonProblem::InvalidUtf8 => "invalid_utf8",
            JsonProblem::Truncated => "truncated",
            JsonProblem::TrailingData => "trailing_data",
            JsonProblem::LoneSurrogate => "lone_surrogate",
            JsonProblem::NumberOutOfRange => "number_out_of_range",
        }
    }
}
