//! A compact JWS taken apart: three base64url parts, the header and the
//! payload decoded as strict JSON objects. Nothing here checks a signature;
//! `verify.rs` does, and reads the claims only afterwards.
//!
//! The JSON is parsed here rather than by jsonwebtoken because serde
//! silently keeps the last of two equal keys in an object, and a token whose
//! `alg`, `iss` or `sub` could mean two things to two parsers must be
//! refused, not interpreted. Depth is bounded by serde_json's recursion
//! limit (128), which fails with an error rather than overflowing the stack.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// The three parts of a compact JWS, still encoded.
pub(crate) struct Parts<'t> {
    pub header: &'t str,
    pub payload: &'t str,
    /// `header.payload`: the bytes the signature covers.
    pub signed: &'t str,
    pub signature: &'t str,
}

/// `token` split at its two dots, or `None` if it does not have exactly
/// three parts or its signature is empty (a stripped signature is not a
/// token in any algorithm gatehouse accepts).
pub(crate) fn split(token: &str) -> Option<Parts<'_>> {
    let (signed, signature) = token.rsplit_once('.')?;
    let (header, payload) = signed.split_once('.')?;
    if payload.contains('.') || header.is_empty() || payload.is_empty() || signature.is_empty() {
        return None;
    }
    Some(Parts {
        header,
        payload,
        signed,
        signature,
    })
}

/// The base64url (unpadded) text `part`, decoded.
pub(crate) fn decode_part(part: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(part).ok()
}

/// The base64url text `part` decoded as a JSON object with no key twice at
/// any depth.
pub(crate) fn decode_object(part: &str) -> Option<Map<String, Value>> {
    let bytes = decode_part(part)?;
    strict_object(&bytes)
}

/// `bytes` as a JSON object with no key twice at any depth.
pub(crate) fn strict_object(bytes: &[u8]) -> Option<Map<String, Value>> {
    match serde_json::from_slice::<Strict>(bytes) {
        Ok(Strict(Value::Object(map))) => Some(map),
        _ => None,
    }
}

/// A JSON value deserialized by [`StrictVisitor`].
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Strict, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(Strict)
    }
}

/// Builds a `serde_json::Value` as serde_json's own visitor does, except
/// that an object with a key twice is an error.
struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                // The key is not named: it may come from a token.
                return Err(de::Error::custom("a key appears twice in an object"));
            }
            let Strict(value) = access.next_value()?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_are_refused_at_any_depth() {
        assert!(strict_object(br#"{"a":1,"b":{"c":[1,{"d":2}]}}"#).is_some());
        assert!(strict_object(br#"{"a":1,"a":1}"#).is_none());
        assert!(strict_object(br#"{"a":{"b":1,"b":2}}"#).is_none());
        assert!(strict_object(br#"{"a":[{"b":1,"b":2}]}"#).is_none());
        // Escapes do not hide a duplicate: both keys decode to `alg`.
        assert!(strict_object(br#"{"alg":"RS256","\u0061lg":"none"}"#).is_none());
    }

    #[test]
    fn only_objects_and_no_deep_nesting() {
        assert!(strict_object(b"[]").is_none());
        assert!(strict_object(b"\"x\"").is_none());
        assert!(strict_object(b"{} x").is_none());
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(strict_object(deep.as_bytes()).is_none());
    }

    #[test]
    fn split_wants_three_non_empty_parts() {
        assert!(split("a.b.c").is_some());
        for bad in [
            "", "a", "a.b", "a.b.", ".b.c", "a..c", "a.b.c.d", "..", "a.b.c.",
        ] {
            assert!(split(bad).is_none(), "{bad}");
        }
    }
}
