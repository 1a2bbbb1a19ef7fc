//! Response masking against its peer, in one criterion group: masking
//! three fields in every record of a ~100 KB array of 500 users with the
//! streaming masker, and a serde_json parse + serialize of the same
//! document (the least a DOM-based masker would do).
//!
//! `cargo bench -p gatehouse --bench mask`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout
)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gatehouse::mask::MaskConfig;
use gatehouse::{PolicySet, Principal, Request};

const POLICY: &str = r#"
api "users"
auth user = jwt(issuer: "https://id.example.com")
endpoint GET /users {
  authenticate user
  mask response $[*].email with email
  mask response $[*].ssn keep last 4
  mask response $[*].phone with redact
}
"#;

/// 500 user records, compact, about 100 KB.
fn users() -> Vec<u8> {
    let cities = [
        "Springfield",
        "Shelbyville",
        "Ogdenville",
        "North Haverbrook",
        "Capital City",
    ];
    let plans = ["free", "pro", "enterprise"];
    let records: Vec<serde_json::Value> = (0..500u32)
        .map(|i| {
            serde_json::json!({
                "id": 100_000 + i,
                "name": format!("User Number {i}"),
                "email": format!("user.{i}@example.com"),
                "ssn": format!("{:03}-{:02}-{:04}", i % 900, i % 100, (i * 7919) % 10_000),
                "phone": format!("+1-555-{:04}", (i * 37) % 10_000),
                "address": {
                    "street": format!("{} Evergreen Terrace", i + 1),
                    "city": cities[i as usize % cities.len()],
                    "zip": format!("{:05}", (i * 131) % 100_000),
                },
                "plan": plans[i as usize % plans.len()],
                "active": i % 3 != 0,
            })
        })
        .collect();
    serde_json::to_vec(&records).unwrap()
}

fn bench(c: &mut Criterion) {
    let policy = PolicySet::from_source("users.gate", POLICY).unwrap();
    let alice = Principal::new("user", "alice");
    let decision = policy
        .decide(&Request::new("GET", "/users", "203.0.113.9".parse().unwrap()).principal(&alice));
    assert!(decision.allowed());
    let config = MaskConfig::default();
    let body = users();
    let masked = policy.mask_response(&decision, &body, &config).unwrap();
    let check: serde_json::Value = serde_json::from_slice(&masked).unwrap();
    assert_eq!(check[7]["email"], "u***@example.com");
    assert_eq!(check[7]["phone"], "[REDACTED]");
    println!(
        "document: {} bytes, {} records",
        body.len(),
        check.as_array().unwrap().len()
    );

    let mut group = c.benchmark_group("mask_500_users");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("gatehouse_mask_response", |b| {
        b.iter(|| {
            policy
                .mask_response(black_box(&decision), black_box(&body), &config)
                .unwrap()
        })
    });
    group.bench_function("serde_json_parse_serialize", |b| {
        b.iter(|| {
            let value: serde_json::Value = serde_json::from_slice(black_box(&body)).unwrap();
            serde_json::to_vec(&value).unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
