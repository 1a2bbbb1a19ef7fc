//! The `patterns` property (see `gatehouse_fuzz_props::patterns`), under libFuzzer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gatehouse_fuzz_props::patterns::run(data));
