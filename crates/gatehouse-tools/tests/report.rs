//! The decision report (`gatehouse.decision/v1`): what it says of a
//! decision, beside the headers the facade computes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use gatehouse::{PolicySet, Principal, Request};
use gatehouse_tools::report::report;
use proptest::prelude::*;

const T0: u64 = 1_735_689_600_000;

#[test]
fn a_429_report_names_the_quota_and_carries_its_headers() {
    let set = PolicySet::from_source(
        "quotas.gate",
        r#"api "q" version "1"
        auth user = jwt(issuer: "https://id.example.com", audience: "q")
        scopes { write "Write" }
        endpoint POST /things {
            authenticate user
            require write
            quota 3/min by principal
        }"#,
    )
    .unwrap();
    let writer = Principal::new("user", "bob").with_scopes(["write"]);
    let request = Request::new("POST", "/things", "203.0.113.7".parse().unwrap())
        .principal(&writer)
        .at(T0);
    let allowed = set.decide(&request);
    let allowed_report = report(&set, &request, &allowed);
    assert_eq!(
        allowed_report
            .headers
            .get("RateLimit-Limit")
            .map(String::as_str),
        Some("3")
    );
    assert!(!allowed_report.headers.contains_key("Retry-After"));
    set.decide(&request);
    set.decide(&request);
    let denied = set.decide(&request);
    let denied_report = report(&set, &request, &denied);
    assert_eq!(denied_report.status, 429);
    // The report's headers are the facade's, not a second computation.
    let headers = set.response_headers(&request, &denied);
    let from_facade: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    let in_report: Vec<(String, String)> = denied_report
        .headers
        .iter()
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect();
    assert_eq!(in_report, from_facade);
    assert_eq!(
        denied_report.headers.get("Retry-After").map(String::as_str),
        Some("20")
    );
    assert_eq!(
        denied_report.message,
        "the quota `3/min by principal` is used up"
    );
    // The rule is the quota itself (one `quota` line may list several).
    assert_eq!(
        denied_report.rule.as_ref().unwrap().text,
        "3/min by principal"
    );
}

proptest! {
    /// Whatever secrets a request carries in headers, the query string or
    /// the principal's claims, none of them reaches the report shown to
    /// operators (the audit record is checked in gatehouse's tests/audit.rs).
    #[test]
    fn report_never_holds_a_credential(
        secret in "[A-Za-z0-9]{12,24}",
        path in prop::sample::select(vec!["/v1/pets", "/v1/users/alice", "/v1/nope", "/v1/../x", "/v1/health"]),
        with_principal in any::<bool>(),
    ) {
        let policy = PolicySet::from_source(
            "policies/petstore.gate",
            include_str!("../../../policies/petstore.gate"),
        )
        .unwrap();
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
        let report = serde_json::to_string(&report(&policy, &request, &decision)).unwrap();
        prop_assert!(!report.contains(&secret), "credential leaked into the report: {}", report);
    }
}
