//! The `parse_check` property (see `gatehouse_fuzz_props::parse_check`), under libFuzzer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gatehouse_fuzz_props::parse_check::run(data));
