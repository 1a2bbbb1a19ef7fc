//! Quotas as the evaluator applies them: the order of checks, what a
//! denied request costs, the headers, store failures and shadow quotas.
//! Clock-driven: every request carries its time, nothing sleeps.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;

use gatehouse::quota::{QuotaCheck, QuotaState, StoreError};
use gatehouse::{MemoryStore, PolicySet, Principal, QuotaStore, Reason, Request};

const T0: u64 = 1_735_689_600_000;

fn policy(extra_options: &str) -> PolicySet {
    PolicySet::from_source(
        "quotas.gate",
        &format!(
            r#"api "q" version "1"
            auth user = jwt(issuer: "https://id.example.com", audience: "q")
            scopes {{ write "Write" }}
            options {{ {extra_options} }}
            endpoint POST /things {{
                authenticate user
                require write
                quota 3/min by principal
            }}
            endpoint POST /login {{
                authenticate user
                quota 2/min by ip
            }}
            endpoint GET /open {{
                public
                quota 2/min by ip
                shadow {{ quota 1/min by header.x-client }}
            }}"#
        ),
    )
    .unwrap()
}

fn peer() -> std::net::IpAddr {
    "203.0.113.7".parse().unwrap()
}

#[test]
fn denied_requests_consume_no_principal_quota() {
    let set = policy("");
    let reader = Principal::new("user", "alice");
    let writer = Principal::new("user", "alice").with_scopes(["write"]);
    // Five attempts without the scope: denied, and charged nothing.
    for _ in 0..5 {
        let d = set.decide(
            &Request::new("POST", "/things", peer())
                .principal(&reader)
                .at(T0),
        );
        assert_eq!(d.reason(), Reason::InsufficientScope);
    }
    // So the full quota of three remains for the same principal.
    for i in 0..3 {
        let d = set.decide(
            &Request::new("POST", "/things", peer())
                .principal(&writer)
                .at(T0),
        );
        assert!(d.allowed(), "request {i}: {d:?}");
        assert_eq!(d.quota().unwrap().remaining, 2 - i);
    }
    let d = set.decide(
        &Request::new("POST", "/things", peer())
            .principal(&writer)
            .at(T0),
    );
    assert_eq!((d.status(), d.reason()), (429, Reason::QuotaExceeded));
    // 3/min: one request back every 20 s.
    let d = set.decide(
        &Request::new("POST", "/things", peer())
            .principal(&writer)
            .at(T0 + 20_000),
    );
    assert!(d.allowed(), "{d:?}");
}

#[test]
fn ip_quotas_count_failed_logins_and_come_before_authentication() {
    let set = policy("");
    // Two failed logins from one address are counted...
    for _ in 0..2 {
        let d = set.decide(&Request::new("POST", "/login", peer()).at(T0));
        assert_eq!(d.reason(), Reason::Unauthenticated);
    }
    // ...so the third is refused by the IP quota before authentication,
    // even with a valid principal: credential stuffing stops here.
    let anyone = Principal::new("user", "mallory");
    let d = set.decide(
        &Request::new("POST", "/login", peer())
            .principal(&anyone)
            .at(T0),
    );
    assert_eq!((d.status(), d.reason()), (429, Reason::QuotaExceeded));
    // Another address is unaffected.
    let d = set.decide(
        &Request::new("POST", "/login", "198.51.100.1".parse().unwrap())
            .principal(&anyone)
            .at(T0),
    );
    assert!(d.allowed());
}

#[test]
fn a_429_carries_the_rate_limit_headers() {
    let set = policy("");
    let writer = Principal::new("user", "bob").with_scopes(["write"]);
    let request = Request::new("POST", "/things", peer())
        .principal(&writer)
        .at(T0);
    let allowed = set.decide(&request);
    let headers = set.response_headers(&request, &allowed);
    assert_eq!(headers.get("RateLimit-Limit"), Some("3"));
    assert_eq!(headers.get("RateLimit-Remaining"), Some("2"));
    assert_eq!(headers.get("RateLimit-Policy"), Some("3;w=60"));
    assert_eq!(headers.get("Retry-After"), None);
    set.decide(&request);
    set.decide(&request);
    let denied = set.decide(&request);
    let headers = set.response_headers(&request, &denied);
    assert_eq!(denied.status(), 429);
    assert_eq!(headers.get("RateLimit-Remaining"), Some("0"));
    assert_eq!(headers.get("Retry-After"), Some("20"));
    // What the report says of it (the message, and the quota as the rule)
    // is checked with the report, in gatehouse-tools' tests/report.rs.
}

/// A store that never answers.
struct Down;

impl QuotaStore for Down {
    fn check(&self, _: u64, _: &[QuotaCheck<'_>], _: &mut [QuotaState]) -> Result<(), StoreError> {
        Err(StoreError::Unavailable("connection refused".into()))
    }
}

#[test]
fn a_store_that_cannot_answer_fails_closed_unless_the_policy_fails_open() {
    let writer = Principal::new("user", "bob").with_scopes(["write"]);
    let request = Request::new("POST", "/things", peer())
        .principal(&writer)
        .at(T0);
    let closed = policy("").decide_with(&request, &Down);
    assert_eq!(
        (closed.status(), closed.reason()),
        (503, Reason::QuotaStoreUnavailable)
    );

    let open = policy("on_store_error = allow").decide_with(&request, &Down);
    assert!(open.allowed());
    // Visible all the same.
    assert_eq!(
        open.internals()
            .shadow
            .iter()
            .map(|f| f.reason)
            .collect::<Vec<_>>(),
        [Reason::QuotaStoreUnavailable]
    );
}

#[test]
fn a_request_without_time_cannot_be_counted() {
    let writer = Principal::new("user", "bob").with_scopes(["write"]);
    let d = policy("").decide(&Request::new("POST", "/things", peer()).principal(&writer));
    assert_eq!((d.status(), d.reason()), (500, Reason::QuotaClockMissing));
}

#[test]
fn shadow_quotas_report_and_do_not_enforce() {
    let set = policy("");
    let headers = [("X-Client", "app-1")];
    let request = Request::new("GET", "/open", peer())
        .headers(&headers)
        .at(T0);
    assert!(set.decide(&request).internals().shadow.is_empty());
    let second = set.decide(&request);
    assert!(
        second.allowed(),
        "the shadow quota of 1/min is not enforced"
    );
    assert_eq!(
        second
            .internals()
            .shadow
            .iter()
            .map(|f| f.reason)
            .collect::<Vec<_>>(),
        [Reason::QuotaExceeded]
    );
    // The enforced IP quota of 2/min still is.
    assert_eq!(set.decide(&request).reason(), Reason::QuotaExceeded);
}

#[test]
fn gateways_sharing_a_store_enforce_one_limit() {
    let store: Arc<MemoryStore> = Arc::new(MemoryStore::new());
    let a = policy("").with_quota_store(store.clone());
    let b = policy("").with_quota_store(store);
    let writer = Principal::new("user", "carol").with_scopes(["write"]);
    let request = Request::new("POST", "/things", peer())
        .principal(&writer)
        .at(T0);
    let allowed = [&a, &b, &a, &b, &a]
        .iter()
        .filter(|set| set.decide(&request).allowed())
        .count();
    assert_eq!(allowed, 3);
}

#[test]
fn a_streamed_body_is_counted_once() {
    let set = PolicySet::from_source(
        "notes.gate",
        r#"api "notes"
           endpoint POST /notes { public  body max 4B  quota 2/min by ip }"#,
    )
    .unwrap();
    let request = Request::new("POST", "/notes", peer()).at(T0);
    let gatehouse::Begin::Body(mut check) = set.begin(&request) else {
        panic!("expected a body check")
    };
    // Too large: decided early; asking again must not count again.
    let early = check.feed(b"0123456789").unwrap();
    assert_eq!(early.reason(), Reason::BodyTooLarge);
    assert_eq!(check.feed(b"more").unwrap(), early);
    assert_eq!(check.finish(), early);
    // One IP quota unit spent by that request: one left.
    let d = set.decide(&request.body(b"ok"));
    assert!(d.allowed());
    assert_eq!(d.quota().unwrap().remaining, 0);
}
