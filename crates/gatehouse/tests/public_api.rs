//! The facade's public API, kept in a reviewed snapshot
//! (`snapshots/public_api__public_api.snap`): any change to what an
//! embedder can name or call shows in review as a diff of that file.
//!
//! The facade re-exports types defined in the lower crates (`Request`
//! from gatehouse-core, `Diagnostic` from gatehouse-syntax, ...). rustdoc
//! lists such a re-export as one `pub use` line, so the snapshot adds the
//! API of each re-exported item (its fields, variants, methods and trait
//! impls) read from the crate that defines it: a change to `Request::new`
//! shows here even though it is made in gatehouse-core.
//!
//! The API is read from rustdoc's JSON output, which is unstable: it is
//! built by the workspace's own toolchain with `RUSTC_BOOTSTRAP=1`, set for
//! the spawned `cargo rustdoc` only, so no nightly toolchain is needed. A
//! toolchain upgrade that changes the JSON format may need a newer
//! `public-api` crate in the same commit.
//!
//! After an intended change: `INSTA_UPDATE=always cargo test -p gatehouse
//! --test public_api`, then review `git diff`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

type Error = Box<dyn std::error::Error>;

#[test]
fn public_api() -> Result<(), Error> {
    let facade_json = rustdoc_json("gatehouse")?;
    let mut lines: Vec<String> = api(&facade_json)?;

    // Where each re-exported item is defined: `gatehouse_core::request::Request`.
    let sources = reexport_sources(&facade_json)?;
    for (package, krate) in [
        ("gatehouse-core", "gatehouse_core"),
        ("gatehouse-syntax", "gatehouse_syntax"),
    ] {
        let ours: Vec<&str> = sources
            .iter()
            .map(String::as_str)
            .filter(|s| s.starts_with(&format!("{krate}::")))
            .collect();
        if ours.is_empty() {
            continue;
        }
        for line in api(&rustdoc_json(package)?)? {
            if ours.iter().any(|source| is_about(&line, source)) {
                lines.push(line);
            }
        }
    }
    insta::assert_snapshot!(lines.join("\n"));
    Ok(())
}

/// Builds the rustdoc JSON of one workspace package (default features:
/// what an embedder gets) and returns its path.
fn rustdoc_json(package: &str) -> Result<PathBuf, Error> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    // A target directory of its own: the running `cargo test` holds the
    // lock of the workspace's.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("public-api");
    let status = Command::new(env!("CARGO"))
        .args(["rustdoc", "--lib", "--quiet", "--manifest-path"])
        .arg(crates.join(package).join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target)
        .args(["--", "-Z", "unstable-options", "--output-format", "json"])
        .env("RUSTC_BOOTSTRAP", "1")
        .status()?;
    assert!(
        status.success(),
        "cargo rustdoc -p {package} failed: {status}"
    );
    Ok(target
        .join("doc")
        .join(format!("{}.json", package.replace('-', "_"))))
}

/// One line per public item, sorted, without blanket and auto-trait impls
/// (the same for every type) and derived impls' methods.
fn api(json: &Path) -> Result<Vec<String>, Error> {
    let api = public_api::Builder::from_rustdoc_json(json)
        .omit_blanket_impls(true)
        .omit_auto_trait_impls(true)
        .omit_auto_derived_impls(true)
        .build()?;
    Ok(api.items().map(|item| item.to_string()).collect())
}

/// The `source` path of every `pub use` in the crate's rustdoc JSON.
fn reexport_sources(json: &Path) -> Result<BTreeSet<String>, Error> {
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(json)?)?;
    let mut sources = BTreeSet::new();
    let index = doc.get("index").and_then(|i| i.as_object());
    for item in index.into_iter().flat_map(|m| m.values()) {
        if let Some(source) = item.pointer("/inner/use/source").and_then(|s| s.as_str()) {
            sources.insert(source.to_string());
        }
    }
    Ok(sources)
}

/// Whether a line of `public-api` output is about the item at `source`
/// (the item itself, one of its fields, variants or methods, or an impl
/// for it), as opposed to an item that merely mentions it.
fn is_about(line: &str, source: &str) -> bool {
    let subject = subject(line);
    subject
        .strip_prefix(source)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with("::") || rest.starts_with('<'))
}

/// The path a line declares: `gatehouse_core::request::Request<'a>::new`
/// for `pub fn gatehouse_core::request::Request<'a>::new(..) -> ..`, the
/// type after `for` for a trait impl.
fn subject(line: &str) -> &str {
    let mut rest = line.strip_prefix("pub ").unwrap_or(line);
    if let Some(body) = rest.strip_prefix("impl") {
        rest = match body.rsplit_once(" for ") {
            Some((_, ty)) => ty,
            None => skip_generics(body.trim_start()),
        };
        return rest.trim();
    }
    loop {
        let before = rest;
        for keyword in [
            "mod ", "use ", "struct ", "enum ", "union ", "trait ", "type ", "fn ", "const ",
            "static ", "unsafe ", "async ", "extern ", "macro ",
        ] {
            if let Some(after) = rest.strip_prefix(keyword) {
                rest = after;
            }
        }
        if rest == before {
            break;
        }
    }
    let end = rest
        .find(['(', ' ', '='])
        .or_else(|| rest.find(": "))
        .unwrap_or(rest.len());
    let head = rest.get(..end).unwrap_or(rest);
    // A field: `Request::method: &str` has no space before the colon.
    head.strip_suffix(':').unwrap_or(head)
}

/// `<'a> Foo<'a>` -> `Foo<'a>`.
fn skip_generics(text: &str) -> &str {
    if !text.starts_with('<') {
        return text;
    }
    let mut depth = 0usize;
    for (i, c) in text.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return text.get(i + 1..).unwrap_or("").trim_start();
                }
            }
            _ => {}
        }
    }
    text
}
