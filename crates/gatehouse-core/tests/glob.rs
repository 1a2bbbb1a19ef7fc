//! The glob matcher against `globset`, the reference it replaced, on
//! generated patterns and candidates over a small alphabet (so that
//! matches are common), in both readings:
//!
//! - text (`like`): globset with `*` crossing `/`;
//! - host (mTLS subjects): globset over the name with dots turned into
//!   slashes and `*` kept within a segment, which is how the library read
//!   host patterns before.
//!
//! Patterns avoid the few spots where the two are meant to differ: `**`
//! (globset gives it path meaning; here it is `*` in text and an error in
//! host patterns, also when alternatives make one) and `\` inside a
//! class. globset's `?` and negated classes match a byte of a multi-byte
//! character (here they match the character), so non-ASCII candidates are
//! compared only with patterns that use neither.

#![allow(clippy::unwrap_used)]

use gatehouse_core::glob::{Glob, GlobError, GlobKind, MAX_ALTERNATIVES};
use proptest::prelude::*;

fn atom() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec!["a", "b", "B", ".", "/", "-", "é"]).prop_map(str::to_string),
        2 => Just("*".to_string()),
        2 => Just("?".to_string()),
        1 => prop::sample::select(vec!["[ab]", "[a-c]", "[!a]", "[^b.]", "[]a]", "[a-]", "[é-ê]"]).prop_map(str::to_string),
        1 => prop::sample::select(vec!["\\*", "\\?", "\\[", "\\a"]).prop_map(str::to_string),
    ]
}

fn alternatives() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::collection::vec(atom(), 1..3).prop_map(|a| a.concat()),
        1..4,
    )
    .prop_map(|choices| format!("{{{}}}", choices.join(",")))
}

fn pattern() -> impl Strategy<Value = String> {
    prop::collection::vec(prop_oneof![6 => atom(), 1 => alternatives()], 0..7)
        .prop_map(|parts| parts.concat())
        .prop_filter("no `**`", |p| !p.replace("\\*", "").contains("**"))
}

fn candidate() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec!["a", "b", "B", "c", ".", "/", "-", "*", "é"]),
        0..9,
    )
    .prop_map(|parts| parts.concat())
}

fn reference(pattern: &str, host: bool) -> Option<globset::GlobMatcher> {
    let text = if host {
        pattern.replace('.', "/")
    } else {
        pattern.to_string()
    };
    globset::GlobBuilder::new(&text)
        .literal_separator(host)
        .case_insensitive(host)
        .backslash_escape(true)
        .build()
        .ok()
        .map(|glob| glob.compile_matcher())
}

/// Whether globset's answer is the one to expect (see the module doc).
fn comparable(pattern: &str, candidate: &str) -> bool {
    candidate.is_ascii() || !pattern.contains(['?', '[', '{'])
}

/// How many alternatives `pattern` expands to. Generated patterns have
/// braces and commas only in their alternative groups, so counting them is
/// enough.
fn expansions(pattern: &str) -> usize {
    pattern
        .split('{')
        .skip(1)
        .map(|group| group.split('}').next().unwrap_or("").matches(',').count() + 1)
        .fold(1usize, usize::saturating_mul)
}

/// Past the expansion limit the library refuses what globset accepts; it
/// must say why.
fn over_the_limit(pattern: &str, ours: &Result<Glob, GlobError>, theirs_compiles: bool) -> bool {
    if expansions(pattern) <= MAX_ALTERNATIVES {
        return false;
    }
    assert!(
        ours.is_err(),
        "{pattern:?} expands past the limit yet compiled"
    );
    if theirs_compiles {
        assert_eq!(
            ours.as_ref().err(),
            Some(&GlobError::TooManyAlternatives),
            "{pattern:?}"
        );
    }
    true
}

fn host_name(candidate: &str) -> bool {
    !candidate.is_empty()
        && candidate.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]

    #[test]
    fn text_globs_agree_with_globset(pattern in pattern(), candidates in prop::collection::vec(candidate(), 1..8)) {
        let ours = Glob::new(&pattern, GlobKind::Text);
        let theirs = reference(&pattern, false);
        if over_the_limit(&pattern, &ours, theirs.is_some()) {
            return Ok(());
        }
        prop_assert_eq!(ours.is_ok(), theirs.is_some(), "compiles: {:?}", pattern);
        if let (Ok(ours), Some(theirs)) = (ours, theirs) {
            for candidate in candidates.iter().filter(|c| comparable(&pattern, c)) {
                prop_assert_eq!(ours.is_match(candidate), theirs.is_match(candidate), "{:?} against {:?}", pattern, candidate);
            }
        }
    }

    #[test]
    fn host_globs_agree_with_globset_over_labels(pattern in pattern(), candidates in prop::collection::vec(candidate(), 1..8)) {
        // A `/` in a subject pattern is refused by the checker before it gets here.
        let pattern = pattern.replace('/', "-");
        let ours = Glob::new(&pattern, GlobKind::Host);
        if ours.as_ref().err() == Some(&GlobError::DoubleStarInHost) {
            return Ok(());
        }
        let theirs = reference(&pattern, true);
        if over_the_limit(&pattern, &ours, theirs.is_some()) {
            return Ok(());
        }
        prop_assert_eq!(ours.is_ok(), theirs.is_some(), "compiles: {:?}", pattern);
        if let (Ok(ours), Some(theirs)) = (ours, theirs) {
            for candidate in candidates.iter().filter(|c| comparable(&pattern, c)) {
                let expected = host_name(candidate) && theirs.is_match(candidate.replace('.', "/"));
                prop_assert_eq!(ours.is_match(candidate), expected, "{:?} against {:?}", pattern, candidate);
            }
        }
    }

    /// A hostile candidate costs time proportional to its length: a pattern
    /// of many stars against a long near-miss finishes (and does not match).
    #[test]
    fn near_misses_are_linear(stars in 1usize..12, length in 1_000usize..20_000) {
        let pattern = format!("{}b", "*a".repeat(stars));
        let glob = Glob::new(&pattern, GlobKind::Text).unwrap();
        prop_assert!(!glob.is_match(&"a".repeat(length)));
    }
}

/// Found by CI: globset compiles 81 alternatives; the library refuses more
/// than its limit, with the reason.
#[test]
fn expansion_past_the_limit_is_refused_with_its_reason() {
    let pattern = "{a,a,a}{a,a,a}{a,a,a}{a,a,a}";
    assert_eq!(expansions(pattern), 81);
    let ours = Glob::new(pattern, GlobKind::Text);
    assert!(over_the_limit(
        pattern,
        &ours,
        reference(pattern, false).is_some()
    ));
    assert!(Glob::new("{a,a,a}{a,a,a}{a,a,a}{a,b}", GlobKind::Text).is_ok());
}
