//! Glob patterns: `like` in conditions and `mtls(subject: ...)` patterns.
//!
//! A pattern is parsed once, by the checker, into a list of alternatives
//! (`{a,b}` is expanded, at most [`MAX_ALTERNATIVES`] of them), each a list
//! of tokens. Matching walks the candidate once per alternative with the
//! classic "back up to the last `*`" algorithm: time at most proportional
//! to the pattern's length times the candidate's, no recursion and no
//! allocation, so a hostile subject or header value costs bounded time.
//!
//! The syntax:
//!
//! | pattern | matches |
//! |---|---|
//! | `*` | any run of characters, empty included (`**` is the same) |
//! | `?` | one character |
//! | `[abc]`, `[a-z]` | one character of the class; `]` first and `-` first or last are literal |
//! | `[!abc]`, `[^abc]` | one character not in the class |
//! | `{a,b}` | either alternative (not nested) |
//! | `\c` | the character `c` itself |
//!
//! A [`GlobKind::Host`] pattern reads a host name the way TLS wildcards do:
//! the candidate must be a well-formed host name (non-empty labels of ASCII
//! letters, digits, `-` and `_`), labels are compared without regard to case,
//! and `*` and `?` stay within one label, so `*.ops.example.com` matches
//! `a.ops.example.com` but not `a.b.ops.example.com` or `.ops.example.com`.
//! `**` has no meaning there and is an error.

use std::fmt;

/// The most alternatives one pattern may expand to (`{a,b}{c,d}` is four).
pub const MAX_ALTERNATIVES: usize = 64;

/// How a glob reads its subject.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GlobKind {
    /// Text (`like` in conditions): `*` matches any run of characters.
    Text,
    /// A host name (mTLS subjects), as TLS wildcards read it: labels
    /// compared without regard to case, and `*` stays within one label, so
    /// `*.ops.example.com` matches `a.ops.example.com` but not
    /// `a.b.ops.example.com`, `.ops.example.com` or `evil.com/x.ops.example.com`.
    Host,
}

/// A compiled glob pattern with the text it came from.
#[derive(Clone, Debug)]
pub struct Glob {
    pub text: String,
    pub kind: GlobKind,
    alternatives: Box<[Alternative]>,
}

/// One alternative of a pattern (`{a,b}` expanded): a list of labels (one
/// label for a text pattern), each a list of tokens.
type Alternative = Box<[Label]>;
type Label = Box<[Token]>;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Literal(char),
    /// `?`
    One,
    /// `*`
    Star,
    Class {
        negated: bool,
        ranges: Box<[(char, char)]>,
    },
}

/// Why a pattern does not compile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GlobError {
    UnclosedClass,
    InvalidRange(char, char),
    UnclosedAlternatives,
    UnopenedAlternatives,
    NestedAlternatives,
    DanglingEscape,
    TooManyAlternatives,
    /// `**` in a host pattern.
    DoubleStarInHost,
}

impl fmt::Display for GlobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GlobError::UnclosedClass => write!(f, "unclosed character class; missing `]`"),
            GlobError::InvalidRange(start, end) => {
                write!(f, "invalid character range `{start}-{end}`")
            }
            GlobError::UnclosedAlternatives => write!(f, "unclosed alternatives; missing `}}`"),
            GlobError::UnopenedAlternatives => write!(f, "`}}` without `{{` (escape it as `\\}}`)"),
            GlobError::NestedAlternatives => write!(f, "alternatives cannot be nested"),
            GlobError::DanglingEscape => write!(f, "`\\` at the end escapes nothing"),
            GlobError::TooManyAlternatives => {
                write!(f, "more than {MAX_ALTERNATIVES} alternatives")
            }
            GlobError::DoubleStarInHost => write!(f, "`**` is not a host-name wildcard"),
        }
    }
}

impl Glob {
    /// Compiles `pattern`.
    pub fn new(pattern: &str, kind: GlobKind) -> Result<Glob, GlobError> {
        let parts = parse(pattern)?;
        let mut expanded: Vec<Vec<Token>> = vec![Vec::new()];
        for part in parts {
            match part {
                Part::Token(token) => expanded
                    .iter_mut()
                    .for_each(|alternative| alternative.push(token.clone())),
                Part::Alternatives(choices) => {
                    if expanded.len().saturating_mul(choices.len()) > MAX_ALTERNATIVES {
                        return Err(GlobError::TooManyAlternatives);
                    }
                    expanded = expanded
                        .iter()
                        .flat_map(|prefix| {
                            choices
                                .iter()
                                .map(move |choice| [prefix.as_slice(), choice].concat())
                        })
                        .collect();
                }
            }
        }
        let alternatives = expanded
            .into_iter()
            .map(|tokens| match kind {
                GlobKind::Text => Ok(Box::from([collapse_stars(tokens).into_boxed_slice()])),
                GlobKind::Host => host_labels(tokens),
            })
            .collect::<Result<_, _>>()?;
        Ok(Glob {
            text: pattern.to_string(),
            kind,
            alternatives,
        })
    }

    pub fn is_match(&self, candidate: &str) -> bool {
        match self.kind {
            GlobKind::Text => self.alternatives.iter().any(|labels| match &**labels {
                [tokens] => matches(tokens, candidate, false),
                _ => false,
            }),
            GlobKind::Host => {
                if !is_host_name(candidate) {
                    return false;
                }
                let label_count = candidate.split('.').count();
                self.alternatives.iter().any(|labels| {
                    label_count == labels.len()
                        && candidate
                            .split('.')
                            .zip(labels.iter())
                            .all(|(label, tokens)| matches(tokens, label, true))
                })
            }
        }
    }
}

/// Non-empty labels of ASCII letters, digits, `-` and `_`: anything else (a
/// distinguished name, a URL, an empty label) never matches a host pattern.
fn is_host_name(candidate: &str) -> bool {
    !candidate.is_empty()
        && candidate.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// A run of `*` means what one does.
fn collapse_stars(tokens: Vec<Token>) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    for token in tokens {
        if !(token == Token::Star && out.last() == Some(&Token::Star)) {
            out.push(token);
        }
    }
    out
}

/// Splits a host pattern at its dots into labels.
fn host_labels(tokens: Vec<Token>) -> Result<Alternative, GlobError> {
    let mut labels = vec![Vec::new()];
    for token in tokens {
        match token {
            Token::Literal('.') => labels.push(Vec::new()),
            Token::Star if labels.last().and_then(|label| label.last()) == Some(&Token::Star) => {
                return Err(GlobError::DoubleStarInHost)
            }
            token => {
                if let Some(label) = labels.last_mut() {
                    label.push(token);
                }
            }
        }
    }
    Ok(labels.into_iter().map(Vec::into_boxed_slice).collect())
}

enum Part {
    Token(Token),
    Alternatives(Vec<Vec<Token>>),
}

fn parse(pattern: &str) -> Result<Vec<Part>, GlobError> {
    let mut chars = pattern.chars();
    let mut parts = Vec::new();
    // The alternatives of the open `{`, the last one being filled.
    let mut group: Option<Vec<Vec<Token>>> = None;
    while let Some(c) = chars.next() {
        let token = match c {
            '*' => Token::Star,
            '?' => Token::One,
            '[' => class(&mut chars)?,
            '\\' => Token::Literal(chars.next().ok_or(GlobError::DanglingEscape)?),
            '{' if group.is_some() => return Err(GlobError::NestedAlternatives),
            '{' => {
                group = Some(vec![Vec::new()]);
                continue;
            }
            '}' => {
                parts.push(Part::Alternatives(
                    group.take().ok_or(GlobError::UnopenedAlternatives)?,
                ));
                continue;
            }
            ',' if group.is_some() => {
                if let Some(alternatives) = group.as_mut() {
                    alternatives.push(Vec::new());
                }
                continue;
            }
            c => Token::Literal(c),
        };
        match group
            .as_mut()
            .and_then(|alternatives| alternatives.last_mut())
        {
            Some(alternative) => alternative.push(token),
            None => parts.push(Part::Token(token)),
        }
    }
    if group.is_some() {
        return Err(GlobError::UnclosedAlternatives);
    }
    Ok(parts)
}

/// A character class, after its `[`.
fn class(chars: &mut std::str::Chars<'_>) -> Result<Token, GlobError> {
    let mut negated = false;
    let mut ranges: Vec<(char, char)> = Vec::new();
    let mut first = true;
    // A `-` after a character: the next one ends a range.
    let mut in_range = false;
    loop {
        let c = chars.next().ok_or(GlobError::UnclosedClass)?;
        let literal = match c {
            '!' | '^' if first && !negated => {
                negated = true;
                continue;
            }
            ']' if !first => break,
            '-' if !first && !in_range => {
                in_range = true;
                continue;
            }
            '\\' => chars.next().ok_or(GlobError::UnclosedClass)?,
            c => c,
        };
        first = false;
        match (in_range, ranges.last_mut()) {
            (true, Some(range)) => {
                if literal < range.0 {
                    return Err(GlobError::InvalidRange(range.0, literal));
                }
                range.1 = literal;
                in_range = false;
            }
            _ => ranges.push((literal, literal)),
        }
    }
    if in_range {
        // A trailing `-` is literal.
        ranges.push(('-', '-'));
    }
    Ok(Token::Class {
        negated,
        ranges: ranges.into_boxed_slice(),
    })
}

impl Token {
    fn matches_char(&self, c: char, fold_case: bool) -> bool {
        match self {
            Token::Literal(l) => *l == c || (fold_case && l.eq_ignore_ascii_case(&c)),
            Token::One | Token::Star => true,
            Token::Class { negated, ranges } => {
                let within = |c: char| ranges.iter().any(|&(start, end)| start <= c && c <= end);
                let found = within(c)
                    || (fold_case
                        && (within(c.to_ascii_lowercase()) || within(c.to_ascii_uppercase())));
                found != *negated
            }
        }
    }
}

/// Whether `tokens` match all of `text`. On a mismatch, the last `*` takes
/// one more character and matching resumes after it; an earlier `*` never
/// needs to take more, since the later one can absorb whatever it would.
fn matches(tokens: &[Token], text: &str, fold_case: bool) -> bool {
    let mut token = 0;
    let mut at = 0;
    // The token after the last `*`, and where its run currently ends.
    let mut resume: Option<(usize, usize)> = None;
    loop {
        let next = text.get(at..).and_then(|rest| rest.chars().next());
        match (tokens.get(token), next) {
            (Some(Token::Star), _) => {
                token += 1;
                resume = Some((token, at));
                continue;
            }
            (Some(t), Some(c)) if t.matches_char(c, fold_case) => {
                token += 1;
                at += c.len_utf8();
                continue;
            }
            (None, None) => return true,
            _ => {}
        }
        // Mismatch: let the last `*` take one more character.
        let Some((after_star, star_end)) = resume else {
            return false;
        };
        let Some(c) = text.get(star_end..).and_then(|rest| rest.chars().next()) else {
            return false;
        };
        let star_end = star_end + c.len_utf8();
        resume = Some((after_star, star_end));
        token = after_star;
        at = star_end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(pattern: &str) -> Glob {
        Glob::new(pattern, GlobKind::Text).unwrap()
    }

    fn host(pattern: &str) -> Glob {
        Glob::new(pattern, GlobKind::Host).unwrap()
    }

    #[test]
    fn text_globs() {
        assert!(text("bot-*").is_match("bot-"));
        assert!(text("bot-*").is_match("bot-a/b.c"));
        assert!(!text("bot-*").is_match("xbot-1"));
        assert!(text("*repo:*").is_match("q=repo:x"));
        assert!(
            text("a?c").is_match("abc")
                && text("a?c").is_match("aéc")
                && !text("a?c").is_match("ac")
        );
        assert!(text("[a-c]x").is_match("bx") && !text("[a-c]x").is_match("dx"));
        assert!(text("[!a-c]x").is_match("dx") && !text("[^a-c]x").is_match("ax"));
        assert!(
            text("[]]").is_match("]") && text("[-a]").is_match("-") && text("[a-]").is_match("-")
        );
        assert!(text("{OPS,SEC}-*").is_match("SEC-12") && !text("{OPS,SEC}-*").is_match("DEV-1"));
        assert!(text("x{,y}").is_match("x") && text("x{,y}").is_match("xy"));
        assert!(text("\\*").is_match("*") && !text("\\*").is_match("a"));
        assert!(text("a**b").is_match("a/x/b"));
        assert!(text("*a*a*a*a*a*b").is_match("aaaaaaaaab"));
        assert!(!text("*a*a*a*a*a*b").is_match(&"a".repeat(10_000)));
        assert!(text("").is_match("") && !text("").is_match("a"));
        assert!(!text("abc").is_match("ABC"));
    }

    #[test]
    fn host_globs_read_like_tls_wildcards() {
        let g = host("*.ops.example.com");
        assert!(g.is_match("a.ops.example.com"));
        assert!(g.is_match("A.OPS.Example.COM"));
        assert!(!g.is_match("a.b.ops.example.com"));
        assert!(!g.is_match(".ops.example.com"));
        assert!(!g.is_match("ops.example.com"));
        assert!(!g.is_match("evil.com/x.ops.example.com"));
        assert!(!g.is_match("CN=a.ops.example.com"));
        assert!(!g.is_match("a.ops.example.com."));
        assert!(host("api-*.example.com").is_match("api-eu.example.com"));
        assert!(host("{a,b}.example.com").is_match("B.example.com"));
        assert!(host("[a-c]?.example.com").is_match("Cx.example.com"));
    }

    #[test]
    fn errors() {
        let err = |p: &str, kind| Glob::new(p, kind).unwrap_err();
        assert_eq!(err("[a-z*", GlobKind::Text), GlobError::UnclosedClass);
        assert_eq!(
            err("[z-a]", GlobKind::Text),
            GlobError::InvalidRange('z', 'a')
        );
        assert_eq!(err("{a,b", GlobKind::Text), GlobError::UnclosedAlternatives);
        assert_eq!(err("a}", GlobKind::Text), GlobError::UnopenedAlternatives);
        assert_eq!(
            err("{a,{b}}", GlobKind::Text),
            GlobError::NestedAlternatives
        );
        assert_eq!(err("a\\", GlobKind::Text), GlobError::DanglingEscape);
        assert_eq!(
            err("{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}", GlobKind::Text),
            GlobError::TooManyAlternatives
        );
        assert_eq!(
            err("**.example.com", GlobKind::Host),
            GlobError::DoubleStarInHost
        );
        assert!(Glob::new("{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}", GlobKind::Text).is_ok());
    }
}
