//! The formatter: snapshots of every policy in `policies/` and of the messy
//! fixtures in `tests/fmt/`, and properties over generated policies laid out
//! badly on purpose: formatting keeps every comment, is idempotent and never
//! changes what the policy means (the checked models, spans aside, and the
//! diagnostics are the same before and after).
//!
//! To accept changed snapshots after reviewing them:
//! `INSTA_UPDATE=always cargo test -p gatehouse --test fmt`, then read every
//! changed `.snap` file.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};

use gatehouse_core::check;
use gatehouse_syntax as syntax;
use gatehouse_syntax::comments::comments;
use gatehouse_syntax::span::FileId;
use gatehouse_tools::fmt::{format, without_spans};
use proptest::prelude::*;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn gate_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "gate"))
        .collect();
    files.sort();
    files
}

/// What a policy means, without where it is written: the checked model and
/// the diagnostics (code and message), both free of spans.
fn meaning(text: &str) -> (String, Vec<String>) {
    let (ast, parse_diagnostics) = syntax::parse(FileId(0), text);
    let ast = ast.expect("the text parses");
    assert!(parse_diagnostics.is_empty(), "{parse_diagnostics:?}");
    let (model, diagnostics) = check::check(&[check::ParsedFile {
        file: FileId(0),
        ast: &ast,
    }]);
    let diagnostics = diagnostics
        .iter()
        .map(|d| format!("{}: {}", d.code.as_str(), d.message))
        .collect();
    (without_spans(&format!("{model:?}")), diagnostics)
}

fn comment_texts(text: &str) -> Vec<String> {
    comments(text).into_iter().map(|c| c.text).collect()
}

/// Formatting `text` keeps its comments and meaning and is idempotent.
fn assert_sound(name: &str, text: &str) -> String {
    let formatted = format(text).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(
        format(&formatted).unwrap(),
        formatted,
        "{name}: formatting is not idempotent"
    );
    assert_eq!(
        comment_texts(&formatted),
        comment_texts(text),
        "{name}: comments changed"
    );
    let before = meaning(text);
    let after = meaning(&formatted);
    assert_eq!(before.1, after.1, "{name}: diagnostics changed");
    assert!(before.0 == after.0, "{name}: the checked model changed");
    formatted
}

fn snapshot(dir: &str) {
    for path in gate_files(dir) {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let formatted = assert_sound(&name, &text);
        let mut settings = insta::Settings::clone_current();
        settings.set_input_file(&path);
        settings.set_omit_expression(true);
        settings.set_prepend_module_to_snapshot(false);
        settings.bind(|| {
            insta::assert_snapshot!(format!("fmt__{dir}__{name}").replace('/', "_"), formatted)
        });
    }
}

#[test]
fn policies() {
    snapshot("policies");
}

/// The sample policies are kept formatted (`gatehouse fmt --check policies/`).
#[test]
fn policies_are_formatted() {
    for path in gate_files("policies") {
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            format(&text).unwrap() == text,
            "{} is not formatted: run `gatehouse fmt --write policies/`",
            path.display()
        );
    }
}

#[test]
fn messy_fixtures() {
    snapshot("tests/fmt");
}

#[test]
fn crlf_and_tabs() {
    let text = "api \"a\"\r\n\tauth u = jwt(issuer: \"x\")\r\n# note\r\nendpoint GET /x {\r\n\tauthenticate u\t# who\r\n}\r\n";
    assert_eq!(
        assert_sound("crlf", text),
        "api \"a\"\n\nauth u = jwt(issuer: \"x\")\n\n# note\nendpoint GET /x {\n  authenticate u  # who\n}\n"
    );
}

#[test]
fn empty_and_comment_only_files() {
    assert_eq!(format("").unwrap(), "");
    assert_eq!(
        format("\n\n  # only\n\n\n# comments\n").unwrap(),
        "# only\n\n# comments\n"
    );
}

// ---------------------------------------------------------------- generated policies

/// A tape of random choices: the generator reads it like dice, so that one
/// `Vec<u8>` strategy drives a policy of any shape.
struct Tape<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Tape<'_> {
    fn pick(&mut self, n: usize) -> usize {
        let byte = self.bytes.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        usize::from(byte) % n.max(1)
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.pick(100) < percent
    }

    fn one<'s>(&mut self, items: &[&'s str]) -> &'s str {
        items[self.pick(items.len())]
    }
}

type Tokens = Vec<String>;

fn push(tokens: &mut Tokens, items: &[&str]) {
    tokens.extend(items.iter().map(|s| s.to_string()));
}

fn condition(t: &mut Tape<'_>, tokens: &mut Tokens, depth: usize) {
    let atoms: &[&[&str]] = &[
        &["claim.t", "==", "\"t1\""],
        &["principal", "has", "a"],
        &["header.h", "like", "\"v*\""],
        &["claim.n", ">=", "3"],
        &["query.q", "in", "[", "\"1\"", ",", "\"2\"", "]"],
        &["claim.flag"],
        &["principal.sub", "!=", "\"x\""],
        &["claim.f", "<", "1.50"],
        &["claim.\"https://e.example/r\"", "==", "true"],
    ];
    let choice = if depth == 0 { 0 } else { t.pick(6) };
    match choice {
        0 | 1 => {
            let atom = atoms[t.pick(atoms.len())];
            if t.chance(15) {
                push(tokens, &["("]);
                push(tokens, atom);
                push(tokens, &[")"]);
            } else {
                push(tokens, atom);
            }
        }
        2 => {
            push(tokens, &["not", "("]);
            condition(t, tokens, depth - 1);
            push(tokens, &[")"]);
        }
        3 => {
            push(tokens, &["not"]);
            push(tokens, atoms[t.pick(atoms.len())]);
        }
        _ => {
            let op = if choice == 4 { "and" } else { "or" };
            let bracket = t.chance(50);
            if bracket {
                push(tokens, &["("]);
            }
            condition(t, tokens, depth - 1);
            for _ in 0..=t.pick(2) {
                push(tokens, &[op]);
                condition(t, tokens, depth - 1);
            }
            if bracket {
                push(tokens, &[")"]);
            }
        }
    }
}

fn type_expr(t: &mut Tape<'_>, tokens: &mut Tokens, depth: usize, flat: bool) {
    for _ in 0..t.pick(3).saturating_sub(1) {
        if flat {
            break;
        }
        push(tokens, &["array"]);
        if t.chance(50) {
            push(tokens, &["(", "1", "..", "10", ")"]);
        }
        push(tokens, &["of"]);
    }
    match t.pick(if depth == 0 || flat { 5 } else { 6 }) {
        0 => {
            push(tokens, &["string"]);
            if t.chance(50) {
                push(
                    tokens,
                    &["(", t.one(&["1", "0"]), "..", t.one(&["64", "4KiB"]), ")"],
                );
            }
            if t.chance(30) {
                push(tokens, &["matches", "\"^[a-z]+$\""]);
            }
        }
        1 => push(tokens, &["int", "(", "0", "..", ")"]),
        2 => push(tokens, &["enum", "(", "\"a\"", ",", "\"b\"", ")"]),
        3 => push(
            tokens,
            &[t.one(&["uuid", "bool", "any", "email", "number"])],
        ),
        4 => push(tokens, &["string", "format", "date"]),
        _ => {
            if t.chance(30) {
                push(tokens, &["object"]);
            }
            fields(t, tokens, depth - 1, false);
        }
    }
}

fn fields(t: &mut Tape<'_>, tokens: &mut Tokens, depth: usize, flat: bool) {
    push(tokens, &["{"]);
    let count = t.pick(4);
    for i in 0..count {
        let name = ["name", "tag", "\"x-odd\"", "items", "card"][(i + t.pick(2)) % 5];
        push(tokens, &[name]);
        if t.chance(40) {
            push(tokens, &["?"]);
        }
        push(tokens, &[":"]);
        type_expr(t, tokens, depth, flat);
        if t.chance(30) {
            push(tokens, &[","]);
        }
    }
    if t.chance(30) {
        push(tokens, &["..."]);
    }
    push(tokens, &["}"]);
}

fn statement(t: &mut Tape<'_>, tokens: &mut Tokens, in_shadow: bool) {
    let kinds = if in_shadow { 6 } else { 15 };
    match t.pick(kinds) {
        0 => {
            push(tokens, &["require", t.one(&["a", "b", "c"])]);
            if t.chance(50) {
                push(tokens, &[",", t.one(&["a", "b"]), "|", "c"]);
            }
        }
        1 => {
            push(tokens, &["when"]);
            condition(t, tokens, 3);
        }
        2 => push(
            tokens,
            &["deny", "from", "192.0.2.0/24", ",", "2001:db8:bad::/48"],
        ),
        3 => {
            push(
                tokens,
                &[
                    "quota",
                    t.one(&["5", "100"]),
                    "/",
                    t.one(&["min", "s", "hour", "day"]),
                ],
            );
            if t.chance(30) {
                push(tokens, &["burst", "10"]);
            }
            push(
                tokens,
                &[
                    "by",
                    t.one(&["ip", "principal", "claim.tenant", "header.x-key", "key"]),
                ],
            );
            if t.chance(30) {
                push(tokens, &["cost", "2"]);
            }
            if t.chance(30) {
                push(tokens, &[",", "1000", "/", "day", "by", "ip"]);
            }
        }
        4 => {
            push(
                tokens,
                &[
                    "mask",
                    "response",
                    t.one(&["$.ssn", "$..token", "$.items[*].card", "$[\"odd key\"]"]),
                ],
            );
            if t.chance(30) {
                push(tokens, &[",", "$.a.b"]);
            }
            if t.chance(50) {
                push(
                    tokens,
                    &[
                        "with",
                        t.one(&["redact", "remove", "email", "hash", "null"]),
                    ],
                );
            } else {
                push(tokens, &["keep", t.one(&["first", "last"]), "4"]);
            }
        }
        5 => push(
            tokens,
            &["allow", "from", "10.0.0.0/8", ",", "203.0.113.0/24"],
        ),
        6 => push(tokens, &["public"]),
        7 => {
            push(tokens, &["authenticate", t.one(&["u", "k", "s"])]);
            if t.chance(50) {
                push(tokens, &["|", "k"]);
            }
        }
        8 => push(tokens, &["body", "max", t.one(&["64KiB", "1MB", "100B"])]),
        9 => push(
            tokens,
            &["body", "types", "\"application/json\"", ",", "\"text/*\""],
        ),
        10 => {
            push(tokens, &["body", "json"]);
            if t.chance(50) {
                push(
                    tokens,
                    &["limits", "(", "depth", ":", "4", ",", "string", ":", "1KiB"],
                );
                if t.chance(30) {
                    push(tokens, &[","]);
                }
                push(tokens, &[")"]);
            }
            if t.chance(80) {
                fields(t, tokens, 2, false);
            }
        }
        11 => {
            push(tokens, &[t.one(&["query", "headers"])]);
            if tokens.last().is_some_and(|k| k == "query") && t.chance(50) {
                push(tokens, &["only"]);
            }
            fields(t, tokens, 0, true);
        }
        12 => push(
            tokens,
            &[
                "response",
                "only",
                "$.id",
                ",",
                "$.items[*].x",
                ",",
                "$..ssn",
            ],
        ),
        13 => push(tokens, &["shadow"]),
        _ => {
            push(tokens, &["shadow", "{"]);
            for _ in 0..t.pick(3) {
                statement(t, tokens, true);
            }
            push(tokens, &["}"]);
        }
    }
}

fn policy_tokens(t: &mut Tape<'_>) -> Tokens {
    let mut tokens = Tokens::new();
    push(&mut tokens, &["api", "\"gen\""]);
    if t.chance(60) {
        push(&mut tokens, &["version", "\"1\""]);
    }
    if t.chance(50) {
        push(&mut tokens, &["owner", "\"o@example.com\""]);
    }
    if t.chance(50) {
        push(&mut tokens, &["base", "/b"]);
    }
    if t.chance(20) {
        push(&mut tokens, &["host", "\"api.example.com\""]);
    }
    push(
        &mut tokens,
        &[
            "auth",
            "u",
            "=",
            "jwt",
            "(",
            "issuer",
            ":",
            "\"https://id.example\"",
        ],
    );
    if t.chance(50) {
        push(&mut tokens, &[",", "audience", ":", "\"gen\""]);
    }
    push(&mut tokens, &[")"]);
    push(
        &mut tokens,
        &[
            "auth", "k", "=", "api_key", "(", "header", ":", "\"K\"", ")",
        ],
    );
    push(
        &mut tokens,
        &[
            "auth",
            "service",
            "=",
            "mtls",
            "(",
            "subject",
            ":",
            "\"*.ok.example\"",
            ")",
        ],
    );
    push(&mut tokens, &["scopes", "{"]);
    for scope in ["a", "b", "c"] {
        push(&mut tokens, &[scope]);
        if t.chance(60) {
            push(&mut tokens, &["\"the scope\""]);
        }
    }
    push(&mut tokens, &["}"]);
    if t.chance(50) {
        push(&mut tokens, &["options", "{"]);
        if t.chance(50) {
            push(
                &mut tokens,
                &["trusted_proxies", "=", "10.0.0.0/8", ",", "192.168.0.0/16"],
            );
        }
        if t.chance(50) {
            push(&mut tokens, &["trailing_slash", "=", "strip"]);
        }
        if t.chance(50) {
            push(
                &mut tokens,
                &["on_store_error", "=", t.one(&["deny", "allow"])],
            );
        }
        push(&mut tokens, &["}"]);
    }
    if t.chance(60) {
        push(&mut tokens, &["defaults", "{"]);
        for _ in 0..t.pick(4) {
            statement(t, &mut tokens, false);
        }
        push(&mut tokens, &["}"]);
    }
    let paths = [
        "/",
        "/x",
        "/x/{id:int}",
        "/x/*/y",
        "/y/**",
        "/x/{name}/z",
        "/z/{u:uuid}",
    ];
    for path in paths.iter().take(1 + t.pick(paths.len())) {
        push(
            &mut tokens,
            &[
                "endpoint",
                t.one(&["GET", "POST", "*", "DELETE"]),
                path,
                "{",
            ],
        );
        for _ in 0..t.pick(6) {
            statement(t, &mut tokens, false);
        }
        push(&mut tokens, &["}"]);
    }
    tokens
}

/// Joins tokens with messy separators: spaces, tabs, newlines, runs of
/// blank lines, and numbered comments (trailing and on their own lines).
fn messy(t: &mut Tape<'_>, tokens: &[String]) -> String {
    let mut text = String::new();
    let mut comment = 0;
    for token in tokens {
        text.push_str(token);
        let separator = match t.pick(12) {
            0..=4 => " ".to_string(),
            5 => "\n".to_string(),
            6 => "\t  ".to_string(),
            7 => "\n\n\n    ".to_string(),
            8 => {
                comment += 1;
                format!(" # c{comment}\n")
            }
            9 => {
                comment += 1;
                format!("\n  # c{comment} own line\n\n")
            }
            10 => "\r\n".to_string(),
            _ => "  \n  ".to_string(),
        };
        text.push_str(&separator);
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Formatting generated, badly laid-out policies keeps every comment,
    /// is idempotent, and leaves the checked model and the diagnostics as
    /// they were.
    #[test]
    fn formatting_never_changes_meaning(tape in prop::collection::vec(any::<u8>(), 64..512)) {
        let mut t = Tape { bytes: &tape, at: 0 };
        let tokens = policy_tokens(&mut t);
        let text = messy(&mut t, &tokens);
        let (ast, diagnostics) = syntax::parse(FileId(0), &text);
        prop_assert!(ast.is_some() && diagnostics.is_empty(), "the generator made text that does not parse:\n{text}\n{diagnostics:?}");
        assert_sound("generated", &text);
    }

    /// The layout does not depend on the layout of the input: the same
    /// tokens laid out two different ways format to the same text.
    #[test]
    fn layout_is_canonical(tape in prop::collection::vec(any::<u8>(), 64..512), other in prop::collection::vec(any::<u8>(), 64..512)) {
        let mut t = Tape { bytes: &tape, at: 0 };
        let tokens = policy_tokens(&mut t);
        // Without comments and blank lines, which the formatter keeps.
        let plain = |sep: &dyn Fn(usize) -> &'static str| -> String {
            tokens.iter().enumerate().map(|(i, tok)| format!("{tok}{}", sep(i))).collect()
        };
        let a = plain(&|_| " ");
        let b = plain(&|i| match other.get(i).copied().unwrap_or(0) % 3 { 0 => "\n", 1 => "\t", _ => "  " });
        prop_assert_eq!(format(&a).unwrap(), format(&b).unwrap());
    }
}

/// The example in the reference's "Formatting" section formats as shown.
#[test]
fn the_reference_example_formats_as_documented() {
    let reference = std::fs::read_to_string(root().join("grammar/REFERENCE.md")).unwrap();
    let section = reference
        .split("## 18. Formatting")
        .nth(1)
        .expect("the Formatting section");
    let blocks: Vec<&str> = section
        .split("```gate\n")
        .skip(1)
        .take(2)
        .map(|b| b.split("```").next().unwrap())
        .collect();
    assert_eq!(
        blocks.len(),
        2,
        "the Formatting section shows an input and its formatted form"
    );
    assert_eq!(format(blocks[0]).unwrap(), blocks[1]);
    assert_eq!(format(blocks[1]).unwrap(), blocks[1]);
}
