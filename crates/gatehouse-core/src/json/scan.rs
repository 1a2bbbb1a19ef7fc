//! Slice scanners for whole JSON tokens, used by [`crate::mask::apply`]:
//! whitespace, strings, numbers and literals, each validated completely
//! (escapes, UTF-8, the number grammar) and each able to say "incomplete"
//! when the input ends inside a token and more may follow (the masker then
//! carries the token over to the next chunk).
//!
//! Scanners return positions in the slice they are given; the caller turns
//! them into absolute offsets for errors. The request-body validator
//! ([`crate::payload`]) shares the whitespace skip and the word-at-a-time
//! byte classifier, but resumes tokens byte by byte instead of carrying
//! them (see [`super::token`]), so one huge string costs no memory. Both
//! have fast paths here for what is wholly in the input: a plain string
//! (`plain_string`) and a whole value (`value_end`).

use super::JsonProblem;

/// A problem at a position in the scanned slice.
pub(crate) type ScanError = (usize, JsonProblem);

/// `Ok(None)` when the token runs to the end of the input and more input
/// may follow; with `eof`, that is a [`JsonProblem::Truncated`] error.
fn incomplete<T>(input: &[u8], eof: bool) -> Result<Option<T>, ScanError> {
    if eof {
        Err((input.len(), JsonProblem::Truncated))
    } else {
        Ok(None)
    }
}

/// The position of the first non-whitespace byte at or after `pos`.
#[inline]
pub(crate) fn skip_ws(input: &[u8], pos: usize) -> usize {
    let rest = input.get(pos..).unwrap_or_default();
    match rest
        .iter()
        .position(|b| !matches!(b, b' ' | b'\n' | b'\r' | b'\t'))
    {
        Some(n) => pos + n,
        None => input.len().max(pos),
    }
}

/// A string starting with the `"` at `start`: its end (past the closing
/// quote) and whether it contains escapes. Lone surrogate escapes are
/// accepted (they are valid JSON text) and pass through unchanged.
#[inline]
pub(crate) fn string(
    input: &[u8],
    start: usize,
    eof: bool,
) -> Result<Option<(usize, bool)>, ScanError> {
    let mut i = start + 1;
    let mut escaped = false;
    let mut ascii = true;
    loop {
        let (next, seen) = skip_plain(input, i);
        ascii &= seen & HIGH == 0;
        i = next;
        match input.get(i) {
            Some(b'"') => {
                if !ascii {
                    let content = input.get(start + 1..i).unwrap_or_default();
                    if let Err(error) = std::str::from_utf8(content) {
                        return Err((start + 1 + error.valid_up_to(), JsonProblem::InvalidUtf8));
                    }
                }
                return Ok(Some((i + 1, escaped)));
            }
            Some(b'\\') => {
                escaped = true;
                match input.get(i + 1) {
                    None => return incomplete(input, eof),
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => i += 2,
                    Some(b'u') => {
                        for j in i + 2..i + 6 {
                            match input.get(j) {
                                None => return incomplete(input, eof),
                                Some(h) if h.is_ascii_hexdigit() => {}
                                Some(_) => return Err((i, JsonProblem::InvalidEscape)),
                            }
                        }
                        i += 6;
                    }
                    Some(_) => return Err((i, JsonProblem::InvalidEscape)),
                }
            }
            Some(0..=0x1f) => return Err((i, JsonProblem::ControlCharacter)),
            Some(b) => {
                ascii &= *b < 0x80;
                i += 1;
            }
            None => return incomplete(input, eof),
        }
    }
}

/// Skips string content from `i` eight bytes at a time while none needs a
/// closer look: the position of the first byte [`special`] flags (or of the
/// last part-word), and the OR of the bytes passed over (its high bits say
/// whether any was not ASCII).
#[inline]
fn skip_plain(input: &[u8], mut i: usize) -> (usize, u64) {
    let mut seen = 0;
    while let Some(word) = input
        .get(i..i + 8)
        .and_then(|w| <[u8; 8]>::try_from(w).ok())
    {
        let word = u64::from_le_bytes(word);
        let found = special(word);
        if found != 0 {
            // The lowest flag is exact: go straight to that byte, noting
            // the bytes before it.
            let skip = found.trailing_zeros() / 8;
            if skip > 0 {
                seen |= word & (u64::MAX >> (64 - 8 * skip));
            }
            return (i + skip as usize, seen);
        }
        seen |= word;
        i += 8;
    }
    (i, seen)
}

/// The content of a string whose opening quote is just before `start`,
/// when the whole string is in `input` and is plain: no escape, no control
/// character, valid UTF-8 (checked only when it is not all ASCII). Also
/// whether the content is all ASCII (then its character count is its
/// length). `None` for anything else, including a
/// string that goes on past `input`: the caller's complete scanner then
/// reads it and reports any problem in reading order.
#[inline]
pub(crate) fn plain_string(input: &[u8], start: usize) -> Option<(&[u8], bool)> {
    let mut i = start;
    let mut high = 0;
    // Sixteen bytes a step while neither word has a special byte (long
    // texts), then eight.
    while let Some(pair) = input
        .get(i..i + 16)
        .and_then(|w| <[u8; 16]>::try_from(w).ok())
    {
        let pair = u128::from_le_bytes(pair);
        let (low, top) = (pair as u64, (pair >> 64) as u64);
        if special(low) | special(top) != 0 {
            break;
        }
        high |= low | top;
        i += 16;
    }
    let (mut i, seen) = skip_plain(input, i);
    high |= seen;
    let mut ascii = high & HIGH == 0;
    loop {
        match input.get(i)? {
            b'"' => break,
            b'\\' | 0..=0x1f => return None,
            b => {
                ascii &= *b < 0x80;
                i += 1;
            }
        }
    }
    let content = input.get(start..i)?;
    if !ascii {
        std::str::from_utf8(content).ok()?;
    }
    Some((content, ascii))
}

/// The end of the value that starts at or after `pos` (after whitespace),
/// when all of it is in `input` and valid, and its containers nest at most
/// `levels` deep (and at most 64). `None` for anything else, including a
/// value that may go on past `input`: the caller then reads it token by
/// token, which reports any problem exactly. This is how the masker passes
/// over a subtree it copies or drops whole, in one tight loop.
pub(crate) fn value_end(input: &[u8], pos: usize, levels: usize) -> Option<usize> {
    let levels = levels.min(64);
    // Bit `d` of `objects`: whether the container at depth `d` (from the
    // innermost, bit 0) is an object.
    let mut objects = 0u64;
    let mut depth = 0usize;
    let mut pos = skip_ws(input, pos);
    loop {
        // A value starts at `pos`.
        let byte = *input.get(pos)?;
        pos = match byte {
            b'{' | b'[' => {
                if depth >= levels {
                    return None;
                }
                let next = skip_ws(input, pos + 1);
                let close = if byte == b'{' { b'}' } else { b']' };
                if *input.get(next)? == close {
                    // An empty container is a whole value.
                    next + 1
                } else {
                    depth += 1;
                    objects = (objects << 1) | u64::from(byte == b'{');
                    pos = if byte == b'{' {
                        member_colon(input, next)?
                    } else {
                        next
                    };
                    continue;
                }
            }
            _ => scalar_end(input, pos)?.0,
        };
        // After a value: close containers until a `,` starts the next one.
        loop {
            if depth == 0 {
                return Some(pos);
            }
            pos = skip_ws(input, pos);
            let object = objects & 1 == 1;
            match *input.get(pos)? {
                b',' if object => {
                    pos = member_colon(input, skip_ws(input, pos + 1))?;
                    break;
                }
                b',' => {
                    pos = skip_ws(input, pos + 1);
                    break;
                }
                b'}' if object => {}
                b']' if !object => {}
                _ => return None,
            }
            depth -= 1;
            objects >>= 1;
            pos += 1;
        }
    }
}

/// The end of the string, number or literal at `pos`, when all of it is
/// in `input` and valid, and whether it is a string with escapes. `None`
/// for anything else (a container too).
#[inline]
pub(crate) fn scalar_end(input: &[u8], pos: usize) -> Option<(usize, bool)> {
    let plain = |end: usize| (end, false);
    match *input.get(pos)? {
        b'"' => string(input, pos, false).ok()?,
        b'-' | b'0'..=b'9' => number(input, pos, false).ok()?.map(plain),
        b't' => literal(input, pos, b"true", false).ok()?.map(plain),
        b'f' => literal(input, pos, b"false", false).ok()?.map(plain),
        b'n' => literal(input, pos, b"null", false).ok()?.map(plain),
        _ => None,
    }
}

/// A member key at `pos` and its `:`: the position of the value after
/// them (after whitespace).
fn member_colon(input: &[u8], pos: usize) -> Option<usize> {
    if input.get(pos) != Some(&b'"') {
        return None;
    }
    let (end, _) = string(input, pos, false).ok()??;
    let colon = skip_ws(input, end);
    (input.get(colon) == Some(&b':')).then(|| skip_ws(input, colon + 1))
}

pub(crate) const ONES: u64 = 0x0101_0101_0101_0101;
pub(crate) const HIGH: u64 = 0x8080_8080_8080_8080;

/// Flags (the high bit of) each byte of a little-endian word that is `"`,
/// `\\` or a control character (below 0x20): the bytes a string scan must
/// stop at. The lowest flag is exact; flags above it may be spurious (from a
/// borrow), which does not matter since the scan stops at the lowest.
#[inline]
pub(crate) fn special(word: u64) -> u64 {
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
    zero(word ^ (ONES * u64::from(b'"'))) | zero(word ^ (ONES * u64::from(b'\\'))) | below_space
}

/// A number starting at `start`: its end. The whole run of number
/// characters must follow the JSON grammar.
#[inline]
pub(crate) fn number(input: &[u8], start: usize, eof: bool) -> Result<Option<usize>, ScanError> {
    let rest = input.get(start..).unwrap_or_default();
    let Some(len) = rest
        .iter()
        .position(|b| !matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
    else {
        // The number may go on in the next chunk.
        if !eof {
            return Ok(None);
        }
        return if valid_number(rest) {
            Ok(Some(input.len()))
        } else {
            Err((start, JsonProblem::InvalidNumber))
        };
    };
    if valid_number(rest.get(..len).unwrap_or_default()) {
        Ok(Some(start + len))
    } else {
        Err((start, JsonProblem::InvalidNumber))
    }
}

/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
pub(crate) fn valid_number(text: &[u8]) -> bool {
    fn digits(s: &[u8]) -> &[u8] {
        let n = s
            .iter()
            .position(|b| !b.is_ascii_digit())
            .unwrap_or(s.len());
        s.get(n..).unwrap_or_default()
    }
    let mut s = text.strip_prefix(b"-").unwrap_or(text);
    s = match s.split_first() {
        Some((b'0', rest)) => rest,
        Some((b'1'..=b'9', rest)) => digits(rest),
        _ => return false,
    };
    if let Some(rest) = s.strip_prefix(b".") {
        let after = digits(rest);
        if after.len() == rest.len() {
            return false;
        }
        s = after;
    }
    if let Some((b'e' | b'E', rest)) = s.split_first() {
        let rest = rest
            .strip_prefix(b"+")
            .or_else(|| rest.strip_prefix(b"-"))
            .unwrap_or(rest);
        let after = digits(rest);
        if after.len() == rest.len() {
            return false;
        }
        s = after;
    }
    s.is_empty()
}

/// `true`, `false` or `null` starting at `start`: its end.
#[inline]
pub(crate) fn literal(
    input: &[u8],
    start: usize,
    word: &[u8],
    eof: bool,
) -> Result<Option<usize>, ScanError> {
    let rest = input.get(start..).unwrap_or_default();
    let n = rest.len().min(word.len());
    if rest.get(..n) != word.get(..n) {
        return Err((start, JsonProblem::InvalidLiteral));
    }
    if n < word.len() {
        return incomplete(input, eof);
    }
    Ok(Some(start + word.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_scan_finds_every_special_byte() {
        for b in 0..=255u8 {
            for at in 0..8 {
                let mut word = [b'a'; 8];
                word[at] = b;
                let expected = b == b'"' || b == b'\\' || b < 0x20;
                let found = special(u64::from_le_bytes(word));
                assert_eq!(found != 0, expected, "{b:#x} at {at}");
                if expected {
                    assert_eq!(found.trailing_zeros() / 8, at as u32);
                }
            }
        }
        // Long strings take the word path; every position of a special byte
        // is still found.
        for at in 0..20 {
            let mut text = vec![b'"'];
            text.extend(std::iter::repeat_n(b'x', 20));
            text.push(b'"');
            text[1 + at] = b'\n';
            assert_eq!(
                string(&text, 0, true),
                Err((1 + at, JsonProblem::ControlCharacter))
            );
            text[1 + at] = 0xff;
            assert_eq!(
                string(&text, 0, true),
                Err((1 + at, JsonProblem::InvalidUtf8))
            );
            text[1 + at] = b'"';
            assert_eq!(string(&text, 0, true), Ok(Some((2 + at, false))));
        }
    }

    #[test]
    fn numbers_follow_the_grammar() {
        for ok in ["0", "-0", "12", "1.5", "1e9", "1E+9", "-1.25e-3", "0.0"] {
            assert!(valid_number(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "", "-", "01", "1.", ".5", "1e", "1e+", "+1", "1.2.3", "--1", "1-2", "0x1",
        ] {
            assert!(!valid_number(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn strings_report_escapes_and_problems() {
        assert_eq!(string(br#""abc" "#, 0, true), Ok(Some((5, false))));
        assert_eq!(string(br#""a\"c""#, 0, true), Ok(Some((6, true))));
        assert_eq!(string(br#""\ud800""#, 0, true), Ok(Some((8, true))));
        assert_eq!(string(br#""abc"#, 0, false), Ok(None));
        assert_eq!(string(br#""ab\u00"#, 0, false), Ok(None));
        assert_eq!(
            string(br#""abc"#, 0, true),
            Err((4, JsonProblem::Truncated))
        );
        assert_eq!(
            string(br#""a\x""#, 0, true),
            Err((2, JsonProblem::InvalidEscape))
        );
        assert_eq!(
            string(br#""a\u12g4""#, 0, true),
            Err((2, JsonProblem::InvalidEscape))
        );
        assert_eq!(
            string(b"\"a\nb\"", 0, true),
            Err((2, JsonProblem::ControlCharacter))
        );
        assert_eq!(
            string(b"\"a\xffb\"", 0, true),
            Err((2, JsonProblem::InvalidUtf8))
        );
        // A surrogate encoded directly in UTF-8 is not valid UTF-8.
        assert_eq!(
            string(b"\"\xed\xa0\x80\"", 0, true),
            Err((1, JsonProblem::InvalidUtf8))
        );
    }

    #[test]
    fn numbers_and_literals_may_continue_in_the_next_chunk() {
        assert_eq!(number(b"123", 0, false), Ok(None));
        assert_eq!(number(b"123", 0, true), Ok(Some(3)));
        assert_eq!(number(b"123,", 0, false), Ok(Some(3)));
        assert_eq!(literal(b"tr", 0, b"true", false), Ok(None));
        assert_eq!(
            literal(b"tr", 0, b"true", true),
            Err((2, JsonProblem::Truncated))
        );
        assert_eq!(
            literal(b"trap", 0, b"true", true),
            Err((0, JsonProblem::InvalidLiteral))
        );
    }
}
