//! Property: no policy text makes the front end panic.
//!
//! Arbitrary bytes that are UTF-8 go through `gatehouse_core::check_sources`
//! (parse, then check). Whatever comes back must be consistent: a model
//! only when there are no errors. When the text checks, `PolicySet::load`
//! must accept it too (it compiles the same model), and deciding and
//! interpreting a few fixed requests against it must not panic.
//!
//! Seeds: `fuzz/seed.sh` copies the repository's policies into
//! `fuzz/corpus/parse_check/` (the working corpus; the minimised one is
//! committed in `fuzz/replay/parse_check/`), and
//! `fuzz/gatehouse.dict` gives libFuzzer the language's tokens.

use std::net::IpAddr;

use gatehouse::{PolicySet, Principal, Request, Sources};
use gatehouse_core::check_sources;

/// Checks the property on one input; panics when it does not hold.
pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut sources = Sources::new();
    sources.add("fuzz.gate", text);
    let (model, diagnostics) = check_sources(&sources);
    assert_eq!(
        model.is_some(),
        !diagnostics.has_errors(),
        "a model comes back exactly when there are no errors"
    );
    if model.is_none() {
        return;
    }
    let policy = match PolicySet::load(sources) {
        Ok(policy) => policy,
        Err(e) => panic!("check_sources accepted the policy but load rejected it: {e}"),
    };

    let peer: IpAddr = IpAddr::from([203, 0, 113, 9]);
    let principal = Principal::new("user", "alice")
        .with_scopes(["pets:read", "admin", "read"])
        .with_claim("tenant", serde_json::json!("acme"));
    let headers = [("X-Tenant", "acme"), ("Accept", "application/json")];
    let targets = ["/", "/v1/pets/7", "/pets/7?limit=10", "/a/b/c/d"];
    for target in targets {
        for method in ["GET", "POST"] {
            let request = Request::new(method, target, peer)
                .headers(&headers)
                .principal(&principal);
            let _ = policy.decide(&request);
            let _ = gatehouse_tools::interp::interpret(&policy, &request);
        }
    }
}
