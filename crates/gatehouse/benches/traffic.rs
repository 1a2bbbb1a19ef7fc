//! Deciding traffic that looks like traffic, against the hand-written floor,
//! in one criterion run.
//!
//! The API is the shape of a real one: the routes of `policies/github.gate`
//! (208 endpoints under `/gh/v3`: static and parameter segments sharing
//! prefixes, several methods per path, `{id:int}` parameters, `*` and `**`),
//! each with its `public` or `require` rule, behind `authenticate token`.
//! The rest of that policy (quotas, `when`, body rules, masks) is left out
//! on both sides, so that Gatehouse and the floor do the same work: route,
//! check integer parameters, check scopes.
//!
//! The traffic: 1,000 distinct requests taken round-robin, about 70%
//! allowed, 17% denied for a missing scope, 8% to no route, 3% with a
//! method the path does not take (405) and 2% with a malformed path (`..`,
//! `%2F`, `//`), over varied owners, repositories, ids and names, from 64
//! callers holding 1 to 6 scopes each.
//!
//! - `traffic/gatehouse_decide`: `PolicySet::decide`, each caller's
//!   principal built once (as a host that caches principals per token);
//! - `traffic/gatehouse_resolved`: the same, each caller's principal also
//!   resolved against the policy set once (`PolicySet::resolve`: scope
//!   bitsets instead of scope names);
//! - `traffic/gatehouse_principal_per_request`: the principal built from
//!   its scope strings for every request (as a host that does not);
//! - `traffic/gatehouse_principal_rebuilt_per_request`: the same, one
//!   principal rebuilt in place for every request (`Principal::rebuild`,
//!   as a worker that keeps its principal would: no allocation);
//! - `traffic/floor_matchit`: the floor, a hand-written router (`matchit`,
//!   one router per method) with a required-scope bitmask per route and
//!   the caller's scopes as a bitmask, built once per caller.
//!
//! Before measuring, every request is decided by both and the answers are
//! compared (the floor does not look for malformed paths, so those are
//! left out of the comparison).
//!
//! The routes, the policy, the floor and the traffic are built in
//! `benches/traffic/workload.rs`, which the peer benchmark
//! (`crates/gatehouse-peers-bench`: Cedar and regorus on the same requests)
//! includes too.
//!
//! `cargo bench -p gatehouse --bench traffic`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use gatehouse::{Principal, Request};

#[path = "traffic/workload.rs"]
mod workload;

use workload::{peer, Workload};

fn bench(c: &mut Criterion) {
    let workload = Workload::new();
    let Workload {
        set,
        floor,
        callers,
        traffic,
        granted,
        ..
    } = &workload;
    let requests = workload.requests();

    // The two deciders agree, and the mix is what the docs say.
    workload.verify(&requests);

    let mut group = c.benchmark_group("traffic");
    // Deciding `requests` round-robin.
    let round_robin = |b: &mut criterion::Bencher<'_>, requests: &[Request<'_>]| {
        let mut i = 0;
        b.iter(|| {
            let request = &requests[i % requests.len()];
            i += 1;
            set.decide(black_box(request))
        })
    };
    group.bench_function("gatehouse_decide", |b| round_robin(b, &requests));
    // Each caller's principal resolved against the set once, as a host that
    // keeps principals per token would (`PolicySet::resolve`).
    let resolved: Vec<_> = workload
        .principals
        .iter()
        .map(|p| set.resolve(p.clone()))
        .collect();
    let resolved_requests: Vec<Request<'_>> = traffic
        .requests
        .iter()
        .map(|(method, path, caller)| {
            Request::new(method, path, peer()).resolved_principal(&resolved[*caller])
        })
        .collect();
    for (plain, resolved) in requests.iter().zip(&resolved_requests) {
        assert_eq!(set.decide(plain), set.decide(resolved));
    }
    group.bench_function("gatehouse_resolved", |b| round_robin(b, &resolved_requests));
    group.bench_function("gatehouse_principal_per_request", |b| {
        let mut i = 0;
        b.iter(|| {
            let n = i % requests.len();
            i += 1;
            let (method, path, caller) = &traffic.requests[n];
            let principal = Principal::new("token", "caller")
                .with_scopes(black_box(&callers[*caller]).iter().cloned());
            set.decide(
                &Request::new(black_box(method), black_box(path), peer()).principal(&principal),
            )
        })
    });
    // The same, the principal rebuilt in place for every request
    // (`Principal::rebuild`), as a worker that keeps one principal would.
    group.bench_function("gatehouse_principal_rebuilt_per_request", |b| {
        let mut i = 0;
        let mut principal = Principal::default();
        b.iter(|| {
            let n = i % requests.len();
            i += 1;
            let (method, path, caller) = &traffic.requests[n];
            principal.rebuild(
                "token",
                "caller",
                black_box(&callers[*caller]).iter().map(String::as_str),
            );
            set.decide(
                &Request::new(black_box(method), black_box(path), peer()).principal(&principal),
            )
        })
    });
    group.bench_function("floor_matchit", |b| {
        let mut i = 0;
        b.iter(|| {
            let (method, path, caller) = &traffic.requests[i % requests.len()];
            i += 1;
            floor.allows(black_box(method), black_box(path), granted[*caller])
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
