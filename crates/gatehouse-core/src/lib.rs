//! Gatehouse internals: everything between the AST and a [`Decision`].
//!
//! **This crate is an internal layer of the Gatehouse workspace; embedders
//! use the `gatehouse` crate**, whose API is stable and documented. The
//! modules here are public so that the workspace's other crates (the
//! facade, the tools, the CLI) can build on them; they change freely.
//!
//! ```text
//! gatehouse-syntax:  text --parse--> AST
//! gatehouse-core:    AST --check--> Model --compile--> Tree --eval--> Decision
//!                                                  (+ payload, mask, quota)
//! ```
//!
//! Each stage is one module with a small surface, and data flows one way:
//! [`check`] turns ASTs into the [`model`] (spans kept, for diagnostics and
//! tools), [`compile`] turns the model into the [`tree`] (tries, bitsets,
//! prefix sets: the hot path's data), and [`eval`] decides a [`Request`]
//! against the tree in the design's fixed order of checks. [`payload`]
//! validates bodies, queries and headers while they stream, over the
//! [`json`] lexer; [`mask`] rewrites responses; [`quota`] counts requests in
//! a store. [`CompiledSet`] holds one loaded policy set with all of these.
//!
//! The crate reads no clock, file or socket and starts no thread, so it
//! builds for `wasm32-unknown-unknown`.
#![forbid(unsafe_code)]
// A `Decision` (about 170 bytes) is the payload of the evaluator's early
// returns; boxing it would put a heap allocation on the decision path.
#![allow(
    clippy::result_large_err,
    reason = "decisions are returned by value to keep the hot path allocation-free"
)]
// Tests may unwrap and index: a panic there is a failing test, not a crash.
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

// The first stage, re-exported under the names the stages below use.
pub use gatehouse_syntax as syntax;
pub use gatehouse_syntax::{diag, span};

pub mod audit;
pub mod check;
pub mod compile;
pub mod decision;
pub mod eval;
// The JSON fast paths against the slow paths they stand in for (above
// `json`, `payload` and `mask`, which it all uses).
#[cfg(test)]
mod fast_path_tests;
pub mod glob;
pub mod headers;
pub mod json;
pub mod lookalike;
pub mod mask;
pub mod model;
pub mod pattern;
pub mod payload;
mod policy;
pub mod quota;
pub mod request;
pub mod scopes;
pub mod tree;
pub mod urlencoded;

pub use decision::{Decision, Detail, PathProblem, Reason, ShadowFinding, Violation};
pub use policy::{check_sources, parse_and_check, CompiledSet, LoadFailure};
pub use request::{Principal, Request};
