//! Property: path normalisation never panics, and a path it accepts is
//! canonical.
//!
//! For an arbitrary request target, `gatehouse_core::eval::path::normalize`
//! either rejects it or returns segments that are each non-empty, not `.`
//! or `..`, and contain no `/`, `\` or control character (`char::is_control`:
//! C0, DEL and C1). The segments, joined with `/`, are the decoded path, and
//! there are no more of them than the evaluator's segment limit.

use gatehouse_core::eval::path::normalize;
use gatehouse_core::tree::MAX_SEGMENTS;

/// Checks the property on one input (its longest UTF-8 prefix, as the
/// fuzzer reads it); panics when it does not hold.
pub fn run(data: &[u8]) {
    let Ok(target) =
        <&str as arbitrary::Arbitrary>::arbitrary_take_rest(arbitrary::Unstructured::new(data))
    else {
        return;
    };
    let Ok(path) = normalize(target) else { return };
    assert!(
        path.len() <= MAX_SEGMENTS,
        "{} segments accepted in {target:?}",
        path.len()
    );
    let mut joined = String::new();
    for i in 0..path.len() {
        let Some(segment) = path.segment(i) else {
            panic!("segment {i} of {} is missing for {target:?}", path.len());
        };
        assert!(
            !segment.is_empty(),
            "empty segment {i} accepted in {target:?}"
        );
        assert!(
            segment != "." && segment != "..",
            "dot segment {segment:?} accepted in {target:?}"
        );
        assert!(
            !segment.contains(['/', '\\']),
            "segment {segment:?} with a slash accepted in {target:?}"
        );
        assert!(
            !segment.chars().any(char::is_control),
            "segment {segment:?} with a control character accepted in {target:?}"
        );
        joined.push('/');
        joined.push_str(segment);
    }
    assert!(
        path.segment(path.len()).is_none(),
        "a segment past the end for {target:?}"
    );
    if joined.is_empty() {
        joined.push('/');
    }
    assert_eq!(
        joined,
        path.text(),
        "segments do not add up to the decoded path of {target:?}"
    );
}
