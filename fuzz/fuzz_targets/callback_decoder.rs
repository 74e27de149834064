//! The `callback_decoder` fuzz target: libFuzzer's inputs go to `dispatch_fuzz_checks::callback_decoder`
//! (`crates/dispatch-fuzz-checks/src/callback_decoder.rs` documents the input and the invariants);
//! `cargo test` replays `fuzz/corpus/callback_decoder/` through the same checks.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| dispatch_fuzz_checks::callback_decoder(data));
