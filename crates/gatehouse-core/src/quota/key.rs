//! What a quota counts by: the value of its key for one request, and the
//! stable names under which stores keep the counters.
//!
//! A counter is named by the quota's [id](super::QuotaSpec::id) (API name,
//! version, endpoint or `defaults`, key kind, window) and the key value.
//! Values are normalised first, so that memory stays bounded and clients
//! cannot dodge a quota by spelling:
//!
//! - an IPv4-mapped IPv6 address counts as the IPv4 address, and any other
//!   IPv6 address as its `/64` network (one subscriber usually holds a whole
//!   `/64`, so counting single addresses would give it 2^64 budgets);
//! - text longer than [`MAX_INLINE_TEXT`] bytes counts as its SHA-256
//!   digest, so a stored key never holds more than 64 bytes of value.

// Re-exported by the `gatehouse` facade: every public item is documented.
#![warn(missing_docs)]

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv6Addr};

use sha2::{Digest, Sha256};

/// Key values longer than this are stored as their SHA-256 digest.
pub const MAX_INLINE_TEXT: usize = 64;

/// The value a request has for a quota's key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyValue<'a> {
    /// The request has no value for the key (a missing claim or header).
    /// All such requests share one counter, so leaving the value out never
    /// escapes the quota.
    Absent,
    /// A client address; see [`KeyValue::ip`].
    Ip(IpAddr),
    /// A principal subject, API key id, header value or string claim.
    Text(&'a str),
    /// An integer claim.
    Int(i64),
}

impl<'a> KeyValue<'a> {
    /// A client address, normalised: IPv4-mapped IPv6 as IPv4, other IPv6
    /// as its `/64` network.
    pub fn ip(addr: IpAddr) -> KeyValue<'a> {
        KeyValue::Ip(match addr {
            IpAddr::V4(v4) => IpAddr::V4(v4),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6(Ipv6Addr::from(v6.to_bits() & !((1u128 << 64) - 1))),
            },
        })
    }

    /// A claim's value: strings and integers count by value, `true` and
    /// `false` as 1 and 0; anything else (a float, list, object or null)
    /// counts as [`KeyValue::Absent`].
    pub fn claim(value: Option<&'a serde_json::Value>) -> KeyValue<'a> {
        match value {
            Some(serde_json::Value::String(s)) => KeyValue::Text(s),
            Some(serde_json::Value::Number(n)) => {
                n.as_i64().map_or(KeyValue::Absent, KeyValue::Int)
            }
            Some(serde_json::Value::Bool(b)) => KeyValue::Int(i64::from(*b)),
            _ => KeyValue::Absent,
        }
    }

    /// The value as stores keep it (long text digested).
    #[inline(always)]
    pub fn normalize(self) -> KeyRef<'a> {
        match self {
            KeyValue::Absent => KeyRef::Absent,
            KeyValue::Ip(ip) => KeyRef::Ip(ip),
            KeyValue::Int(n) => KeyRef::Int(n),
            KeyValue::Text(t) if t.len() <= MAX_INLINE_TEXT => KeyRef::Text(t),
            KeyValue::Text(t) => digest(t),
        }
    }
}

#[cold]
#[inline(never)]
fn digest(text: &str) -> KeyRef<'static> {
    KeyRef::Digest(Sha256::digest(text.as_bytes()).into())
}

/// A normalised key value, borrowed: what stores hash and compare.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum KeyRef<'a> {
    /// No value: the one counter shared by every request without one.
    #[default]
    Absent,
    /// A client address, already normalised (IPv6 as its `/64`).
    Ip(IpAddr),
    /// Text of at most [`MAX_INLINE_TEXT`] bytes.
    Text(&'a str),
    /// An integer claim (`true` and `false` as 1 and 0).
    Int(i64),
    /// The SHA-256 digest of longer text.
    Digest([u8; 32]),
}

impl KeyRef<'_> {
    /// Appends the value's text form to a store key: a tag and the value,
    /// so no two values share a spelling (`s:alice`, `i:203.0.113.9`,
    /// `n:42`, `h:<sha-256 hex>`, `-` for absent).
    pub fn write_text(&self, out: &mut String) {
        // Writing to a String cannot fail.
        let _ = match self {
            KeyRef::Absent => write!(out, "-"),
            KeyRef::Ip(ip) => write!(out, "i:{ip}"),
            KeyRef::Text(t) => write!(out, "s:{t}"),
            KeyRef::Int(n) => write!(out, "n:{n}"),
            KeyRef::Digest(d) => {
                out.push_str("h:");
                d.iter().try_for_each(|b| write!(out, "{b:02x}"))
            }
        };
    }

    pub(crate) fn to_owned_key(self) -> OwnedKey {
        match self {
            KeyRef::Absent => OwnedKey::Absent,
            KeyRef::Ip(ip) => OwnedKey::Ip(ip),
            KeyRef::Text(t) => OwnedKey::Text(t.into()),
            KeyRef::Int(n) => OwnedKey::Int(n),
            KeyRef::Digest(d) => OwnedKey::Digest(d),
        }
    }
}

/// A normalised key value, owned by the in-memory store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum OwnedKey {
    Absent,
    Ip(IpAddr),
    Text(Box<str>),
    Int(i64),
    Digest([u8; 32]),
}

impl OwnedKey {
    pub(crate) fn matches(&self, key: &KeyRef<'_>) -> bool {
        match (self, key) {
            (OwnedKey::Absent, KeyRef::Absent) => true,
            (OwnedKey::Ip(a), KeyRef::Ip(b)) => a == b,
            (OwnedKey::Text(a), KeyRef::Text(b)) => &**a == *b,
            (OwnedKey::Int(a), KeyRef::Int(b)) => a == b,
            (OwnedKey::Digest(a), KeyRef::Digest(b)) => a == b,
            _ => false,
        }
    }
}

/// Appends `part` to a quota id with `%`, `:`, `{` and `}` percent-encoded,
/// so that parts never contain the separator (or a Redis Cluster hash tag).
pub(crate) fn push_part(out: &mut String, part: &str) {
    for c in part.chars() {
        match c {
            '%' => out.push_str("%25"),
            ':' => out.push_str("%3A"),
            '{' => out.push_str("%7B"),
            '}' => out.push_str("%7D"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(key: KeyValue<'_>) -> String {
        let mut out = String::new();
        key.normalize().write_text(&mut out);
        out
    }

    #[test]
    fn ipv6_counts_by_its_64_network_and_mapped_ipv4_as_ipv4() {
        let a = KeyValue::ip("2001:db8:1:2:aaaa::1".parse().unwrap());
        let b = KeyValue::ip("2001:db8:1:2:ffff::9".parse().unwrap());
        assert_eq!(a, b);
        assert_eq!(text(a), "i:2001:db8:1:2::");
        let mapped = KeyValue::ip("::ffff:203.0.113.9".parse().unwrap());
        assert_eq!(mapped, KeyValue::ip("203.0.113.9".parse().unwrap()));
    }

    #[test]
    fn long_text_is_digested_and_spellings_do_not_collide() {
        let long = "x".repeat(MAX_INLINE_TEXT + 1);
        assert!(matches!(
            KeyValue::Text(&long).normalize(),
            KeyRef::Digest(_)
        ));
        assert_eq!(text(KeyValue::Text(&long)).len(), 2 + 64);
        assert_eq!(text(KeyValue::Text("42")), "s:42");
        assert_eq!(text(KeyValue::Int(42)), "n:42");
        assert_eq!(text(KeyValue::Absent), "-");
    }

    #[test]
    fn claims() {
        let s = serde_json::json!("acme");
        let n = serde_json::json!(7);
        let f = serde_json::json!(1.5);
        assert_eq!(KeyValue::claim(Some(&s)), KeyValue::Text("acme"));
        assert_eq!(KeyValue::claim(Some(&n)), KeyValue::Int(7));
        assert_eq!(KeyValue::claim(Some(&f)), KeyValue::Absent);
        assert_eq!(KeyValue::claim(None), KeyValue::Absent);
    }

    #[test]
    fn id_parts_never_contain_separators() {
        let mut out = String::new();
        push_part(&mut out, "a:b%{c}");
        assert_eq!(out, "a%3Ab%25%7Bc%7D");
    }
}
