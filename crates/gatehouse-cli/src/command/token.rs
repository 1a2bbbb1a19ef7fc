//! `gatehouse token`: test tokens and their JWKS from a local private key,
//! so that policy tests and `eval --jwks` can use real, signed tokens.

use std::path::Path;

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use crate::args::{TokenArgs, TokenCommand, TokenKeyArgs, TokenMintArgs};
use crate::exit::Exit;
use crate::load::display_name;
use crate::output::outln;

pub fn run(args: &TokenArgs) -> Exit {
    let result = match &args.command {
        TokenCommand::Mint(args) => mint(args),
        TokenCommand::Jwks(args) => jwks(args),
    };
    match result {
        Ok(text) => {
            outln!("{text}");
            Exit::Ok
        }
        Err(message) => {
            eprintln!("error: {message}");
            Exit::Usage
        }
    }
}

/// The algorithm named `--alg`: an asymmetric one (an HMAC secret is not
/// a key file).
fn algorithm(name: &str) -> Result<Algorithm, String> {
    let algorithm: Algorithm = name
        .parse()
        .map_err(|_| format!("--alg `{name}` is not a JWS algorithm"))?;
    match algorithm {
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => Err(format!(
            "--alg `{name}`: HMAC tokens need a shared secret, not a key file"
        )),
        other => Ok(other),
    }
}

/// The private key of `--key` for `algorithm`.
fn key(args: &TokenKeyArgs) -> Result<(Algorithm, EncodingKey), String> {
    let algorithm = algorithm(&args.alg)?;
    let pem = std::fs::read(&args.key)
        .map_err(|e| format!("--key `{}`: {e}", display_name(&args.key)))?;
    let key = match algorithm {
        Algorithm::ES256 | Algorithm::ES384 => EncodingKey::from_ec_pem(&pem),
        Algorithm::EdDSA => EncodingKey::from_ed_pem(&pem),
        _ => EncodingKey::from_rsa_pem(&pem),
    }
    .map_err(|e| {
        format!(
            "--key `{}` is not a {} private key in PEM: {e}",
            display_name(Path::new(&args.key)),
            args.alg
        )
    })?;
    Ok((algorithm, key))
}

fn mint(args: &TokenMintArgs) -> Result<String, String> {
    let (algorithm, key) = key(&args.key)?;
    let now = args.now.unwrap_or_else(|| crate::load::now_ms() / 1000);
    let mut claims = json!({
        "iss": args.issuer,
        "sub": args.subject,
        "iat": now,
        "nbf": now,
        "exp": now.saturating_add(args.expires),
    });
    if let Some(audience) = &args.audience {
        claims["aud"] = json!(audience);
    }
    if !args.scopes.is_empty() {
        claims["scope"] = json!(args.scopes.join(" "));
    }
    let mut header = Header::new(algorithm);
    header.kid.clone_from(&args.key.kid);
    jsonwebtoken::encode(&header, &claims, &key).map_err(|e| format!("cannot sign: {e}"))
}

fn jwks(args: &TokenKeyArgs) -> Result<String, String> {
    let (algorithm, key) = key(args)?;
    let mut jwk = Jwk::from_encoding_key(&key, algorithm)
        .map_err(|e| format!("cannot derive the public key: {e}"))?;
    jwk.common.key_id.clone_from(&args.kid);
    serde_json::to_string_pretty(&JwkSet { keys: vec![jwk] })
        .map_err(|e| format!("cannot write the JWKS: {e}"))
}
