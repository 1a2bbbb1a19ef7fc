//! JSON limits: the bounds every JSON body is read under.

use crate::model::JsonLimits;

/// The bounds a JSON body is read under, enforced while it is scanned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Nesting depth of objects and arrays (the top-level value is 1).
    pub depth: u64,
    /// Items in one array.
    pub array: u64,
    /// Members in one object.
    pub object: u64,
    /// Length of one member name, in bytes of UTF-8 (after decoding escapes).
    pub key: u64,
    /// Length of one string value, in bytes of UTF-8 (after decoding escapes).
    pub string: u64,
}

impl Limits {
    /// The built-in limits, for every body that parses as JSON and every
    /// limit a `body json limits(...)` leaves out. Generous for real APIs,
    /// small enough that a hostile body costs little: depth 32, 10,000 items
    /// per array, 1,000 members per object, 256-byte keys, 64 KiB strings.
    pub const DEFAULT: Limits = Limits {
        depth: 32,
        array: 10_000,
        object: 1_000,
        key: 256,
        string: 64 * 1024,
    };

    /// The deepest nesting a policy may allow.
    pub const MAX_DEPTH: u64 = 1_000;

    /// The limits a `body json` rule sets, defaults for the rest.
    pub fn from_model(limits: &JsonLimits) -> Limits {
        let d = Limits::DEFAULT;
        Limits {
            depth: limits.depth.unwrap_or(d.depth).min(Limits::MAX_DEPTH),
            array: limits.array.unwrap_or(d.array),
            object: limits.object.unwrap_or(d.object),
            key: limits.key.unwrap_or(d.key),
            string: limits.string.unwrap_or(d.string),
        }
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::DEFAULT
    }
}
