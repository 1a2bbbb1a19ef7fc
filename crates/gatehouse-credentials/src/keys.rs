//! API keys: see the crate documentation.
