//! JWT verification: a cached token, and uncached RS256 and ES256 tokens
//! next to jsonwebtoken's own `decode` of the same token with the same
//! checks (issuer, audience, `exp`), so the overhead of gatehouse's own
//! parsing (strict JSON, key choice) shows against the signature's cost.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use gatehouse_credentials::jwt::{JwtScheme, KeySet, Verifier};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use p256::elliptic_curve::Generate;
use p256::pkcs8::EncodePrivateKey;
use rsa::pkcs1::EncodeRsaPrivateKey;
use serde_json::{json, Value};

const ISSUER: &str = "https://issuer.example";
const AUDIENCE: &str = "pets-api";

/// Now: jsonwebtoken reads the clock for `exp` and `nbf`, so the tokens are
/// made for the real time and gatehouse is given the same.
fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn claims() -> Value {
    let now = now();
    json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": "alice",
        "iat": now - 60, "nbf": now - 60, "exp": now + 3600,
        "scope": "pets:read pets:write", "tenant": "blue",
    })
}

struct Case {
    token: String,
    jwk: Value,
    alg: Algorithm,
}

fn case(alg: Algorithm, key: &EncodingKey, kid: &str) -> Case {
    let mut header = Header::new(alg);
    header.kid = Some(kid.to_owned());
    let mut jwk = serde_json::to_value(Jwk::from_encoding_key(key, alg).unwrap()).unwrap();
    jwk["kid"] = json!(kid);
    Case {
        token: jsonwebtoken::encode(&header, &claims(), key).unwrap(),
        jwk,
        alg,
    }
}

fn jwt(c: &mut Criterion) {
    let now = now();
    let rsa = rsa::PrivateKey::new(&mut sysrng::SysRng, 2048).unwrap();
    let rsa = EncodingKey::from_rsa_der(rsa.to_pkcs1_der().unwrap().as_bytes());
    let ec = p256::SecretKey::generate();
    let ec = EncodingKey::from_ec_der(ec.to_pkcs8_der().unwrap().as_bytes());
    let rs256 = case(Algorithm::RS256, &rsa, "rsa-1");
    let es256 = case(Algorithm::ES256, &ec, "ec-1");
    let jwks = json!({ "keys": [rs256.jwk, es256.jwk] }).to_string();
    let keys = KeySet::from_jwks(&jwks).unwrap();
    let scheme = JwtScheme::new("user", ISSUER).audience(AUDIENCE);

    let mut group = c.benchmark_group("jwt");

    let cached = Verifier::new(scheme.clone(), keys.clone()).unwrap();
    cached.verify(&rs256.token, now).unwrap();
    group.bench_function("cached", |b| {
        b.iter(|| {
            cached
                .verify(black_box(&rs256.token), black_box(now))
                .unwrap()
        })
    });

    // The whole credential step of a request with a cached token: headers
    // searched, the token's scheme chosen, the cache hit, the expiry
    // re-checked. A policy with one `jwt` scheme beside an API key and an
    // mTLS scheme, as an authenticator in front of an API has.
    let policy = gatehouse::PolicySet::from_source(
        "pets.gate",
        &format!(
            r#"api "pets" version "1"
scopes {{
  pets:read
}}
auth user = jwt(issuer: "{ISSUER}", audience: "{AUDIENCE}")
auth key  = api_key(header: "X-API-Key")
endpoint GET /pets {{
  authenticate user | key
  require pets:read
}}
"#
        ),
    )
    .unwrap();
    let authenticator = gatehouse_credentials::Authenticator::builder(&policy)
        .jwks("user", KeySet::from_jwks(&jwks).unwrap())
        .build()
        .unwrap();
    let bearer = format!("Bearer {}", rs256.token);
    let headers = [
        ("host", "pets.example"),
        ("user-agent", "curl/8.5.0"),
        ("accept", "application/json"),
        ("authorization", bearer.as_str()),
        ("x-request-id", "7f3c2a9e-5b1d-4c8e-9a6f-0d2e4b8c1a37"),
    ];
    let request = gatehouse_credentials::CredentialRequest {
        headers: &headers,
        peer: Some("203.0.113.5".parse().unwrap()),
        ..Default::default()
    };
    authenticator.authenticate(&request, now).unwrap().unwrap();
    group.bench_function("authenticate_cached", |b| {
        b.iter(|| {
            authenticator
                .authenticate(black_box(&request), black_box(now))
                .unwrap()
        })
    });

    // What a cache keyed by a cryptographic digest of the token would cost
    // before its lookup (the cache compares the token itself instead).
    group.bench_function("sha256_of_token", |b| {
        use sha2::Digest as _;
        b.iter(|| sha2::Sha256::digest(black_box(rs256.token.as_bytes())))
    });

    // No cache: every iteration checks the signature.
    let uncached = Verifier::new(scheme.cache_capacity(0), keys).unwrap();
    for (name, case) in [("rs256", &rs256), ("es256", &es256)] {
        group.bench_function(format!("{name}_uncached"), |b| {
            b.iter(|| {
                uncached
                    .verify(black_box(&case.token), black_box(now))
                    .unwrap()
            })
        });
        let key =
            DecodingKey::from_jwk(&serde_json::from_value(case.jwk.clone()).unwrap()).unwrap();
        let mut validation = Validation::new(case.alg);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.leeway = 60;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        group.bench_function(format!("jsonwebtoken_{name}"), |b| {
            b.iter(|| {
                jsonwebtoken::decode::<Value>(black_box(&case.token), &key, &validation).unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, jwt);
criterion_main!(benches);
