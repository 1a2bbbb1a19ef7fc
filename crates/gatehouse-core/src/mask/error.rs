//! Why a response could not be masked. Every error means the same thing to
//! the caller: withhold the response (and discard any partial output).

// Re-exported by the `gatehouse` facade: every public item is documented.
#![warn(missing_docs)]

pub use crate::json::JsonProblem;

/// Why masking failed. The response must not be sent: masking never fails
/// open. With the streaming API, output already written is incomplete and
/// must be discarded too.
#[derive(Debug)]
pub enum MaskError {
    /// The decision denied the request: there is no response to mask.
    Denied,
    /// The decision names no endpoint of this policy set.
    UnknownEndpoint,
    /// A mask uses `hash` and the configuration has no usable hash key.
    MissingHashKey,
    /// The response is not valid JSON; `offset` is the byte where that
    /// became clear.
    InvalidJson {
        /// Byte offset in the response.
        offset: u64,
        /// What the JSON reader found wrong.
        problem: JsonProblem,
    },
    /// The response is larger than the configured limit.
    TooLarge {
        /// The limit, in bytes ([`crate::mask::MaskConfig::max_bytes`]).
        limit: u64,
    },
    /// Objects and arrays nest deeper than the configured limit.
    TooDeep {
        /// Byte offset in the response of the bracket one level too deep.
        offset: u64,
        /// The limit, in levels ([`crate::mask::MaskConfig::max_depth`]).
        limit: usize,
    },
    /// `response only` applies, and the response is a bare string, number,
    /// boolean or null rather than an object or array.
    NotContainer,
    /// The endpoint's paths could not be compiled (the checker reports this
    /// as an error, so only a policy built without it can hit it).
    PlanTooComplex,
    /// A [`crate::mask::MaskStream`] was used again after it failed.
    StreamFailed,
    /// Reading the response or writing the masked output failed.
    Io(std::io::Error),
    /// A bug in the masker; the response is withheld all the same.
    Internal,
}

impl std::fmt::Display for MaskError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MaskError::Denied => {
                f.write_str("the request was denied, so there is no response to mask")
            }
            MaskError::UnknownEndpoint => {
                f.write_str("the decision does not name an endpoint of this policy set")
            }
            MaskError::MissingHashKey => {
                f.write_str("a mask uses `hash` but no hash key of at least 16 bytes is configured")
            }
            MaskError::InvalidJson { offset, problem } => {
                write!(
                    f,
                    "the response is not valid JSON: {} at byte {offset}",
                    problem.describe()
                )
            }
            MaskError::TooLarge { limit } => {
                write!(f, "the response is larger than the limit of {limit} bytes")
            }
            MaskError::TooDeep { offset, limit } => {
                write!(
                    f,
                    "the response nests deeper than the limit of {limit} levels at byte {offset}"
                )
            }
            MaskError::NotContainer => f.write_str(
                "the endpoint has `response only`, but the response is not an object or array",
            ),
            MaskError::PlanTooComplex => {
                f.write_str("the endpoint's mask paths are too complex to apply")
            }
            MaskError::StreamFailed => {
                f.write_str("masking this response already failed; withhold it")
            }
            MaskError::Io(error) => write!(f, "reading or writing the response failed: {error}"),
            MaskError::Internal => f.write_str("internal error while masking the response"),
        }
    }
}

impl std::error::Error for MaskError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MaskError::Io(error) => Some(error),
            _ => None,
        }
    }
}

impl From<std::io::Error> for MaskError {
    fn from(error: std::io::Error) -> MaskError {
        MaskError::Io(error)
    }
}
