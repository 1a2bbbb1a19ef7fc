//! The audit record names the decision, endpoint and rule, and never
//! holds a credential: no header values, no query string, no claims.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use gatehouse::{PolicySet, Principal, Request};
use proptest::prelude::*;

fn petstore() -> PolicySet {
    PolicySet::from_source(
        "policies/petstore.gate",
        include_str!("../../../policies/petstore.gate"),
    )
    .unwrap()
}

#[test]
fn audit_names_the_decision_and_the_rule() {
    let policy = petstore();
    let alice = Principal::new("user", "alice").with_scopes(["pets:read"]);
    let request =
        Request::new("POST", "/v1/pets", "203.0.113.5".parse().unwrap()).principal(&alice);
    let decision = policy.decide(&request);
    let audit =
        serde_json::to_value(policy.audit(&request, &decision, Some(1_700_000_000_000))).unwrap();
    assert_eq!(audit["schema"], "gatehouse.audit/v1");
    assert_eq!(audit["decision"], "deny");
    assert_eq!(audit["status"], 403);
    assert_eq!(audit["reason"], "insufficient_scope");
    assert_eq!(audit["endpoint"], "POST /pets");
    assert_eq!(audit["rule"]["file"], "policies/petstore.gate");
    assert_eq!(audit["principal"]["subject"], "alice");
    assert_eq!(audit["time_ms"], 1_700_000_000_000u64);
}

proptest! {
    /// Whatever secrets a request carries in headers, the query string or
    /// the principal's claims, none of them reaches the audit record.
    #[test]
    fn audit_never_holds_a_credential(
        secret in "[A-Za-z0-9]{12,24}",
        path in prop::sample::select(vec!["/v1/pets", "/v1/users/alice", "/v1/nope", "/v1/../x", "/v1/health"]),
        with_principal in any::<bool>(),
    ) {
        let policy = petstore();
        let headers = [
            ("Authorization", format!("Bearer {secret}")),
            ("X-API-Key", secret.clone()),
            ("Cookie", format!("session={secret}")),
        ];
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let target = format!("{path}?access_token={secret}&api_key={secret}");
        let principal = Principal::new("user", "alice")
            .with_scopes(["pets:read", "users:read"])
            .with_claim("password", serde_json::json!(secret))
            .with_claim("nested", serde_json::json!({ "token": secret }));
        let mut request = Request::new("GET", &target, "203.0.113.5".parse().unwrap()).headers(&headers);
        if with_principal {
            request = request.principal(&principal);
        }
        let decision = policy.decide(&request);
        let audit = serde_json::to_string(&policy.audit(&request, &decision, None)).unwrap();
        prop_assert!(!audit.contains(&secret), "credential leaked into the audit record: {}", audit);
        // The response headers neither (the report shown to operators is
        // checked the same way in gatehouse-tools' tests/report.rs).
        let headers = format!("{:?}", policy.response_headers(&request, &decision));
        prop_assert!(!headers.contains(&secret), "credential leaked into the headers: {}", headers);
    }
}

#[test]
fn mtls_subject_patterns_read_like_tls_wildcards() {
    let policy = PolicySet::from_source(
        "ops.gate",
        r#"api "ops"
           auth ops = mtls(subject: "*.ops.example.com")
           endpoint GET /x { authenticate ops }"#,
    )
    .unwrap();
    let decide = |subject: &str| {
        let p = Principal::new("ops", subject);
        policy
            .decide(&Request::new("GET", "/x", "10.0.0.1".parse().unwrap()).principal(&p))
            .reason()
            .as_str()
    };
    assert_eq!(decide("deploy.ops.example.com"), "allowed");
    assert_eq!(
        decide("DEPLOY.OPS.Example.com"),
        "allowed",
        "host names are case-insensitive"
    );
    for bad in [
        "a.b.ops.example.com",
        ".ops.example.com",
        "evil.com/x.ops.example.com",
        "CN=a,O=b.ops.example.com",
        "ops.example.com",
        "",
    ] {
        assert_eq!(decide(bad), "subject_mismatch", "{bad:?}");
    }
}
