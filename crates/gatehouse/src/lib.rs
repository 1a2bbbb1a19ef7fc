//! Gatehouse: a declarative policy language for HTTP API security.
#![forbid(unsafe_code)]
// Tests may unwrap and index: a panic there is a failing test, not a crash.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod diag;
pub mod span;
pub mod syntax;
