//! The `triage_request` fuzz target: libFuzzer's inputs go to `dispatch_fuzz_checks::triage_request`
//! (`crates/dispatch-fuzz-checks/src/triage_request.rs` documents the input and the invariants);
//! `cargo test` replays `fuzz/corpus/triage_request/` through the same checks.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| dispatch_fuzz_checks::triage_request(data));
