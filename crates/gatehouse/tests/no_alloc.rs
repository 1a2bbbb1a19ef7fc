//! The design's bar: no heap allocation on the decision path for a request
//! without a body.
//!
//! `allocation-counter` replaces the global allocator for this test binary
//! and counts the allocations made by the current thread inside
//! `measure`, so tests running in parallel do not disturb each other and
//! this file needs no `unsafe`. Each request is decided once before it is
//! measured, so that one-time lazy initialisation (none is expected) would
//! not be mistaken for a per-request cost; `first_decisions_allocate_nothing_either`
//! holds the very first decision to the same bar.
#![forbid(unsafe_code)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::net::IpAddr;

use gatehouse::{PolicySet, Principal, Reason, Request};

const PETSTORE: &str = include_str!("../../../policies/petstore.gate");

fn petstore() -> PolicySet {
    PolicySet::from_source("petstore.gate", PETSTORE).unwrap_or_else(|e| panic!("{e}"))
}

fn peer() -> IpAddr {
    IpAddr::from([203, 0, 113, 9])
}

const HEADERS: &[(&str, &str)] = &[
    ("Accept", "application/json"),
    ("User-Agent", "no-alloc-test/1.0"),
];

/// Decides `request` once to warm up, then asserts that deciding it again
/// allocates nothing and gives `expected`.
fn assert_no_alloc(policy: &PolicySet, request: &Request<'_>, expected: Reason) {
    // Quotas count at the request's time; the warm-up creates the counters,
    // so the measured call finds them (a new key allocates once).
    let request = &request.at(1_735_689_600_000);
    let warm = policy.decide(request);
    assert_eq!(warm.reason(), expected, "{warm:?}");
    let mut reason = None;
    let info = allocation_counter::measure(|| {
        let decision = policy.decide(black_box(request));
        reason = Some(decision.reason());
        drop(black_box(decision));
    });
    assert_eq!(reason, Some(expected));
    assert_eq!(
        info.count_total, 0,
        "deciding {} {} ({expected}) allocated {} time(s), {} byte(s)",
        request.method, request.target, info.count_total, info.bytes_total
    );
}

#[test]
fn the_counter_sees_allocations() {
    // The control: without it, a broken counter would pass every test here.
    let info = allocation_counter::measure(|| {
        black_box(Vec::<u8>::with_capacity(1));
    });
    assert_eq!(info.count_total, 1);
    let info = allocation_counter::measure(|| {
        black_box(String::from("a string on the heap"));
    });
    assert!(info.count_total >= 1 && info.bytes_total >= 20, "{info:?}");
}

#[test]
fn an_allowed_request_allocates_nothing() {
    let policy = petstore();
    let alice = Principal::new("user", "alice").with_scopes(["pets:read"]);
    let request = Request::new("GET", "/v1/pets/7", peer())
        .headers(HEADERS)
        .principal(&alice);
    assert_no_alloc(&policy, &request, Reason::Allowed);
    // With a query string and a condition that reads the path and the
    // principal (`path.uid == principal.sub`).
    let alice = Principal::new("user", "alice").with_scopes(["users:read"]);
    let request = Request::new("GET", "/v1/users/alice?fields=name", peer())
        .headers(HEADERS)
        .principal(&alice);
    assert_no_alloc(&policy, &request, Reason::Allowed);
    // A principal resolved against the set in advance.
    let resolved = policy.resolve(alice);
    let request = Request::new("GET", "/v1/users/alice?fields=name", peer())
        .headers(HEADERS)
        .resolved_principal(&resolved);
    assert_no_alloc(&policy, &request, Reason::Allowed);
    // A public endpoint, no principal.
    let request = Request::new("GET", "/v1/health", peer()).headers(HEADERS);
    assert_no_alloc(&policy, &request, Reason::Allowed);
}

#[test]
fn a_request_denied_by_scope_allocates_nothing() {
    let policy = petstore();
    let bob = Principal::new("key", "bob").with_scopes(["users:read"]);
    let request = Request::new("GET", "/v1/pets/7", peer())
        .headers(HEADERS)
        .principal(&bob);
    assert_no_alloc(&policy, &request, Reason::InsufficientScope);
}

#[test]
fn a_route_not_found_allocates_nothing() {
    let policy = petstore();
    let alice = Principal::new("user", "alice").with_scopes(["pets:read"]);
    let request = Request::new("GET", "/v1/kennels/3", peer())
        .headers(HEADERS)
        .principal(&alice);
    assert_no_alloc(&policy, &request, Reason::RouteNotFound);
    let request = Request::new("GET", "/v2/pets", peer()).headers(HEADERS);
    assert_no_alloc(&policy, &request, Reason::RouteNotFound);
}

#[test]
fn other_denials_of_plain_paths_allocate_nothing() {
    // Paths without percent-encoding: segments borrow the target.
    let policy = petstore();
    let alice = Principal::new("user", "alice").with_scopes(["pets:read"]);
    let cases: &[(&str, &str, Option<&Principal>, Reason)] = &[
        ("PUT", "/v1/pets", Some(&alice), Reason::MethodNotAllowed),
        ("GET", "/v1/pets", None, Reason::Unauthenticated),
        (
            "GET",
            "/v1/users/bob",
            Some(&alice),
            Reason::InsufficientScope,
        ),
        ("GET", "/v1/admin/stats", Some(&alice), Reason::IpNotAllowed),
        (
            "GET",
            "/v1/pets/../admin",
            Some(&alice),
            Reason::PathMalformed,
        ),
        ("GET", "/v1/pets#x", Some(&alice), Reason::FragmentPresent),
    ];
    for (method, target, principal, expected) in cases {
        let mut request = Request::new(method, target, peer()).headers(HEADERS);
        if let Some(p) = principal {
            request = request.principal(p);
        }
        assert_no_alloc(&policy, &request, *expected);
    }
    let carol = Principal::new("user", "carol").with_scopes(["users:read"]);
    let request = Request::new("GET", "/v1/users/alice", peer())
        .headers(HEADERS)
        .principal(&carol);
    assert_no_alloc(&policy, &request, Reason::ConditionFailed);
}

#[test]
fn first_decisions_allocate_nothing_either() {
    // No warm-up: the very first decision on a fresh policy set (and on this
    // thread) must not allocate lazily.
    let policy = petstore();
    let alice = Principal::new("user", "alice").with_scopes(["pets:read"]);
    let request = Request::new("GET", "/v1/pets/7", peer())
        .headers(HEADERS)
        .principal(&alice);
    let info = allocation_counter::measure(|| {
        black_box(policy.decide(black_box(&request)));
    });
    assert_eq!(info.count_total, 0, "{info:?}");
}

#[test]
fn query_header_and_body_rules_allocate_nothing_for_a_bodiless_request() {
    // Query and header rules are checked in place (nothing to decode here),
    // and body rules that cannot fail without a body cost nothing.
    let policy = PolicySet::from_source(
        "items.gate",
        r#"
        api "items"
        defaults {
          body max 64KiB
          body types "application/json"
        }
        endpoint GET /items {
          public
          query only { limit?: int(1..100), sort?: enum("name", "age"), ids?: array(..5) of int }
          headers { x-request-id?: uuid }
          body json limits(depth: 4)
        }
        "#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let headers = [
        ("X-Request-Id", "123e4567-e89b-12d3-a456-426614174000"),
        ("Accept", "application/json"),
    ];
    let request =
        Request::new("GET", "/items?limit=10&sort=name&ids=1&ids=2", peer()).headers(&headers);
    assert_no_alloc(&policy, &request, Reason::Allowed);
}
