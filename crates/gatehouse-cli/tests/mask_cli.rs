//! `gatehouse eval --response`: the masked response as users see it, and
//! the promise that a response that cannot be masked is withheld (exit 2).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Runs `gatehouse` from the repository root, so paths in output are
/// relative and stable.
fn gatehouse(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gatehouse"));
    command
        .args(args)
        .current_dir(root())
        .env_remove("NO_COLOR")
        .env_remove("GH_TEST_KEY");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

const OWN_USER: [&str; 6] = [
    "eval",
    "policies/",
    "--request",
    "tests/requests/get-own-user.json",
    "--response",
    "tests/responses/get-own-user.json",
];

#[test]
fn eval_prints_the_masked_response() {
    let output = gatehouse(&[&OWN_USER[..], &["--color", "never"]].concat(), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    // `response only` dropped the rest; `keep last 4` masked the SSN.
    assert!(
        !text.contains("password_hash") && !text.contains("078-05-1120"),
        "{text}"
    );
    insta::assert_snapshot!("eval_get-own-user_response", text);
}

#[test]
fn eval_json_has_the_response_in_order() {
    let output = gatehouse(&[&OWN_USER[..], &["--json"]].concat(), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["decision"], "allow");
    // The masked response is a string: its bytes exactly as masked (the
    // JSON API and the WebAssembly module write the same document).
    let response = value["response"].as_str().unwrap();
    let parsed: serde_json::Value = serde_json::from_str(response).unwrap();
    assert_eq!(parsed["ssn"], "*******1120");
    // Member order is the response's, not alphabetical.
    let order: Vec<usize> = ["\"id\"", "\"name\"", "\"email\"", "\"ssn\"", "\"plan\""]
        .iter()
        .map(|k| response.find(k).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{response}");
    insta::assert_snapshot!("eval_get-own-user_response_json", response);
}

#[test]
fn a_response_that_cannot_be_masked_is_withheld() {
    let dir = scratch("withheld");
    let truncated = dir.join("truncated.json");
    std::fs::write(&truncated, r#"{"id": "alice", "ssn": "078-05"#).unwrap();
    let truncated = truncated.to_str().unwrap();
    for extra in [&["--color", "never"][..], &["--json"][..]] {
        let args = [
            &[
                "eval",
                "policies/",
                "--request",
                "tests/requests/get-own-user.json",
                "--response",
                truncated,
            ][..],
            extra,
        ]
        .concat();
        let output = gatehouse(&args, &[]);
        assert_eq!(output.status.code(), Some(2));
        assert!(!stdout(&output).contains("078-05"), "{}", stdout(&output));
        assert_eq!(
            stderr(&output),
            "error: the response cannot be masked, so it must be withheld: the response is not valid JSON: the response ends in the middle of a value at byte 30\n"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn denied_requests_have_no_response() {
    let output = gatehouse(
        &[
            "eval",
            "policies/",
            "--request",
            "tests/requests/get-user.json",
            "--response",
            "tests/responses/get-own-user.json",
            "--color",
            "never",
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(0));
    assert!(
        stdout(&output)
            .ends_with("  response: none (the request was denied, so there is nothing to mask)\n"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn hash_key_comes_from_the_environment() {
    let dir = scratch("hash");
    std::fs::write(
        dir.join("h.gate"),
        "api \"h\"\nendpoint GET /h {\n  public\n  mask response $.id with hash\n}\n",
    )
    .unwrap();
    std::fs::write(dir.join("req.json"), r#"{"method": "GET", "path": "/h"}"#).unwrap();
    std::fs::write(dir.join("resp.json"), r#"{"id": "acct-1", "n": 1}"#).unwrap();
    let path = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let (policy, request, response) = (path("h.gate"), path("req.json"), path("resp.json"));
    let args = [
        "eval",
        &policy,
        "--request",
        &request,
        "--response",
        &response,
        "--json",
        "--hash-key-env",
        "GH_TEST_KEY",
    ];

    let output = gatehouse(
        &args,
        &[("GH_TEST_KEY", "a test key of more than 16 bytes")],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let value: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let response = |value: &serde_json::Value| -> serde_json::Value {
        serde_json::from_str(value["response"].as_str().unwrap()).unwrap()
    };
    let masked = response(&value);
    let hash = masked["id"].as_str().unwrap();
    assert_eq!(hash.len(), 32);
    assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(!stdout(&output).contains("a test key"));

    // Another key, another hash.
    let other = gatehouse(&args, &[("GH_TEST_KEY", "another key, also long enough")]);
    let other: serde_json::Value = serde_json::from_str(&stdout(&other)).unwrap();
    assert_ne!(response(&other)["id"], masked["id"]);

    // No key: masking fails closed.
    let output = gatehouse(&args[..7], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("no hash key"),
        "{}",
        stderr(&output)
    );
    // A named variable that is not set is a usage error.
    let output = gatehouse(&args, &[]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "error: --hash-key-env: the environment variable `GH_TEST_KEY` is not set\n"
    );
    std::fs::remove_dir_all(&dir).ok();
}

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("gatehouse-mask-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
