//! The `decide` property (see `gatehouse_fuzz_props::decide`), under libFuzzer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gatehouse_fuzz_props::decide::run(data));
