//! Look-alike characters in paths: a path whose segments Unicode
//! compatibility normalisation (NFKC) would change into other segments is
//! never accepted by default, and `lookalike_characters = allow` accepts it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use gatehouse_core::eval::path::normalize;
use gatehouse_core::{CompiledSet, PathProblem, Reason, Request};
use proptest::prelude::*;
use unicode_normalization::UnicodeNormalization;

fn nfkc(text: &str) -> String {
    text.nfkc().collect()
}

fn percent_encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Segment characters: ASCII, characters NFKC changes harmlessly (`ﬁ`,
/// `①`, `é` decomposed), other Unicode, and every kind of look-alike.
fn segment_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => prop::sample::select(vec!['a', 'z', '0', '9', '-', '_', '~', '.']),
        2 => prop::sample::select(vec!['\u{FB01}', '\u{2460}', '\u{E9}', '\u{3B1}', '\u{4E2D}', '\u{FF21}', '\u{2126}']),
        2 => prop::sample::select(
            gatehouse_core::lookalike::LOOKALIKES.iter().map(|(c, _)| *c).collect::<Vec<_>>()
        ),
        1 => any::<char>().prop_filter("not a control", |c| !c.is_control()),
    ]
}

fn segment() -> impl Strategy<Value = String> {
    prop::collection::vec(segment_char(), 1..6).prop_map(|chars| chars.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// No accepted path changes its segments under NFKC folding: the same
    /// segments, none of them `.` or `..`, and no `\`, `%` or `?` that was
    /// not there.
    #[test]
    fn no_accepted_path_changes_its_segments_under_nfkc(
        segments in prop::collection::vec(segment(), 1..5)
    ) {
        let target: String = segments.iter().map(|s| format!("/{}", percent_encode(s))).collect();
        let Ok(path) = normalize(&target) else {
            return Ok(());
        };
        if path.lookalike {
            // Denied by default: `lookalike` is what the evaluator checks.
            return Ok(());
        }
        for i in 0..path.len() {
            let segment = path.segment(i).unwrap();
            let folded = nfkc(segment);
            prop_assert!(!folded.contains(['/', '\\']), "{segment:?} folds to {folded:?}");
            prop_assert!(folded != "." && folded != "..", "{segment:?} folds to {folded:?}");
            for syntax in ['%', '?', '.'] {
                prop_assert_eq!(
                    folded.matches(syntax).count(),
                    segment.matches(syntax).count(),
                    "{:?} folds to {:?}", segment, folded
                );
            }
        }
    }
}

const POLICY: &str = r#"
api "files" version "1"
endpoint GET /files/{name} {
  public
}
"#;

#[test]
fn lookalikes_are_denied_unless_the_api_accepts_them() {
    let peer = "203.0.113.9".parse().unwrap();
    let strict = CompiledSet::from_source("files.gate", POLICY).unwrap();
    let open = CompiledSet::from_source(
        "files.gate",
        &POLICY.replace(
            "\nendpoint",
            "\noptions {\n  lookalike_characters = allow\n}\nendpoint",
        ),
    )
    .unwrap();
    // `report．pdf` (fullwidth full stop) and `caf\u{e9}` (an ordinary letter).
    let lookalike = Request::new("GET", "/files/report%EF%BC%8Epdf", peer);
    let plain = Request::new("GET", "/files/caf%C3%A9", peer);

    let denied = gatehouse_core::eval::decide(strict.tree(), &lookalike);
    assert_eq!(denied.reason, Reason::PathMalformed);
    assert_eq!(
        denied.detail,
        gatehouse_core::Detail::Path {
            problem: PathProblem::LookalikeCharacter
        }
    );
    assert!(gatehouse_core::eval::decide(strict.tree(), &plain).allowed);
    assert!(gatehouse_core::eval::decide(open.tree(), &lookalike).allowed);
    assert!(gatehouse_core::eval::decide(open.tree(), &plain).allowed);
}
