//! The fast paths against the slow ones they stand in for, on random
//! near-JSON: strings with escapes, non-ASCII and invalid UTF-8, control
//! characters, odd whitespace, and random edits that break the grammar.
//!
//! - [`scan::plain_string`] against [`StrScan`] on one string.
//! - The body validator fed a body whole (strings checked straight from
//!   the input) against the same body fed a byte at a time (every string
//!   through [`StrScan`]): the same outcome, problems and offsets included.
//! - The masker with its whole-member and whole-subtree paths against
//!   [`Machine::token_by_token`]: the same output or the same error.

use proptest::prelude::*;

use crate::json::scan;
use crate::json::token::{Step, StrScan};
use crate::mask::apply::Machine;
use crate::mask::{MaskConfig, MaskPlan};
use crate::model::{JsonPath, JsonStep, KeepEnd, Mask, MaskStrategy, ResponseOnly, RuleMeta};
use crate::payload::validate::Validator;
use crate::payload::{LimitSpans, Limits, PayloadPlan, Schema};
use crate::span::Span;
use crate::CompiledSet;

/// One of `items`, as bytes.
fn one_of(items: Vec<&'static [u8]>) -> impl Strategy<Value = Vec<u8>> {
    prop::sample::select(items).prop_map(<[u8]>::to_vec)
}

/// Pieces of string content: plain text, escapes (valid, invalid, lone
/// surrogates), raw non-ASCII, invalid UTF-8 and control characters.
fn string_piece() -> impl Strategy<Value = Vec<u8>> {
    one_of(vec![
        &b"a"[..],
        b"email",
        b"ssn",
        b"x@y.z",
        b"0123456789abcdef",
        b" ",
        b"\\\"",
        b"\\\\",
        b"\\n",
        b"\\/",
        b"\\u0061",
        b"\\u00e9",
        b"\\ud83d\\ude00",
        b"\\ud800",
        b"\\x",
        b"\\u12g4",
        "é".as_bytes(),
        "é".as_bytes(),
        "😀".as_bytes(),
        "😀".as_bytes(),
        b"\xff",
        b"\xc3",
        b"\xed\xa0\x80",
        b"\x01",
        b"\n",
        b"\x7f",
    ])
}

fn string() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(string_piece(), 0..6).prop_map(|pieces| {
        let mut out = vec![b'"'];
        for piece in pieces {
            out.extend(piece);
        }
        out.push(b'"');
        out
    })
}

fn ws() -> impl Strategy<Value = &'static [u8]> {
    prop::sample::select(vec![&b""[..], b"", b"", b" ", b"\n  ", b"\t"])
}

fn scalar() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        string(),
        one_of(vec![
            &b"0"[..],
            b"-12",
            b"3.25e2",
            b"1e400",
            b"01",
            b"1.",
            b"true",
            b"false",
            b"null",
            b"nul",
            b"{}",
            b"[]",
        ]),
    ]
}

fn key() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => one_of(vec![
            &b"\"a\""[..],
            b"\"b\"",
            b"\"email\"",
            b"\"ssn\"",
            b"\"em\\u0061il\"",
            b"\"name\"",
            b"\"tags\"",
            b"\"c\"",
        ]),
        1 => string(),
    ]
}

/// `open`, the parts separated by commas, `close`.
fn join(open: u8, parts: Vec<Vec<u8>>, close: u8) -> Vec<u8> {
    let mut out = vec![open];
    for (i, part) in parts.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend(part);
    }
    out.push(close);
    out
}

fn array(item: BoxedStrategy<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec((ws(), item, ws()), 0..6).prop_map(|items| {
        let parts = items
            .into_iter()
            .map(|(before, item, after)| [before, &item, after].concat())
            .collect();
        join(b'[', parts, b']')
    })
}

fn object(value: BoxedStrategy<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec((ws(), key(), ws(), value), 0..6).prop_map(|members| {
        let parts = members
            .into_iter()
            .map(|(before, key, after, value)| [before, &key, after, b":", before, &value].concat())
            .collect();
        join(b'{', parts, b'}')
    })
}

/// A near-JSON document, mostly an object (so that the body rules apply).
fn document() -> impl Strategy<Value = Vec<u8>> {
    let value = scalar()
        .boxed()
        .prop_recursive(5, 48, 6, |inner| {
            prop_oneof![array(inner.clone()), object(inner)].boxed()
        })
        .boxed();
    let root = prop_oneof![3 => object(value.clone()), 1 => value];
    // Half the documents are left whole.
    let edits = prop::collection::vec(
        (
            any::<prop::sample::Index>(),
            0u8..4,
            prop::sample::select(b"{}[]:,\"\\ 0-.etn\x01\xc3\xff".to_vec()),
        ),
        1..3,
    );
    let edits = prop_oneof![Just(Vec::new()), edits];
    (root, edits).prop_map(|(mut doc, edits)| {
        for (at, kind, byte) in edits {
            let i = at.index(doc.len() + 1);
            match kind {
                0 if i < doc.len() => {
                    doc.remove(i);
                }
                1 => doc.insert(i, byte),
                2 if i < doc.len() => doc[i] = byte,
                _ => doc.truncate(i),
            }
        }
        doc
    })
}

/// `{"name":"x", KEY: VALUE}`: a random member whose rule is checked,
/// with no problem before it.
fn one_member() -> impl Strategy<Value = Vec<u8>> {
    // Short texts, where characters and bytes differ at the rules' bounds.
    let text = prop::collection::vec(prop::sample::select(vec!["a", "é", "😀", "\\u00e9"]), 0..4)
        .prop_map(|pieces| format!("\"{}\"", pieces.concat()).into_bytes());
    (key(), prop_oneof![scalar(), text]).prop_map(|(key, value)| {
        let mut out = b"{\"name\":\"x\",".to_vec();
        out.extend(key);
        out.push(b':');
        out.extend(value);
        out.push(b'}');
        out
    })
}

fn path(steps: Vec<JsonStep>) -> JsonPath {
    JsonPath {
        steps,
        text: String::new(),
    }
}

fn child(name: &str) -> JsonStep {
    JsonStep::Child(name.into())
}

/// Plans that walk, copy, drop and mask, with and without an allow-list.
fn plans() -> Vec<MaskPlan> {
    let mask = |steps: Vec<JsonStep>, strategy| Mask {
        paths: vec![path(steps)],
        strategy,
        meta: RuleMeta::default(),
    };
    let masks = vec![
        mask(vec![JsonStep::Descend("email".into())], MaskStrategy::Email),
        mask(
            vec![JsonStep::Wildcard, child("ssn")],
            MaskStrategy::Keep {
                end: KeepEnd::Last,
                count: 2,
            },
        ),
        mask(vec![child("a")], MaskStrategy::Redact),
        mask(vec![child("b")], MaskStrategy::Remove),
        mask(vec![JsonStep::Index(1)], MaskStrategy::Null),
    ];
    let only = ResponseOnly {
        paths: vec![path(vec![child("a")]), path(vec![child("name")])],
        meta: RuleMeta::default(),
    };
    vec![
        MaskPlan::default(),
        MaskPlan::compile(&masks, None).unwrap(),
        MaskPlan::compile(&masks[1..3], None).unwrap(),
        MaskPlan::compile(&masks, Some(&only)).unwrap(),
    ]
}

const POLICY: &str = r#"
api "props"
endpoint POST /x {
  public
  body json {
    name: string(1..8) matches "^[a-z]+$"
    email?: email
    a?: enum("a", "é", 1)
    tags?: array(..4) of string(..6)
    c?: string(2..3)
    b?: { email: string, ... }
  }
}
"#;

fn schema() -> Schema {
    let policy = CompiledSet::from_source("props.gate", POLICY).unwrap();
    let plan = PayloadPlan::compile(&policy.model().apis[0].endpoints[0]);
    plan.body.json.and_then(|json| json.schema).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn plain_strings_read_as_the_scanner_reads_them(text in string(), tail in ws()) {
        let mut input = text.clone();
        input.extend_from_slice(tail);
        let mut slow = StrScan::new();
        let mut decoded = Vec::new();
        let step = slow.scan(&input, 1, Some(&mut decoded), usize::MAX);
        let content = &text[1..text.len() - 1];
        let plain = std::str::from_utf8(content)
            .is_ok_and(|c| !c.bytes().any(|b| b == b'\\' || b < 0x20));
        match scan::plain_string(&input, 1) {
            Some((fast, ascii)) => {
                prop_assert_eq!(fast, content);
                prop_assert_eq!(ascii, content.is_ascii());
                prop_assert_eq!(step, Step::Done(text.len()));
                prop_assert_eq!(slow.bytes, fast.len() as u64);
                let chars = std::str::from_utf8(fast).unwrap().chars().count() as u64;
                prop_assert_eq!(slow.chars, chars);
                prop_assert_eq!(decoded, fast.to_vec());
            }
            None => prop_assert!(!plain, "a plain string was left to the scanner"),
        }
        // Cut anywhere before the closing quote, the string is never plain.
        for cut in 1..text.len() {
            prop_assert_eq!(scan::plain_string(&input[..cut], 1), None);
        }
    }

    #[test]
    fn bodies_validate_the_same_whole_and_byte_by_byte(
        doc in prop_oneof![document(), one_member()],
        depth in 1u64..6,
        key in 1u64..8,
        string in 1u64..12,
    ) {
        let schema = schema();
        let limits = Limits { depth, key, string, array: 5, object: 6 };
        let validator = || Validator::new(Some(&schema), Span::default(), limits, LimitSpans::default(), true);
        let mut whole = validator();
        whole.feed(&doc);
        whole.finish();
        let mut bytes = validator();
        for byte in doc.chunks(1) {
            bytes.feed(byte);
        }
        bytes.finish();
        prop_assert_eq!(whole.outcome(), bytes.outcome(), "{:?}", String::from_utf8_lossy(&doc));
    }

    #[test]
    fn masking_is_the_same_with_and_without_fast_paths(
        doc in document(),
        plan in 0usize..4,
        depth in 1usize..6,
    ) {
        let plan = &plans()[plan];
        let config = MaskConfig::default().with_max_depth(depth);
        let run = |machine: Machine<'_>| {
            let mut machine = machine;
            let mut out = Vec::new();
            let result = machine.feed(&doc, true, &mut out).map(|_| out);
            format!("{result:?}")
        };
        let fast = run(Machine::new(plan, &config).unwrap());
        let slow = run(Machine::new(plan, &config).unwrap().token_by_token());
        prop_assert_eq!(fast, slow, "{:?}", String::from_utf8_lossy(&doc));
    }
}
