//! Every subcommand writing into a closed pipe (`gatehouse ... | head -1`
//! where `head` has already gone) ends quietly with success: no panic, no
//! backtrace, nothing on standard error, exit 0.
//!
//! The pipe's read end is closed before the command starts, so its first
//! write fails (a `head` that exits early only makes a later write fail;
//! this makes every write path meet the error deterministically).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Each subcommand, in each of its output forms that prints to standard
/// output.
const COMMANDS: &[&[&str]] = &[
    &["check", "policies/"],
    &["check", "policies/", "--format", "json"],
    &["lint", "policies/"],
    &["lint", "policies/", "--format", "json"],
    &["lint", "policies/", "--format", "sarif"],
    &["lint", "--list-rules"],
    &["lint", "--explain", "GH-L001"],
    &["fmt", "policies/"],
    &["test", "policies/"],
    &["test", "policies/", "--format", "json"],
    &[
        "eval",
        "policies/",
        "--request",
        "tests/requests/get-own-user.json",
    ],
    &[
        "eval",
        "policies/",
        "--request",
        "tests/requests/get-own-user.json",
        "--json",
    ],
    &[
        "eval",
        "policies/",
        "--request",
        "tests/requests/get-own-user.json",
        "--response",
        "tests/responses/get-own-user.json",
        "--audit",
    ],
    &[
        "eval",
        "policies/",
        "--replay",
        "tests/replay/petstore.jsonl",
    ],
    &[
        "eval",
        "policies/",
        "--replay",
        "tests/replay/petstore.jsonl",
        "--json",
    ],
    &[
        "explain",
        "policies/",
        "--request",
        "tests/requests/get-user.json",
    ],
    &[
        "explain",
        "policies/",
        "--request",
        "tests/requests/get-user.json",
        "--format",
        "json",
    ],
    &["tree", "policies/petstore.gate"],
    &["tree", "policies/petstore.gate", "--format", "dot"],
    &["inventory", "policies/"],
    &["inventory", "policies/", "--format", "json"],
    &["diff", "tests/diff/old", "tests/diff/new"],
    &["completions", "bash"],
    &["--help"],
];

#[test]
fn every_subcommand_treats_a_closed_pipe_as_success() {
    let mut failures = Vec::new();
    for args in COMMANDS {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let output = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
            .args(*args)
            .current_dir(root())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        if output.status.code() != Some(0) || !stderr.is_empty() {
            failures.push(format!(
                "gatehouse {}: {} {stderr}",
                args.join(" "),
                output.status
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
