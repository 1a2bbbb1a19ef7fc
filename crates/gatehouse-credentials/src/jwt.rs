//! Bearer JWTs: see the crate documentation.
