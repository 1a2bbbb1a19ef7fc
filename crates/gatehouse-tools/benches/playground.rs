//! The native figures beside the playground's in-page benchmark
//! (examples/playground/bench.html): the same policy (`policies/petstore.gate`)
//! and the same request (alice reads her own profile, `GET /v1/users/alice`),
//! through the same `gatehouse_tools::json_api` functions the WebAssembly module
//! calls.
//!
//! - `playground/decide`: `json_api::decide_status` on a request parsed once
//!   (what `policy.decideStatus(parsed, time)` runs in the page);
//! - `playground/evaluate_json`: `json_api::evaluate_with` from request JSON
//!   to the decision report as a JSON value (what `policy.evaluate(json)`
//!   runs, less the page's `JSON.parse` of the result).
//!
//! Quotas count in the policy set's in-memory store; each request is 4 s
//! after the last, so `quota 1000/hour by principal` always has room and
//! every request is allowed, as in the page.
//!
//! `cargo bench -p gatehouse-tools --bench playground`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use gatehouse_tools::json_api::{self, EvaluateOptions};

const PETSTORE: &str = include_str!("../../../policies/petstore.gate");

/// The request of examples/playground/src/bench.js, without its time.
const REQUEST: &str = r#"{"method":"GET","path":"/v1/users/alice","client_ip":"203.0.113.5","headers":[["X-Request-Id","7f3a"]],"principal":{"scheme":"user","subject":"alice","scopes":["users:read"]}}"#;

fn playground(c: &mut Criterion) {
    let policy = json_api::load(json_api::source(Some("petstore.gate"), PETSTORE)).unwrap();
    let parsed = json_api::request_from_json(REQUEST).unwrap();
    let mut now: u64 = 1_700_000_000_000;
    let mut group = c.benchmark_group("playground");
    group.bench_function("decide", |b| {
        b.iter(|| {
            now += 4000;
            let status = json_api::decide_status(&policy, black_box(&parsed), Some(now));
            assert_eq!(status, 200);
            status
        })
    });
    group.bench_function("evaluate_json", |b| {
        b.iter(|| {
            now += 4000;
            let options = EvaluateOptions {
                time_ms: Some(now),
                ..EvaluateOptions::default()
            };
            let report = json_api::evaluate_with(&policy, black_box(REQUEST), &options).unwrap();
            assert_eq!(report["status"], 200);
            report
        })
    });
    group.finish();
}

criterion_group!(benches, playground);
criterion_main!(benches);
