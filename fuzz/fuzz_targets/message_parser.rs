//! The `message_parser` fuzz target: libFuzzer's inputs go to `dispatch_fuzz_checks::message_parser`
//! (`crates/dispatch-fuzz-checks/src/message_parser.rs` documents the input and the invariants);
//! `cargo test` replays `fuzz/corpus/message_parser/` through the same checks.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| dispatch_fuzz_checks::message_parser(data));
