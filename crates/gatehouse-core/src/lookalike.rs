//! Look-alike characters: the ones that Unicode compatibility
//! normalisation (NFKC) folds into text holding `.`, `/`, `\`, `%` or `?`.
//!
//! A backend that applies NFKC to paths (some frameworks and file systems
//! do) reads `/public/\u{FF0E}\u{FF0E}/admin` (fullwidth full stops) as
//! `/public/../admin`, and `\u{2100}` (ACCOUNT OF) as `a/c`, a segment
//! boundary the gateway never saw. Paths holding one are denied by default
//! (400 `path_malformed`); `options { lookalike_characters = allow }` lets
//! an API accept them.
//!
//! The table is every such character of Unicode: a test computes it again
//! from the `unicode-normalization` crate over all code points and compares.

/// Each look-alike with what NFKC makes of it, sorted by code point.
pub const LOOKALIKES: &[(char, &str)] = &[
    ('\u{2024}', "."),    // one dot leader
    ('\u{2025}', ".."),   // two dot leader
    ('\u{2026}', "..."),  // horizontal ellipsis
    ('\u{2047}', "??"),   // double question mark
    ('\u{2048}', "?!"),   // question exclamation mark
    ('\u{2049}', "!?"),   // exclamation question mark
    ('\u{2100}', "a/c"),  // account of
    ('\u{2101}', "a/s"),  // addressed to the subject
    ('\u{2105}', "c/o"),  // care of
    ('\u{2106}', "c/u"),  // cada una
    ('\u{2488}', "1."),   // digit one full stop
    ('\u{2489}', "2."),   // digit two full stop
    ('\u{248A}', "3."),   // digit three full stop
    ('\u{248B}', "4."),   // digit four full stop
    ('\u{248C}', "5."),   // digit five full stop
    ('\u{248D}', "6."),   // digit six full stop
    ('\u{248E}', "7."),   // digit seven full stop
    ('\u{248F}', "8."),   // digit eight full stop
    ('\u{2490}', "9."),   // digit nine full stop
    ('\u{2491}', "10."),  // number ten full stop
    ('\u{2492}', "11."),  // number eleven full stop
    ('\u{2493}', "12."),  // number twelve full stop
    ('\u{2494}', "13."),  // number thirteen full stop
    ('\u{2495}', "14."),  // number fourteen full stop
    ('\u{2496}', "15."),  // number fifteen full stop
    ('\u{2497}', "16."),  // number sixteen full stop
    ('\u{2498}', "17."),  // number seventeen full stop
    ('\u{2499}', "18."),  // number eighteen full stop
    ('\u{249A}', "19."),  // number nineteen full stop
    ('\u{249B}', "20."),  // number twenty full stop
    ('\u{33C2}', "a.m."), // square am
    ('\u{33C7}', "Co."),  // square co
    ('\u{33D8}', "p.m."), // square pm
    ('\u{FE16}', "?"),    // presentation form for vertical question mark
    ('\u{FE19}', "..."),  // presentation form for vertical horizontal ellipsis
    ('\u{FE30}', ".."),   // presentation form for vertical two dot leader
    ('\u{FE52}', "."),    // small full stop
    ('\u{FE56}', "?"),    // small question mark
    ('\u{FE68}', "\\"),   // small reverse solidus
    ('\u{FE6A}', "%"),    // small percent sign
    ('\u{FF05}', "%"),    // fullwidth percent sign
    ('\u{FF0E}', "."),    // fullwidth full stop
    ('\u{FF0F}', "/"),    // fullwidth solidus
    ('\u{FF1F}', "?"),    // fullwidth question mark
    ('\u{FF3C}', "\\"),   // fullwidth reverse solidus
    ('\u{1F100}', "0."),  // digit zero full stop
];

/// What NFKC folds `c` into, if that holds `.`, `/`, `\`, `%` or `?`.
pub fn folds_to(c: char) -> Option<&'static str> {
    LOOKALIKES
        .binary_search_by_key(&c, |(l, _)| *l)
        .ok()
        .and_then(|i| LOOKALIKES.get(i))
        .map(|(_, folded)| *folded)
}

/// The first look-alike in `text`, with what it folds into. ASCII text has
/// none, so the common case is one pass that finds no byte above 0x7F.
pub fn first_in(text: &str) -> Option<(char, &'static str)> {
    if text.is_ascii() {
        return None;
    }
    text.chars()
        .find_map(|c| folds_to(c).map(|folded| (c, folded)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_normalization::UnicodeNormalization;

    /// The table is exactly the characters NFKC folds into text holding
    /// path syntax, over every code point.
    #[test]
    fn the_table_is_every_lookalike_of_unicode() {
        let mut expected = Vec::new();
        for c in (0x80..=0x10FFFFu32).filter_map(char::from_u32) {
            let folded: String = std::iter::once(c).nfkc().collect();
            if folded != c.to_string() && folded.contains(['.', '/', '\\', '%', '?']) {
                expected.push((c, folded));
            }
        }
        let table: Vec<(char, String)> = LOOKALIKES
            .iter()
            .map(|(c, folded)| (*c, (*folded).to_string()))
            .collect();
        assert_eq!(table, expected);
    }

    #[test]
    fn finds_the_first_lookalike() {
        assert_eq!(
            first_in("/pets/\u{FF0E}\u{FF0E}/admin"),
            Some(('\u{FF0E}', "."))
        );
        assert_eq!(first_in("/caf\u{E9}/\u{2100}"), Some(('\u{2100}', "a/c")));
        assert_eq!(first_in("/caf\u{E9}"), None);
        assert_eq!(first_in("/plain/ascii"), None);
    }
}
