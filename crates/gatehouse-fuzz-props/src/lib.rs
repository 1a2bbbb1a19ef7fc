//! The properties Gatehouse's fuzz targets check, one module per target.
//!
//! Each module's `run` takes the raw bytes libFuzzer hands a target and
//! panics when its property fails. The cargo-fuzz targets in `fuzz/` are
//! one-line wrappers around these functions (nightly, libFuzzer), and
//! `tests/replay.rs` runs every committed input in `fuzz/replay/<target>/`
//! through the same functions on stable Rust, so the test suite re-checks
//! the minimised corpora and every input that ever found a bug.
//!
//! Inputs that the typed targets (`decide`, `patterns`, `path_normalise`)
//! read as structured values are decoded here with `arbitrary`, exactly as
//! libfuzzer-sys decodes them, so a replayed file means what it meant to
//! the fuzzer.
//!
//! This crate is test support: it panics by design and is not published.

pub mod decide;
pub mod fmt_roundtrip;
pub mod json_limits;
pub mod parse_check;
pub mod path_normalise;
pub mod patterns;

/// A property: panics when it fails on the input.
pub type Property = fn(&[u8]);

/// Every target: its name (the directory under `fuzz/replay/`) and its
/// property.
pub const TARGETS: &[(&str, Property)] = &[
    ("decide", decide::run),
    ("fmt_roundtrip", fmt_roundtrip::run),
    ("json_limits", json_limits::run),
    ("parse_check", parse_check::run),
    ("path_normalise", path_normalise::run),
    ("patterns", patterns::run),
];
