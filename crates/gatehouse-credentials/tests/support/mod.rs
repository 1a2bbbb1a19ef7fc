//! Keys and tokens for the JWT tests: an RSA 2048 and a P-256 key pair,
//! generated once per test binary (no key material in the repository), and
//! helpers that sign tokens, well formed or not.
#![allow(dead_code, reason = "each test binary uses some of the helpers")]

use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use gatehouse_credentials::jwt::{JwtScheme, KeySet, Verifier};
use gatehouse_credentials::{Refusal, RefusalReason};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::elliptic_curve::Generate;
use p256::pkcs8::EncodePrivateKey;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use serde_json::{json, Value};

pub const ISSUER: &str = "https://issuer.example";
pub const AUDIENCE: &str = "pets-api";
/// The tests' "now": tokens expire an hour later.
pub const NOW: u64 = 1_800_000_000;

pub struct TestKeys {
    pub rsa: EncodingKey,
    pub rsa_public_pem: String,
    pub rsa_public_der: Vec<u8>,
    /// The public JWK without `kid`.
    pub rsa_jwk: Value,
    pub ec: EncodingKey,
    pub ec_jwk: Value,
}

pub fn keys() -> &'static TestKeys {
    static KEYS: OnceLock<TestKeys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let rsa = rsa::PrivateKey::new(&mut sysrng::SysRng, 2048).unwrap();
        let rsa_der = rsa.to_pkcs1_der().unwrap();
        let rsa_public = rsa.to_public_key();
        let rsa = EncodingKey::from_rsa_der(rsa_der.as_bytes());
        let ec = p256::SecretKey::generate();
        let ec = EncodingKey::from_ec_der(ec.to_pkcs8_der().unwrap().as_bytes());
        TestKeys {
            rsa_jwk: jwk(&rsa, Algorithm::RS256),
            ec_jwk: jwk(&ec, Algorithm::ES256),
            rsa,
            rsa_public_pem: rsa_public.to_public_key_pem(LineEnding::LF).unwrap(),
            rsa_public_der: rsa_public.to_public_key_der().unwrap().as_bytes().to_vec(),
            ec,
        }
    })
}

fn jwk(key: &EncodingKey, alg: Algorithm) -> Value {
    let mut jwk = serde_json::to_value(Jwk::from_encoding_key(key, alg).unwrap()).unwrap();
    // Only the key itself: tests add `kid`, `alg` or `use` as they need.
    for name in ["kid", "alg", "use", "key_ops"] {
        jwk.as_object_mut().unwrap().remove(name);
    }
    jwk
}

/// `jwk` with `"kid": kid`.
pub fn with_kid(jwk: &Value, kid: &str) -> Value {
    let mut jwk = jwk.clone();
    jwk["kid"] = json!(kid);
    jwk
}

/// A JWKS document of `keys`.
pub fn jwks(keys: &[Value]) -> String {
    json!({ "keys": keys }).to_string()
}

/// The standard set: the RSA key as `rsa-1`, the EC key as `ec-1`.
pub fn standard_jwks() -> String {
    let keys = keys();
    jwks(&[
        with_kid(&keys.rsa_jwk, "rsa-1"),
        with_kid(&keys.ec_jwk, "ec-1"),
    ])
}

pub fn scheme() -> JwtScheme {
    JwtScheme::new("user", ISSUER).audience(AUDIENCE)
}

pub fn verifier() -> Verifier {
    verifier_with(scheme())
}

/// A verifier of `scheme` with the standard key set.
pub fn verifier_with(scheme: JwtScheme) -> Verifier {
    Verifier::new(scheme, KeySet::from_jwks(&standard_jwks()).unwrap()).unwrap()
}

/// Good claims: for `alice`, valid from an hour before [`NOW`] to an hour
/// after.
pub fn claims() -> Value {
    json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "alice",
        "iat": NOW - 3600,
        "nbf": NOW - 3600,
        "exp": NOW + 3600,
        "scope": "pets:read pets:write",
        "tenant": {"id": 7},
    })
}

/// `claims` signed by the RSA key as `kid`.
pub fn rs256(kid: Option<&str>, claims: &Value) -> String {
    sign(Algorithm::RS256, kid, claims, &keys().rsa)
}

/// `claims` signed by the EC key as `kid`.
pub fn es256(kid: Option<&str>, claims: &Value) -> String {
    sign(Algorithm::ES256, kid, claims, &keys().ec)
}

pub fn sign(alg: Algorithm, kid: Option<&str>, claims: &Value, key: &EncodingKey) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, key).unwrap()
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The header and payload texts, exactly as given, signed with `key`: for
/// tokens jsonwebtoken's types could not express (duplicate keys, say).
pub fn sign_raw(header: &str, payload: &str, alg: Algorithm, key: &EncodingKey) -> String {
    let message = format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()));
    let signature = jsonwebtoken::crypto::sign(message.as_bytes(), key, alg).unwrap();
    format!("{message}.{signature}")
}

/// The reason `verifier` refuses `token` at `now`, after checking that
/// nothing the refusal shows (its `Debug`, JSON and challenge) holds the
/// token or any of its parts.
pub fn refused(verifier: &Verifier, token: &str, now: u64) -> RefusalReason {
    let refusal: Refusal = match verifier.verify(token, now) {
        Ok(verified) => panic!("accepted: {verified:?}"),
        Err(refusal) => refusal,
    };
    assert_no_credential(token, &refusal);
    assert_eq!(refusal.scheme, verifier.scheme().name());
    refusal.reason
}

/// The reason `verifier` refuses, at [`NOW`], good claims changed by
/// `change` and signed by the RSA key as `rsa-1`.
pub fn refused_claims(verifier: &Verifier, change: impl FnOnce(&mut Value)) -> RefusalReason {
    let mut claims = claims();
    change(&mut claims);
    refused(verifier, &rs256(Some("rsa-1"), &claims), NOW)
}

/// Good claims without the claim `name`.
pub fn without(claims: &mut Value, name: &str) {
    claims.as_object_mut().unwrap().remove(name);
}

/// Checks that no text made from `refusal` holds `token` or a part of it.
pub fn assert_no_credential(token: &str, refusal: &Refusal) {
    let shown = [
        format!("{refusal:?}"),
        refusal.to_string(),
        serde_json::to_string(refusal).unwrap(),
        refusal.www_authenticate(gatehouse_credentials::ChallengeKind::Bearer),
        refusal.reason.description().to_owned(),
    ];
    let parts = token.split('.').filter(|part| part.len() >= 8);
    for text in &shown {
        // Short texts (`c`, `user`) occur in any message by chance.
        if token.len() >= 8 {
            assert!(!text.contains(token), "the token shows in {text}");
        }
        for part in parts.clone() {
            assert!(!text.contains(part), "a token part shows in {text}");
        }
    }
}
