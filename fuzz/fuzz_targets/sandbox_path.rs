#![no_main]
// The body lives in crates/fuzz-targets, where the committed corpus is replayed on stable.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_targets::sandbox_path::run(data));
