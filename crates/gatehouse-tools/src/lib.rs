//! Gatehouse tooling: everything about a policy that is not deciding a
//! request.
//!
//! - [`interp`]: the reference interpreter, a plain walk over the checked
//!   model that property tests hold to the compiled evaluator's answers;
//! - [`lint`]: the linter, one rule per file, every finding a
//!   [`Diagnostic`](gatehouse_syntax::diag::Diagnostic) with its code;
//! - [`fmt`]: the formatter;
//! - [`analysis`]: explain traces, policy tests, diff, inventory, tree
//!   rendering, quota replay;
//! - [`report`]: a decision in words, for people and for `--json`;
//! - [`text`]: model pieces written back as policy text, shared by the
//!   analyses and the report;
//! - [`json_api`]: the JSON-in/JSON-out functions that the CLI's JSON
//!   output and the WebAssembly module share.
//!
//! It builds on the `gatehouse` facade (with its `internals` feature) and
//! the crates below it; nothing on the decision path depends on this crate.
//! The CLI and the WebAssembly module sit on top.
#![forbid(unsafe_code)]
#![allow(
    clippy::result_large_err,
    reason = "decisions are returned by value, as in the evaluator"
)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

// The layers below, under the names the modules here use.
use gatehouse_core::{
    decision, diag, eval, json, mask, model, payload, quota, request, span, syntax, tree,
    CompiledSet,
};

pub mod analysis;
pub mod fmt;
pub mod interp;
pub mod json_api;
pub mod lint;
pub mod report;
pub mod text;

/// Diagnostics of the checker and the linter: one type, one code registry,
/// and their renderings.
pub mod diagnostics {
    pub use gatehouse_syntax::diag::*;
}

/// Parses and checks policy sources: every diagnostic, errors and warnings,
/// sorted by place. (`PolicySet::load` does the same and compiles; this is
/// for tools that report rather than decide.)
pub fn check(sources: &span::Sources) -> diag::Diagnostics {
    gatehouse_core::check_sources(sources).1
}
