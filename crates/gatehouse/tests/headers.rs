//! The response headers of a decision, computed once from the compiled
//! tree and the quota table: `WWW-Authenticate` (401), `Allow` (405),
//! `RateLimit-*` and `Retry-After` (429), and none for a plain denial.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use gatehouse::{PolicySet, Principal, Reason, Request};

const POLICY: &str = r#"
api "pets" version "1"
auth user = jwt(issuer: "https://id.example.com")
auth partner = jwt(issuer: "https://partners.example.com")
auth key = api_key(header: "X-API-Key")
scopes { pets:read "Read pets" }

endpoint GET /pets {
  authenticate user | key | partner
  require pets:read
  quota 2/min by principal
}

endpoint DELETE /pets/{id:int} {
  authenticate user
}
"#;

fn peer() -> std::net::IpAddr {
    "203.0.113.9".parse().unwrap()
}

#[test]
fn a_401_names_each_distinct_challenge_once() {
    let policy = PolicySet::from_source("pets.gate", POLICY).unwrap();
    let request = Request::new("GET", "/pets", peer());
    let decision = policy.decide(&request);
    assert_eq!(decision.reason(), Reason::Unauthenticated);
    let headers = policy.response_headers(&request, &decision);
    // `user | key | partner`: two JWT schemes share one Bearer challenge,
    // which is named once even though they are not adjacent.
    assert_eq!(
        headers.get("www-authenticate"),
        Some(r#"Bearer realm="pets", ApiKey realm="pets", header="X-API-Key""#)
    );
    assert_eq!(headers.len(), 1);
}

#[test]
fn a_405_lists_the_methods_the_path_allows() {
    let policy = PolicySet::from_source("pets.gate", POLICY).unwrap();
    let request = Request::new("PUT", "/pets/7", peer());
    let decision = policy.decide(&request);
    assert_eq!(decision.reason(), Reason::MethodNotAllowed);
    let headers = policy.response_headers(&request, &decision);
    assert_eq!(headers.get("Allow"), Some("DELETE"));

    let request = Request::new("POST", "/pets", peer());
    let decision = policy.decide(&request);
    assert_eq!(decision.status(), 405);
    // HEAD is answered by GET.
    let allow = policy.response_headers(&request, &decision);
    assert_eq!(allow.get("Allow"), Some("GET, HEAD"));
}

#[test]
fn a_429_says_when_to_retry() {
    let policy = PolicySet::from_source("pets.gate", POLICY).unwrap();
    let alice = Principal::new("user", "alice").with_scopes(["pets:read"]);
    let request = Request::new("GET", "/pets", peer())
        .principal(&alice)
        .at(1_000);
    let first = policy.decide(&request);
    assert!(first.allowed());
    let headers = policy.response_headers(&request, &first);
    let names: Vec<&str> = headers.iter().map(|(name, _)| name).collect();
    assert_eq!(
        names,
        [
            "RateLimit-Limit",
            "RateLimit-Policy",
            "RateLimit-Remaining",
            "RateLimit-Reset"
        ]
    );
    assert_eq!(headers.get("RateLimit-Remaining"), Some("1"));
    assert_eq!(headers.get("RateLimit-Policy"), Some("2;w=60"));

    policy.decide(&request);
    let third = policy.decide(&request);
    assert_eq!(third.reason(), Reason::QuotaExceeded);
    let headers = policy.response_headers(&request, &third);
    assert_eq!(headers.get("RateLimit-Remaining"), Some("0"));
    assert_eq!(headers.get("Retry-After"), Some("30"));
}

#[test]
fn a_plain_denial_calls_for_no_header() {
    let policy = PolicySet::from_source("pets.gate", POLICY).unwrap();
    let bob = Principal::new("user", "bob");
    let request = Request::new("GET", "/pets", peer())
        .principal(&bob)
        .at(1_000);
    let decision = policy.decide(&request);
    assert_eq!(decision.reason(), Reason::InsufficientScope);
    assert!(policy.response_headers(&request, &decision).is_empty());
    let request = Request::new("GET", "/nowhere", peer());
    let decision = policy.decide(&request);
    assert!(policy.response_headers(&request, &decision).is_empty());
}
