//! A principal resolved against a policy set decides exactly as the plain
//! principal, and never lends its scopes to another policy set or to
//! another principal.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::IpAddr;

use gatehouse::{PolicySet, Principal, Reason, Request};

fn set(scopes: &str) -> PolicySet {
    let text = format!(
        r#"
api "t"
scopes {{ {scopes} }}
auth user = jwt(issuer: "https://id.example.com", audience: "t")
endpoint GET /x {{ authenticate user  require x }}
endpoint GET /y {{ authenticate user  require y }}
"#
    );
    PolicySet::from_source("t.gate", &text).unwrap()
}

fn peer() -> IpAddr {
    "203.0.113.5".parse().unwrap()
}

#[test]
fn resolved_decides_as_plain() {
    let policy = set("x y");
    let plain = Principal::new("user", "alice").with_scopes(["x"]);
    let resolved = policy.resolve(plain.clone());
    for path in ["/x", "/y"] {
        let a = policy.decide(&Request::new("GET", path, peer()).principal(&plain));
        let b = policy.decide(&Request::new("GET", path, peer()).resolved_principal(&resolved));
        assert_eq!(a, b, "{path}");
    }
    assert!(policy
        .decide(&Request::new("GET", "/x", peer()).resolved_principal(&resolved))
        .allowed());
    // A clone holds the same compiled tree.
    let clone = policy.clone();
    assert!(clone
        .decide(&Request::new("GET", "/x", peer()).resolved_principal(&resolved))
        .allowed());
}

#[test]
fn a_resolution_is_not_used_by_another_policy_set() {
    // The same scope names in the other order: scope ids differ, so a
    // resolution read by the wrong set would grant `y` for `x`.
    let first = set("x y");
    let second = set("y x");
    let alice = first.resolve(Principal::new("user", "alice").with_scopes(["x"]));
    let on_second =
        |path| second.decide(&Request::new("GET", path, peer()).resolved_principal(&alice));
    assert!(on_second("/x").allowed());
    assert_eq!(on_second("/y").reason(), Reason::InsufficientScope);
    // Recompiling the same text is another set too.
    let again = set("x y");
    assert!(again
        .decide(&Request::new("GET", "/x", peer()).resolved_principal(&alice))
        .allowed());
}

#[test]
fn a_resolution_follows_its_principal() {
    let policy = set("x y");
    let alice = policy.resolve(Principal::new("user", "alice").with_scopes(["x", "y"]));
    let bob = Principal::new("user", "bob");
    // The principal replaced after the resolved one was set: bob's own
    // (empty) scopes decide, not alice's.
    let mut request = Request::new("GET", "/x", peer()).resolved_principal(&alice);
    request.principal = Some(&bob);
    assert_eq!(policy.decide(&request).reason(), Reason::InsufficientScope);
    // And `principal()` after `resolved_principal()` drops the resolution.
    let request = Request::new("GET", "/x", peer())
        .resolved_principal(&alice)
        .principal(&bob);
    assert_eq!(policy.decide(&request).reason(), Reason::InsufficientScope);
    assert_eq!(alice.principal().subject, "alice");
}
