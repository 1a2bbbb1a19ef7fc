//! JWT verification through the public API: good tokens, the cache, and
//! one test per kind of bad input. Every refusal is also checked to show
//! no part of the token (`support::refused`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;

use std::sync::Arc;

use gatehouse_credentials::jwt::{
    Algorithm, JwksError, JwtScheme, KeyCache, KeyCachePolicy, KeySet, ScopeClaim, Verifier,
};
use gatehouse_credentials::RefusalReason::*;
use jsonwebtoken::EncodingKey;
use proptest::prelude::*;
use serde_json::json;
use support::*;

#[test]
fn accepts_rs256_and_es256_and_builds_the_principal() {
    let verifier = verifier();
    for token in [
        rs256(Some("rsa-1"), &claims()),
        es256(Some("ec-1"), &claims()),
    ] {
        let verified = verifier.verify(&token, NOW).unwrap();
        let alice = verified.principal();
        assert_eq!(alice.scheme, "user");
        assert_eq!(alice.subject, "alice");
        assert_eq!(alice.scopes, ["pets:read", "pets:write"]);
        assert_eq!(alice.claims["tenant"]["id"], 7);
        assert_eq!(alice.claims["iss"], ISSUER);
        assert!(!alice.claims.contains_key("sub"));
        assert_eq!(verified.expires_at(), NOW + 3600);
        // Neither the principal nor its Debug holds the token.
        let shown = format!("{verified:?}");
        assert!(!shown.contains(token.rsplit('.').next().unwrap()));
    }
}

#[test]
fn audience_may_be_an_array_and_scopes_may_be_scp() {
    let verifier = verifier();
    let mut claims = claims();
    claims["aud"] = json!(["other", AUDIENCE]);
    claims.as_object_mut().unwrap().remove("scope");
    claims["scp"] = json!(["a", "b"]);
    let verified = verifier
        .verify(&rs256(Some("rsa-1"), &claims), NOW)
        .unwrap();
    assert_eq!(verified.principal().scopes, ["a", "b"]);

    let roles = verifier_with(scheme().scope_claim(ScopeClaim::Named("roles".into())));
    let mut claims = support::claims();
    claims["roles"] = json!("admin");
    let verified = roles.verify(&rs256(Some("rsa-1"), &claims), NOW).unwrap();
    assert_eq!(verified.principal().scopes, ["admin"]);
}

#[test]
fn a_cached_token_shares_its_principal_and_still_expires() {
    let verifier = verifier();
    let token = rs256(Some("rsa-1"), &claims());
    let first = verifier.verify(&token, NOW).unwrap();
    let second = verifier.verify(&token, NOW + 10).unwrap();
    assert!(Arc::ptr_eq(first.principal(), second.principal()));
    // exp + leeway is the last good second, cached or not.
    assert!(verifier.verify(&token, NOW + 3600 + 60).is_ok());
    assert_eq!(refused(&verifier, &token, NOW + 3600 + 61), TokenExpired);
    // And once expired, it stays refused (re-verified, refused again).
    assert_eq!(refused(&verifier, &token, NOW + 3600 + 61), TokenExpired);
    // A hit re-checks `nbf` too, should the host's clock go back.
    let token = rs256(Some("rsa-1"), &claims());
    assert!(verifier.verify(&token, NOW).is_ok());
    assert_eq!(
        refused(&verifier, &token, NOW - 3600 - 61),
        TokenNotYetValid
    );
    assert!(verifier.verify(&token, NOW - 3600 - 60).is_ok());
}

#[test]
fn a_cache_of_zero_still_verifies() {
    let verifier = verifier_with(scheme().cache_capacity(0));
    let token = es256(Some("ec-1"), &claims());
    let first = verifier.verify(&token, NOW).unwrap();
    let second = verifier.verify(&token, NOW).unwrap();
    assert!(!Arc::ptr_eq(first.principal(), second.principal()));
}

#[test]
fn threads_share_one_verifier() {
    let verifier = Arc::new(verifier());
    let tokens: Vec<String> = (0..4)
        .map(|i| {
            let mut claims = claims();
            claims["sub"] = json!(format!("user-{i}"));
            rs256(Some("rsa-1"), &claims)
        })
        .collect();
    std::thread::scope(|scope| {
        for (i, token) in tokens.iter().enumerate() {
            let verifier = Arc::clone(&verifier);
            scope.spawn(move || {
                for _ in 0..50 {
                    let verified = verifier.verify(token, NOW).unwrap();
                    assert_eq!(verified.principal().subject, format!("user-{i}"));
                }
            });
        }
    });
}

#[test]
fn authenticate_reads_the_bearer_header() {
    let verifier = verifier();
    let token = rs256(Some("rsa-1"), &claims());
    let header = format!("Bearer {token}");
    let verified = verifier
        .authenticate(&[("Authorization", header.as_str())], NOW)
        .unwrap();
    assert_eq!(verified.principal().subject, "alice");
    let missing = verifier
        .authenticate(&[("Accept", "*/*")], NOW)
        .unwrap_err();
    assert_eq!(missing.reason, CredentialMissing);
    let two = [
        ("Authorization", header.as_str()),
        ("authorization", header.as_str()),
    ];
    let ambiguous = verifier.authenticate(&two, NOW).unwrap_err();
    assert_eq!(ambiguous.reason, CredentialAmbiguous);
    assert_no_credential(&token, &ambiguous);
}

#[test]
fn alg_none_is_never_accepted() {
    let verifier = verifier();
    let payload = b64(claims().to_string().as_bytes());
    for header in [
        r#"{"alg":"none"}"#,
        r#"{"alg":"none","kid":"rsa-1"}"#,
        r#"{"alg":"None"}"#,
    ] {
        let token = format!("{}.{payload}.c2lnbmF0dXJl", b64(header.as_bytes()));
        assert_eq!(
            refused(&verifier, &token, NOW),
            AlgorithmNotAllowed,
            "{header}"
        );
        // The unsecured JWS form, with an empty signature.
        let unsecured = format!("{}.{payload}.", b64(header.as_bytes()));
        assert_eq!(refused(&verifier, &unsecured, NOW), CredentialMalformed);
    }
}

#[test]
fn hs256_signed_with_the_public_key_is_refused() {
    let keys = keys();
    let secrets: [&[u8]; 2] = [keys.rsa_public_pem.as_bytes(), &keys.rsa_public_der];
    let verifier = verifier();
    for secret in secrets {
        let key = EncodingKey::from_secret(secret).unwrap();
        for kid in [Some("rsa-1"), None] {
            let token = support::sign(jsonwebtoken::Algorithm::HS256, kid, &claims(), &key);
            assert_eq!(refused(&verifier, &token, NOW), AlgorithmNotAllowed);
        }
    }
    // A scheme that does accept HS256 checks it with its own secret only,
    // never with a key of its key set.
    let both = Verifier::new(
        scheme()
            .algorithms([Algorithm::RS256, Algorithm::HS256])
            .hmac_secret(&[7; 32]),
        KeySet::from_jwks(&standard_jwks()).unwrap(),
    )
    .unwrap();
    let forged = support::sign(
        jsonwebtoken::Algorithm::HS256,
        Some("rsa-1"),
        &claims(),
        &EncodingKey::from_secret(keys.rsa_public_pem.as_bytes()).unwrap(),
    );
    assert_eq!(refused(&both, &forged, NOW), SignatureInvalid);
    let genuine = support::sign(
        jsonwebtoken::Algorithm::HS256,
        None,
        &claims(),
        &EncodingKey::from_secret(&[7; 32]).unwrap(),
    );
    assert!(both.verify(&genuine, NOW).is_ok());
}

#[test]
fn schemes_that_cannot_work_are_refused() {
    let keys = || KeySet::default();
    let error = |scheme: JwtScheme| Verifier::new(scheme, keys()).unwrap_err();
    use gatehouse_credentials::jwt::SchemeError::*;
    assert_eq!(error(scheme().algorithms([])), NoAlgorithm);
    assert_eq!(
        error(scheme().algorithms([Algorithm::HS256])),
        HmacWithoutSecret
    );
    assert_eq!(error(scheme().hmac_secret(&[1; 32])), SecretWithoutHmac);
    let short = scheme()
        .algorithms([Algorithm::HS256])
        .hmac_secret(b"short");
    // The scheme's Debug does not show the secret.
    assert!(!format!("{short:?}").contains("short\""));
    assert!(!format!("{short:?}").contains("115, 104"));
    assert_eq!(error(short), HmacSecretTooShort);
    assert_eq!(
        error(scheme().algorithms([Algorithm::HS256]).hmac_secret(b"")),
        HmacSecretTooShort
    );
}

#[test]
fn no_debug_output_shows_the_hmac_secret() {
    let secret = b"0123456789abcdef0123456789-SECRET-";
    let scheme = scheme().algorithms([Algorithm::HS256]).hmac_secret(secret);
    let verifier = Verifier::new(scheme.clone(), KeySet::default()).unwrap();
    let token = support::sign(
        jsonwebtoken::Algorithm::HS256,
        None,
        &claims(),
        &EncodingKey::from_secret(secret).unwrap(),
    );
    let verified = verifier.verify(&token, NOW).unwrap();
    let as_bytes = format!("{:?}", &secret[..8]);
    let as_bytes = as_bytes.trim_matches(['[', ']']);
    for shown in [
        format!("{scheme:?}"),
        format!("{verifier:?}"),
        format!("{verified:?}"),
        format!("{:?}", verifier.key_cache()),
    ] {
        assert!(
            !shown.contains("SECRET") && !shown.contains("0123456789"),
            "{shown}"
        );
        assert!(!shown.contains(as_bytes), "{shown}");
        assert!(
            !shown.contains(token.rsplit('.').next().unwrap()),
            "{shown}"
        );
    }
}

#[test]
fn lifetimes_are_checked_with_the_leeway() {
    let verifier = verifier();
    let check = |change: fn(&mut serde_json::Value)| refused_claims(&verifier, change);
    assert_eq!(check(|c| c["exp"] = json!(NOW - 61)), TokenExpired);
    assert_eq!(check(|c| c["nbf"] = json!(NOW + 61)), TokenNotYetValid);
    assert_eq!(check(|c| without(c, "exp")), CredentialMalformed);
    assert_eq!(check(|c| c["exp"] = json!("tomorrow")), CredentialMalformed);
    assert_eq!(
        check(|c| c["nbf"] = json!("yesterday")),
        CredentialMalformed
    );
    // The leeway's last second is still good, for RS256 and ES256 alike.
    let mut edge = claims();
    edge["exp"] = json!(NOW - 60);
    edge["nbf"] = json!(NOW + 60);
    assert!(verifier.verify(&rs256(Some("rsa-1"), &edge), NOW).is_ok());
    assert!(verifier.verify(&es256(Some("ec-1"), &edge), NOW).is_ok());
}

#[test]
fn issuer_and_audience_must_match() {
    let verifier = verifier();
    let check = |change: fn(&mut serde_json::Value)| refused_claims(&verifier, change);
    assert_eq!(
        check(|c| c["iss"] = json!("https://evil.example")),
        IssuerMismatch
    );
    assert_eq!(
        check(|c| c["iss"] = json!("https://issuer.example/")),
        IssuerMismatch
    );
    assert_eq!(check(|c| without(c, "iss")), IssuerMismatch);
    assert_eq!(check(|c| without(c, "aud")), AudienceMismatch);
    assert_eq!(check(|c| c["aud"] = json!("other-api")), AudienceMismatch);
    assert_eq!(
        check(|c| c["aud"] = json!(["other-api", "x"])),
        AudienceMismatch
    );
    assert_eq!(check(|c| c["aud"] = json!(7)), AudienceMismatch);
    assert_eq!(check(|c| without(c, "sub")), CredentialMalformed);
}

#[test]
fn unknown_and_hostile_kids_are_unknown_keys() {
    let verifier = verifier();
    for kid in ["rsa-2", "../../etc/passwd", "' OR 1=1 --", "", "\u{0}"] {
        let token = rs256(Some(kid), &claims());
        assert_eq!(refused(&verifier, &token, NOW), UnknownKey, "{kid:?}");
    }
    // A token without `kid` is not tried against keys that have one.
    assert_eq!(refused(&verifier, &rs256(None, &claims()), NOW), UnknownKey);
    // A known kid of the wrong kind of key is never tried.
    assert_eq!(
        refused(&verifier, &es256(Some("rsa-1"), &claims()), NOW),
        AlgorithmNotAllowed
    );
    // A key signed by another key with a known kid: a bad signature.
    assert_eq!(
        refused(
            &verifier,
            &support::sign(
                jsonwebtoken::Algorithm::RS256,
                Some("rsa-1"),
                &claims(),
                &other_rsa_key(),
            ),
            NOW
        ),
        SignatureInvalid
    );
}

/// A second RSA key, for signatures the key set does not hold.
fn other_rsa_key() -> EncodingKey {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    let key = rsa::PrivateKey::new(&mut sysrng::SysRng, 2048).unwrap();
    EncodingKey::from_rsa_der(key.to_pkcs1_der().unwrap().as_bytes())
}

#[test]
fn keys_without_kid_verify_tokens_without_kid() {
    let keys = support::keys();
    let set = KeySet::from_jwks(&jwks(&[keys.rsa_jwk.clone(), keys.ec_jwk.clone()])).unwrap();
    let verifier = Verifier::new(scheme(), set).unwrap();
    assert!(verifier.verify(&rs256(None, &claims()), NOW).is_ok());
    assert!(verifier.verify(&es256(None, &claims()), NOW).is_ok());
    assert_eq!(refused_claims(&verifier, |_| {}), UnknownKey);
}

#[test]
fn a_key_pinned_to_an_algorithm_checks_only_that_one() {
    let keys = support::keys();
    let mut pinned = with_kid(&keys.rsa_jwk, "rsa-1");
    pinned["alg"] = json!("PS256");
    let verifier = Verifier::new(scheme(), KeySet::from_jwks(&jwks(&[pinned])).unwrap()).unwrap();
    assert_eq!(refused_claims(&verifier, |_| {}), AlgorithmNotAllowed);
    let ps256 = support::sign(
        jsonwebtoken::Algorithm::PS256,
        Some("rsa-1"),
        &claims(),
        &keys.rsa,
    );
    assert!(verifier.verify(&ps256, NOW).is_ok());
}

#[test]
fn an_algorithm_off_the_list_is_refused_before_any_key() {
    let verifier = verifier_with(scheme().algorithms([Algorithm::ES256]));
    assert_eq!(refused_claims(&verifier, |_| {}), AlgorithmNotAllowed);
    // Even with an unknown kid: the algorithm is checked first.
    assert_eq!(
        refused(&verifier, &rs256(Some("nope"), &claims()), NOW),
        AlgorithmNotAllowed
    );
}

#[test]
fn duplicate_kids_refuse_the_key_set() {
    let keys = support::keys();
    let doubled = jwks(&[with_kid(&keys.rsa_jwk, "k"), with_kid(&keys.ec_jwk, "k")]);
    let error = KeySet::from_jwks(&doubled).unwrap_err();
    assert_eq!(error, JwksError::DuplicateKid("k".into()));
    assert_eq!(
        error.to_string(),
        "two keys in the key set have the kid `k`"
    );
}

#[test]
fn key_sets_load_from_files() {
    let path = std::env::temp_dir().join(format!("gatehouse-jwks-{}.json", std::process::id()));
    std::fs::write(&path, standard_jwks()).unwrap();
    let set = KeySet::from_jwks_file(&path);
    std::fs::remove_file(&path).unwrap();
    let set = set.unwrap();
    assert!(set.contains_kid("rsa-1") && set.contains_kid("ec-1"));
    assert_eq!(set.len(), 2);
    // Its Debug names the kids, not the key bytes.
    let shown = format!("{set:?}");
    let modulus = keys().rsa_jwk["n"].as_str().unwrap();
    assert!(shown.contains("rsa-1") && !shown.contains(&modulus[..16]));
}

#[test]
fn no_usable_keys_is_keys_unavailable() {
    let verifier =
        Verifier::with_key_cache(scheme(), KeyCache::new(KeyCachePolicy::default())).unwrap();
    assert_eq!(refused_claims(&verifier, |_| {}), KeysUnavailable);
}

#[test]
fn oversized_tokens_are_malformed_before_decoding() {
    let verifier = verifier();
    let big = format!(
        "{}.{}.{}",
        "a".repeat(500_000),
        "b".repeat(500_000),
        "c".repeat(48_574)
    );
    assert_eq!(big.len(), 1 << 20);
    assert_eq!(refused(&verifier, &big, NOW), CredentialMalformed);
    // A well-signed token over the limit too.
    let fat = refused_claims(&verifier, |c| c["padding"] = json!("x".repeat(9000)));
    assert_eq!(fat, CredentialMalformed);
}

#[test]
fn bad_base64_is_malformed() {
    let verifier = verifier();
    let good = rs256(Some("rsa-1"), &claims());
    let parts: Vec<&str> = good.split('.').collect();
    let (h, p, s) = (parts[0], parts[1], parts[2]);
    for token in [
        format!("{h}!.{p}.{s}"),
        format!("{h}.{p}*.{s}"),
        format!("{h}.{p}.{s}$"),
        format!("{h}=.{p}.{s}"),
        format!("{h}.{p}.{s}AAA"),
        format!("{h}.{p}.{s} "),
        format!("{h}.{p}+/.{s}"),
        format!("{h}.{p}.{s}.{s}"),
        format!("{h}.{s}"),
        p.to_owned(),
    ] {
        assert_eq!(
            refused(&verifier, &token, NOW),
            CredentialMalformed,
            "{token}"
        );
    }
}

#[test]
fn a_stripped_signature_is_malformed() {
    let verifier = verifier();
    let good = rs256(Some("rsa-1"), &claims());
    let stripped = format!("{}.", good.rsplit_once('.').unwrap().0);
    assert_eq!(refused(&verifier, &stripped, NOW), CredentialMalformed);
    let (signed, _) = good.rsplit_once('.').unwrap();
    assert_eq!(refused(&verifier, signed, NOW), CredentialMalformed);
    // A signature of the right size but all zeroes.
    let zeroes = format!("{signed}.{}", b64(&[0; 256]));
    assert_eq!(refused(&verifier, &zeroes, NOW), SignatureInvalid);
}

#[test]
fn deeply_nested_json_is_malformed() {
    // Room for the nesting, so that the size limit is not what refuses it.
    let verifier = verifier_with(scheme().max_token_bytes(1 << 20));
    let rsa = &keys().rsa;
    let deep = format!("{}1{}", "[".repeat(5000), "]".repeat(5000));
    let header = format!(r#"{{"alg":"RS256","kid":"rsa-1","x":{deep}}}"#);
    let payload = claims().to_string();
    let token = sign_raw(&header, &payload, jsonwebtoken::Algorithm::RS256, rsa);
    assert_eq!(refused(&verifier, &token, NOW), CredentialMalformed);
    let deep_payload = format!(r#"{{"sub":"alice","x":{deep}}}"#);
    let header = r#"{"alg":"RS256","kid":"rsa-1"}"#;
    let token = sign_raw(header, &deep_payload, jsonwebtoken::Algorithm::RS256, rsa);
    assert_eq!(refused(&verifier, &token, NOW), CredentialMalformed);
    // Nesting within serde_json's limit is fine.
    let mut claims = claims();
    claims["x"] =
        serde_json::from_str(&format!("{}1{}", "[".repeat(100), "]".repeat(100))).unwrap();
    assert!(verifier.verify(&rs256(Some("rsa-1"), &claims), NOW).is_ok());
}

#[test]
fn duplicate_keys_in_header_or_payload_are_malformed() {
    let verifier = verifier();
    let rsa = &keys().rsa;
    let payload = claims().to_string();
    let alg = jsonwebtoken::Algorithm::RS256;
    let doubled = [
        (
            r#"{"alg":"RS256","kid":"rsa-1","kid":"rsa-1"}"#,
            payload.clone(),
        ),
        (
            r#"{"alg":"HS256","alg":"RS256","kid":"rsa-1"}"#,
            payload.clone(),
        ),
        (
            r#"{"alg":"RS256","kid":"rsa-1"}"#,
            payload.replacen(r#""sub":"alice""#, r#""sub":"alice","sub":"admin""#, 1),
        ),
        (
            r#"{"alg":"RS256","kid":"rsa-1"}"#,
            payload.replacen(r#""id":7"#, r#""id":7,"id":8"#, 1),
        ),
    ];
    for (header, payload) in doubled {
        assert!(
            header.matches("\"kid\"").count() == 2
                || header.matches("\"alg\"").count() == 2
                || payload.contains(",\"sub\":\"admin\"")
                || payload.contains("\"id\":8")
        );
        let token = sign_raw(header, &payload, alg, rsa);
        assert_eq!(
            refused(&verifier, &token, NOW),
            CredentialMalformed,
            "{header} {payload}"
        );
    }
    // The same header without the duplicate is accepted: the refusal above
    // is the duplicate's doing.
    let token = sign_raw(r#"{"alg":"RS256","kid":"rsa-1"}"#, &payload, alg, rsa);
    assert!(verifier.verify(&token, NOW).is_ok());
}

#[test]
fn extensions_and_odd_headers_are_malformed() {
    let verifier = verifier();
    let rsa = &keys().rsa;
    let payload = claims().to_string();
    let alg = jsonwebtoken::Algorithm::RS256;
    for header in [
        r#"{"alg":"RS256","kid":"rsa-1","crit":["exp"],"exp":1}"#,
        r#"{"alg":"RS256","kid":"rsa-1","b64":false,"crit":["b64"]}"#,
        r#"{"alg":"RS256","kid":"rsa-1","b64":false}"#,
        r#"{"alg":"RS256","kid":7}"#,
        r#"{"alg":256,"kid":"rsa-1"}"#,
        r#"{"kid":"rsa-1"}"#,
        r#"["RS256"]"#,
    ] {
        let token = sign_raw(header, &payload, alg, rsa);
        assert_eq!(
            refused(&verifier, &token, NOW),
            CredentialMalformed,
            "{header}"
        );
    }
    // Header fields that point elsewhere for keys are ignored, never fetched.
    let token = sign_raw(
        r#"{"alg":"RS256","kid":"rsa-1","jku":"http://127.0.0.1:1/jwks","x5u":"http://127.0.0.1:1/"}"#,
        &payload,
        alg,
        rsa,
    );
    assert!(verifier.verify(&token, NOW).is_ok());
}

/// The codes JWT refusals use: a snapshot, so that none changes silently,
/// and each the same in `as_str` and in the serialized refusal.
#[test]
fn reasons_have_stable_codes() {
    let codes = [
        (CredentialMissing, "credential_missing"),
        (CredentialAmbiguous, "credential_ambiguous"),
        (CredentialMalformed, "credential_malformed"),
        (AlgorithmNotAllowed, "algorithm_not_allowed"),
        (UnknownKey, "unknown_key"),
        (SignatureInvalid, "signature_invalid"),
        (TokenExpired, "token_expired"),
        (TokenNotYetValid, "token_not_yet_valid"),
        (IssuerMismatch, "issuer_mismatch"),
        (AudienceMismatch, "audience_mismatch"),
        (KeysUnavailable, "keys_unavailable"),
    ];
    for (reason, code) in codes {
        assert_eq!(reason.as_str(), code);
        assert_eq!(serde_json::to_value(reason).unwrap(), json!(code));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_is_refused_without_panicking(token in any::<String>()) {
        let verifier = verifier();
        let reason = refused(&verifier, &token, NOW);
        prop_assert_ne!(reason, CredentialMissing);
    }

    #[test]
    fn arbitrary_three_part_tokens_are_refused(
        header in "[A-Za-z0-9_-]{0,40}",
        payload in "[A-Za-z0-9_-]{0,80}",
        signature in "[A-Za-z0-9_-]{0,80}",
    ) {
        let verifier = verifier();
        let token = format!("{header}.{payload}.{signature}");
        refused(&verifier, &token, NOW);
    }

}

proptest! {
    // Each case signs and verifies an RSA token: fewer cases.
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn mangled_good_tokens_are_refused(index in 0usize..600, byte in any::<u8>()) {
        let verifier = verifier();
        let good = rs256(Some("rsa-1"), &claims());
        let mut bytes = good.clone().into_bytes();
        let index = index % bytes.len();
        prop_assume!(bytes[index] != byte);
        bytes[index] = byte;
        if let Ok(token) = String::from_utf8(bytes) {
            // Base64 padding bits can change without changing the bytes
            // (the last character of a part): that token is the same token.
            if let Ok(verified) = verifier.verify(&token, NOW) {
                prop_assert_eq!(&verified.principal().subject, "alice");
            } else {
                refused(&verifier, &token, NOW);
            }
        }
    }
}

#[test]
fn the_audit_record_of_a_decision_holds_no_token() {
    let policy = gatehouse::PolicySet::from_source(
        "pets.gate",
        r#"
        api "pets" version "1"
        auth user = jwt(issuer: "https://issuer.example", audience: "pets-api")
        scopes { pets:read "Read pets" }
        endpoint GET /pets/{id:int} {
            authenticate user
            require pets:read
        }
        "#,
    )
    .unwrap();
    let verifier = verifier();
    let token = rs256(Some("rsa-1"), &claims());
    let authorization = format!("Bearer {token}");
    let headers = [("Authorization", authorization.as_str())];
    let verified = verifier.authenticate(&headers, NOW).unwrap();
    let peer = "203.0.113.9".parse().unwrap();
    let request = gatehouse::Request::new("GET", "/pets/7", peer)
        .headers(&headers)
        .principal(verified.principal());
    let decision = policy.decide(&request);
    assert!(decision.allowed());
    let record =
        serde_json::to_string(&policy.audit(&request, &decision, Some(NOW * 1000))).unwrap();
    assert!(record.contains("alice"));
    for part in token.split('.') {
        assert!(
            !record.contains(part),
            "a token part shows in the audit record"
        );
    }
    // A refused token's audit record: anonymous, and no token either.
    let forged = format!("Bearer {}", rs256(Some("nope"), &claims()));
    let headers = [("Authorization", forged.as_str())];
    let refusal = verifier.authenticate(&headers, NOW).unwrap_err();
    let request = gatehouse::Request::new("GET", "/pets/7", peer).headers(&headers);
    let decision = policy.decide(&request);
    assert_eq!(decision.status(), 401);
    let record = serde_json::to_string(&policy.audit(&request, &decision, None)).unwrap();
    for part in forged.trim_start_matches("Bearer ").split('.') {
        assert!(!record.contains(part));
    }
    assert_no_credential(&forged, &refusal);
}
