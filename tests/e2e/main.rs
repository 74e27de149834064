//! Dispatch end to end, in one test binary: a module per suite, and `support` for what they share
//! (the fakes crate keeps the servers). Unit tests stay beside their code.

mod clients;
mod deploy;
mod incoming;
mod lambda;
mod robustness;
mod spec;
mod support;
mod triage;
