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

    // The floor of a cache hit: the cache is keyed by this digest, so that
    // it never holds a token.
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
