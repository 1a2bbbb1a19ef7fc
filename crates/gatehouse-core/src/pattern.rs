//! `matches` patterns: regular expressions with one meaning in every build.
//!
//! The dialect is regex-lite's: Rust `regex` syntax, matching codepoint by
//! codepoint in time linear in the value, with ASCII-only Perl classes
//! (`\d` is `[0-9]`, `\w` is `[0-9A-Za-z_]`, `\s` is `[\t\n\v\f\r ]`) and
//! ASCII word boundaries, and no Unicode classes (`\p{..}`). Two things are
//! refused because no engine here can give them one meaning cheaply:
//! case-insensitive flags (`(?i)`; list both cases, `[kK]`) and verbose mode
//! (`(?x)`).
//!
//! Every pattern is compiled by regex-lite, which settles what is valid.
//! With the `fast-regex` feature (on by default; off in the WebAssembly
//! build, where size matters more) the pattern is also rewritten into the
//! `regex` crate's syntax with the ASCII classes spelt out, and matched by
//! that crate's much faster engines: same answers (a property test holds
//! the two engines to it), several times less time per field.

use std::fmt;

/// The most memory one compiled pattern may take (either engine).
const SIZE_LIMIT: usize = 1 << 20;

/// A compiled `matches` pattern with the text it came from.
#[derive(Clone, Debug)]
pub struct Pattern {
    pub text: String,
    matcher: Matcher,
}

#[derive(Clone, Debug)]
enum Matcher {
    /// `^[class]{m,n}$` and kin: a byte set and a length range, no engine.
    ClassRun(ClassRun),
    Lite(regex_lite::Regex),
    #[cfg(feature = "fast-regex")]
    Fast(regex::Regex),
}

/// Why a pattern is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PatternError {
    /// Not valid in the dialect (regex-lite's own message).
    Syntax(String),
    /// `(?i)`: ASCII and Unicode case folding would disagree.
    CaseInsensitive,
    /// `(?x)`: comments may hold anything, so the pattern cannot be read
    /// reliably for rewriting.
    Verbose,
    /// A negated Perl class inside brackets, `[\D]`: write the class out.
    NegatedClassInBrackets,
    /// `\b{start}` and kin, `\<`, `\>`: write `\b`.
    SpecialWordBoundary,
    /// A repetition right after a flag group, `a(?m)*`: the engines read it
    /// differently (found by the `patterns` fuzz target).
    RepeatedFlags,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PatternError::Syntax(message) => write!(f, "{message}"),
            PatternError::CaseInsensitive => {
                write!(f, "case-insensitive matching (`i` flag) is not supported")
            }
            PatternError::Verbose => write!(f, "verbose mode (`x` flag) is not supported"),
            PatternError::NegatedClassInBrackets => {
                write!(
                    f,
                    "a negated class (`\\D`, `\\W`, `\\S`) cannot stand inside `[...]`"
                )
            }
            PatternError::SpecialWordBoundary => {
                write!(f, "only `\\b` and `\\B` word boundaries are supported")
            }
            PatternError::RepeatedFlags => {
                write!(f, "a repetition operator follows a flag group such as `(?m)`, which has nothing to repeat")
            }
        }
    }
}

impl PatternError {
    /// What to write instead.
    pub fn hint(&self) -> &'static str {
        match self {
            PatternError::Syntax(_) => "patterns use Rust regex syntax without look-around or back-references (matching is linear-time); `\\d`, `\\w` and `\\s` are ASCII-only",
            PatternError::CaseInsensitive => "list both cases instead: `^[kK][bB]$`",
            PatternError::Verbose => "write the pattern on one line without the `x` flag",
            PatternError::NegatedClassInBrackets => "write the class out: `[^0-9]` for `[\\D]`",
            PatternError::SpecialWordBoundary => "use `\\b` (an ASCII word boundary)",
            PatternError::RepeatedFlags => "put the flags inside a group with the part they apply to: `(?m:a)*`",
        }
    }
}

impl Pattern {
    pub fn new(text: &str) -> Result<Pattern, PatternError> {
        let lite = regex_lite::RegexBuilder::new(text)
            .size_limit(SIZE_LIMIT)
            .build()
            .map_err(|error| PatternError::Syntax(error.to_string()))?;
        let ascii = ascii_dialect(text)?;
        let matcher = match ClassRun::parse(&ascii) {
            Some(run) => Matcher::ClassRun(run),
            None => fast(&ascii).unwrap_or(Matcher::Lite(lite)),
        };
        Ok(Pattern {
            text: text.to_string(),
            matcher,
        })
    }

    pub fn is_match(&self, value: &str) -> bool {
        match &self.matcher {
            Matcher::ClassRun(run) => run.is_match(value),
            Matcher::Lite(regex) => regex.is_match(value),
            #[cfg(feature = "fast-regex")]
            Matcher::Fast(regex) => regex.is_match(value),
        }
    }
}

/// The `regex` crate's engine for the rewritten pattern. (It accepts every
/// pattern regex-lite does; should one ever fail, regex-lite answers.)
#[cfg(feature = "fast-regex")]
fn fast(ascii: &str) -> Option<Matcher> {
    regex::RegexBuilder::new(ascii)
        .size_limit(SIZE_LIMIT)
        .build()
        .ok()
        .map(Matcher::Fast)
}

#[cfg(not(feature = "fast-regex"))]
fn fast(_ascii: &str) -> Option<Matcher> {
    None
}

/// The commonest validation pattern, `^[a-z0-9-]+$` or `^\d{5}$`: one
/// ASCII class repeated between two bounds over the whole value. Matched by
/// a 128-bit set and a length check, a byte at a time: no engine, no
/// allocation. Anything else (negation, set operations, POSIX classes,
/// non-ASCII members, more than one atom) is left to the engines; a
/// property test holds this to regex-lite's answers.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ClassRun {
    /// Bit `b` set when ASCII byte `b` is in the class.
    members: u128,
    min: usize,
    max: usize,
}

impl ClassRun {
    /// The run a pattern in the ASCII dialect (see [`ascii_dialect`])
    /// spells, if it is one.
    fn parse(ascii: &str) -> Option<ClassRun> {
        let body = ascii.strip_prefix("^[")?.strip_suffix('$')?;
        let close = class_end(body)?;
        let (class, quantifier) = (body.get(..close)?, body.get(close + 1..)?);
        let members = class_members(class)?;
        let (min, max) = match quantifier {
            "" => (1, 1),
            "+" => (1, usize::MAX),
            "*" => (0, usize::MAX),
            "?" => (0, 1),
            braces => {
                let inner = braces.strip_prefix('{')?.strip_suffix('}')?;
                match inner.split_once(',') {
                    None => {
                        let n = inner.parse().ok()?;
                        (n, n)
                    }
                    Some((m, "")) => (m.parse().ok()?, usize::MAX),
                    Some((m, n)) => (m.parse().ok()?, n.parse().ok()?),
                }
            }
        };
        (min <= max).then_some(ClassRun { members, min, max })
    }

    fn is_match(&self, value: &str) -> bool {
        let len = value.len();
        len >= self.min
            && len <= self.max
            && value
                .bytes()
                .all(|b| b < 128 && self.members & (1u128 << b) != 0)
    }
}

/// Where the class that `body` starts inside of (just after its `[`)
/// ends: the first `]` that is not escaped and not the class's first
/// character.
fn class_end(body: &str) -> Option<usize> {
    let bytes = body.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\\' => i += 2,
            b']' if i > 0 => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// The set a bracket class's inside spells, when it is plain: ASCII
/// characters, escapes of punctuation and of `\t \n \r \x0B \x0C`, and
/// ranges between two of them. `None` for anything else.
fn class_members(class: &str) -> Option<u128> {
    if class.starts_with('^')
        || class.contains('[')
        || class.contains("&&")
        || class.contains("--")
        || class.contains("~~")
    {
        return None;
    }
    // The class as ASCII code points, escapes resolved.
    let mut items: Vec<u8> = Vec::with_capacity(class.len());
    let mut escaped_at: Vec<bool> = Vec::with_capacity(class.len());
    let mut chars = class.chars();
    while let Some(c) = chars.next() {
        let (byte, escaped) = match c {
            '\\' => {
                let byte = match chars.next()? {
                    't' => b'\t',
                    'n' => b'\n',
                    'r' => b'\r',
                    'x' => {
                        let hex: String = chars.by_ref().take(2).collect();
                        match hex.as_str() {
                            "0B" => 0x0b,
                            "0C" => 0x0c,
                            _ => return None,
                        }
                    }
                    p if p.is_ascii_punctuation() => u8::try_from(p).ok()?,
                    _ => return None,
                };
                (byte, true)
            }
            c if c.is_ascii() && !c.is_ascii_control() => (u8::try_from(c).ok()?, false),
            _ => return None,
        };
        items.push(byte);
        escaped_at.push(escaped);
    }
    let mut members = 0u128;
    let mut i = 0;
    while let Some(&start) = items.get(i) {
        let dash = items.get(i + 1) == Some(&b'-') && escaped_at.get(i + 1) == Some(&false);
        match (dash, items.get(i + 2)) {
            // `a-z`: a range (a `-` first or last is itself).
            (true, Some(&end)) => {
                if end < start {
                    return None;
                }
                for b in start..=end {
                    members |= 1u128 << b;
                }
                i += 3;
            }
            _ => {
                members |= 1u128 << start;
                i += 1;
            }
        }
    }
    Some(members)
}

/// Rewrites a pattern regex-lite accepted so that the `regex` crate reads it
/// the same way: Perl classes become their ASCII classes and word
/// boundaries ASCII ones; everything else is copied as it is. Refuses what
/// cannot be made to agree (see [`PatternError`]). Public for the fuzz
/// target that holds the two engines to the same answers.
pub fn ascii_dialect(pattern: &str) -> Result<String, PatternError> {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars().peekable();
    // Nesting of `[...]`; `]` right after `[` or `[^` is a literal.
    let mut class_depth = 0usize;
    let mut class_start = false;
    while let Some(c) = chars.next() {
        let at_class_start = std::mem::take(&mut class_start);
        match c {
            '\\' => {
                let Some(escaped) = chars.next() else {
                    out.push('\\');
                    continue;
                };
                let inside = class_depth > 0;
                match (escaped, perl_class(escaped)) {
                    (_, Some((ranges, false))) if inside => out.push_str(ranges),
                    (_, Some(_)) if inside => return Err(PatternError::NegatedClassInBrackets),
                    (_, Some((ranges, negated))) => {
                        out.push_str(if negated { "[^" } else { "[" });
                        out.push_str(ranges);
                        out.push(']');
                    }
                    // `\b{start}` and kin; `\b{2}` is a repetition.
                    ('b' | 'B', None)
                        if chars.peek() == Some(&'{')
                            && !chars.clone().nth(1).is_some_and(|d| d.is_ascii_digit()) =>
                    {
                        return Err(PatternError::SpecialWordBoundary)
                    }
                    ('b' | 'B', None) if !inside => {
                        out.push_str("(?-u:\\");
                        out.push(escaped);
                        out.push(')');
                    }
                    ('<' | '>', None) => return Err(PatternError::SpecialWordBoundary),
                    (other, None) => {
                        out.push('\\');
                        out.push(other);
                    }
                }
            }
            '[' => {
                out.push('[');
                if class_depth > 0 && chars.peek() == Some(&':') {
                    // `[:alpha:]` (ASCII in both engines): copy to its `:]`.
                    while let Some(inner) = chars.next() {
                        out.push(inner);
                        if inner == ':' && chars.peek() == Some(&']') {
                            out.push(']');
                            chars.next();
                            break;
                        }
                    }
                    continue;
                }
                class_depth += 1;
                class_start = true;
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
            }
            ']' if class_depth > 0 && !at_class_start => {
                class_depth -= 1;
                out.push(']');
            }
            '(' if class_depth == 0 && chars.peek() == Some(&'?') => {
                out.push('(');
                out.push('?');
                chars.next();
                // Flags run up to `)` or `:`; `(?P<name>`, `(?<name>` and
                // `(?:` are groups, not flags.
                let flags: String = chars
                    .clone()
                    .take_while(|f| !matches!(f, ')' | ':' | '<' | 'P'))
                    .collect();
                if flags.contains('i') {
                    return Err(PatternError::CaseInsensitive);
                }
                if flags.contains('x') {
                    return Err(PatternError::Verbose);
                }
                // `a(?m)*`: regex-lite repeats the `a` before the flags,
                // the regex crate refuses; a reader cannot tell either way.
                let mut after = chars.clone().skip(flags.chars().count());
                if after.next() == Some(')') && matches!(after.next(), Some('*' | '+' | '?' | '{'))
                {
                    return Err(PatternError::RepeatedFlags);
                }
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

/// A Perl class's ASCII ranges (as they go inside brackets) and whether it
/// is negated.
fn perl_class(letter: char) -> Option<(&'static str, bool)> {
    match letter {
        'd' => Some(("0-9", false)),
        'D' => Some(("0-9", true)),
        'w' => Some(("0-9A-Za-z_", false)),
        'W' => Some(("0-9A-Za-z_", true)),
        's' => Some(("\\t\\n\\x0B\\x0C\\r ", false)),
        'S' => Some(("\\t\\n\\x0B\\x0C\\r ", true)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_perl_classes_and_boundaries_to_ascii() {
        let cases = [
            (r"^\d{5}$", r"^[0-9]{5}$"),
            (
                r"\D\w\W\s\S",
                r"[^0-9][0-9A-Za-z_][^0-9A-Za-z_][\t\n\x0B\x0C\r ][^\t\n\x0B\x0C\r ]",
            ),
            (r"[\d.-]", r"[0-9.-]"),
            (r"[]\d]", r"[]0-9]"),
            (r"[^]\w]", r"[^]0-9A-Za-z_]"),
            (r"[[:alpha:]\d]", r"[[:alpha:]0-9]"),
            (r"\bx\B", r"(?-u:\b)x(?-u:\B)"),
            (r"\\d", r"\\d"),
            (
                r"(?P<year>\d{4})-(?<m>\d\d)(?:x)(?s:.)",
                r"(?P<year>[0-9]{4})-(?<m>[0-9][0-9])(?:x)(?s:.)",
            ),
            (r"\x{41}\u{e9}\.", r"\x{41}\u{e9}\."),
        ];
        for (pattern, expected) in cases {
            assert_eq!(ascii_dialect(pattern).as_deref(), Ok(expected), "{pattern}");
        }
    }

    #[test]
    fn refuses_what_cannot_agree() {
        assert_eq!(
            Pattern::new("(?i)abc").unwrap_err(),
            PatternError::CaseInsensitive
        );
        assert_eq!(
            Pattern::new("a(?i:b)").unwrap_err(),
            PatternError::CaseInsensitive
        );
        assert_eq!(Pattern::new("(?x) a b").unwrap_err(), PatternError::Verbose);
        // Found by the `patterns` fuzz target: regex-lite repeats the `a`,
        // the regex crate refuses.
        for text in ["a(?m)*", "a(?s)+", "a(?U)?", "a(?m){2}", "]??(?m)*?"] {
            assert_eq!(
                Pattern::new(text).unwrap_err(),
                PatternError::RepeatedFlags,
                "{text}"
            );
        }
        assert!(
            Pattern::new("(?m:a)*").is_ok()
                && Pattern::new("(?m)a*").is_ok()
                && Pattern::new(r"(?m)\*").is_ok()
        );
        assert_eq!(
            Pattern::new(r"[\D]").unwrap_err(),
            PatternError::NegatedClassInBrackets
        );
        assert_eq!(
            Pattern::new(r"\b{start}x").unwrap_err(),
            PatternError::SpecialWordBoundary
        );
        assert!(matches!(
            Pattern::new(r"\p{L}").unwrap_err(),
            PatternError::Syntax(_)
        ));
        assert!(matches!(
            Pattern::new("[a-").unwrap_err(),
            PatternError::Syntax(_)
        ));
        // Named groups whose names hold `i` or `x` are not flags.
        assert!(Pattern::new(r"(?P<xi>a)(?<ix>b)").is_ok());
    }

    #[test]
    fn ascii_meaning_in_every_build() {
        let pin = Pattern::new(r"^\d{4}$").unwrap();
        assert!(pin.is_match("1234") && !pin.is_match("١٢٣٤"));
        let word = Pattern::new(r"^\w+$").unwrap();
        assert!(word.is_match("a_1") && !word.is_match("é"));
        let space = Pattern::new(r"^a\sb$").unwrap();
        assert!(space.is_match("a b") && !space.is_match("a\u{a0}b"));
        // `é` is not an ASCII word character: there is a boundary between
        // `a` and `é`, and none before a leading `é`.
        let boundary = Pattern::new(r"\bé").unwrap();
        assert!(boundary.is_match("aé") && !boundary.is_match("é"));
    }

    /// With `fast-regex`, every valid pattern that is not a class run gets
    /// the fast engine (a silent fallback to regex-lite would only show as
    /// a slower benchmark); class runs get their own matcher in every
    /// build.
    #[cfg(feature = "fast-regex")]
    #[test]
    fn the_fast_engine_takes_every_valid_pattern() {
        for text in [
            r"^[a-z0-9-]+[.]$",
            r"\d{5}",
            r"\bx\B",
            r"[[:alpha:]\s]+",
            r"(?s:.)(?m:^$)(?U:a+)",
            "é|\\x{e9}",
        ] {
            let pattern = Pattern::new(text).unwrap();
            assert!(matches!(pattern.matcher, Matcher::Fast(_)), "{text}");
        }
        for text in [r"^[a-z0-9-]+$", r"^\d{5}$"] {
            let pattern = Pattern::new(text).unwrap();
            assert!(matches!(pattern.matcher, Matcher::ClassRun(_)), "{text}");
        }
    }

    #[test]
    fn class_runs_are_recognised_and_nothing_else() {
        let run = |text: &str| ClassRun::parse(&ascii_dialect(text).unwrap());
        for text in [
            r"^[a-z0-9-]+$",
            r"^\d{5}$",
            r"^[A-Z]{2,3}$",
            r"^[a-z]*$",
            r"^[\w.-]{1,64}$",
            r"^[]a]$",
            r"^[-a]?$",
            r"^[\s]{3,}$",
            r"^[\^\]]+$",
        ] {
            assert!(run(text).is_some(), "{text}");
        }
        for text in [
            r"^[^a-z]+$",
            r"^[a-z]+",
            r"[a-z]+$",
            r"^[a-z]+?$",
            r"^[[:alpha:]]+$",
            r"^[a-z&&[^x]]+$",
            r"^[a-z]+[0-9]$",
            r"^[é]+$",
            r"^[z-a]$",
            r"^[a-z]{3,1}$",
            r"^(?m)[a-z]+$",
        ] {
            assert!(run(text).is_none(), "{text}");
        }
    }

    mod class_runs_agree_with_regex_lite {
        use proptest::prelude::*;

        use super::super::Pattern;

        fn item() -> impl Strategy<Value = String> {
            prop::sample::select(vec![
                "a", "z", "0", "9", "-", "_", ".", "a-c", "x-z", "0-4", "A-F", "\\-", "\\.", "\\d",
                "\\w", "\\s", "]", "^", "/", " ", "\\t", "+",
            ])
            .prop_map(str::to_string)
        }

        fn pattern() -> impl Strategy<Value = String> {
            (
                prop::collection::vec(item(), 1..5),
                prop::sample::select(vec!["", "+", "*", "?", "{3}", "{2,}", "{1,4}", "{0,2}"]),
            )
                .prop_map(|(items, quantifier)| format!("^[{}]{quantifier}$", items.concat()))
        }

        fn value() -> impl Strategy<Value = String> {
            prop::collection::vec(
                prop::sample::select(vec![
                    "a", "b", "z", "0", "5", "9", "-", "_", ".", "A", "F", "G", "]", "^", " ",
                    "\t", "\n", "é", "+", "/", "\\",
                ]),
                0..7,
            )
            .prop_map(|parts| parts.concat())
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

            /// Wherever the class run answers, regex-lite answers the same.
            #[test]
            fn same_answers(text in pattern(), values in prop::collection::vec(value(), 1..8)) {
                let Ok(lite) = regex_lite::Regex::new(&text) else { return Ok(()) };
                let Ok(pattern) = Pattern::new(&text) else { return Ok(()) };
                for value in &values {
                    prop_assert_eq!(pattern.is_match(value), lite.is_match(value), "{} on {:?}", text, value);
                }
            }
        }
    }

    #[cfg(feature = "fast-regex")]
    mod engines_agree {
        use proptest::prelude::*;

        use super::super::ascii_dialect;

        fn atom() -> impl Strategy<Value = String> {
            prop::sample::select(vec![
                "a",
                "b",
                "é",
                "K",
                "_",
                "1",
                "\\.",
                ".",
                "\\d",
                "\\D",
                "\\w",
                "\\W",
                "\\s",
                "\\S",
                "\\b",
                "\\B",
                "[a-c]",
                "[^a]",
                "[\\d.]",
                "[\\w-]",
                "[\\s]",
                "[]a]",
                "[^]a]",
                "[[:alpha:]]",
                "[[:^digit:]\\s]",
                "[a[bc]]",
                "\\x{e9}",
                "\\u{212A}",
                "^",
                "$",
                "(?s:.)",
                "(?m:^)",
            ])
            .prop_map(str::to_string)
        }

        fn pattern() -> impl Strategy<Value = String> {
            let piece = (
                atom(),
                prop::sample::select(vec!["", "", "*", "+", "?", "{1,2}", "{2}", "*?"]),
            )
                .prop_map(|(a, q)| format!("{a}{q}"));
            prop::collection::vec(prop_oneof![4 => piece, 1 => Just("|".to_string()), 1 => Just("(".to_string()), 1 => Just(")".to_string())], 1..8)
                .prop_map(|parts| parts.concat())
        }

        fn value() -> impl Strategy<Value = String> {
            prop::collection::vec(
                prop::sample::select(vec![
                    "a", "b", "c", "é", "K", "\u{212A}", "k", "_", "1", "٣", " ", "\u{a0}", "\t",
                    "\n", ".", "-", "x",
                ]),
                0..10,
            )
            .prop_map(|parts| parts.concat())
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

            /// Wherever regex-lite accepts a pattern, the rewritten pattern
            /// compiles in the regex crate and gives the same answer on
            /// every value, Unicode digits, spaces and letters included.
            #[test]
            fn regex_and_regex_lite_agree(text in pattern(), values in prop::collection::vec(value(), 1..8)) {
                let Ok(lite) = regex_lite::Regex::new(&text) else { return Ok(()) };
                let ascii = ascii_dialect(&text);
                prop_assert!(ascii.is_ok(), "{:?} refused: {:?}", text, ascii);
                let ascii = ascii.unwrap();
                let fast = regex::Regex::new(&ascii);
                prop_assert!(fast.is_ok(), "{:?} rewritten as {:?}: {:?}", text, ascii, fast.err());
                let fast = fast.unwrap();
                for value in &values {
                    prop_assert_eq!(fast.is_match(value), lite.is_match(value), "{:?} ({:?}) on {:?}", text, ascii, value);
                }
            }
        }
    }
}
