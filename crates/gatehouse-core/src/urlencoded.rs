//! Decoding of `application/x-www-form-urlencoded` components: query
//! parameter names and values. A leaf module, so that the evaluator's
//! conditions (`query.x`) and the payload rules (`query` fields) decode a
//! parameter the same way without depending on each other.

use std::borrow::Cow;

/// Form-style decoding: `+` is a space, `%XX` a byte; the result must be
/// UTF-8. Borrows when there is nothing to decode.
pub fn decode_component(text: &str) -> Option<Cow<'_, str>> {
    if !text.contains(['%', '+']) {
        return Some(Cow::Borrowed(text));
    }
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let h = bytes.next().and_then(|c| (c as char).to_digit(16))?;
                let l = bytes.next().and_then(|c| (c as char).to_digit(16))?;
                out.push(u8::try_from(h * 16 + l).ok()?);
            }
            _ => out.push(b),
        }
    }
    String::from_utf8(out).ok().map(Cow::Owned)
}
