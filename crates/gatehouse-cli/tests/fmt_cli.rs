//! `gatehouse fmt`, as users see it: printing, `--check` with a diff,
//! `--write`, standard input, files that do not parse, and exit codes.
//! (The layout itself is tested in `crates/gatehouse/tests/fmt.rs`.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

struct Output {
    stdout: String,
    stderr: String,
    exit: i32,
}

fn gatehouse(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .current_dir(root())
        .args(args)
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    // A command that fails before reading closes the pipe: not an error here.
    let _ = input.write_all(stdin.unwrap_or("").as_bytes());
    drop(input);
    let output = child.wait_with_output().unwrap();
    Output {
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
        exit: output.status.code().unwrap(),
    }
}

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("fmt_cli")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_sample_policies_are_formatted() {
    let output = gatehouse(&["fmt", "--check", "policies/", "--color", "never"], None);
    assert_eq!(output.exit, 0, "{}", output.stdout);
    assert_eq!(output.stdout, "ok: 4 files already formatted\n");
}

#[test]
fn prints_the_formatted_text() {
    let output = gatehouse(&["fmt", "tests/fmt/one-line.gate"], None);
    assert_eq!(output.exit, 0, "{}", output.stderr);
    let text = std::fs::read_to_string(root().join("tests/fmt/one-line.gate")).unwrap();
    assert_eq!(output.stdout, gatehouse_tools::fmt::format(&text).unwrap());
    let several = gatehouse(
        &[
            "fmt",
            "tests/fmt/one-line.gate",
            "tests/fmt/conditions.gate",
        ],
        None,
    );
    assert!(
        several
            .stdout
            .starts_with("==> tests/fmt/one-line.gate <==\n"),
        "{}",
        several.stdout
    );
    assert!(several
        .stdout
        .contains("==> tests/fmt/conditions.gate <==\n"));
}

#[test]
fn check_shows_a_diff_and_write_rewrites() {
    let dir = scratch("check_and_write");
    let file = dir.join("messy.gate");
    let messy = std::fs::read_to_string(root().join("tests/fmt/odd-spacing.gate")).unwrap();
    std::fs::write(&file, &messy).unwrap();
    std::fs::write(
        dir.join("clean.gate"),
        gatehouse_tools::fmt::format(&messy)
            .unwrap()
            .replace("\"spacing\"", "\"clean\""),
    )
    .unwrap();
    let dir_arg = dir.to_string_lossy().to_string();

    let check = gatehouse(&["fmt", "--check", &dir_arg, "--color", "never"], None);
    assert_eq!(check.exit, 1);
    let shown = check.stdout.replace(&format!("{dir_arg}/"), "<dir>/");
    insta::assert_snapshot!("check_diff", shown);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        messy,
        "--check changed the file"
    );

    let write = gatehouse(&["fmt", "--write", &dir_arg, "--color", "never"], None);
    assert_eq!(write.exit, 0, "{}", write.stderr);
    assert_eq!(
        write.stdout.replace(&format!("{dir_arg}/"), "<dir>/"),
        "formatted <dir>/messy.gate\nok: 1 file reformatted, 1 file already formatted\n"
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        gatehouse_tools::fmt::format(&messy).unwrap()
    );
    assert_eq!(gatehouse(&["fmt", "--check", &dir_arg], None).exit, 0);
}

#[test]
fn files_that_do_not_parse_are_left_alone() {
    let dir = scratch("broken");
    let file = dir.join("broken.gate");
    let broken = "api \"a\"\nendpoint GET /x {\n  requir admin\n}\n";
    std::fs::write(&file, broken).unwrap();
    let path = file.to_string_lossy().to_string();
    for flag in ["--write", "--check"] {
        let output = gatehouse(&["fmt", flag, &path, "--color", "never"], None);
        assert_eq!(output.exit, 1, "{flag}");
        assert!(
            output.stderr.contains("GH-E0001") && output.stderr.contains("did you mean `require`?"),
            "{}",
            output.stderr
        );
        assert!(
            output
                .stderr
                .contains("not formatted, because it does not parse"),
            "{}",
            output.stderr
        );
        assert!(
            output
                .stdout
                .contains("1 file not formatted because of errors"),
            "{}",
            output.stdout
        );
        assert_eq!(std::fs::read_to_string(&file).unwrap(), broken);
    }
}

#[test]
fn standard_input() {
    let output = gatehouse(
        &["fmt", "-"],
        Some("api \"a\" endpoint GET /x{public quota 1/s by ip}"),
    );
    assert_eq!(output.exit, 0, "{}", output.stderr);
    assert_eq!(
        output.stdout,
        "api \"a\"\n\nendpoint GET /x {\n  public\n  quota 1/s by ip\n}\n"
    );
    let check = gatehouse(
        &["fmt", "--check", "-", "--color", "never"],
        Some("api \"a\"\n"),
    );
    assert_eq!(check.exit, 0);
    let check = gatehouse(
        &["fmt", "--check", "-", "--color", "never"],
        Some("api   \"a\"\n"),
    );
    assert_eq!(check.exit, 1);
    assert!(
        check.stdout.contains("-api   \"a\"\n+api \"a\"\n"),
        "{}",
        check.stdout
    );
    assert_eq!(
        gatehouse(&["fmt", "--write", "-"], Some("api \"a\"\n")).exit,
        2
    );
}

#[test]
fn usage_errors() {
    assert_eq!(
        gatehouse(&["fmt", "--check", "--write", "policies/"], None).exit,
        2
    );
    assert_eq!(gatehouse(&["fmt", "no/such/file.gate"], None).exit, 2);
    assert_eq!(gatehouse(&["fmt"], None).exit, 2);
}
