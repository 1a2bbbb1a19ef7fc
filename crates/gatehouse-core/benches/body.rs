//! Validating a ~1 KB JSON body against a 10-field rule set, against its
//! peer, in one criterion run (parse included for both).
//!
//! - `body/gatehouse_validate`: the streaming validator alone
//!   ([`gatehouse_core::payload::validate::Validator`]) over the compiled rule
//!   set: JSON limits, types, ranges, formats, a pattern, an enum, a nested
//!   object, an array of strings, unknown fields rejected; no DOM.
//! - `body/serde_json_jsonschema`: the design's peer: `serde_json` parses
//!   the body into a `Value`, and `jsonschema` validates it against the
//!   equivalent JSON Schema (formats on, `additionalProperties: false`).
//! - `body/gatehouse_decide`: a whole decision with that body (routing,
//!   authentication, scopes, content type, size, then the body), for scale.
//!
//! The design's target: 3x faster than the peer.
//!
//! `cargo bench -p gatehouse-core --bench body -- --warm-up-time 1 --measurement-time 3`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use gatehouse_core::payload::validate::{Outcome, Validator};
use gatehouse_core::payload::{LimitSpans, Limits, Schema};
use gatehouse_core::quota::MemoryStore;
use gatehouse_core::span::Span;
use gatehouse_core::{CompiledSet, Principal, Request};

const POLICY: &str = r#"
api "people" version "1"
auth user = jwt(issuer: "https://id.example.com")
scopes { people:write }

endpoint POST /people {
  authenticate user
  require people:write
  body max 16KiB
  body json limits(depth: 8, array: 50, string: 4KiB) {
    id: uuid
    name: string(1..64)
    email: email
    age: int(0..150)
    score: number(0..100)
    active: bool
    role: enum("admin", "editor", "viewer")
    tags: array(0..10) of string(1..32) matches "^[a-z0-9-]+$"
    address: { street: string(1..128), city: string(1..64), zip: string matches "^[0-9]{5}$" }
    bio?: string(..1024)
  }
}
"#;

const SCHEMA: &str = r#"{
  "type": "object",
  "additionalProperties": false,
  "required": ["id", "name", "email", "age", "score", "active", "role", "tags", "address"],
  "properties": {
    "id": {"type": "string", "format": "uuid"},
    "name": {"type": "string", "minLength": 1, "maxLength": 64},
    "email": {"type": "string", "format": "email"},
    "age": {"type": "integer", "minimum": 0, "maximum": 150},
    "score": {"type": "number", "minimum": 0, "maximum": 100},
    "active": {"type": "boolean"},
    "role": {"enum": ["admin", "editor", "viewer"]},
    "tags": {"type": "array", "maxItems": 10,
             "items": {"type": "string", "minLength": 1, "maxLength": 32, "pattern": "^[a-z0-9-]+$"}},
    "address": {"type": "object", "additionalProperties": false, "required": ["street", "city", "zip"],
                "properties": {"street": {"type": "string", "minLength": 1, "maxLength": 128},
                               "city": {"type": "string", "minLength": 1, "maxLength": 64},
                               "zip": {"type": "string", "pattern": "^[0-9]{5}$"}}},
    "bio": {"type": "string", "maxLength": 1024}
  }
}"#;

/// A valid body of about 1 KB.
fn body() -> Vec<u8> {
    let bio = "Ada writes compilers and policy engines, reviews pull requests on weekends, \
               and keeps a garden of heirloom tomatoes. She has spoken at conferences about \
               parsing without recursion, streaming validation and the joy of small, careful \
               tools. Before that she ran the payments platform of a mid-sized bank, where \
               she learned that every input is hostile until proven otherwise, and that the \
               best error message names the exact field that broke the rule. She likes long \
               walks, short meetings and JSON without duplicate keys, and she answers \
               every review within a day, with a test that shows the bug.";
    let text = serde_json::json!({
        "id": "123e4567-e89b-12d3-a456-426614174000",
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "age": 36,
        "score": 97.5,
        "active": true,
        "role": "editor",
        "tags": ["compilers", "policy", "rust", "gardening", "payments"],
        "address": {"street": "12 Analytical Engine Row", "city": "London", "zip": "12345"},
        "bio": bio,
    });
    serde_json::to_vec_pretty(&text).unwrap()
}

fn bench(c: &mut Criterion) {
    let policy = CompiledSet::from_source("people.gate", POLICY)
        .unwrap_or_else(|e| panic!("{:?}", e.diagnostics));
    let model_fields = policy.model().apis[0].endpoints[0]
        .body
        .json
        .as_ref()
        .unwrap()
        .schema
        .as_ref()
        .unwrap();
    let schema = Schema::compile(model_fields);
    let limits = Limits {
        depth: 8,
        array: 50,
        string: 4096,
        ..Limits::DEFAULT
    };
    let body = body();
    assert!(
        (900..1300).contains(&body.len()),
        "the body is {} bytes",
        body.len()
    );

    let validate = |bytes: &[u8]| {
        let mut v = Validator::new(
            Some(&schema),
            Span::default(),
            limits,
            LimitSpans::default(),
            true,
        );
        v.feed(bytes);
        v.finish();
        v.outcome()
    };
    assert_eq!(validate(&body), Outcome::Valid);

    let json_schema: serde_json::Value = serde_json::from_str(SCHEMA).unwrap();
    let peer = jsonschema::options()
        .should_validate_formats(true)
        .build(&json_schema)
        .unwrap();
    let peer_validate = |bytes: &[u8]| {
        let value: serde_json::Value = serde_json::from_slice(bytes).unwrap();
        peer.is_valid(&value)
    };
    assert!(peer_validate(&body));
    // Both refuse the same broken bodies.
    let broken = String::from_utf8(body.clone())
        .unwrap()
        .replace("\"editor\"", "\"owner\"");
    assert!(matches!(validate(broken.as_bytes()), Outcome::Rule(_)));
    assert!(!peer_validate(broken.as_bytes()));

    let store = MemoryStore::new();
    let alice = Principal::new("user", "alice").with_scopes(["people:write"]);
    let headers = [("Content-Type", "application/json")];
    let request = Request::new("POST", "/people", "203.0.113.9".parse().unwrap())
        .headers(&headers)
        .principal(&alice)
        .body(&body);
    assert!(policy.decide_with(&request, &store).allowed);

    let mut group = c.benchmark_group("body");
    group.throughput(criterion::Throughput::Bytes(body.len() as u64));
    group.bench_function("gatehouse_validate", |b| {
        b.iter(|| validate(black_box(&body)))
    });
    group.bench_function("serde_json_jsonschema", |b| {
        b.iter(|| peer_validate(black_box(&body)))
    });
    group.bench_function("gatehouse_decide", |b| {
        b.iter(|| policy.decide_with(black_box(&request), &store))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
