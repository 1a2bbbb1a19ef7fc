//! The `json_limits` property (see `gatehouse_fuzz_props::json_limits`), under libFuzzer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gatehouse_fuzz_props::json_limits::run(data));
