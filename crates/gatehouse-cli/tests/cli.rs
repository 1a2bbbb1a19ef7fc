//! The CLI's output, as users see it: snapshots of `check`, `eval` and
//! `--help`, and the documented exit codes.
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
fn gatehouse(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(args)
        .current_dir(root())
        .env_remove("NO_COLOR")
        .env("COLUMNS", "100")
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn check_policies_is_clean() {
    let output = gatehouse(&["check", "policies/", "--color", "never"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    insta::assert_snapshot!("check_policies", stdout(&output));
}

#[test]
fn check_json_is_versioned() {
    let output = gatehouse(&["check", "policies/petstore.gate", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["errors"], 0);
}

#[test]
fn eval_explains_every_sample_request() {
    let mut requests: Vec<PathBuf> = std::fs::read_dir(root().join("tests/requests"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    requests.sort();
    assert!(requests.len() >= 5);
    for request in requests {
        let name = request.file_stem().unwrap().to_string_lossy().to_string();
        let relative = format!("tests/requests/{name}.json");
        let human = gatehouse(&[
            "eval",
            "policies/",
            "--request",
            &relative,
            "--color",
            "never",
        ]);
        assert_eq!(human.status.code(), Some(0), "{name}");
        insta::assert_snapshot!(format!("eval_{name}"), stdout(&human));
        let json = gatehouse(&[
            "eval",
            "policies/",
            "--request",
            &relative,
            "--json",
            "--audit",
        ]);
        assert_eq!(json.status.code(), Some(0), "{name}");
        let value: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
        insta::assert_json_snapshot!(format!("eval_{name}_json"), value);
    }
}

#[test]
fn exit_codes_are_as_documented() {
    let denied = gatehouse(&[
        "eval",
        "policies/",
        "--request",
        "tests/requests/traversal.json",
        "--exit-code",
    ]);
    assert_eq!(denied.status.code(), Some(1));
    let allowed = gatehouse(&[
        "eval",
        "policies/",
        "--request",
        "tests/requests/get-own-user.json",
        "--exit-code",
    ]);
    assert_eq!(allowed.status.code(), Some(0));
    let missing = gatehouse(&[
        "eval",
        "policies/",
        "--request",
        "tests/requests/does-not-exist.json",
    ]);
    assert_eq!(missing.status.code(), Some(2));
    let no_file = gatehouse(&["check", "no/such/dir"]);
    assert_eq!(no_file.status.code(), Some(2));
    let errors = gatehouse(&["check", "tests/diagnostics/GH-E0202.gate"]);
    assert_eq!(errors.status.code(), Some(1));
}

#[test]
fn stdin_request() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(["eval", "policies/", "--request", "-", "--json"])
        .current_dir(root())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(br#"{"method":"GET","path":"/v1/health"}"#)
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["decision"], "allow");
    assert_eq!(value["endpoint"]["path"], "/health");
}

#[test]
fn help_has_examples_for_every_command() {
    for command in [
        "check",
        "eval",
        "fmt",
        "lint",
        "test",
        "explain",
        "tree",
        "inventory",
        "diff",
        "keys",
        "token",
        "gateway",
        "completions",
    ] {
        let output = gatehouse(&[command, "--help"]);
        let text = stdout(&output);
        assert!(
            text.contains("Examples:"),
            "{command} --help has no examples"
        );
        insta::assert_snapshot!(format!("help_{command}"), text);
    }
    insta::assert_snapshot!("help", stdout(&gatehouse(&["--help"])));
}

#[test]
fn gateway_prints_a_configuration_from_the_policy_and_flags() {
    let nginx = gatehouse(&[
        "gateway",
        "nginx",
        "policies/",
        "--upstream",
        "http://10.0.0.5:3000",
        "--gatehouse",
        "127.0.0.1:7000",
        "--listen",
        "0.0.0.0:80",
    ]);
    assert_eq!(nginx.status.code(), Some(0));
    let text = stdout(&nginx);
    // Both reached through kept-alive upstream blocks.
    assert!(
        text.contains("upstream gatehouse_api {\n    server 10.0.0.5:3000;"),
        "{text}"
    );
    assert!(text.contains("proxy_pass http://gatehouse_api;"), "{text}");
    assert!(
        text.contains("upstream gatehouse {\n    server 127.0.0.1:7000;"),
        "{text}"
    );
    assert!(text.contains("proxy_pass http://gatehouse/check;"));
    assert!(text.contains("listen 0.0.0.0:80 default_server;"));
    // petstore's base.
    assert!(text.contains("location /v1 {"), "{text}");

    let envoy = stdout(&gatehouse(&[
        "gateway",
        "envoy",
        "policies/",
        "--grpc",
        "[::1]:9200",
    ]));
    assert!(
        envoy.contains(r#"socket_address: { address: "::1", port_value: 9200 }"#),
        "{envoy}"
    );

    // Addresses are checked before anything is printed; a policy that
    // does not load is not printed for.
    let bad = gatehouse(&[
        "gateway",
        "caddy",
        "policies/",
        "--upstream",
        "http://h/api",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stdout(&bad).is_empty());
    let broken = gatehouse(&["gateway", "traefik", "tests/diagnostics/GH-E0202.gate"]);
    assert_eq!(broken.status.code(), Some(2));
}

#[test]
fn no_colour_when_not_a_terminal_or_no_color() {
    let output = gatehouse(&[
        "eval",
        "policies/",
        "--request",
        "tests/requests/traversal.json",
    ]);
    assert!(
        !stdout(&output).contains('\u{1b}'),
        "colour escape codes in piped output"
    );
    let forced = gatehouse(&[
        "eval",
        "policies/",
        "--request",
        "tests/requests/traversal.json",
        "--color",
        "always",
    ]);
    assert!(stdout(&forced).contains('\u{1b}'));
}

#[test]
fn replay_shows_when_a_quota_bites() {
    let output = gatehouse(&[
        "eval",
        "policies/",
        "--replay",
        "tests/replay/petstore.jsonl",
        "--color",
        "never",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    assert!(text.contains("429 quota_exceeded"), "{text}");
    insta::assert_snapshot!("eval_replay", text);
    let denied = gatehouse(&[
        "eval",
        "policies/",
        "--replay",
        "tests/replay/petstore.jsonl",
        "--exit-code",
    ]);
    assert_eq!(denied.status.code(), Some(1));
}
