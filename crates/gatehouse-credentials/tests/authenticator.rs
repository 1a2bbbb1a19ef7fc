//! The authenticator built from a policy's schemes: a bearer token goes to
//! the scheme of its issuer, an API key to the store, a certificate to the
//! mTLS schemes; two credentials at once are ambiguous; the principal it
//! yields is the one the evaluator decides on.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::sync::Arc;

use gatehouse::{PolicySet, Request};
use gatehouse_credentials::jwt::KeySet;
use gatehouse_credentials::keys::{KeyStore, NewKey, ServerSecret};
use gatehouse_credentials::{Authenticator, BuildError, CredentialRequest, RefusalReason};
use serde_json::json;
use support::{claims, es256, rs256, standard_jwks, AUDIENCE, ISSUER, NOW};

fn policy() -> PolicySet {
    PolicySet::from_source(
        "pets.gate",
        &format!(
            r#"api "pets" version "1"
options {{
  trusted_proxies = 10.0.0.0/8
}}
scopes {{
  pets:read
  pets:write
}}
auth user    = jwt(issuer: "{ISSUER}", audience: "{AUDIENCE}", algorithms: "RS256")
auth partner = jwt(issuer: "https://partners.example", audience: "{AUDIENCE}")
auth key     = api_key(header: "X-API-Key")
auth edge    = mtls(header: "X-Forwarded-Client-Cert")

endpoint GET /pets {{
  authenticate user | partner | key | edge
  require pets:read
}}
"#
        ),
    )
    .unwrap()
}

fn store() -> (Arc<KeyStore>, String) {
    let mut store = KeyStore::new("gk_", ServerSecret::new(&[7; 32]).unwrap()).unwrap();
    let issued = store
        .issue(
            NewKey {
                owner: "billing".into(),
                scopes: vec!["pets:read".into()],
                expires: None,
                networks: Vec::new(),
            },
            NOW - 10,
        )
        .unwrap();
    (Arc::new(store), issued.key().to_string())
}

fn authenticator(policy: &PolicySet) -> (Authenticator, String) {
    let (store, key) = store();
    let keys = || KeySet::from_jwks(&standard_jwks()).unwrap();
    let authenticator = Authenticator::builder(policy)
        .jwks("user", keys())
        .jwks("partner", keys())
        .key_store(store)
        .build()
        .unwrap();
    (authenticator, key)
}

fn request<'a>(headers: &'a [(&'a str, &'a str)]) -> CredentialRequest<'a> {
    CredentialRequest {
        headers,
        peer: Some("203.0.113.5".parse().unwrap()),
        ..CredentialRequest::default()
    }
}

#[test]
fn a_bearer_token_goes_to_the_scheme_of_its_issuer() {
    let policy = policy();
    let (authenticator, _) = authenticator(&policy);
    let token = rs256(Some("rsa-1"), &claims());
    let bearer = format!("Bearer {token}");
    let headers = [("Authorization", bearer.as_str())];
    let principal = authenticator
        .authenticate(&request(&headers), NOW)
        .unwrap()
        .unwrap();
    assert_eq!(principal.scheme, "user");
    assert_eq!(principal.subject, "alice");
    let decided = policy.decide(
        &Request::new("GET", "/pets", "203.0.113.5".parse().unwrap()).principal(&principal),
    );
    assert!(decided.allowed(), "{:?}", decided.reason());

    // The partner issuer's token goes to `partner`, which accepts ES256.
    let mut partner = claims();
    partner["iss"] = json!("https://partners.example");
    let token = es256(Some("ec-1"), &partner);
    let bearer = format!("Bearer {token}");
    let headers = [("authorization", bearer.as_str())];
    let principal = authenticator
        .authenticate(&request(&headers), NOW)
        .unwrap()
        .unwrap();
    assert_eq!(principal.scheme, "partner");

    // `user` accepts only RS256 (the policy's `algorithms`).
    let mut user_es = claims();
    user_es["sub"] = json!("mallory");
    let token = es256(Some("ec-1"), &user_es);
    let bearer = format!("Bearer {token}");
    let headers = [("Authorization", bearer.as_str())];
    let refusal = authenticator
        .authenticate(&request(&headers), NOW)
        .unwrap_err();
    assert_eq!(
        (refusal.scheme.as_str(), refusal.reason),
        ("user", RefusalReason::AlgorithmNotAllowed)
    );
    assert_eq!(
        authenticator.challenge(&refusal).as_deref(),
        Some("Bearer realm=\"pets\", error=\"invalid_token\", error_description=\"the token's algorithm is not accepted\"")
    );

    // An issuer no scheme declares is refused, not skipped.
    let mut stranger = claims();
    stranger["iss"] = json!("https://evil.example");
    let token = rs256(Some("rsa-1"), &stranger);
    let bearer = format!("Bearer {token}");
    let headers = [("Authorization", bearer.as_str())];
    let refusal = authenticator
        .authenticate(&request(&headers), NOW)
        .unwrap_err();
    assert_eq!(refusal.reason, RefusalReason::IssuerMismatch);
}

#[test]
fn a_token_seen_before_is_answered_from_its_schemes_cache() {
    let policy = policy();
    let (authenticator, _) = authenticator(&policy);
    let mut partner = claims();
    partner["iss"] = json!("https://partners.example");
    let token = es256(Some("ec-1"), &partner);
    let bearer = format!("Bearer {token}");
    let headers = [("Authorization", bearer.as_str())];
    let first = authenticator
        .authenticate(&request(&headers), NOW)
        .unwrap()
        .unwrap();
    let again = authenticator
        .authenticate(&request(&headers), NOW + 1)
        .unwrap()
        .unwrap();
    // The same shared principal: the second answer came from the cache of
    // `partner`, not from verifying again.
    assert!(Arc::ptr_eq(&first, &again));
    assert_eq!(again.scheme, "partner");
    // Once expired (`exp` plus the 60 s leeway), the cached token is refused
    // by its own scheme.
    let refusal = authenticator
        .authenticate(&request(&headers), NOW + 3600 + 61)
        .unwrap_err();
    assert_eq!(
        (refusal.scheme.as_str(), refusal.reason),
        ("partner", RefusalReason::TokenExpired)
    );
    // A token of the same length differing in one character of its payload
    // is not a hit: it is verified, and refused (which reason depends on
    // what the changed character did to the payload: it may no longer name
    // the partner issuer, and then `user` refuses its algorithm).
    let (head, rest) = token.split_once('.').unwrap();
    let (payload, signature) = rest.split_once('.').unwrap();
    let mut forged_payload = payload.as_bytes().to_vec();
    let middle = forged_payload.len() / 2;
    forged_payload[middle] = if forged_payload[middle] == b'A' {
        b'B'
    } else {
        b'A'
    };
    let forged = format!(
        "Bearer {head}.{}.{signature}",
        String::from_utf8(forged_payload).unwrap()
    );
    let headers = [("Authorization", forged.as_str())];
    let refusal = authenticator
        .authenticate(&request(&headers), NOW + 1)
        .unwrap_err();
    assert!(
        matches!(
            refusal.reason,
            RefusalReason::SignatureInvalid
                | RefusalReason::CredentialMalformed
                | RefusalReason::AlgorithmNotAllowed
        ),
        "{refusal:?}"
    );
}

#[test]
fn an_api_key_goes_to_the_store() {
    let policy = policy();
    let (authenticator, key) = authenticator(&policy);
    let headers = [("X-API-Key", key.as_str())];
    let principal = authenticator
        .authenticate(&request(&headers), NOW)
        .unwrap()
        .unwrap();
    assert_eq!(
        (principal.scheme.as_str(), principal.subject.as_str()),
        ("key", "billing")
    );
    let decided = policy.decide(
        &Request::new("GET", "/pets", "203.0.113.5".parse().unwrap()).principal(&principal),
    );
    assert!(decided.allowed(), "{:?}", decided.reason());

    // The last character changed (to another one, whatever it was).
    let last = if key.ends_with('x') { "y" } else { "x" };
    let wrong = format!("{}{last}", &key[..key.len() - 1]);
    assert_ne!(wrong, key);
    let headers = [("X-API-Key", wrong.as_str())];
    let refusal = authenticator
        .authenticate(&request(&headers), NOW)
        .unwrap_err();
    assert!(matches!(
        refusal.reason,
        RefusalReason::CredentialMalformed | RefusalReason::KeyUnknown
    ));
    assert!(
        !format!("{refusal:?}").contains(&key[3..20]),
        "no key in the refusal"
    );
}

#[test]
fn without_a_key_store_no_key_is_accepted() {
    let policy = policy();
    let (_, key) = store();
    let authenticator = Authenticator::builder(&policy)
        .jwks("user", KeySet::from_jwks(&standard_jwks()).unwrap())
        .jwks("partner", KeySet::from_jwks(&standard_jwks()).unwrap())
        .build()
        .unwrap();
    let headers = [("X-API-Key", key.as_str())];
    let refusal = authenticator
        .authenticate(&request(&headers), NOW)
        .unwrap_err();
    assert_eq!(refusal.reason, RefusalReason::KeyUnknown);
}

#[test]
fn two_credentials_at_once_are_ambiguous_and_none_is_no_principal() {
    let policy = policy();
    let (authenticator, key) = authenticator(&policy);
    let token = rs256(Some("rsa-1"), &claims());
    let bearer = format!("Bearer {token}");
    let headers = [
        ("Authorization", bearer.as_str()),
        ("X-API-Key", key.as_str()),
    ];
    let refusal = authenticator
        .authenticate(&request(&headers), NOW)
        .unwrap_err();
    assert_eq!(refusal.reason, RefusalReason::CredentialAmbiguous);

    let headers = [("Accept", "application/json")];
    assert!(authenticator
        .authenticate(&request(&headers), NOW)
        .unwrap()
        .is_none());
}

#[test]
fn a_certificate_header_counts_only_from_a_trusted_proxy() {
    let policy = policy();
    let (authenticator, _) = authenticator(&policy);
    let headers = [("X-Forwarded-Client-Cert", "DNS=api.internal.example.com")];
    let refusal = authenticator
        .authenticate(&request(&headers), NOW)
        .unwrap_err();
    assert_eq!(refusal.reason, RefusalReason::ClientCertificateUntrusted);
    assert_eq!(
        authenticator.challenge(&refusal),
        None,
        "mTLS has no HTTP challenge"
    );
    let from_proxy = CredentialRequest {
        peer: Some("10.0.0.9".parse().unwrap()),
        ..request(&headers)
    };
    let principal = authenticator
        .authenticate(&from_proxy, NOW)
        .unwrap()
        .unwrap();
    assert_eq!(
        (principal.scheme.as_str(), principal.subject.as_str()),
        ("edge", "api.internal.example.com")
    );
}

#[test]
fn keys_come_from_the_policy_or_fail_closed() {
    // No keys given and no `jwks`: the issuer's discovery document, which
    // nothing fetched yet, so tokens are refused `keys_unavailable`.
    let policy = policy();
    let authenticator = Authenticator::builder(&policy).build().unwrap();
    let token = rs256(Some("rsa-1"), &claims());
    let bearer = format!("Bearer {token}");
    let headers = [("Authorization", bearer.as_str())];
    let refusal = authenticator
        .authenticate(&request(&headers), NOW)
        .unwrap_err();
    assert_eq!(refusal.reason, RefusalReason::KeysUnavailable);

    // A `jwks` file, relative to the policy file.
    let dir = std::env::temp_dir().join(format!("gatehouse-authenticator-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("keys")).unwrap();
    std::fs::write(dir.join("keys/jwks.json"), standard_jwks()).unwrap();
    let text = format!(
        "api \"pets\" version \"1\"\nauth user = jwt(issuer: \"{ISSUER}\", audience: \"{AUDIENCE}\", jwks: \"keys/jwks.json\")\n\nendpoint GET /pets {{\n  authenticate user\n}}\n"
    );
    let file = dir.join("pets.gate");
    let from_file = PolicySet::from_source(file.to_str().unwrap(), &text).unwrap();
    let authenticator = Authenticator::builder(&from_file).build().unwrap();
    let principal = authenticator
        .authenticate(&request(&headers), NOW)
        .unwrap()
        .unwrap();
    assert_eq!(principal.subject, "alice");

    // A missing file is an error at build time, naming the scheme.
    std::fs::remove_file(dir.join("keys/jwks.json")).unwrap();
    let error = Authenticator::builder(&from_file).build().unwrap_err();
    assert!(
        matches!(&error, BuildError::Jwks { scheme, .. } if scheme == "user"),
        "{error}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
