//! The arguments of a `jwt` scheme (`jwks`, `algorithms`, `leeway`,
//! `scope_claim`) as `gatehouse check` reads them: a scheme that uses all
//! of them checks clean, and every mistake in one scheme is reported in
//! one run (snapshot).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Command;

/// Writes `text` to `NAME.gate` in a directory of its own and runs
/// `gatehouse check` there, so that output names the file by itself.
fn check(name: &str, text: &str) -> (i32, String) {
    let dir: PathBuf = std::env::temp_dir().join(format!(
        "gatehouse-jwt-arguments-{}-{name}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let file = format!("{name}.gate");
    std::fs::write(dir.join(&file), text).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .current_dir(&dir)
        .args(["check", &file, "--color", "never"])
        .env_remove("NO_COLOR")
        .env("COLUMNS", "100")
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
    )
}

#[test]
fn every_jwt_argument_checks_clean() {
    let (exit, out) = check(
        "clean",
        r#"api "pets" version "1"
owner "team"
auth user = jwt(
  issuer: "https://id.example.com",
  audience: "pets",
  jwks: "https://id.example.com/keys.json",
  algorithms: "RS256, ES256 EdDSA",
  leeway: "30s",
  scope_claim: "scp",
)
auth local = jwt(issuer: "https://dev.example.com", audience: "pets", jwks: "http://127.0.0.1:8080/jwks.json")
auth file = jwt(issuer: "https://files.example.com", audience: "pets", jwks: "keys/jwks.json", leeway: "5m")

endpoint GET /pets {
  authenticate user | local | file
}
"#,
    );
    assert_eq!(exit, 0, "{out}");
}

#[test]
fn every_mistake_in_a_jwt_scheme_is_reported() {
    let (exit, out) = check(
        "mistakes",
        r#"api "pets" version "1"
owner "team"
auth user = jwt(
  issuer: "https://id.example.com",
  audience: "pets",
  jwks: "http://keys.example.com/jwks.json",
  algorithms: "RS256 none HS257 RS256",
  leeway: "10m",
  scope_claim: "two words",
)
auth empty = jwt(issuer: "https://id.example.com", audience: "pets", algorithms: " , ", leeway: "soon", jwks: "ftp://keys")

endpoint GET /pets {
  authenticate user | empty
}
"#,
    );
    assert_eq!(exit, 1, "{out}");
    insta::assert_snapshot!("jwt_argument_mistakes", out);
}
