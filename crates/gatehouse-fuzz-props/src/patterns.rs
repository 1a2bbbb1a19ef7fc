//! Property: glob and `matches` patterns never panic, and the two regex
//! engines agree.
//!
//! For an arbitrary pattern and values: `Glob::new` in both readings either
//! refuses the pattern or matches every value without panicking; and where
//! regex-lite accepts a pattern and `gatehouse_core::pattern::ascii_dialect`
//! rewrites it, the `regex` crate compiles the rewrite and answers every
//! value as regex-lite does (what the `fast-regex` feature relies on).

use arbitrary::Arbitrary;
use gatehouse_core::glob::{Glob, GlobKind};
use gatehouse_core::pattern::ascii_dialect;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    pattern: &'a str,
    values: Vec<&'a str>,
}

/// Checks the property on one input, decoded as libfuzzer-sys decodes it;
/// panics when it does not hold.
pub fn run(data: &[u8]) {
    let Ok(input) =
        <Input as arbitrary::Arbitrary>::arbitrary_take_rest(arbitrary::Unstructured::new(data))
    else {
        return;
    };
    for kind in [GlobKind::Text, GlobKind::Host] {
        if let Ok(glob) = Glob::new(input.pattern, kind) {
            for value in &input.values {
                let _ = glob.is_match(value);
            }
        }
    }
    let Ok(lite) = regex_lite::RegexBuilder::new(input.pattern)
        .size_limit(1 << 20)
        .build()
    else {
        return;
    };
    let Ok(ascii) = ascii_dialect(input.pattern) else {
        return;
    };
    let fast = match regex::RegexBuilder::new(&ascii).size_limit(1 << 20).build() {
        Ok(fast) => fast,
        // Over the size limit in one engine only is a fallback, not a bug.
        Err(regex::Error::CompiledTooBig(_)) => return,
        Err(error) => panic!(
            "{:?} rewritten as {ascii:?} does not compile: {error}",
            input.pattern
        ),
    };
    for value in &input.values {
        assert_eq!(
            fast.is_match(value),
            lite.is_match(value),
            "{:?} (as {ascii:?}) on {value:?}",
            input.pattern
        );
    }
}
