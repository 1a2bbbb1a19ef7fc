//! The `path_normalise` property (see `gatehouse_fuzz_props::path_normalise`), under libFuzzer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gatehouse_fuzz_props::path_normalise::run(data));
