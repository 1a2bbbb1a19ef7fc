//! Response masking, end to end: policies with `mask response` and
//! `response only`, applied through `PolicySet::mask_response` and the
//! streaming forms.
//!
//! - example tests and insta snapshots of masked outputs, one per strategy,
//!   path form and failure;
//! - hostile input: invalid, truncated and deeply nested JSON;
//! - properties against a reference masker written here over `serde_json`
//!   (a plain recursive walk that matches paths by brute force): the
//!   streaming masker gives the same document, key order included; it never
//!   changes a field outside the masked paths and keeps the structure; and
//!   feeding the response in any chunks gives the same bytes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::fmt;

use gatehouse::mask::{MaskConfig, MaskError};
use gatehouse::{Decision, PolicySet, Principal, Request};
use hmac::{Hmac, Mac};
use proptest::prelude::*;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use sha2::Sha256;

const KEY: &str = "test key: 32 bytes of not-secret";

fn policy(rules: &str) -> PolicySet {
    let text = format!(
        "api \"t\"\nauth user = jwt(issuer: \"https://id.example.com\")\nendpoint GET /r {{\n  authenticate user\n{rules}\n}}\n"
    );
    PolicySet::from_source("t.gate", &text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn allowed(policy: &PolicySet) -> Decision {
    let alice = Principal::new("user", "alice");
    let decision =
        policy.decide(&Request::new("GET", "/r", "203.0.113.9".parse().unwrap()).principal(&alice));
    assert!(decision.allowed(), "{decision:?}");
    decision
}

fn config() -> MaskConfig {
    MaskConfig::default().with_hash_key(KEY).with_hash_len(8)
}

fn try_mask(rules: &str, body: &str) -> Result<String, MaskError> {
    let policy = policy(rules);
    let decision = allowed(&policy);
    let out = policy.mask_response(&decision, body.as_bytes(), &config())?;
    Ok(String::from_utf8(out).expect("masked output is UTF-8"))
}

fn mask(rules: &str, body: &str) -> String {
    let out = try_mask(rules, body).unwrap_or_else(|e| panic!("{e}"));
    serde_json::from_str::<serde_json::Value>(&out)
        .unwrap_or_else(|e| panic!("invalid output {out}: {e}"));
    out
}

fn error(rules: &str, body: &[u8]) -> String {
    let policy = policy(rules);
    let decision = allowed(&policy);
    match policy.mask_response(&decision, body, &config()) {
        Ok(out) => panic!("expected an error, got {}", String::from_utf8_lossy(&out)),
        Err(e) => e.to_string(),
    }
}

// ---------------------------------------------------------------- strategies

const USER: &str = r#"{"id": 7, "name": "Jane Doe", "email": "jane.doe@example.com", "ssn": "123-45-6789", "age": 41, "admin": true, "card": {"number": "4111111111111111", "exp": "12/30"}, "tags": ["a", "b"], "note": null}"#;

#[test]
fn redact() {
    assert_eq!(
        mask(
            "mask response $.ssn, $.age, $.admin, $.card, $.tags, $.note with redact",
            USER
        ),
        r#"{"id": 7, "name": "Jane Doe", "email": "jane.doe@example.com", "ssn": "[REDACTED]", "age": "[REDACTED]", "admin": "[REDACTED]", "card": "[REDACTED]", "tags": "[REDACTED]", "note": null}"#
    );
}

#[test]
fn remove() {
    assert_eq!(
        mask(
            "mask response $.id, $.ssn, $.card.exp, $.note with remove",
            USER
        ),
        r#"{ "name": "Jane Doe", "email": "jane.doe@example.com", "age": 41, "admin": true, "card": {"number": "4111111111111111"}, "tags": ["a", "b"]}"#
    );
    // In an array, the element goes.
    assert_eq!(
        mask(
            "mask response $.a[1], $.a[3] with remove",
            r#"{"a": [0, 1, 2, 3]}"#
        ),
        r#"{"a": [0, 2]}"#
    );
    assert_eq!(
        mask("mask response $.a[0] with remove", r#"{"a": [0]}"#),
        r#"{"a": []}"#
    );
    assert_eq!(
        mask("mask response $.a with remove", r#"{"a": 1}"#),
        r#"{}"#
    );
}

#[test]
fn null() {
    assert_eq!(
        mask("mask response $.ssn, $.card, $.tags[0] with null", USER),
        r#"{"id": 7, "name": "Jane Doe", "email": "jane.doe@example.com", "ssn": null, "age": 41, "admin": true, "card": null, "tags": [null, "b"], "note": null}"#
    );
}

#[test]
fn keep_first_and_last() {
    assert_eq!(
        mask(
            "mask response $.ssn keep last 4",
            r#"{"ssn": "123-45-6789"}"#
        ),
        r#"{"ssn": "*******6789"}"#
    );
    assert_eq!(
        mask(
            "mask response $.ssn keep first 3",
            r#"{"ssn": "123-45-6789"}"#
        ),
        r#"{"ssn": "123********"}"#
    );
    assert_eq!(
        mask("mask response $.ssn keep last 0", r#"{"ssn": "1234"}"#),
        r#"{"ssn": "****"}"#
    );
    // Short values are masked entirely.
    assert_eq!(
        mask("mask response $.ssn keep last 4", r#"{"ssn": "1234"}"#),
        r#"{"ssn": "****"}"#
    );
    assert_eq!(
        mask("mask response $.ssn keep last 4", r#"{"ssn": ""}"#),
        r#"{"ssn": ""}"#
    );
}

#[test]
fn email() {
    assert_eq!(
        mask(
            "mask response $.a[*] with email",
            r#"{"a": ["jane.doe@example.com", "x@y.org", "@y.org", "nobody", "a@b@c.d", ""]}"#
        ),
        r#"{"a": ["j***@example.com", "x***@y.org", "***@y.org", "***", "a***@c.d", "***"]}"#
    );
}

#[test]
fn hash() {
    let out = mask(
        "mask response $.a, $.b, $.c, $.d with hash",
        r#"{"a": "alice", "b": "alice", "c": "bob", "d": 42}"#,
    );
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["a"], doc["b"], "equal values hash alike");
    assert_ne!(doc["a"], doc["c"]);
    let a = doc["a"].as_str().unwrap();
    assert_eq!(a.len(), 16);
    assert!(a
        .bytes()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    assert_eq!(a, hmac_hex(b"alice", 8));
    assert_eq!(doc["d"].as_str().unwrap(), hmac_hex(b"42", 8));
}

#[test]
fn hash_without_a_key_fails_closed() {
    let policy = policy("mask response $.a with hash");
    let decision = allowed(&policy);
    for config in [
        MaskConfig::default(),
        MaskConfig::default().with_hash_key("short"),
    ] {
        let error = policy
            .mask_response(&decision, br#"{"b": 1}"#, &config)
            .unwrap_err();
        assert!(matches!(error, MaskError::MissingHashKey), "{error}");
    }
    // A plan without `hash` needs no key.
    let policy = self::policy("mask response $.a with redact");
    let decision = allowed(&policy);
    assert!(policy
        .mask_response(&decision, br#"{"a": 1}"#, &MaskConfig::default())
        .is_ok());
}

#[test]
fn non_strings_under_string_strategies() {
    let body = r#"{"n": 123456789, "f": -12.5, "t": true, "o": {"x": 1}, "a": [1], "z": null}"#;
    assert_eq!(
        mask("mask response $.* keep last 2", body),
        r#"{"n": "*******89", "f": "***.5", "t": "**ue", "o": "[REDACTED]", "a": "[REDACTED]", "z": null}"#
    );
    assert_eq!(
        mask("mask response $.* with email", body),
        r#"{"n": "***", "f": "***", "t": "***", "o": "[REDACTED]", "a": "[REDACTED]", "z": null}"#
    );
}

#[test]
fn least_revealing_mask_wins() {
    let rules = "mask response $.user.email keep first 3\n  mask response $..email with email\n  mask response $.user.* with redact";
    assert_eq!(
        mask(
            rules,
            r#"{"user": {"email": "jane@example.com", "id": 1}, "email": "x@y.z"}"#
        ),
        r#"{"user": {"email": "[REDACTED]", "id": "[REDACTED]"}, "email": "x***@y.z"}"#
    );
}

// ---------------------------------------------------------------- paths

#[test]
fn wildcard_paths() {
    let body = r#"{"items": [{"owner": {"email": "a@x.io", "name": "A"}}, {"owner": {"email": "b@x.io"}}, {"owner": null}, 5]}"#;
    assert_eq!(
        mask("mask response $.items[*].owner.email with email", body),
        r#"{"items": [{"owner": {"email": "a***@x.io", "name": "A"}}, {"owner": {"email": "b***@x.io"}}, {"owner": null}, 5]}"#
    );
    assert_eq!(
        mask("mask response $.items.*.owner with remove", body),
        r#"{"items": [{}, {}, {}, 5]}"#
    );
    // `.*` on an object.
    assert_eq!(
        mask(
            "mask response $.a.* with null",
            r#"{"a": {"x": 1, "y": [2]}, "b": 3}"#
        ),
        r#"{"a": {"x": null, "y": null}, "b": 3}"#
    );
}

#[test]
fn index_paths() {
    assert_eq!(
        mask(
            "mask response $.a[0], $.a[2].x with redact",
            r#"{"a": [1, 2, {"x": 3, "y": 4}, 5], "b": {"0": 6}}"#
        ),
        r#"{"a": ["[REDACTED]", 2, {"x": "[REDACTED]", "y": 4}, 5], "b": {"0": 6}}"#
    );
    // `[N]` counts elements as received, even when earlier ones are removed.
    // Whitespace goes with the token after it.
    assert_eq!(
        mask(
            "mask response $[0], $[2] with remove",
            r#"[10, 11, 12, 13]"#
        ),
        r#"[ 11, 13]"#
    );
    // `["0"]` is a key, not an index.
    assert_eq!(
        mask(
            r#"mask response $.b["0"] with null"#,
            r#"{"a": [1], "b": {"0": 6}}"#
        ),
        r#"{"a": [1], "b": {"0": null}}"#
    );
}

#[test]
fn recursive_paths() {
    let body = r#"{"ssn": "1", "a": {"ssn": "2", "b": [{"ssn": "3"}, {"c": {"ssn": {"ssn": "4"}}}]}, "ssnx": "5"}"#;
    assert_eq!(
        mask("mask response $..ssn with redact", body),
        r#"{"ssn": "[REDACTED]", "a": {"ssn": "[REDACTED]", "b": [{"ssn": "[REDACTED]"}, {"c": {"ssn": "[REDACTED]"}}]}, "ssnx": "5"}"#
    );
    assert_eq!(
        mask("mask response $.a..ssn with remove", body),
        r#"{"ssn": "1", "a": { "b": [{}, {"c": {}}]}, "ssnx": "5"}"#
    );
    assert_eq!(
        mask("mask response $..b[1]..ssn with null", body),
        r#"{"ssn": "1", "a": {"ssn": "2", "b": [{"ssn": "3"}, {"c": {"ssn": null}}]}, "ssnx": "5"}"#
    );
}

#[test]
fn quoted_and_escaped_keys() {
    assert_eq!(
        mask(
            r#"mask response $["odd key"], $["é"] with redact"#,
            r#"{"odd key": 1, "\u00e9": 2, "\u006fdd key": 3}"#
        ),
        r#"{"odd key": "[REDACTED]", "\u00e9": "[REDACTED]", "\u006fdd key": "[REDACTED]"}"#
    );
    // Escaped keys are decoded before they are compared.
    assert_eq!(
        mask(
            "mask response $.ssn with null",
            r#"{"\u0073sn": "x", "s\"sn": "y"}"#
        ),
        r#"{"\u0073sn": null, "s\"sn": "y"}"#
    );
    // A duplicated key is masked at each occurrence.
    assert_eq!(
        mask("mask response $.a with null", r#"{"a": 1, "a": 2}"#),
        r#"{"a": null, "a": null}"#
    );
}

#[test]
fn arrays_of_objects() {
    let body = r#"[{"id": 1, "email": "a@b.c", "ssn": "111-11-1111"}, {"id": 2, "email": "d@e.f", "ssn": "222-22-2222"}]"#;
    assert_eq!(
        mask("mask response $[*].email with email\n  mask response $[*].ssn keep last 4\n  mask response $[*].id with remove", body),
        r#"[{ "email": "a***@b.c", "ssn": "*******1111"}, { "email": "d***@e.f", "ssn": "*******2222"}]"#
    );
}

// ---------------------------------------------------------------- allow-lists

#[test]
fn response_only_keeps_fields_and_ancestors() {
    let body = r#"{"id": 1, "name": "A", "secret": "s", "profile": {"city": "X", "ssn": "1", "tags": [1]}, "items": [{"id": 1, "cost": 2}, {"id": 2}], "n": 5}"#;
    assert_eq!(
        mask("response only $.id, $.profile.city, $.items[*].id", body),
        r#"{"id": 1, "profile": {"city": "X"}, "items": [{"id": 1}, {"id": 2}]}"#
    );
    // An ancestor that is not a container is dropped; an empty one stays.
    assert_eq!(
        mask("response only $.a.b, $.c.d", r#"{"a": 1, "c": {}, "e": 2}"#),
        r#"{ "c": {}}"#
    );
    // A listed field is kept whole.
    assert_eq!(
        mask(
            "response only $.p",
            r#"{"p": {"x": [1, {"y": 2}]}, "q": 3}"#
        ),
        r#"{"p": {"x": [1, {"y": 2}]}}"#
    );
    // `[N]` keeps only that element.
    assert_eq!(
        mask("response only $.a[1]", r#"{"a": [1, 2, 3]}"#),
        r#"{"a": [ 2]}"#
    );
    // `..` keeps a field wherever it is.
    assert_eq!(
        mask(
            "response only $..id",
            r#"{"id": 1, "x": {"id": 2, "y": 3}, "z": [{"id": 4}, 5]}"#
        ),
        r#"{"id": 1, "x": {"id": 2}, "z": [{"id": 4}]}"#
    );
}

#[test]
fn response_only_with_masks() {
    let body = r#"{"id": 1, "ssn": "123-45-6789", "salary": 9, "friends": [{"name": "B", "email": "b@x.io", "ssn": "1"}]}"#;
    assert_eq!(
        mask(
            "response only $.id, $.ssn, $.friends[*].name, $.friends[*].email\n  mask response $.ssn keep last 4\n  mask response $..email with email\n  mask response $.salary with redact",
            body
        ),
        r#"{"id": 1, "ssn": "*******6789", "friends": [{"name": "B", "email": "b***@x.io"}]}"#
    );
    // A mask on an ancestor replaces it whole.
    assert_eq!(
        mask(
            "response only $.a.b\n  mask response $.a with redact",
            r#"{"a": {"b": 1, "c": 2}}"#
        ),
        r#"{"a": "[REDACTED]"}"#
    );
}

#[test]
fn response_only_needs_a_container() {
    assert_eq!(
        error("response only $.a", b"\"just a string\""),
        "the endpoint has `response only`, but the response is not an object or array"
    );
    assert_eq!(mask("response only $.a", r#"[{"a": 1}, 2]"#), r#"[]"#);
}

#[test]
fn petstore_user() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../policies/petstore.gate"
    ))
    .unwrap();
    let policy = PolicySet::from_source("petstore.gate", &text).unwrap();
    let alice = Principal::new("user", "alice").with_scopes(["users:read"]);
    let decision = policy.decide(
        &Request::new("GET", "/v1/users/alice", "203.0.113.5".parse().unwrap())
            .principal(&alice)
            .at(0),
    );
    assert!(decision.allowed());
    let body = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/responses/get-own-user.json"
    ))
    .unwrap();
    let masked = policy
        .mask_response(&decision, &body, &MaskConfig::default())
        .unwrap();
    insta::assert_snapshot!("petstore_get_own_user", String::from_utf8(masked).unwrap());
}

// ---------------------------------------------------------------- unicode

#[test]
fn unicode_is_counted_in_characters() {
    assert_eq!(
        mask("mask response $.s keep first 2", r#"{"s": "héllo wörld"}"#),
        r#"{"s": "hé*********"}"#
    );
    assert_eq!(
        mask(
            "mask response $.s keep last 3",
            r#"{"s": "日本語のテキスト"}"#
        ),
        r#"{"s": "*****キスト"}"#
    );
    // Escapes are decoded: `\u00e9` is one character.
    assert_eq!(
        mask("mask response $.s keep first 2", r#"{"s": "h\u00e9llo"}"#),
        r#"{"s": "hé***"}"#
    );
    // A surrogate pair is one character.
    assert_eq!(
        mask(
            "mask response $.s keep last 1",
            r#"{"s": "ab\ud83d\ude00"}"#
        ),
        r#"{"s": "**😀"}"#
    );
    assert_eq!(
        mask("mask response $.s keep last 1", r#"{"s": "ab😀"}"#),
        r#"{"s": "**😀"}"#
    );
    // A lone surrogate passes through as an escape (valid JSON text, though
    // serde_json refuses it).
    let lone = |rules: &str, body: &str| try_mask(rules, body).unwrap();
    assert_eq!(
        lone("mask response $.s keep first 1", r#"{"s": "\ud800xy"}"#),
        r#"{"s": "\ud800**"}"#
    );
    assert_eq!(
        lone(
            "mask response $.t keep first 1",
            r#"{"s": "\ud800xy", "t": "z"}"#
        ),
        r#"{"s": "\ud800xy", "t": "*"}"#
    );
    assert_eq!(
        lone(
            "mask response $.t keep first 1",
            r#"{"\udc00": 1, "t": "z"}"#
        ),
        r#"{"\udc00": 1, "t": "*"}"#
    );
    // Kept characters are re-escaped.
    assert_eq!(
        mask(
            "mask response $.s keep first 4",
            r#"{"s": "a\"b\\c\n\u0001zz"}"#
        ),
        r#"{"s": "a\"b\\*****"}"#
    );
    assert_eq!(
        mask(
            "mask response $.s keep last 3",
            r#"{"s": "zzzz\"\t\u0001"}"#
        ),
        r#"{"s": "****\"\t\u0001"}"#
    );
    assert_eq!(
        mask(
            "mask response $.s with email",
            r#"{"s": "émile@exämple.org"}"#
        ),
        r#"{"s": "é***@exämple.org"}"#
    );
    // Hashes cover the decoded text.
    let a = mask("mask response $.s with hash", r#"{"s": "é"}"#);
    assert_eq!(a, mask("mask response $.s with hash", r#"{"s": "\u00e9"}"#));
    assert!(a.contains(&hmac_hex("é".as_bytes(), 8)));
}

// ---------------------------------------------------------------- failures

#[test]
fn invalid_json_is_an_error() {
    let rules = "mask response $.a with redact";
    let cases: &[(&[u8], &str)] = &[
        (b"", "the response is not valid JSON: the response is empty at byte 0"),
        (b"  \n", "the response is not valid JSON: the response is empty at byte 3"),
        (b"{\"a\": 1", "the response is not valid JSON: the response ends in the middle of a value at byte 7"),
        (b"{\"a\": \"x", "the response is not valid JSON: the response ends in the middle of a value at byte 8"),
        (b"{\"a\": tru", "the response is not valid JSON: the response ends in the middle of a value at byte 9"),
        (b"[1, 2", "the response is not valid JSON: the response ends in the middle of a value at byte 5"),
        (b"{\"a\": 1} x", "the response is not valid JSON: unexpected data after the end of the response at byte 9"),
        (b"{\"a\": 1}{}", "the response is not valid JSON: unexpected data after the end of the response at byte 8"),
        (b"{\"a\" 1}", "the response is not valid JSON: expected `:` after a member name at byte 5"),
        (b"{a: 1}", "the response is not valid JSON: expected a member name (a string) at byte 1"),
        (b"{\"a\": 1,}", "the response is not valid JSON: expected a member name (a string) at byte 8"),
        (b"[1,]", "the response is not valid JSON: unexpected `]` at byte 3"),
        (b"[1 2]", "the response is not valid JSON: expected `,` or a closing bracket at byte 3"),
        (b"{\"a\": 01}", "the response is not valid JSON: invalid number at byte 6"),
        (b"{\"a\": 1.}", "the response is not valid JSON: invalid number at byte 6"),
        (b"{\"a\": -}", "the response is not valid JSON: invalid number at byte 6"),
        (b"{\"a\": nul}", "the response is not valid JSON: invalid literal (expected `true`, `false` or `null`) at byte 6"),
        (b"{\"a\": NaN}", "the response is not valid JSON: unexpected `N` at byte 6"),
        (b"{\"a\": \"\x01\"}", "the response is not valid JSON: unescaped control character in a string at byte 7"),
        (b"{\"a\": \"\\x\"}", "the response is not valid JSON: invalid escape in a string at byte 7"),
        (b"{\"a\": \"\xff\"}", "the response is not valid JSON: a string is not valid UTF-8 at byte 7"),
        (b"{\"\xc3\": 1}", "the response is not valid JSON: a string is not valid UTF-8 at byte 2"),
        (b"\xef\xbb\xbf{}", "the response is not valid JSON: unexpected byte 0xef at byte 0"),
        (b"[}", "the response is not valid JSON: unexpected `}` at byte 1"),
        (b"{]", "the response is not valid JSON: expected a member name (a string) at byte 1"),
        (b"[1}", "the response is not valid JSON: expected `,` or a closing bracket at byte 2"),
    ];
    for (body, expected) in cases {
        assert_eq!(
            error(rules, body),
            *expected,
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn invalid_json_is_refused_in_skipped_and_copied_values() {
    for rules in [
        "mask response $.a with redact",
        "mask response $.a with remove",
        "response only $.b",
        "mask response $.x with null",
    ] {
        for body in [
            r#"{"a": {"b": 01}}"#,
            r#"{"a": [1 2]}"#,
            r#"{"a": {"b": "\q"}}"#,
            r#"{"a": [tru]}"#,
            r#"{"a": {"b": 1}"#,
        ] {
            assert!(try_mask(rules, body).is_err(), "{rules}: {body}");
        }
    }
}

#[test]
fn every_truncation_is_an_error() {
    let body = r#"{"id": 1, "e": "a@b.c", "s": "x\u00e9\ud83d\ude00", "n": [1.5e3, true, false, null, {"k": -0.25}]}"#;
    for rules in [
        "mask response $.e with email",
        "response only $.n",
        "mask response $.zz with null",
    ] {
        let policy = policy(rules);
        let decision = allowed(&policy);
        assert!(policy
            .mask_response(&decision, body.as_bytes(), &config())
            .is_ok());
        for cut in 0..body.len() {
            let result = policy.mask_response(&decision, &body.as_bytes()[..cut], &config());
            assert!(result.is_err(), "{rules}: accepted {:?}", &body[..cut]);
        }
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let policy = policy("mask response $..x with redact");
    let decision = allowed(&policy);
    let deep = vec![b'['; 1_000_000];
    let error = policy
        .mask_response(&decision, &deep, &MaskConfig::default())
        .unwrap_err();
    assert!(
        matches!(
            error,
            MaskError::TooDeep {
                limit: 256,
                offset: 256
            }
        ),
        "{error}"
    );
    assert_eq!(
        error.to_string(),
        "the response nests deeper than the limit of 256 levels at byte 256"
    );
    // Also while copying and while skipping.
    let deep_copy = format!("{{\"a\": {}", "[".repeat(1_000_000));
    let error = policy
        .mask_response(&decision, deep_copy.as_bytes(), &MaskConfig::default())
        .unwrap_err();
    assert!(matches!(error, MaskError::TooDeep { .. }), "{error}");
    let deep_skip = format!("{{\"x\": {}", "{\"y\": ".repeat(1_000_000));
    let error = policy
        .mask_response(&decision, deep_skip.as_bytes(), &MaskConfig::default())
        .unwrap_err();
    assert!(matches!(error, MaskError::TooDeep { .. }), "{error}");
    // Within the limit, fine.
    let ok = format!("{}{}", "[".repeat(256), "]".repeat(256));
    assert_eq!(
        policy
            .mask_response(&decision, ok.as_bytes(), &MaskConfig::default())
            .unwrap(),
        ok.as_bytes()
    );
    let config = MaskConfig::default().with_max_depth(3);
    assert!(policy.mask_response(&decision, b"[[[]]]", &config).is_ok());
    assert!(matches!(
        policy.mask_response(&decision, b"[[[[]]]]", &config),
        Err(MaskError::TooDeep { limit: 3, .. })
    ));
}

#[test]
fn size_limit() {
    let policy = policy("mask response $.a with redact");
    let decision = allowed(&policy);
    let config = MaskConfig::default().with_max_bytes(10);
    assert!(policy
        .mask_response(&decision, br#"{"a": 123}"#, &config)
        .is_ok());
    let error = policy
        .mask_response(&decision, br#"{"a": 1234}"#, &config)
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "the response is larger than the limit of 10 bytes"
    );
    let mut out = Vec::new();
    let error = policy
        .mask_response_io(&decision, &br#"{"a": 1234}"#[..], &mut out, &config)
        .unwrap_err();
    assert!(matches!(error, MaskError::TooLarge { limit: 10 }));
}

#[test]
fn denied_decisions_have_nothing_to_mask() {
    let policy = policy("mask response $.a with redact");
    let decision = policy.decide(&Request::new("GET", "/r", "203.0.113.9".parse().unwrap()));
    assert!(!decision.allowed());
    let error = policy
        .mask_response(&decision, b"{}", &MaskConfig::default())
        .unwrap_err();
    assert!(matches!(error, MaskError::Denied));
    assert_eq!(
        error.to_string(),
        "the request was denied, so there is no response to mask"
    );
}

#[test]
fn no_masks_returns_the_body_unchanged() {
    let policy = policy("");
    let decision = allowed(&policy);
    let body = b"\n{ \"a\" : [1 , 2.50e+3, \"\\u00e9\"] ,\"b\":{}}\n\t";
    assert_eq!(
        policy
            .mask_response(&decision, body, &MaskConfig::default())
            .unwrap(),
        body
    );
    assert!(policy
        .mask_response(&decision, b"{\"a\": 1", &MaskConfig::default())
        .is_err());
}

#[test]
fn whitespace_is_kept_with_its_token() {
    let body = "{\n  \"id\": 1,\n  \"ssn\": \"123-45-6789\",\n  \"secret\": \"x\",\n  \"tags\": [\n    \"a\",\n    \"b\"\n  ]\n}\n";
    insta::assert_snapshot!(
        "pretty_input",
        mask(
            "mask response $.ssn keep last 4\n  mask response $.secret, $.tags[0] with remove",
            body
        )
    );
}

// ---------------------------------------------------------------- snapshots

#[test]
fn snapshots() {
    let catalog = r#"{"store": "Main St", "items": [{"sku": "A-1", "price": 9.5, "owner": {"name": "Ann", "email": "ann@example.com", "phone": "+1 555 0100"}, "history": [{"by": "ann@example.com", "ssn": "111-22-3333"}]}, {"sku": "B-2", "price": 12, "owner": {"name": "Bob", "email": "bob@example.org", "phone": null}, "history": []}], "total": 2}"#;
    let cases = [
        ("catalog_owner_email", "mask response $.items[*].owner.email with email"),
        ("catalog_recursive_ssn", "mask response $..ssn keep last 4\n  mask response $..by with hash"),
        ("catalog_remove_and_null", "mask response $.items[*].owner.phone with remove\n  mask response $.items[1] with null"),
        ("catalog_allow_list", "response only $.items[*].sku, $.items[*].owner.email, $.total\n  mask response $..email with email"),
        ("catalog_first_item_only", "response only $.items[0].sku, $.items[0].history\n  mask response $..ssn with redact"),
        ("catalog_wildcards", "mask response $.items.*.owner.* keep first 1"),
    ];
    for (name, rules) in cases {
        let out = mask(rules, catalog);
        let pretty =
            serde_json::to_string_pretty(&serde_json::from_str::<Ordered>(&out).unwrap()).unwrap();
        insta::assert_snapshot!(name, format!("{rules}\n\n{pretty}"));
    }
}

// ---------------------------------------------------------------- streaming

#[test]
fn streaming_in_any_chunks_gives_the_same_bytes() {
    let body = r#"{"id": 1, "e": "jane@example.com", "s": "x\u00e9\ud83d\ude00 long string", "n": [1.5e3, true, false, null, {"k": -0.25, "e": "b@c.d"}], "big": 123456789012345678901234567890}"#;
    let policy = policy("mask response $..e with email\n  mask response $.s keep last 3\n  mask response $.big with hash");
    let decision = allowed(&policy);
    let expected = policy
        .mask_response(&decision, body.as_bytes(), &config())
        .unwrap();
    for size in 1..body.len() {
        let mut stream = policy.mask_stream(&decision, &config()).unwrap();
        let mut out = Vec::new();
        for chunk in body.as_bytes().chunks(size) {
            stream.push(chunk, &mut out).unwrap();
        }
        stream.finish(&mut out).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(&expected),
            "chunks of {size}"
        );
    }
    let mut out = Vec::new();
    let written = policy
        .mask_response_io(&decision, body.as_bytes(), &mut out, &config())
        .unwrap();
    assert_eq!(out, expected);
    assert_eq!(written, out.len() as u64);
}

#[test]
fn streaming_errors_poison_the_stream() {
    let policy = policy("mask response $.a with redact");
    let decision = allowed(&policy);
    let mut stream = policy
        .mask_stream(&decision, &MaskConfig::default())
        .unwrap();
    let mut out = Vec::new();
    stream.push(br#"{"a": 1, "b": [1, 2"#, &mut out).unwrap();
    // Output is produced as tokens complete, before the document ends.
    assert_eq!(out, br#"{"a": "[REDACTED]", "b": [1,"#);
    assert!(stream.push(b", x]", &mut out).is_err());
    assert!(matches!(
        stream.push(b"}", &mut out),
        Err(MaskError::StreamFailed)
    ));
    // Truncated at the end.
    let mut stream = policy
        .mask_stream(&decision, &MaskConfig::default())
        .unwrap();
    stream.push(br#"{"a": 1"#, &mut out).unwrap();
    assert!(stream.finish(&mut out).is_err());
}

#[test]
fn one_byte_chunks_of_a_long_string_stay_linear() {
    let policy = policy("mask response $.a keep last 2");
    let decision = allowed(&policy);
    let body = format!(
        "{{\"a\": \"{}\", \"b\": {}}}",
        "x".repeat(1 << 20),
        "9".repeat(1 << 18)
    );
    let mut stream = policy
        .mask_stream(&decision, &MaskConfig::default())
        .unwrap();
    let mut out = Vec::new();
    let start = std::time::Instant::now();
    for byte in body.as_bytes().chunks(1) {
        stream.push(byte, &mut out).unwrap();
    }
    stream.finish(&mut out).unwrap();
    assert!(start.elapsed().as_secs() < 20, "quadratic re-scanning");
    assert_eq!(out.len(), body.len());
}

// ---------------------------------------------------------------- reference

/// JSON with member order kept, parsed by serde_json.
#[derive(Clone, Debug, PartialEq)]
enum Ordered {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Ordered>),
    Object(Vec<(String, Ordered)>),
}

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Ordered, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("JSON")
            }
            fn visit_unit<E>(self) -> Result<Ordered, E> {
                Ok(Ordered::Null)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Ordered, E> {
                Ok(Ordered::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Ordered, E> {
                Ok(Ordered::Number(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Ordered, E> {
                Ok(Ordered::Number(v.into()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Ordered, E> {
                serde_json::Number::from_f64(v)
                    .map(Ordered::Number)
                    .ok_or_else(|| E::custom("not finite"))
            }
            fn visit_str<E>(self, v: &str) -> Result<Ordered, E> {
                Ok(Ordered::String(v.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Ordered, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Ordered::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
                let mut members = Vec::new();
                while let Some((k, v)) = map.next_entry()? {
                    members.push((k, v));
                }
                Ok(Ordered::Object(members))
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl serde::Serialize for Ordered {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            Ordered::Null => s.serialize_unit(),
            Ordered::Bool(b) => s.serialize_bool(*b),
            Ordered::Number(n) => n.serialize(s),
            Ordered::String(v) => s.serialize_str(v),
            Ordered::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Ordered::Object(members) => {
                let mut map = s.serialize_map(Some(members.len()))?;
                for (k, v) in members {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Step {
    Child(String),
    Descend(String),
    Wild,
    Index(usize),
}

#[derive(Clone, Debug, PartialEq)]
enum Elem {
    Key(String),
    Index(usize),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Redact,
    Remove,
    Null,
    Hash,
    Email,
    KeepFirst(u32),
    KeepLast(u32),
}

impl Kind {
    fn text(self) -> String {
        match self {
            Kind::Redact => "with redact".into(),
            Kind::Remove => "with remove".into(),
            Kind::Null => "with null".into(),
            Kind::Hash => "with hash".into(),
            Kind::Email => "with email".into(),
            Kind::KeepFirst(n) => format!("keep first {n}"),
            Kind::KeepLast(n) => format!("keep last {n}"),
        }
    }

    /// Least revealing first.
    fn rank(self) -> (u8, u32, u8) {
        match self {
            Kind::Remove => (0, 0, 0),
            Kind::Null => (1, 0, 0),
            Kind::Redact => (2, 0, 0),
            Kind::Hash => (3, 0, 0),
            Kind::Email => (4, 0, 0),
            Kind::KeepFirst(n) => (5, n, 0),
            Kind::KeepLast(n) => (5, n, 1),
        }
    }
}

fn path_text(steps: &[Step]) -> String {
    let mut text = "$".to_string();
    for step in steps {
        match step {
            Step::Child(k) if k.chars().all(|c| c.is_ascii_alphanumeric()) => {
                text += &format!(".{k}")
            }
            Step::Child(k) => text += &format!("[{}]", serde_json::to_string(k).unwrap()),
            Step::Descend(k) => text += &format!("..{k}"),
            Step::Wild => text += "[*]",
            Step::Index(i) => text += &format!("[{i}]"),
        }
    }
    text
}

/// Whether `loc` matches the path exactly (brute force).
fn matches(steps: &[Step], loc: &[Elem]) -> bool {
    match (steps.split_first(), loc.split_first()) {
        (None, _) => loc.is_empty(),
        (Some(_), None) => false,
        (Some((step, rest)), Some((elem, tail))) => match (step, elem) {
            (Step::Child(k), Elem::Key(e)) => k == e && matches(rest, tail),
            (Step::Index(i), Elem::Index(e)) => i == e && matches(rest, tail),
            (Step::Wild, _) => matches(rest, tail),
            (Step::Descend(k), _) => {
                matches(steps, tail)
                    || matches!(elem, Elem::Key(e) if e == k) && matches(rest, tail)
            }
            _ => false,
        },
    }
}

/// Whether some longer location starting with `loc` could match.
fn live(steps: &[Step], loc: &[Elem]) -> bool {
    match (steps.split_first(), loc.split_first()) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some((step, rest)), Some((elem, tail))) => match (step, elem) {
            (Step::Child(k), Elem::Key(e)) => k == e && live(rest, tail),
            (Step::Index(i), Elem::Index(e)) => i == e && live(rest, tail),
            (Step::Wild, _) => live(rest, tail),
            (Step::Descend(k), _) => {
                live(steps, tail) || matches!(elem, Elem::Key(e) if e == k) && live(rest, tail)
            }
            _ => false,
        },
    }
}

#[derive(Clone, Debug)]
struct Spec {
    masks: Vec<(Vec<Vec<Step>>, Kind)>,
    allow: Option<Vec<Vec<Step>>>,
}

impl Spec {
    fn rules(&self) -> String {
        let mut rules = String::new();
        if let Some(allow) = &self.allow {
            let paths: Vec<String> = allow.iter().map(|p| path_text(p)).collect();
            rules += &format!("  response only {}\n", paths.join(", "));
        }
        for (paths, strategy) in &self.masks {
            let paths: Vec<String> = paths.iter().map(|p| path_text(p)).collect();
            rules += &format!("  mask response {} {}\n", paths.join(", "), strategy.text());
        }
        rules
    }

    fn strategy_at(&self, loc: &[Elem]) -> Option<Kind> {
        self.masks
            .iter()
            .filter(|(paths, _)| paths.iter().any(|p| matches(p, loc)))
            .map(|(_, s)| *s)
            .min_by_key(|s| s.rank())
    }
}

fn hmac_hex(bytes: &[u8], len: usize) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(KEY.as_bytes()).unwrap();
    mac.update(bytes);
    mac.finalize()
        .into_bytes()
        .iter()
        .take(len)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn transform(strategy: Kind, value: &Ordered) -> Option<Ordered> {
    let text = match value {
        _ if strategy == Kind::Remove => return None,
        Ordered::Null => return Some(Ordered::Null),
        _ if strategy == Kind::Null => return Some(Ordered::Null),
        Ordered::Array(_) | Ordered::Object(_) => {
            return Some(Ordered::String("[REDACTED]".into()))
        }
        _ if strategy == Kind::Redact => return Some(Ordered::String("[REDACTED]".into())),
        Ordered::String(s) => s.clone(),
        Ordered::Number(n) => n.to_string(),
        Ordered::Bool(b) => b.to_string(),
    };
    let chars: Vec<char> = text.chars().collect();
    let stars = |n: usize| "*".repeat(n);
    let out = match strategy {
        Kind::Hash => hmac_hex(text.as_bytes(), 8),
        Kind::Email => match chars.iter().rposition(|c| *c == '@') {
            None => "***".into(),
            Some(at) => {
                let first: String = chars[..at.min(1)].iter().collect();
                let domain: String = chars[at..].iter().collect();
                format!("{first}***{domain}")
            }
        },
        Kind::KeepFirst(n) | Kind::KeepLast(n) if chars.len() <= n as usize => stars(chars.len()),
        Kind::KeepFirst(n) => {
            chars[..n as usize].iter().collect::<String>() + &stars(chars.len() - n as usize)
        }
        Kind::KeepLast(n) => {
            stars(chars.len() - n as usize)
                + &chars[chars.len() - n as usize..].iter().collect::<String>()
        }
        _ => unreachable!(),
    };
    Some(Ordered::String(out))
}

/// The reference masker: `None` when the value is dropped.
fn reference(spec: &Spec, value: &Ordered, loc: &mut Vec<Elem>, keep_all: bool) -> Option<Ordered> {
    let mut keep_all = keep_all || spec.allow.is_none();
    if !loc.is_empty() && !keep_all {
        let allow = spec.allow.as_ref().unwrap();
        if allow.iter().any(|p| matches(p, loc)) {
            keep_all = true;
        } else if !allow.iter().any(|p| live(p, loc))
            || !matches!(value, Ordered::Array(_) | Ordered::Object(_))
        {
            return None;
        }
    }
    if let Some(strategy) = spec.strategy_at(loc) {
        return transform(strategy, value);
    }
    Some(match value {
        Ordered::Object(members) => Ordered::Object(
            members
                .iter()
                .filter_map(|(k, v)| {
                    loc.push(Elem::Key(k.clone()));
                    let out = reference(spec, v, loc, keep_all);
                    loc.pop();
                    out.map(|v| (k.clone(), v))
                })
                .collect(),
        ),
        Ordered::Array(items) => Ordered::Array(
            items
                .iter()
                .enumerate()
                .filter_map(|(i, v)| {
                    loc.push(Elem::Index(i));
                    let out = reference(spec, v, loc, keep_all);
                    loc.pop();
                    out
                })
                .collect(),
        ),
        other => other.clone(),
    })
}

// ---------------------------------------------------------------- generators

const KEYS: &[&str] = &["a", "b", "id", "email", "x y", "é"];

fn key() -> impl Strategy<Value = String> {
    prop::sample::select(KEYS).prop_map(str::to_string)
}

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            'a', 'z', '@', '.', '"', '\\', '\n', '\u{1}', 'é', '日', '😀', ' ', '*', '/',
        ]),
        0..8,
    )
    .prop_map(|c| c.into_iter().collect())
}

fn json() -> impl Strategy<Value = Ordered> {
    let leaf = prop_oneof![
        Just(Ordered::Null),
        any::<bool>().prop_map(Ordered::Bool),
        any::<i32>().prop_map(|n| Ordered::Number(n.into())),
        (-1000i32..1000).prop_map(|n| Ordered::Number(
            serde_json::Number::from_f64(f64::from(n) / 8.0).unwrap()
        )),
        text().prop_map(Ordered::String),
    ];
    leaf.prop_recursive(5, 64, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Ordered::Array),
            prop::collection::vec((key(), inner), 0..5).prop_map(|members| {
                // Unique keys: serde_json keeps only the last of duplicates.
                let mut seen = Vec::new();
                Ordered::Object(
                    members
                        .into_iter()
                        .filter(|(k, _)| {
                            let new = !seen.contains(k);
                            seen.push(k.clone());
                            new
                        })
                        .collect(),
                )
            }),
        ]
    })
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => key().prop_map(Step::Child),
        1 => prop::sample::select(&["a", "id", "email"][..]).prop_map(|k| Step::Descend(k.to_string())),
        2 => Just(Step::Wild),
        1 => (0usize..3).prop_map(Step::Index),
    ]
}

fn json_path() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(step(), 1..4)
}

fn strategy() -> impl Strategy<Value = Kind> {
    prop_oneof![
        Just(Kind::Redact),
        Just(Kind::Remove),
        Just(Kind::Null),
        Just(Kind::Hash),
        Just(Kind::Email),
        (0u32..4).prop_map(Kind::KeepFirst),
        (0u32..4).prop_map(Kind::KeepLast),
    ]
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        prop::collection::vec((prop::collection::vec(json_path(), 1..3), strategy()), 0..4),
        prop::option::weighted(0.4, prop::collection::vec(json_path(), 1..4)),
    )
        .prop_map(|(masks, allow)| Spec { masks, allow })
}

/// Renders JSON with optional whitespace and optional `\u` escapes for
/// every non-ASCII character, so the masker sees more than one spelling.
fn render(value: &Ordered, pretty: bool, escape: bool, out: &mut String) {
    let ws = if pretty { "\n " } else { "" };
    let string = |s: &str, out: &mut String| {
        if escape {
            out.push('"');
            for unit in s.encode_utf16() {
                match char::from_u32(u32::from(unit)) {
                    Some(c) if c.is_ascii() && c != '"' && c != '\\' && c >= ' ' => out.push(c),
                    _ => out.push_str(&format!("\\u{unit:04x}")),
                }
            }
            out.push('"');
        } else {
            out.push_str(&serde_json::to_string(s).unwrap());
        }
    };
    match value {
        Ordered::Null => out.push_str("null"),
        Ordered::Bool(b) => out.push_str(&b.to_string()),
        Ordered::Number(n) => out.push_str(&n.to_string()),
        Ordered::String(s) => string(s, out),
        Ordered::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(ws);
                render(item, pretty, escape, out);
            }
            out.push_str(ws);
            out.push(']');
        }
        Ordered::Object(members) => {
            out.push('{');
            for (i, (k, v)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(ws);
                string(k, out);
                out.push_str(if pretty { " : " } else { ":" });
                render(v, pretty, escape, out);
            }
            out.push_str(ws);
            out.push('}');
        }
    }
}

fn masked(spec: &Spec, body: &str) -> (PolicySet, Result<Vec<u8>, MaskError>) {
    let policy = policy(&spec.rules());
    let decision = allowed(&policy);
    let result = policy.mask_response(&decision, body.as_bytes(), &config());
    (policy, result)
}

/// The locations in `value` that a mask or the allow-list may change:
/// everything else must come through untouched.
fn touched(spec: &Spec, loc: &[Elem]) -> bool {
    spec.allow.is_some()
        || (1..=loc.len()).any(|n| spec.strategy_at(&loc[..n]).is_some())
        || spec
            .masks
            .iter()
            .any(|(paths, _)| paths.iter().any(|p| live(p, loc)))
}

/// Masking with masks only (no allow-list): every member and element that
/// is not itself removed is still there, in order; everything outside the
/// masked paths is unchanged.
fn same_structure(
    spec: &Spec,
    input: &Ordered,
    output: &Ordered,
    loc: &mut Vec<Elem>,
) -> Result<(), String> {
    if !touched(spec, loc) {
        return if input == output {
            Ok(())
        } else {
            Err(format!("{loc:?} changed: {input:?} -> {output:?}"))
        };
    }
    if spec.strategy_at(loc).is_some() && !loc.is_empty() {
        return Ok(());
    }
    let removed = |loc: &[Elem]| spec.strategy_at(loc) == Some(Kind::Remove);
    match (input, output) {
        (Ordered::Object(a), Ordered::Object(b)) => {
            let kept: Vec<&String> = a
                .iter()
                .map(|(k, _)| k)
                .filter(|k| {
                    loc.push(Elem::Key((*k).clone()));
                    let gone = removed(loc);
                    loc.pop();
                    !gone
                })
                .collect();
            let got: Vec<&String> = b.iter().map(|(k, _)| k).collect();
            if kept != got {
                return Err(format!("{loc:?}: keys {got:?}, expected {kept:?}"));
            }
            for (k, v) in a {
                if let Some((_, w)) = b.iter().find(|(kk, _)| kk == k) {
                    loc.push(Elem::Key(k.clone()));
                    same_structure(spec, v, w, loc)?;
                    loc.pop();
                }
            }
            Ok(())
        }
        (Ordered::Array(a), Ordered::Array(b)) => {
            let mut j = 0;
            for (i, v) in a.iter().enumerate() {
                loc.push(Elem::Index(i));
                if !removed(loc) {
                    let w = b
                        .get(j)
                        .ok_or_else(|| format!("{loc:?}: missing element"))?;
                    same_structure(spec, v, w, loc)?;
                    j += 1;
                }
                loc.pop();
            }
            if j == b.len() {
                Ok(())
            } else {
                Err(format!("{loc:?}: {} elements, expected {j}", b.len()))
            }
        }
        _ if input == output => Ok(()),
        _ => Err(format!("{loc:?} changed: {input:?} -> {output:?}")),
    }
}

/// Bytes that make near-miss JSON when inserted into a document.
const EDIT_BYTES: &[u8] = b"{}[]:,\"\\ 0123456789-+.eEtrufalsn\x01\x7f\xc3\xa9\xff";

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn agrees_with_the_reference(doc in json(), spec in spec(), pretty in any::<bool>(), escape in any::<bool>()) {
        let mut body = String::new();
        render(&doc, pretty, escape, &mut body);
        let (_, result) = masked(&spec, &body);
        let root_is_scalar = !matches!(doc, Ordered::Array(_) | Ordered::Object(_));
        if spec.allow.is_some() && root_is_scalar {
            prop_assert!(matches!(result, Err(MaskError::NotContainer)), "{:?}", result);
            return Ok(());
        }
        let out = result.map_err(|e| TestCaseError::fail(format!("{e}\n{}{body}", spec.rules())))?;
        let out = String::from_utf8(out).unwrap();
        let got: Ordered = serde_json::from_str(&out)
            .map_err(|e| TestCaseError::fail(format!("invalid output {out}: {e}")))?;
        let expected = reference(&spec, &doc, &mut Vec::new(), false).unwrap();
        prop_assert_eq!(got, expected, "\n{}input:  {}\noutput: {}", spec.rules(), body, out);
    }

    #[test]
    fn keeps_structure_and_untouched_fields(doc in json(), spec in spec(), pretty in any::<bool>()) {
        let spec = Spec { allow: None, ..spec };
        let mut body = String::new();
        render(&doc, pretty, false, &mut body);
        let (_, result) = masked(&spec, &body);
        let out = String::from_utf8(result.unwrap()).unwrap();
        let got: Ordered = serde_json::from_str(&out)
            .map_err(|e| TestCaseError::fail(format!("invalid output {out}: {e}")))?;
        same_structure(&spec, &doc, &got, &mut Vec::new())
            .map_err(|e| TestCaseError::fail(format!("{e}\n{}input:  {body}\noutput: {out}", spec.rules())))?;
    }

    #[test]
    fn chunks_do_not_change_the_output(doc in json(), spec in spec(), cuts in prop::collection::vec(0usize..1000, 0..6)) {
        let mut body = String::new();
        render(&doc, true, false, &mut body);
        let (policy, whole) = masked(&spec, &body);
        let decision = allowed(&policy);
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (body.len() + 1)).collect();
        cuts.sort_unstable();
        let mut stream = policy.mask_stream(&decision, &config()).unwrap();
        let mut out = Vec::new();
        let mut from = 0;
        let mut result = Ok(());
        for cut in cuts.into_iter().chain([body.len()]) {
            result = result.and_then(|()| stream.push(&body.as_bytes()[from..cut], &mut out));
            from = cut;
        }
        let result = result.and_then(|()| stream.finish(&mut out));
        match (whole, result) {
            (Ok(whole), Ok(())) => prop_assert_eq!(whole, out),
            (Err(_), Err(_)) => {}
            (whole, streamed) => prop_assert!(false, "slice {:?} vs stream {:?}", whole.map(|_| ()), streamed),
        }
    }

    #[test]
    fn accepts_exactly_what_serde_json_accepts(
        doc in json(),
        spec in spec(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, prop::sample::select(EDIT_BYTES)), 1..4),
    ) {
        let mut body = String::new();
        render(&doc, true, false, &mut body);
        let mut bytes = body.into_bytes();
        for (at, kind, byte) in edits {
            let i = at.index(bytes.len() + 1);
            match kind {
                0 if i < bytes.len() => { bytes.remove(i); }
                1 => bytes.insert(i, byte),
                _ if i < bytes.len() => bytes[i] = byte,
                _ => {}
            }
        }
        let policy = policy(&spec.rules());
        let decision = allowed(&policy);
        let ours = policy.mask_response(&decision, &bytes, &config());
        // Parsed to a `Value`, so strings are checked to be UTF-8 (skipping
        // them, as `IgnoredAny` does, checks less).
        let theirs = serde_json::from_slice::<serde_json::Value>(&bytes);
        match (&ours, &theirs) {
            (Ok(out), Ok(_)) => prop_assert!(serde_json::from_slice::<serde_json::Value>(out).is_ok()),
            (Err(_), Err(_)) | (Err(MaskError::NotContainer), Ok(_)) => {}
            // JSON sets no range on numbers; serde_json refuses `1e400`.
            (Ok(_), Err(e)) if e.to_string().starts_with("number out of range") => {}
            _ => prop_assert!(false, "masker {:?}, serde_json {:?} on {:?}", ours.as_ref().map(|_| ()), theirs.as_ref().map(|_| ()), String::from_utf8_lossy(&bytes)),
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..64), spec in spec()) {
        let policy = policy(&spec.rules());
        let decision = allowed(&policy);
        // serde_json refuses lone surrogate escapes, which are valid JSON text.
        let serde_agrees = !bytes.windows(2).any(|w| w == b"\\u");
        if let (Ok(out), true) = (policy.mask_response(&decision, &bytes, &config()), serde_agrees) {
            // Whatever is accepted is JSON, and so is the output.
            prop_assert!(serde_json::from_slice::<serde_json::Value>(&bytes).is_ok());
            prop_assert!(serde_json::from_slice::<serde_json::Value>(&out).is_ok());
        }
    }
}

// ---------------------------------------------------------------- checker

#[test]
fn paths_too_complex_to_compile_are_diagnosed() {
    let wild = "[*]".repeat(14);
    let text = format!(
        "api \"t\"\nauth user = jwt(issuer: \"https://id.example.com\")\nendpoint GET /r {{\n  authenticate user\n  mask response $..a{wild} with redact\n}}\n"
    );
    let error = PolicySet::from_source("t.gate", &text).unwrap_err();
    let diagnostic = error.diagnostics().errors().next().unwrap();
    assert_eq!(diagnostic.code.as_str(), "GH-E0701");
    assert_eq!(
        diagnostic.message,
        "the response paths of `GET /r` are too complex to compile"
    );

    let long = ".a".repeat(33);
    let text = format!(
        "api \"t\"\nauth user = jwt(issuer: \"https://id.example.com\")\nendpoint GET /r {{\n  authenticate user\n  response only ${long}\n}}\n"
    );
    let error = PolicySet::from_source("t.gate", &text).unwrap_err();
    let diagnostic = error.diagnostics().errors().next().unwrap();
    assert_eq!(diagnostic.code.as_str(), "GH-E0701");
    assert_eq!(diagnostic.message, "a JSON path may have at most 32 steps");
    // 32 steps are fine.
    policy(&format!("  response only ${}", ".a".repeat(32)));
}
