//! Path normalisation: done exactly once, before matching, and strict.
//!
//! A request path is split from its query, checked byte by byte, percent-
//! decoded once, and split into segments. Anything that a server, proxy or
//! framework behind Gatehouse might read differently is denied rather than
//! guessed: dot segments (also encoded), encoded `/` and `\`, a raw `\`,
//! empty segments, control bytes (also encoded), bytes that must be encoded
//! (space, non-ASCII), invalid or double percent-encoding, and invalid UTF-8.
//! So no request can reach an endpoint its canonical path would not reach.
//!
//! A path without `%` (the common case) takes a single pass that validates
//! bytes and finds segment boundaries at once, and is not copied: segments
//! borrow it. A path with escapes is decoded once, then split.

use std::borrow::Cow;

use crate::decision::{PathProblem, Reason};
use crate::tree::MAX_SEGMENTS;

#[derive(Debug)]
pub struct NormalizedPath<'a> {
    text: Cow<'a, str>,
    /// Where each segment ends in `text`; segment `i` starts one byte after
    /// segment `i - 1` ends (the first at 1, after the leading `/`).
    ends: [u32; MAX_SEGMENTS],
    len: usize,
    /// The path ended with `/` (which was removed); the API's options decide
    /// whether that is allowed.
    pub trailing_slash: bool,
    /// The raw query string, without `?`.
    pub query: Option<&'a str>,
    /// The decoded path holds a look-alike character
    /// (`crate::lookalike`); the API's options decide whether that is
    /// allowed. Only a percent-encoded path can: raw non-ASCII is invalid.
    pub lookalike: bool,
}

impl<'a> NormalizedPath<'a> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The decoded segment at `index`.
    #[inline]
    pub fn segment(&self, index: usize) -> Option<&str> {
        if index >= self.len {
            return None;
        }
        let start = match index.checked_sub(1) {
            Some(previous) => *self.ends.get(previous)? as usize + 1,
            None => 1,
        };
        let end = *self.ends.get(index)? as usize;
        self.text.get(start..end)
    }

    /// The decoded path: `/v1/pets/7`.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// Why a target was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathError {
    pub reason: Reason,
    pub problem: Option<PathProblem>,
}

fn malformed(problem: PathProblem) -> PathError {
    PathError {
        reason: Reason::PathMalformed,
        problem: Some(problem),
    }
}

fn hex(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// What a raw path byte is, for the single-pass check.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Plain,
    Slash,
    Semicolon,
    Control,
    Backslash,
    /// A space or a non-ASCII byte: must be percent-encoded.
    Invalid,
    /// `?`: the path ends, the query starts.
    Question,
    /// `%`: an escape; the path takes the decoding route instead.
    Percent,
}

#[allow(
    clippy::indexing_slicing,
    reason = "evaluated at compile time: a bad index fails the build, not a request"
)]
const CLASSES: [Class; 256] = {
    let mut table = [Class::Plain; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = match b as u8 {
            0x00..=0x1f | 0x7f => Class::Control,
            b' ' | 0x80..=0xff => Class::Invalid,
            b'\\' => Class::Backslash,
            b'/' => Class::Slash,
            b';' => Class::Semicolon,
            b'?' => Class::Question,
            b'%' => Class::Percent,
            _ => Class::Plain,
        };
        b += 1;
    }
    table
};

/// Bytes the single pass can skip: everything but the classes above.
#[allow(
    clippy::indexing_slicing,
    reason = "evaluated at compile time: a bad index fails the build, not a request"
)]
const PLAIN: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = matches!(CLASSES[b], Class::Plain);
        b += 1;
    }
    table
};

impl NormalizedPath<'_> {
    /// An empty path, to be filled by [`normalize_into`].
    pub fn new() -> NormalizedPath<'static> {
        NormalizedPath {
            text: Cow::Borrowed(""),
            ends: [0; MAX_SEGMENTS],
            len: 0,
            trailing_slash: false,
            query: None,
            lookalike: false,
        }
    }
}

impl Default for NormalizedPath<'_> {
    fn default() -> Self {
        NormalizedPath::new()
    }
}

/// Normalises a request target (path, optional query).
pub fn normalize(target: &str) -> Result<NormalizedPath<'_>, PathError> {
    let mut path = NormalizedPath::new();
    normalize_into(target, &mut path)?;
    Ok(path)
}

/// [`normalize`] into a caller's value, so the segment table is written in
/// place rather than copied out (this is the hot path).
pub fn normalize_into<'a>(target: &'a str, out: &mut NormalizedPath<'a>) -> Result<(), PathError> {
    // A `#` anywhere is a fragment, whatever else is wrong (memchr: fast).
    if target.contains('#') {
        return Err(PathError {
            reason: Reason::FragmentPresent,
            problem: None,
        });
    }
    if !target.starts_with('/') {
        return Err(malformed(PathProblem::NotAbsolute));
    }
    match normalize_words(target, out) {
        Some(done) => done,
        None => normalize_plain(target, out),
    }
}

/// Every byte is 1 (to broadcast a byte over a word).
const ONES: u64 = u64::from_le_bytes([0x01; 8]);
/// The high bit of every byte.
const HIGH: u64 = u64::from_le_bytes([0x80; 8]);
/// The low seven bits of every byte.
const LOW7: u64 = u64::from_le_bytes([0x7f; 8]);

/// The bytes of `word` equal to `byte`, marked by their high bit. Exact:
/// adding 0x7f to a byte's low seven bits never carries into the next byte.
#[inline]
fn bytes_equal(word: u64, byte: u8) -> u64 {
    let x = word ^ (ONES * u64::from(byte));
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// The bytes of `word` that the single byte pass would not skip as plain
/// (see [`Class`]), other than `/` and `?`: controls, space, non-ASCII,
/// DEL, `\`, `;` and `%`. Marked by their high bit.
#[inline]
fn special_bytes(word: u64) -> u64 {
    // A byte whose low seven bits are below 0x21 gets no high bit from
    // adding 0x5f; a non-ASCII byte is marked by its own high bit.
    let below_0x21 = !((word & LOW7) + ONES * 0x5f) & HIGH;
    (word & HIGH)
        | below_0x21
        | bytes_equal(word, 0x7f)
        | bytes_equal(word, b'\\')
        | bytes_equal(word, b';')
        | bytes_equal(word, b'%')
}

/// The common case eight bytes at a time: a target whose path holds only
/// plain bytes and `/` is validated and split without a branch per byte.
/// `None` when the path holds any other byte (an escape, `;`, anything
/// malformed): [`normalize_plain`] then decides, byte by byte. The answer
/// is always the one `normalize_plain` gives (a property test holds them
/// to it): segments are closed in the same order with the same checks.
fn normalize_words<'a>(
    target: &'a str,
    out: &mut NormalizedPath<'a>,
) -> Option<Result<(), PathError>> {
    let all = target.as_bytes();
    let mut len = 0usize;
    let mut too_long = false;
    // The leading `/` is at 0; the first segment starts after it.
    let mut start = 1usize;
    let mut path_len = all.len();
    let words = all.chunks(8);
    for (index, chunk) in words.enumerate() {
        let base = index * 8;
        let word = match <[u8; 8]>::try_from(chunk) {
            Ok(bytes) => u64::from_le_bytes(bytes),
            Err(_) => {
                // The last, short word, padded with a plain byte.
                let mut bytes = [b'a'; 8];
                for (slot, byte) in bytes.iter_mut().zip(chunk) {
                    *slot = *byte;
                }
                u64::from_le_bytes(bytes)
            }
        };
        // The path ends at the first `?`: only the bytes before it count.
        let question = bytes_equal(word, b'?');
        let in_path = if question == 0 {
            u64::MAX
        } else {
            ((question & question.wrapping_neg()) >> 7).wrapping_sub(1)
        };
        if special_bytes(word) & in_path != 0 {
            return None;
        }
        let mut slashes = bytes_equal(word, b'/') & in_path;
        while slashes != 0 {
            let at = base + (slashes.trailing_zeros() / 8) as usize;
            slashes &= slashes - 1;
            if at == 0 {
                continue;
            }
            if let Err(e) = close_segment(
                all.get(start..at).unwrap_or(b""),
                at,
                &mut out.ends,
                &mut len,
                &mut too_long,
            ) {
                return Some(Err(e));
            }
            start = at + 1;
        }
        if question != 0 {
            path_len = base + (question.trailing_zeros() / 8) as usize;
            break;
        }
    }
    // The last segment ends with the path; the root path `/` and a
    // trailing `/` close nothing.
    if path_len != start {
        if let Err(e) = close_segment(
            all.get(start..path_len).unwrap_or(b""),
            path_len,
            &mut out.ends,
            &mut len,
            &mut too_long,
        ) {
            return Some(Err(e));
        }
    }
    let path = target.get(..path_len).unwrap_or(target);
    let query = target
        .get(path_len + 1..)
        .filter(|_| path_len < target.len());
    Some(finish_plain(path, query, len, too_long, out))
}

/// Records a segment that ends at `end` in `ends`, or says why it is
/// malformed: `core` is its part before any `;` (servlet containers drop
/// `;parameters`, so `..;x` is `..` there), empty for `//` or a segment
/// that is only `;...`. Past [`MAX_SEGMENTS`] segments are only counted as
/// too many, and nothing more is checked: a later malformed byte is still
/// found by the caller's scan.
#[inline]
fn close_segment(
    core: &[u8],
    end: usize,
    ends: &mut [u32; MAX_SEGMENTS],
    len: &mut usize,
    too_long: &mut bool,
) -> Result<(), PathError> {
    if *too_long {
        return Ok(());
    }
    if core.is_empty() {
        return Err(malformed(PathProblem::EmptySegment));
    }
    if core == b"." || core == b".." {
        return Err(malformed(PathProblem::DotSegment));
    }
    match ends.get_mut(*len) {
        Some(slot) => {
            *slot = offset(end);
            *len += 1;
        }
        None => *too_long = true,
    }
    Ok(())
}

/// The path and query of a target that starts with `/` and has no `#`.
fn split_query(target: &str) -> (&str, Option<&str>) {
    match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    }
}

/// The common case: no escapes, so one pass finds the end of the path,
/// validates every byte and records every boundary, and segments borrow
/// the input. An escape hands the target to [`normalize_escaped`].
fn normalize_plain<'a>(target: &'a str, out: &mut NormalizedPath<'a>) -> Result<(), PathError> {
    let all = target.as_bytes();
    let ends = &mut out.ends;
    let mut len = 0usize;
    let mut start = 1usize;
    // Where the part of this segment before any `;` ends.
    let mut core_end: Option<usize> = None;
    let mut too_long = false;
    // The leading `/` is at 0.
    let mut i = 1usize;
    let path_len = loop {
        // Most bytes are plain: skip them in a tight loop.
        while all
            .get(i)
            .is_some_and(|b| PLAIN.get(usize::from(*b)).copied().unwrap_or(false))
        {
            i += 1;
        }
        let class = match all.get(i) {
            // A u8 always indexes a 256-entry table; the fallback is unreachable.
            Some(b) => CLASSES
                .get(usize::from(*b))
                .copied()
                .unwrap_or(Class::Invalid),
            None => Class::Question,
        };
        match class {
            Class::Plain => {
                i += 1;
                continue;
            }
            Class::Semicolon => {
                core_end.get_or_insert(i);
                i += 1;
                continue;
            }
            Class::Control => return Err(malformed(PathProblem::ControlCharacter)),
            Class::Backslash => return Err(malformed(PathProblem::Backslash)),
            Class::Invalid => return Err(malformed(PathProblem::InvalidCharacter)),
            Class::Percent => {
                let (path, query) = split_query(target);
                *out = normalize_escaped(path, query)?;
                return Ok(());
            }
            Class::Slash | Class::Question => {}
        }
        // A segment ends at `i`: at a `/`, or at the end of the path (`?`
        // or the end of the target).
        let last = class == Class::Question;
        let core = all.get(start..core_end.take().unwrap_or(i)).unwrap_or(b"");
        // The root path `/` has no segments; a trailing `/` closes nothing.
        if !(last && i == start) {
            close_segment(core, i, ends, &mut len, &mut too_long)?;
        }
        if last {
            break i;
        }
        i += 1;
        start = i;
    };
    let path = target.get(..path_len).unwrap_or(target);
    let query = target
        .get(path_len + 1..)
        .filter(|_| path_len < target.len());
    finish_plain(path, query, len, too_long, out)
}

/// The checks and fields common to both plain passes, once every segment
/// of `path` is recorded.
fn finish_plain<'a>(
    path: &'a str,
    query: Option<&'a str>,
    len: usize,
    too_long: bool,
    out: &mut NormalizedPath<'a>,
) -> Result<(), PathError> {
    if path.ends_with("//") {
        return Err(malformed(PathProblem::EmptySegment));
    }
    if too_long {
        return Err(PathError {
            reason: Reason::PathTooLong,
            problem: Some(PathProblem::TooManySegments),
        });
    }
    let trailing_slash = path.len() > 1 && path.ends_with('/');
    out.text = Cow::Borrowed(if trailing_slash {
        path.get(..path.len() - 1).unwrap_or("/")
    } else {
        path
    });
    out.len = len;
    out.trailing_slash = trailing_slash;
    out.lookalike = false;
    out.query = query;
    Ok(())
}

/// A path with escapes: check the raw bytes, decode once, then split.
fn normalize_escaped<'a>(
    mut path: &'a str,
    query: Option<&'a str>,
) -> Result<NormalizedPath<'a>, PathError> {
    // One pass over the raw bytes: what is allowed to appear, and what a
    // percent-escape may decode to.
    let bytes = path.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            0x00..=0x1f | 0x7f => return Err(malformed(PathProblem::ControlCharacter)),
            b'\\' => return Err(malformed(PathProblem::Backslash)),
            b' ' | 0x80..=0xff => return Err(malformed(PathProblem::InvalidCharacter)),
            b'%' => {
                let (Some(h), Some(l)) = (
                    bytes.get(i + 1).and_then(|b| hex(*b)),
                    bytes.get(i + 2).and_then(|b| hex(*b)),
                ) else {
                    return Err(malformed(PathProblem::InvalidPercentEncoding));
                };
                let decoded = h * 16 + l;
                match decoded {
                    b'/' | b'\\' => return Err(malformed(PathProblem::EncodedSlash)),
                    0x00..=0x1f | 0x7f => return Err(malformed(PathProblem::ControlCharacter)),
                    b'%' if bytes.get(i + 3).and_then(|b| hex(*b)).is_some()
                        && bytes.get(i + 4).and_then(|b| hex(*b)).is_some() =>
                    {
                        return Err(malformed(PathProblem::DoubleEncoding))
                    }
                    _ => {}
                }
                i += 3;
                continue;
            }
            _ => {}
        }
        i += 1;
    }

    if path.ends_with("//") {
        return Err(malformed(PathProblem::EmptySegment));
    }
    let mut trailing_slash = false;
    if path.len() > 1 && path.ends_with('/') {
        trailing_slash = true;
        path = path.get(..path.len() - 1).unwrap_or("/");
    }

    let mut decoded = Vec::with_capacity(path.len());
    let mut raw = path.bytes();
    while let Some(b) = raw.next() {
        if b == b'%' {
            // Validated above: two hex digits follow.
            let h = raw.next().and_then(hex).unwrap_or(0);
            let l = raw.next().and_then(hex).unwrap_or(0);
            decoded.push(h * 16 + l);
        } else {
            decoded.push(b);
        }
    }
    let text = match String::from_utf8(decoded) {
        // C1 controls (U+0080 to U+009F, such as NEL) are controls too.
        Ok(s) if s.chars().any(char::is_control) => {
            return Err(malformed(PathProblem::ControlCharacter))
        }
        Ok(s) => s,
        Err(_) => return Err(malformed(PathProblem::InvalidUtf8)),
    };

    let mut ends = [0u32; MAX_SEGMENTS];
    let mut len = 0usize;
    if text.len() > 1 {
        let mut start = 1usize;
        for segment in text.get(1..).unwrap_or("").split('/') {
            // Servlet containers drop `;parameters` from a segment, so `..;x`
            // is `..` and `;x` is empty there: judge the part before `;`.
            let core = segment.split(';').next().unwrap_or(segment);
            if core.is_empty() {
                return Err(malformed(PathProblem::EmptySegment));
            }
            if core == "." || core == ".." {
                return Err(malformed(PathProblem::DotSegment));
            }
            let Some(slot) = ends.get_mut(len) else {
                return Err(PathError {
                    reason: Reason::PathTooLong,
                    problem: Some(PathProblem::TooManySegments),
                });
            };
            let end = start + segment.len();
            *slot = offset(end);
            len += 1;
            start = end + 1;
        }
    }
    let lookalike = crate::lookalike::first_in(&text).is_some();
    Ok(NormalizedPath {
        text: Cow::Owned(text),
        ends,
        len,
        trailing_slash,
        query,
        lookalike,
    })
}

fn offset(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segments(target: &str) -> Result<Vec<String>, PathError> {
        let p = normalize(target)?;
        Ok((0..p.len())
            .map(|i| p.segment(i).unwrap().to_string())
            .collect())
    }

    fn problem(target: &str) -> Option<PathProblem> {
        normalize(target).err().and_then(|e| e.problem)
    }

    #[test]
    fn plain_paths_split_into_segments() {
        assert_eq!(segments("/").unwrap(), Vec::<String>::new());
        assert_eq!(segments("/v1/pets/7?x=1").unwrap(), ["v1", "pets", "7"]);
        assert_eq!(segments("/a%20b/c%3Fd").unwrap(), ["a b", "c?d"]);
        assert_eq!(segments("/caf%C3%A9").unwrap(), ["café"]);
        assert!(normalize("/pets/").unwrap().trailing_slash);
        assert_eq!(normalize("/pets?a=b").unwrap().query, Some("a=b"));
    }

    #[test]
    fn ambiguous_paths_are_rejected() {
        assert_eq!(
            normalize("/a#b").unwrap_err().reason,
            Reason::FragmentPresent
        );
        assert_eq!(problem("a/b"), Some(PathProblem::NotAbsolute));
        assert_eq!(problem("*"), Some(PathProblem::NotAbsolute));
        assert_eq!(problem("/a/../b"), Some(PathProblem::DotSegment));
        assert_eq!(problem("/a/./b"), Some(PathProblem::DotSegment));
        assert_eq!(problem("/a/%2e%2E/b"), Some(PathProblem::DotSegment));
        assert_eq!(problem("/a/.%2e"), Some(PathProblem::DotSegment));
        assert_eq!(problem("/a/..;/b"), Some(PathProblem::DotSegment));
        assert_eq!(problem("/a/..;x=1/b"), Some(PathProblem::DotSegment));
        assert_eq!(problem("/a/%2e%2e%3b/b"), Some(PathProblem::DotSegment));
        assert_eq!(problem("/a/.;/b"), Some(PathProblem::DotSegment));
        assert_eq!(
            problem("/a/;jsessionid=1/b"),
            Some(PathProblem::EmptySegment)
        );
        assert_eq!(segments("/a/b;v=1").unwrap(), ["a", "b;v=1"]);
        assert_eq!(problem("/a%2fb"), Some(PathProblem::EncodedSlash));
        assert_eq!(problem("/a%5Cb"), Some(PathProblem::EncodedSlash));
        assert_eq!(problem("/a\\b"), Some(PathProblem::Backslash));
        assert_eq!(problem("/a//b"), Some(PathProblem::EmptySegment));
        assert_eq!(problem("//"), Some(PathProblem::EmptySegment));
        assert_eq!(problem("/a%00"), Some(PathProblem::ControlCharacter));
        assert_eq!(problem("/a\u{0}"), Some(PathProblem::ControlCharacter));
        assert_eq!(problem("/a%0a"), Some(PathProblem::ControlCharacter));
        assert_eq!(problem("/a b"), Some(PathProblem::InvalidCharacter));
        assert_eq!(problem("/café"), Some(PathProblem::InvalidCharacter));
        assert_eq!(problem("/a%"), Some(PathProblem::InvalidPercentEncoding));
        assert_eq!(problem("/a%g1"), Some(PathProblem::InvalidPercentEncoding));
        assert_eq!(problem("/a%252e"), Some(PathProblem::DoubleEncoding));
        assert_eq!(problem("/a%ff"), Some(PathProblem::InvalidUtf8));
        assert_eq!(
            problem("/%C2%85"),
            Some(PathProblem::ControlCharacter),
            "NEL is a C1 control"
        );
        assert_eq!(problem("/pets%C2%9B"), Some(PathProblem::ControlCharacter));
        let long = "/a".repeat(MAX_SEGMENTS + 1);
        assert_eq!(normalize(&long).unwrap_err().reason, Reason::PathTooLong);
        assert!(normalize(&"/a".repeat(MAX_SEGMENTS)).is_ok());
    }

    /// What a normalisation produced, to compare two passes.
    type Outcome = Result<(String, Vec<String>, bool, Option<String>, bool), PathError>;

    fn outcome(result: Result<(), PathError>, path: &NormalizedPath<'_>) -> Outcome {
        result.map(|()| {
            (
                path.text().to_string(),
                (0..path.len())
                    .map(|i| path.segment(i).unwrap().to_string())
                    .collect(),
                path.trailing_slash,
                path.query.map(str::to_string),
                path.lookalike,
            )
        })
    }

    /// The word-at-a-time pass against the byte pass, on one target (which
    /// starts with `/` and holds no `#`, as `normalize_into` ensures).
    fn same_as_byte_pass(target: &str) -> Result<(), proptest::test_runner::TestCaseError> {
        if !target.starts_with('/') || target.contains('#') {
            return Ok(());
        }
        let mut words = NormalizedPath::new();
        if let Some(result) = normalize_words(target, &mut words) {
            let mut bytes = NormalizedPath::new();
            let expected = normalize_plain(target, &mut bytes);
            proptest::prop_assert_eq!(
                outcome(result, &words),
                outcome(expected, &bytes),
                "{:?}",
                target
            );
        } else {
            // Declined: the path (before any `?`) holds a byte the byte
            // pass must judge.
            let path = target.split('?').next().unwrap_or("");
            proptest::prop_assert!(
                path.bytes().any(|b| !PLAIN[usize::from(b)] && b != b'/'),
                "declined a plain path: {:?}",
                target
            );
        }
        Ok(())
    }

    #[test]
    fn word_pass_edge_cases() {
        for target in [
            "/",
            "//",
            "/a",
            "/a/",
            "/a//",
            "/./",
            "/..",
            "/a/.",
            "/abcdefg/",
            "/abcdefgh",
            "/abcdefg?",
            "/abcdefgh?x/y",
            "/a?b/../c",
            "/a/b/c/d/e/f/g/h/i",
            "/a;b",
            "/a%41",
            "/ab\\c",
            "/ab\u{7f}",
            "/a b",
            "/\u{e9}",
            "/a/?",
            "/?",
            "/a/b?#",
        ] {
            same_as_byte_pass(target).unwrap();
        }
        let long = "/a".repeat(MAX_SEGMENTS + 1);
        same_as_byte_pass(&long).unwrap();
        same_as_byte_pass(&format!("{long}//")).unwrap();
        same_as_byte_pass(&format!("{long}/../b?q")).unwrap();
        same_as_byte_pass(&"/a".repeat(MAX_SEGMENTS)).unwrap();
    }

    proptest::proptest! {
        /// The word-at-a-time pass gives the byte pass's answer, or leaves
        /// the target to it.
        #[test]
        fn word_pass_agrees_with_byte_pass(
            target in "/[/a.?;%5 \\\u{7f}\u{1}\u{e9}b~]{0,40}",
            long in "(/[a.]{0,2}){0,70}[?]?[/.a]{0,3}",
        ) {
            same_as_byte_pass(&target)?;
            same_as_byte_pass(&long)?;
        }

        /// Whatever the input, normalisation never panics, and an accepted
        /// path has only non-empty segments that are not dot segments and
        /// contain no `/`, `\` or control character.
        #[test]
        fn accepted_paths_are_canonical(target in "[/a.%2eEfF5cC089;\\\\ ?#]{0,24}") {
            if let Ok(p) = normalize(&target) {
                for i in 0..p.len() {
                    let s = p.segment(i).unwrap();
                    proptest::prop_assert!(!s.is_empty() && s != "." && s != "..");
                    proptest::prop_assert!(!s.contains('/') && !s.contains('\\'));
                    proptest::prop_assert!(!s.chars().any(|c| c.is_control()));
                }
            }
        }
    }
}
