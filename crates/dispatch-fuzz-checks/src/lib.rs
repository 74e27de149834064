//! The checks behind the fuzz targets in `fuzz/`: each takes any bytes, runs them through the code
//! Dispatch uses on outside input and panics when an invariant breaks (not only when the code under
//! test panics). `fuzz/fuzz_targets/*.rs` are thin wrappers that hand libFuzzer's inputs to these
//! functions; the tests here replay every committed input of `fuzz/corpus/<target>/` (and any
//! `fuzz/artifacts/<target>/`) through the same checks, so `cargo test` keeps the corpora passing.

mod callback_decoder;
mod message_parser;
#[cfg(test)]
mod replay;
mod triage_request;

pub use callback_decoder::check as callback_decoder;
pub use message_parser::check as message_parser;
pub use triage_request::check as triage_request;
