//! Request bodies: hostile bodies are denied in bounded time and memory,
//! and field rules hold on generated bodies (property tests): a body made
//! to satisfy a rule set is accepted, and one mutation that breaks one rule
//! is rejected with that field's JSON pointer, by the compiled evaluator,
//! by the reference interpreter, and when streamed in chunks.
//!
//! `allocation-counter` replaces the global allocator for this binary, to
//! measure the memory a 100 MB body costs.
#![forbid(unsafe_code)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::net::IpAddr;

use gatehouse::payload::{LimitKind, Problem};
use gatehouse::{Begin, Decision, PolicySet, Reason, Request};
use proptest::prelude::*;
use serde_json::{json, Value};

const POLICY: &str = r#"
api "things" version "1"

endpoint POST /things {
  public
  body json {
    name: string(1..16) matches "^[a-z]+$"
    count: int(0..100)
    ratio?: number(0..1)
    kind: enum("a", "b")
    flag?: bool
    tags?: array(..4) of string(1..8)
    inner?: { id: uuid, note?: string(..10) }
  }
}

# No size limit and no `body json`: the built-in JSON limits still apply to
# a body that starts like JSON.
endpoint PUT /blobs/{id} {
  public
}

endpoint POST /small {
  public
  body json limits(depth: 4, array: 10, string: 1KiB)
}
"#;

fn policy() -> PolicySet {
    PolicySet::from_source("things.gate", POLICY).unwrap_or_else(|e| panic!("{e}"))
}

fn peer() -> IpAddr {
    IpAddr::from([192, 0, 2, 1])
}

const JSON: &[(&str, &str)] = &[("Content-Type", "application/json")];

/// Decides with the whole body, streams it in chunks of `chunk` bytes, and
/// interprets it: all three must agree.
fn decide(set: &PolicySet, method: &str, path: &str, body: &[u8], chunk: usize) -> Decision {
    let request = Request::new(method, path, peer()).headers(JSON).body(body);
    let whole = set.decide(&request);
    let streamed = match set.begin(&request) {
        Begin::Decided(d) => d,
        Begin::Body(mut check) => {
            let mut early = None;
            for piece in body.chunks(chunk.max(1)) {
                early = check.feed(piece);
                if early.is_some() {
                    break;
                }
            }
            early.unwrap_or_else(|| check.finish())
        }
    };
    assert_eq!(streamed, whole, "streaming in chunks of {chunk}");
    let interpreted = gatehouse_tools::interp::interpret(set, &request);
    assert_eq!(interpreted, whole, "the interpreter disagrees");
    whole
}

fn pointer(d: &Decision) -> Option<&str> {
    d.violation().map(|v| v.pointer.as_str())
}

#[test]
fn a_million_nested_brackets_cost_a_few_levels() {
    let set = policy();
    let body = "[".repeat(1_000_000);
    let info = allocation_counter::measure(|| {
        let request = Request::new("PUT", "/blobs/1", peer()).body(body.as_bytes());
        let d = set.decide(&request);
        assert_eq!(d.reason(), Reason::BodyLimitExceeded);
        assert!(matches!(
            d.violation().unwrap().problem,
            Problem::Limit {
                limit: LimitKind::Depth,
                max: 32
            }
        ));
    });
    assert!(info.bytes_max < 64 * 1024, "{info:?}");
    // The reference interpreter too (its recursion stops at the limit).
    let request = Request::new("PUT", "/blobs/1", peer()).body(body.as_bytes());
    assert_eq!(
        gatehouse_tools::interp::interpret(&set, &request).reason(),
        Reason::BodyLimitExceeded
    );
}

#[test]
fn a_100_mb_body_streams_in_bounded_memory() {
    let set = policy();
    let chunk = vec![b'a'; 64 * 1024];
    let headers = [("Content-Type", "application/octet-stream")];
    let request = Request::new("PUT", "/blobs/1", peer()).headers(&headers);
    // A JSON array holding one 100 MB string: over the 64 KiB string limit.
    let info = allocation_counter::measure(|| {
        let Begin::Body(mut check) = set.begin(&request) else {
            panic!("the body is needed")
        };
        assert!(check.feed(b"[\"").is_none());
        for _ in 0..1600 {
            assert!(check.feed(&chunk).is_none());
        }
        assert!(check.feed(b"\"]").is_none());
        let d = check.finish();
        assert_eq!(d.reason(), Reason::BodyLimitExceeded);
        assert_eq!(pointer(&d), Some("/0"));
    });
    assert!(info.bytes_max < 256 * 1024, "{info:?}");
    // Not JSON: nothing to check, and nothing kept.
    let info = allocation_counter::measure(|| {
        let Begin::Body(mut check) = set.begin(&request) else {
            panic!("the body is needed")
        };
        for _ in 0..1600 {
            assert!(check.feed(&chunk).is_none());
        }
        assert!(check.finish().allowed());
    });
    assert!(info.bytes_max < 64 * 1024, "{info:?}");
}

#[test]
fn content_length_over_the_limit_is_refused_before_reading() {
    let set = PolicySet::from_source(
        "p.gate",
        "api \"p\"\nendpoint POST /u { public\n body max 1KiB }\n",
    )
    .unwrap();
    let headers = [("Content-Length", "5000")];
    let request = Request::new("POST", "/u", peer()).headers(&headers);
    let Begin::Decided(d) = set.begin(&request) else {
        panic!("decided before the body")
    };
    assert_eq!((d.reason(), d.status()), (Reason::BodyTooLarge, 413));
    // Without Content-Length, as soon as the bytes pass the limit.
    let request = Request::new("POST", "/u", peer());
    let Begin::Body(mut check) = set.begin(&request) else {
        panic!("the body is needed")
    };
    assert!(check.feed(&[b'x'; 1000]).is_none());
    let early = check.feed(&[b'x'; 100]).expect("denied at once");
    assert_eq!(early.reason(), Reason::BodyTooLarge);
}

#[test]
fn hostile_bodies_are_denied() {
    let set = policy();
    let cases: &[(&[u8], Reason, Option<&str>)] = &[
        (
            br#"{"name":"a","name":"b","count":1,"kind":"a"}"#,
            Reason::BodyLimitExceeded,
            Some("/name"),
        ),
        (
            b"{\"name\":\"a\xff\",\"count\":1,\"kind\":\"a\"}",
            Reason::BodyMalformed,
            Some(""),
        ),
        (
            br#"{"name":"a\ud800","count":1,"kind":"a"}"#,
            Reason::BodyMalformed,
            Some(""),
        ),
        (
            br#"{"name":"a\udc00\ud800","count":1,"kind":"a"}"#,
            Reason::BodyMalformed,
            Some(""),
        ),
        (
            br#"{"name":"a","count":9223372036854775808,"kind":"a"}"#,
            Reason::BodyInvalid,
            Some("/count"),
        ),
        (
            br#"{"name":"a","count":-9223372036854775809,"kind":"a"}"#,
            Reason::BodyInvalid,
            Some("/count"),
        ),
        (
            br#"{"name":"a","count":1e2,"kind":"a"}"#,
            Reason::BodyInvalid,
            Some("/count"),
        ),
        (
            br#"{"name":"a","count":1,"kind":"a","ratio":1e999}"#,
            Reason::BodyMalformed,
            Some(""),
        ),
        (
            br#"{"name":"a","count":01,"kind":"a"}"#,
            Reason::BodyMalformed,
            Some(""),
        ),
        (
            br#"{"name":"a","count":1,"kind":"a",}"#,
            Reason::BodyMalformed,
            Some(""),
        ),
        (b"\xef\xbb\xbf{}", Reason::BodyMalformed, Some("")),
        (b"", Reason::BodyInvalid, Some("")),
        (b"  ", Reason::BodyMalformed, Some("")),
    ];
    for (body, reason, at) in cases {
        for chunk in [1, 2, 5, 1000] {
            let d = decide(&set, "POST", "/things", body, chunk);
            assert_eq!(
                (d.reason(), pointer(&d)),
                (*reason, *at),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
    // Huge arrays stop at the limit.
    let mut huge = b"[".to_vec();
    huge.extend(b"1,".repeat(1_000_000));
    huge.extend(b"1]");
    let d = decide(&set, "POST", "/small", &huge, 4096);
    assert_eq!(
        (d.reason(), pointer(&d)),
        (Reason::BodyLimitExceeded, Some(""))
    );
    // JSON limits apply whatever the content type says.
    let headers = [("Content-Type", "text/plain")];
    let deep = "[".repeat(40) + &"]".repeat(40);
    let request = Request::new("PUT", "/blobs/1", peer())
        .headers(&headers)
        .body(deep.as_bytes());
    assert_eq!(set.decide(&request).reason(), Reason::BodyLimitExceeded);
    assert_eq!(
        gatehouse_tools::interp::interpret(&set, &request).reason(),
        Reason::BodyLimitExceeded
    );
    let text = Request::new("PUT", "/blobs/1", peer())
        .headers(&headers)
        .body(b"just text, not JSON");
    assert!(set.decide(&text).allowed());
}

/// `matches` patterns: `\d` is ASCII-only, and Unicode classes and `(?i)`
/// are refused by the checker (the language reference, section 10).
#[test]
fn patterns_are_ascii_and_unicode_classes_are_refused() {
    let set = PolicySet::from_source(
        "codes.gate",
        r#"
api "codes" version "1"
endpoint POST /codes {
  public
  body json { pin: string matches "^\\d{4}$", word: string matches "^\\w+$" }
}
"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let verdict = |body: &str| decide(&set, "POST", "/codes", body.as_bytes(), 3);
    assert!(verdict(r#"{"pin":"1234","word":"a_1"}"#).allowed());
    let arabic_digits = verdict(r#"{"pin":"١٢٣٤","word":"a"}"#);
    assert_eq!(
        (arabic_digits.reason(), pointer(&arabic_digits)),
        (Reason::BodyInvalid, Some("/pin"))
    );
    let accented = verdict(r#"{"pin":"1234","word":"é"}"#);
    assert_eq!(
        (accented.reason(), pointer(&accented)),
        (Reason::BodyInvalid, Some("/word"))
    );

    for refused in [r#""^\\p{L}+$""#, r#""(?i)^kb$""#] {
        let policy = format!(
            "api \"codes\" version \"1\"\nendpoint POST /codes {{\n  public\n  body json {{ name: string matches {refused} }}\n}}\n"
        );
        let errors = PolicySet::from_source("codes.gate", &policy).expect_err("refused");
        assert!(
            errors.to_string().contains("GH-E0605"),
            "{refused}: {errors}"
        );
    }
}

// ---------------------------------------------------------------- properties

fn valid_body() -> impl Strategy<Value = Value> {
    (
        "[a-z]{1,16}",
        0i64..=100,
        prop::option::of(0.0f64..=1.0),
        prop::sample::select(vec!["a", "b"]),
        prop::option::of(any::<bool>()),
        prop::option::of(prop::collection::vec("[a-z0-9 ]{1,8}", 0..=4)),
        prop::option::of((prop::option::of("[a-z]{0,10}"),)),
    )
        .prop_map(|(name, count, ratio, kind, flag, tags, inner)| {
            let mut body = json!({"name": name, "count": count, "kind": kind});
            let map = body.as_object_mut().unwrap();
            if let Some(ratio) = ratio {
                map.insert("ratio".into(), json!(ratio));
            }
            if let Some(flag) = flag {
                map.insert("flag".into(), json!(flag));
            }
            if let Some(tags) = tags {
                map.insert("tags".into(), json!(tags));
            }
            if let Some((note,)) = inner {
                let mut inner = json!({"id": "123e4567-e89b-12d3-a456-426614174000"});
                if let Some(note) = note {
                    inner
                        .as_object_mut()
                        .unwrap()
                        .insert("note".into(), json!(note));
                }
                map.insert("inner".into(), inner);
            }
            body
        })
}

/// Breaks one rule of a valid body: the mutated body and the pointer of
/// the field that now breaks its rule.
fn mutate(mut body: Value, which: usize) -> (Value, String) {
    let map = body.as_object_mut().unwrap();
    let has = |k: &str| map.contains_key(k);
    let pointer = match which % 13 {
        0 => {
            map.insert("name".into(), json!(""));
            "/name"
        }
        1 => {
            map.insert("name".into(), json!("Not-Lowercase"));
            "/name"
        }
        2 => {
            map.insert("count".into(), json!(101));
            "/count"
        }
        3 => {
            map.insert("count".into(), json!(2.5));
            "/count"
        }
        4 => {
            map.insert("count".into(), json!("7"));
            "/count"
        }
        5 => {
            map.insert("ratio".into(), json!(1.5));
            "/ratio"
        }
        6 => {
            map.insert("kind".into(), json!("c"));
            "/kind"
        }
        7 => {
            map.insert("flag".into(), json!(null));
            "/flag"
        }
        8 => {
            map.insert("tags".into(), json!(["a", "b", "c", "d", "e"]));
            "/tags"
        }
        9 => {
            map.insert("tags".into(), json!(["ok", "much too long"]));
            "/tags/1"
        }
        10 if has("inner") => {
            map.insert("inner".into(), json!({"id": "not-a-uuid"}));
            "/inner/id"
        }
        10 | 11 => {
            map.remove("name");
            "/name"
        }
        _ => {
            map.insert("role".into(), json!("admin"));
            "/role"
        }
    };
    (body, pointer.to_string())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn a_body_made_to_satisfy_the_rules_is_accepted(body in valid_body(), chunk in 1usize..40) {
        let set = policy();
        let bytes = serde_json::to_vec(&body).unwrap();
        let d = decide(&set, "POST", "/things", &bytes, chunk);
        prop_assert!(d.allowed(), "{} -> {:?}", body, d);
    }

    #[test]
    fn one_broken_rule_is_rejected_with_its_pointer(body in valid_body(), which in 0usize..13, chunk in 1usize..40, pretty in any::<bool>()) {
        let set = policy();
        let (body, expected) = mutate(body, which);
        let bytes = if pretty { serde_json::to_vec_pretty(&body).unwrap() } else { serde_json::to_vec(&body).unwrap() };
        let d = decide(&set, "POST", "/things", &bytes, chunk);
        prop_assert_eq!(d.reason(), Reason::BodyInvalid, "{}", body);
        prop_assert_eq!(pointer(&d), Some(expected.as_str()), "{}", body);
    }

    /// Whatever the bytes, the evaluator, the interpreter and streaming
    /// agree, and serde_json agrees on what is JSON (with the limits out of
    /// the way and no duplicate keys).
    #[test]
    fn arbitrary_bytes_agree_with_serde_json(body in prop::collection::vec(prop::sample::select(b"{}[],:\"\\ ux0123456789abcdefE.-+tnrl\xff\xc3\xa9".to_vec()), 0..40)) {
        let set = policy();
        let d = decide(&set, "POST", "/small", &body, 3);
        let ours_malformed = d.reason() == Reason::BodyMalformed;
        let theirs = serde_json::from_slice::<Value>(&body);
        if d.reason() != Reason::BodyLimitExceeded && !body.iter().all(u8::is_ascii_whitespace) {
            prop_assert_eq!(ours_malformed, theirs.is_err(), "{:?} -> {:?}", String::from_utf8_lossy(&body), d.reason());
        }
    }
}
