//! The `fmt_roundtrip` property (see `gatehouse_fuzz_props::fmt_roundtrip`), under libFuzzer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gatehouse_fuzz_props::fmt_roundtrip::run(data));
