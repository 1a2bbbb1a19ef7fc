//! The mask strategies, applied to one value: the replacement text for a
//! scalar or a container, JSON string decoding and re-escaping, and the
//! keyed hash.
//!
//! [`crate::mask::apply`] calls [`Transformer::scalar`] with the raw bytes
//! of a complete, validated token and [`Transformer::container`] at the
//! opening bracket of a masked object or array. The rule for values that
//! are not strings is documented in [`crate::mask`].

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::error::MaskError;
use super::plan::Action;
use crate::model::KeepEnd;

/// The marker `redact` writes, as a JSON string.
pub const REDACTED: &str = "[REDACTED]";

/// [`REDACTED`] as a JSON string.
const REDACTED_JSON: &[u8] = b"\"[REDACTED]\"";

/// What `email` writes in place of the local part after its first
/// character, and in place of a value that is not an address. A fixed
/// string, so the length of the hidden part is not revealed.
const EMAIL_STARS: &str = "***";

/// A complete scalar token, as it appears in the input.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Scalar<'a> {
    /// The bytes between the quotes; `escaped` if they contain a `\`.
    Str {
        raw: &'a [u8],
        escaped: bool,
    },
    /// A number, or `true` / `false`: its JSON text.
    Text(&'a [u8]),
    Null,
}

/// Applies strategies, reusing its buffers from value to value.
pub(crate) struct Transformer {
    /// The keyed HMAC, cloned for each value (so the key schedule runs once).
    mac: Option<Hmac<Sha256>>,
    /// Bytes of the MAC kept (each written as two hex digits).
    hash_len: usize,
    units: Vec<u32>,
    bytes: Vec<u8>,
}

impl Transformer {
    pub(crate) fn new(key: Option<&[u8]>, hash_len: usize) -> Result<Transformer, MaskError> {
        let mac = match key {
            Some(key) => {
                Some(Hmac::<Sha256>::new_from_slice(key).map_err(|_| MaskError::MissingHashKey)?)
            }
            None => None,
        };
        Ok(Transformer {
            mac,
            hash_len: hash_len.clamp(1, 32),
            units: Vec::new(),
            bytes: Vec::new(),
        })
    }

    /// Writes the replacement for a masked object or array.
    pub(crate) fn container(&self, action: Action, out: &mut Vec<u8>) {
        match action {
            Action::Null => out.extend_from_slice(b"null"),
            Action::Redact | Action::Hash | Action::Email | Action::Keep { .. } => {
                out.extend_from_slice(REDACTED_JSON)
            }
        }
    }

    /// Writes the replacement for a masked scalar.
    pub(crate) fn scalar(
        &mut self,
        action: Action,
        value: Scalar<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), MaskError> {
        if let (Scalar::Null, _) | (_, Action::Null) = (value, action) {
            out.extend_from_slice(b"null");
            return Ok(());
        }
        match action {
            Action::Null => out.extend_from_slice(b"null"),
            Action::Redact => out.extend_from_slice(REDACTED_JSON),
            Action::Hash => {
                let mut mac = self.mac.clone().ok_or(MaskError::MissingHashKey)?;
                match value {
                    Scalar::Str {
                        raw,
                        escaped: false,
                    }
                    | Scalar::Text(raw) => mac.update(raw),
                    Scalar::Str { raw, escaped: true } => {
                        decode(raw, &mut self.units)?;
                        self.bytes.clear();
                        wtf8(&self.units, &mut self.bytes);
                        mac.update(&self.bytes);
                    }
                    Scalar::Null => {}
                }
                let tag = mac.finalize().into_bytes();
                out.push(b'"');
                for byte in tag.iter().take(self.hash_len) {
                    out.push(hex_digit(byte >> 4));
                    out.push(hex_digit(byte & 0x0f));
                }
                out.push(b'"');
            }
            Action::Email | Action::Keep { .. } => {
                // Without escapes, the raw text is already valid JSON string
                // content (UTF-8, checked by the scanner): keep slices of it
                // as they are.
                let plain = match value {
                    Scalar::Str {
                        raw,
                        escaped: false,
                    }
                    | Scalar::Text(raw) => Some(raw),
                    _ => None,
                };
                if let Some(text) = plain {
                    if let Action::Keep { end, count } = action {
                        keep_plain(text, end, count, out);
                    } else {
                        email_plain(text, out);
                    }
                    return Ok(());
                }
                match value {
                    Scalar::Str { raw, .. } => decode(raw, &mut self.units)?,
                    _ => self.units.clear(),
                }
                if let Action::Keep { end, count } = action {
                    keep(&self.units, end, count, out);
                } else {
                    email(&self.units, out);
                }
            }
        }
        Ok(())
    }
}

fn hex_digit(nibble: u8) -> u8 {
    if nibble < 10 {
        b'0' + nibble
    } else {
        b'a' + (nibble - 10)
    }
}

/// `keep first|last N`: keeps N characters and writes `*` for each of the
/// others. A value of N characters or fewer is masked entirely: a mask never
/// hands back its input unchanged.
fn keep(units: &[u32], end: KeepEnd, count: u32, out: &mut Vec<u8>) {
    let len = units.len();
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    out.push(b'"');
    if len <= count {
        out.extend(std::iter::repeat_n(b'*', len));
    } else {
        let hidden = len - count;
        match end {
            KeepEnd::First => {
                write_units(units.iter().take(count).copied(), out);
                out.extend(std::iter::repeat_n(b'*', hidden));
            }
            KeepEnd::Last => {
                out.extend(std::iter::repeat_n(b'*', hidden));
                write_units(units.iter().skip(hidden).copied(), out);
            }
        }
    }
    out.push(b'"');
}

/// Whether `byte` starts a character in UTF-8 (is not a continuation byte).
fn starts_char(byte: u8) -> bool {
    (byte as i8) >= -0x40
}

/// The byte offset of character `n` of UTF-8 `text` (its length if there
/// are fewer characters).
fn char_offset(text: &[u8], ascii: bool, n: usize) -> usize {
    if ascii {
        return n.min(text.len());
    }
    text.iter()
        .enumerate()
        .filter(|(_, b)| starts_char(**b))
        .nth(n)
        .map_or(text.len(), |(i, _)| i)
}

/// [`keep`] for UTF-8 text without escapes or control characters.
fn keep_plain(text: &[u8], end: KeepEnd, count: u32, out: &mut Vec<u8>) {
    let ascii = text.is_ascii();
    let len = if ascii {
        text.len()
    } else {
        text.iter().filter(|b| starts_char(**b)).count()
    };
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    out.push(b'"');
    if len <= count {
        out.extend(std::iter::repeat_n(b'*', len));
    } else {
        let hidden = len - count;
        match end {
            KeepEnd::First => {
                let split = char_offset(text, ascii, count);
                out.extend_from_slice(text.get(..split).unwrap_or_default());
                out.extend(std::iter::repeat_n(b'*', hidden));
            }
            KeepEnd::Last => {
                let split = char_offset(text, ascii, hidden);
                out.extend(std::iter::repeat_n(b'*', hidden));
                out.extend_from_slice(text.get(split..).unwrap_or_default());
            }
        }
    }
    out.push(b'"');
}

/// [`email`] for UTF-8 text without escapes or control characters.
fn email_plain(text: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    if let Some(at) = text.iter().rposition(|b| *b == b'@') {
        let local = text.get(..at).unwrap_or_default();
        // The first character: up to the next character's start.
        let first = match local.get(1..) {
            Some(rest) => rest
                .iter()
                .position(|b| starts_char(*b))
                .map_or(at, |i| i + 1),
            None => 0,
        };
        out.extend_from_slice(local.get(..first).unwrap_or_default());
        out.extend_from_slice(EMAIL_STARS.as_bytes());
        out.extend_from_slice(text.get(at..).unwrap_or_default());
    } else {
        out.extend_from_slice(EMAIL_STARS.as_bytes());
    }
    out.push(b'"');
}

/// `email`: `jane.doe@example.com` becomes `j***@example.com`. The domain
/// is kept (after the last `@`); a value without `@` becomes `***`.
fn email(units: &[u32], out: &mut Vec<u8>) {
    out.push(b'"');
    match units.iter().rposition(|u| *u == u32::from(b'@')) {
        None => out.extend_from_slice(EMAIL_STARS.as_bytes()),
        Some(at) => {
            write_units(units.iter().take(at.min(1)).copied(), out);
            out.extend_from_slice(EMAIL_STARS.as_bytes());
            write_units(units.iter().skip(at).copied(), out);
        }
    }
    out.push(b'"');
}

/// Writes code points as JSON string content: `"`, `\` and control
/// characters escaped, lone surrogates (kept from `\uXXXX` escapes in the
/// input) written back as escapes, everything else as UTF-8.
fn write_units(units: impl Iterator<Item = u32>, out: &mut Vec<u8>) {
    for unit in units {
        match char::from_u32(unit) {
            Some('"') => out.extend_from_slice(b"\\\""),
            Some('\\') => out.extend_from_slice(b"\\\\"),
            Some('\n') => out.extend_from_slice(b"\\n"),
            Some('\r') => out.extend_from_slice(b"\\r"),
            Some('\t') => out.extend_from_slice(b"\\t"),
            Some(c) if u32::from(c) < 0x20 => write_escape(unit, out),
            Some(c) => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
            None => write_escape(unit, out),
        }
    }
}

fn write_escape(unit: u32, out: &mut Vec<u8>) {
    out.extend_from_slice(b"\\u");
    for shift in [12, 8, 4, 0] {
        // Only called with values below 0x10000.
        out.push(hex_digit(((unit >> shift) & 0x0f) as u8));
    }
}

/// Decodes validated JSON string content into code points. A `\uXXXX`
/// escape of a surrogate that is not part of a pair is kept as its own
/// value (0xD800..=0xDFFF), to be written back as an escape.
pub(crate) fn decode(raw: &[u8], units: &mut Vec<u32>) -> Result<(), MaskError> {
    units.clear();
    let mut rest = raw;
    loop {
        let plain = rest.iter().position(|b| *b == b'\\').unwrap_or(rest.len());
        let (run, tail) = rest.split_at_checked(plain).ok_or(MaskError::Internal)?;
        let text = std::str::from_utf8(run).map_err(|_| MaskError::Internal)?;
        units.extend(text.chars().map(u32::from));
        let Some((_, tail)) = tail.split_first() else {
            return Ok(());
        };
        let (&kind, tail) = tail.split_first().ok_or(MaskError::Internal)?;
        rest = tail;
        let simple = match kind {
            b'"' => u32::from(b'"'),
            b'\\' => u32::from(b'\\'),
            b'/' => u32::from(b'/'),
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => u32::from(b'\n'),
            b'r' => u32::from(b'\r'),
            b't' => u32::from(b'\t'),
            b'u' => {
                let (first, tail) = hex4(rest).ok_or(MaskError::Internal)?;
                rest = tail;
                if (0xD800..0xDC00).contains(&first) {
                    // A high surrogate: combine with a following low one.
                    if let Some((second, tail)) = rest.strip_prefix(b"\\u").and_then(hex4) {
                        if (0xDC00..0xE000).contains(&second) {
                            rest = tail;
                            units.push(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00));
                            continue;
                        }
                    }
                }
                first
            }
            _ => return Err(MaskError::Internal),
        };
        units.push(simple);
    }
}

fn hex4(bytes: &[u8]) -> Option<(u32, &[u8])> {
    let (digits, rest) = bytes.split_at_checked(4)?;
    let mut value = 0u32;
    for d in digits {
        value = value * 16 + char::from(*d).to_digit(16)?;
    }
    Some((value, rest))
}

/// Decodes a member key for look-up: `None` if it holds a lone surrogate
/// (no path can name such a key).
pub(crate) fn decode_key<'a>(
    raw: &'a [u8],
    escaped: bool,
    units: &mut Vec<u32>,
    buf: &'a mut Vec<u8>,
) -> Option<&'a [u8]> {
    if !escaped {
        return Some(raw);
    }
    decode(raw, units).ok()?;
    buf.clear();
    for unit in units.iter() {
        let c = char::from_u32(*unit)?;
        let mut tmp = [0u8; 4];
        buf.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
    }
    Some(buf)
}

/// UTF-8, extended to encode lone surrogates as their three-byte form
/// (WTF-8): the bytes `hash` authenticates for a string.
fn wtf8(units: &[u32], out: &mut Vec<u8>) {
    for unit in units {
        match char::from_u32(*unit) {
            Some(c) => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
            None => {
                let u = *unit & 0xFFFF;
                out.extend_from_slice(&[
                    0xE0 | (u >> 12) as u8,
                    0x80 | ((u >> 6) & 0x3F) as u8,
                    0x80 | (u & 0x3F) as u8,
                ]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(action: Action, value: Scalar<'_>) -> String {
        let mut t = Transformer::new(Some(b"0123456789abcdef0123456789abcdef"), 8).unwrap();
        let mut out = Vec::new();
        t.scalar(action, value, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn s(raw: &str) -> Scalar<'_> {
        Scalar::Str {
            raw: raw.as_bytes(),
            escaped: raw.contains('\\'),
        }
    }

    #[test]
    fn keep_counts_characters_not_bytes() {
        let last = Action::Keep {
            end: KeepEnd::Last,
            count: 2,
        };
        assert_eq!(apply(last, s("héllo")), "\"***lo\"");
        assert_eq!(apply(last, s("h\\u00e9llo")), "\"***lo\"");
        assert_eq!(
            apply(
                Action::Keep {
                    end: KeepEnd::First,
                    count: 2
                },
                s("h\\u00e9llo")
            ),
            "\"hé***\""
        );
        assert_eq!(apply(last, s("ab")), "\"**\"");
        assert_eq!(apply(last, s("\\ud83d\\ude00x\\ud83d\\ude00")), "\"*x😀\"");
        assert_eq!(apply(last, s("\\ud800abc")), "\"**bc\"");
        assert_eq!(
            apply(
                Action::Keep {
                    end: KeepEnd::First,
                    count: 1
                },
                s("\\ud800abc")
            ),
            "\"\\ud800***\""
        );
        assert_eq!(
            apply(
                Action::Keep {
                    end: KeepEnd::First,
                    count: 2
                },
                s("a\\\"bc")
            ),
            "\"a\\\"**\""
        );
    }

    #[test]
    fn email_keeps_first_letter_and_domain() {
        assert_eq!(
            apply(Action::Email, s("jane.doe@example.com")),
            "\"j***@example.com\""
        );
        assert_eq!(apply(Action::Email, s("é@x.org")), "\"é***@x.org\"");
        assert_eq!(apply(Action::Email, s("@x.org")), "\"***@x.org\"");
        assert_eq!(apply(Action::Email, s("no address")), "\"***\"");
    }

    #[test]
    fn hash_is_keyed_and_covers_the_decoded_text() {
        let a = apply(Action::Hash, s("é"));
        assert_eq!(a, apply(Action::Hash, s("\\u00e9")));
        assert_eq!(a.len(), 18);
        let mut other = Transformer::new(Some(b"another key, also long enough...."), 8).unwrap();
        let mut out = Vec::new();
        other.scalar(Action::Hash, s("é"), &mut out).unwrap();
        assert_ne!(a.as_bytes(), out.as_slice());
    }

    #[test]
    fn non_strings_are_masked_through_their_text() {
        assert_eq!(
            apply(
                Action::Keep {
                    end: KeepEnd::Last,
                    count: 4
                },
                Scalar::Text(b"123456789")
            ),
            "\"*****6789\""
        );
        assert_eq!(
            apply(Action::Redact, Scalar::Text(b"true")),
            "\"[REDACTED]\""
        );
        assert_eq!(apply(Action::Redact, Scalar::Null), "null");
        assert_eq!(apply(Action::Null, Scalar::Text(b"1")), "null");
    }

    #[test]
    fn control_characters_are_escaped() {
        let mut out = Vec::new();
        write_units([0x01, 0x0a, 0x22, 0x5c, 0xe9].into_iter(), &mut out);
        assert_eq!(String::from_utf8(out).unwrap(), "\\u0001\\n\\\"\\\\é");
    }
}
