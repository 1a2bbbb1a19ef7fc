//! `gatehouse eval` authenticating a request from its own credentials:
//! a token minted by `gatehouse token` with a key generated here, checked
//! against the JWKS `gatehouse token jwks` printed, at the request's time;
//! refusals printed in place of a decision (snapshot), never the token.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use p256::elliptic_curve::Generate;
use p256::pkcs8::{EncodePrivateKey, LineEnding};

const ISSUED: u64 = 1_700_000_000;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Runs `gatehouse` in `dir`: (exit code, stdout, stderr).
fn gatehouse(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .current_dir(dir)
        .args(args)
        .env_remove("NO_COLOR")
        .env_remove("GATEHOUSE_KEY_SECRET")
        .env("COLUMNS", "100")
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// A request for alice's profile at `at` (Unix seconds) with these headers.
fn request(dir: &Path, name: &str, at: u64, headers: &[(&str, &str)]) -> String {
    let body = serde_json::json!({
        "method": "GET",
        "path": "/v1/users/alice",
        "client_ip": "203.0.113.5",
        "time_ms": at * 1000,
        "headers": headers,
    });
    let file = format!("{name}.json");
    std::fs::write(dir.join(&file), body.to_string()).unwrap();
    file
}

#[test]
fn eval_verifies_minted_tokens_and_prints_refusals() {
    let dir =
        std::env::temp_dir().join(format!("gatehouse-eval-credentials-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = p256::SecretKey::generate();
    std::fs::write(
        dir.join("key.pem"),
        key.to_pkcs8_pem(LineEnding::LF).unwrap().as_bytes(),
    )
    .unwrap();
    let policy = root().join("policies/petstore.gate");
    let policy = policy.to_str().unwrap();

    let (exit, jwks, err) = gatehouse(
        &dir,
        &[
            "token", "jwks", "--key", "key.pem", "--alg", "ES256", "--kid", "t1",
        ],
    );
    assert_eq!(exit, 0, "{err}");
    assert!(
        !jwks.contains("\"d\""),
        "the JWKS holds no private part: {jwks}"
    );
    std::fs::write(dir.join("jwks.json"), jwks).unwrap();
    let issued = ISSUED.to_string();
    let (exit, token, err) = gatehouse(
        &dir,
        &[
            "token",
            "mint",
            "--key",
            "key.pem",
            "--alg",
            "ES256",
            "--kid",
            "t1",
            "--issuer",
            "https://id.example.com",
            "--audience",
            "petstore",
            "--subject",
            "alice",
            "--scopes",
            "users:read",
            "--expires",
            "1h",
            "--now",
            &issued,
        ],
    );
    assert_eq!(exit, 0, "{err}");
    let token = token.trim().to_string();
    let bearer = format!("Bearer {token}");

    // Within its hour: authenticated as alice, who may read her profile.
    let fresh = request(&dir, "fresh", ISSUED + 60, &[("Authorization", &bearer)]);
    let (exit, out, err) = gatehouse(
        &dir,
        &[
            "eval",
            policy,
            "--request",
            &fresh,
            "--jwks",
            "user=jwks.json",
            "--exit-code",
        ],
    );
    assert_eq!(exit, 0, "{out}{err}");
    assert!(out.starts_with("ALLOW 200"), "{out}");

    // Two hours later: expired, refused before any decision.
    let late = request(&dir, "late", ISSUED + 7200, &[("Authorization", &bearer)]);
    let (exit, out, _) = gatehouse(
        &dir,
        &[
            "eval",
            policy,
            "--request",
            &late,
            "--jwks",
            "user=jwks.json",
            "--exit-code",
        ],
    );
    assert_eq!(exit, 1);
    insta::assert_snapshot!("eval_refused_expired", out);
    let (_, json, _) = gatehouse(
        &dir,
        &[
            "eval",
            policy,
            "--request",
            &late,
            "--jwks",
            "user=jwks.json",
            "--json",
        ],
    );
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["format"], "gatehouse.credential_refusal/v1");
    assert_eq!(doc["reason"], "token_expired");
    assert_eq!(doc["status"], 401);

    // A forged signature; and no keys at all (the scheme would discover
    // them from its issuer, which eval does not fetch): refused, closed.
    // One signature byte changed: a character well before the end, whose
    // six bits are all data (the last one's are not all: changing it could
    // make the base64 non-canonical, which is malformed, not forged).
    let at = token.len() - 10;
    let swapped = if &token[at..=at] == "A" { "B" } else { "A" };
    let forged = format!("{}{swapped}{}", &token[..at], &token[at + 1..]);
    let forged_bearer = format!("Bearer {forged}");
    let forged_request = request(
        &dir,
        "forged",
        ISSUED + 60,
        &[("Authorization", &forged_bearer)],
    );
    let (_, out, _) = gatehouse(
        &dir,
        &[
            "eval",
            policy,
            "--request",
            &forged_request,
            "--jwks",
            "user=jwks.json",
        ],
    );
    assert!(out.starts_with("DENY 401 signature_invalid"), "{out}");
    let (_, out, _) = gatehouse(&dir, &["eval", policy, "--request", &fresh]);
    assert!(out.starts_with("DENY 401 keys_unavailable"), "{out}");
    for text in [&out, &json] {
        assert!(
            !text.contains(&token[token.len() - 20..]),
            "no token in the output"
        );
    }

    // Bad options are usage errors.
    let (exit, _, err) = gatehouse(
        &dir,
        &["eval", policy, "--request", &fresh, "--jwks", "jwks.json"],
    );
    assert_eq!(
        (exit, err.trim()),
        (2, "error: --jwks `jwks.json`: write SCHEME=FILE")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `gatehouse test` with a `credentials` block: the fixture's tokens and
/// API key are verified against its JWKS and key store, refusals compared
/// as 401s with their codes.
#[test]
fn policy_tests_verify_the_credentials_their_requests_carry() {
    let (exit, out, err) = gatehouse(
        &root(),
        &["test", "tests/policy-tests/credentials", "--color", "never"],
    );
    assert_eq!(exit, 0, "{out}{err}");
    insta::assert_snapshot!("test_credentials_fixture", out);

    // An expectation that a refusal does not meet fails, and says why the
    // credential was refused.
    let dir =
        std::env::temp_dir().join(format!("gatehouse-test-credentials-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fixture = root().join("tests/policy-tests/credentials");
    for name in ["pets.gate", "jwks.json", "keys.json", "key-secret.txt"] {
        std::fs::copy(fixture.join(name), dir.join(name)).unwrap();
    }
    let tests = std::fs::read_to_string(fixture.join("pets.test.json"))
        .unwrap()
        .replace(
            "\"reason\": \"token_expired\"",
            "\"reason\": \"token_not_yet_valid\"",
        );
    std::fs::write(dir.join("pets.test.json"), tests).unwrap();
    let (exit, out, _) = gatehouse(&dir, &["test", ".", "--color", "never"]);
    assert_eq!(exit, 1, "{out}");
    assert!(
        out.contains("  refused:  deny 401 token_expired: scheme `user` refused the credential: the token has expired"),
        "{out}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
